"""Azurite for tests: the demo's own starter (local/azurite.py)."""
from local.azurite import connection_string, start_azurite

__all__ = ["connection_string", "start_azurite"]
