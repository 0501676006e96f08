"""The vocabulary the deploy side and the nodes share (stdlib only; shipped to nodes with node/).

Names and tags, the runtime-configuration document and its strict reader, the cloud-init
bootstrap and program wrappers, custom-action events and script URLs, Slurm deny-lists and
ports. Both sides import these, so a name or a format can never drift between them.
"""
