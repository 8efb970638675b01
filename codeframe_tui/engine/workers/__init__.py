"""Worker agents: one async pipeline, specialised by agent type."""

from codeframe_tui.engine.workers.base import WorkerAgent
from codeframe_tui.engine.workers.kinds import BackendWorker, FrontendWorker, TestWorker, worker_class

__all__ = ["BackendWorker", "FrontendWorker", "TestWorker", "WorkerAgent", "worker_class"]
