"""Pure functions from a ClusterSpec (and plain facts) to derived records.

Mount table, runtime document, IAM documents, deletion plan, update diff and policies: no
Pulumi, no AWS, so they are tested alone and every layer above agrees on them.
"""
