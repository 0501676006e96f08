"""``python -m pcluster_pulumi.cli``: the same as the ``pcluster-pulumi`` command."""

from pcluster_pulumi.cli.main import main

main()
