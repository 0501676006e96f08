"""The moto server and cluster fixtures (``tests/fleet/fixtures.py``) for the fleet tests."""

from tests.fleet.fixtures import aws, aws_env, clients, demo, demo_world, moto_server

__all__ = ["aws", "aws_env", "clients", "demo", "demo_world", "moto_server"]
