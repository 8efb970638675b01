"""The three worker types; each differs in role, which tests it runs, and what counts as done."""

from __future__ import annotations

from codeframe_tui.domain import AgentType, TestRun, TestStatus
from codeframe_tui.engine.workers.base import WorkerAgent


class BackendWorker(WorkerAgent):
    agent_type = AgentType.BACKEND
    test_part = "backend"


class FrontendWorker(WorkerAgent):
    agent_type = AgentType.FRONTEND
    test_part = "frontend"


class TestWorker(WorkerAgent):
    __test__ = False
    agent_type = AgentType.TEST
    test_part = "test"

    def tests_pass(self, run: TestRun) -> bool:
        # A test worker's job is to produce tests: finding none is a failure to correct.
        return run.status == TestStatus.PASSED


_BY_TYPE: dict[AgentType, type[WorkerAgent]] = {
    AgentType.BACKEND: BackendWorker,
    AgentType.FRONTEND: FrontendWorker,
    AgentType.TEST: TestWorker,
}


def worker_class(agent_type: AgentType) -> type[WorkerAgent]:
    return _BY_TYPE[agent_type]
