"""Live operations on a running cluster from AWS alone (fleet status, instances, logs): no Pulumi."""
