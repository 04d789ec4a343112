"""Fixtures for agent tests: the bring-your-own repository of the env tests."""

from tests.envs.conftest import task_file  # noqa: F401  (a fixture)
