"""Code that runs on the cluster's own machines (stdlib + boto3 only).

It is shipped to instances as an archive, so it must never import pulumi, yaml or
jsonschema: the head node and compute nodes have neither a package index nor Pulumi.
"""
