"""Fixtures of the runtime loop's tests: lz's CLI environment (a session cache with the local
runtime installed) and the moto server come from tests/cli."""

from tests.cli.conftest import aws_env, lz_env, moto_endpoint  # noqa: F401 - fixtures, registered by import
