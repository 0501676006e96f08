"""The AWS Batch scheduler (``Scheduler: awsbatch``) as Pulumi components, ``pcluster:batch:*``."""

from pcluster_pulumi.cluster.batch.scheduler import BatchScheduler

__all__ = ["BatchScheduler"]
