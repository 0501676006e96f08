"""The Automation API side: one stack per cluster, its backend, errors in one paragraph, progress."""
