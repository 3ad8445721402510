"""A local Jira emulator (Cloud REST v3 and Data Center REST v2) for the integration tests."""

from emulators.jira.server import JiraEmulator

__all__ = ["JiraEmulator"]
