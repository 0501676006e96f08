"""The cluster config: YAML in, a validated and typed ``ClusterSpec`` out."""
