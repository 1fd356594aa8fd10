"""The tests start services with the same code as the demo (local/processes.py)."""
from local.processes import REPO, Service, free_port, start_python_module, start_service, wait_for_port

__all__ = ["REPO", "Service", "free_port", "start_python_module", "start_service", "wait_for_port"]
