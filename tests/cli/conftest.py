"""The moto server and cluster fixtures of ``tests/fleet`` for the day-2 CLI tests."""

from tests.fleet.fixtures import aws, aws_env, clients, demo, demo_world, moto_server

__all__ = ["aws", "aws_env", "clients", "demo", "demo_world", "moto_server"]
