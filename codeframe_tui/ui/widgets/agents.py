"""The Agents pane: each worker, idle or busy, its task and its current step."""

from __future__ import annotations

import re

from rich.text import Text
from textual.widgets import DataTable

from codeframe_tui.ui.content import one_line
from codeframe_tui.ui.widgets.rows import update_row

TAIL_CHARS = 2000
_PATH = re.compile(r'"path"\s*:\s*"([^"\\]{1,200})"')


class AgentsTable(DataTable):
    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", show_cursor=False, cell_padding=0, **kwargs)
        self.streamed: dict[str, int] = {}
        self.steps: dict[str, str] = {}
        self.costs: dict[str, float | None] = {}
        self.tails: dict[str, str] = {}  # the end of what streamed, to find the file being written

    def on_mount(self) -> None:
        # Busy or idle shows in the colour of the name; no State column, so the step has room.
        self.add_column(" Agent", key="agent", width=13)
        self.add_column("Task", key="task", width=5)
        self.add_column("Cost", key="cost", width=6)  # this run's spend by the agent; $? when unpriced
        self.add_column(" Step", key="step")

    def set_agent(self, agent_id: str, status: str, task_id: str | None, step: str) -> None:
        busy = status == "busy"
        name = Text(f"{'●' if busy else '○'} {one_line(agent_id, 11)}", style="bold cyan" if busy else "dim")
        self.steps[agent_id] = step
        self.streamed[agent_id] = 0
        self.tails[agent_id] = ""
        # The task key comes from the plan, which a model or an imported file wrote.
        cells = (name, Text(one_line(task_id or "", 8)), Text(" " + one_line(step, 60), style="" if busy else "dim"))
        if agent_id in self.rows:
            update_row(self, agent_id, dict(zip(("agent", "task", "step"), cells, strict=True)))
        else:
            self.add_row(cells[0], cells[1], self._cost_cell(agent_id), cells[2], key=agent_id)

    def add_cost(self, agent_id: str, cost: float | None) -> None:
        """A model call's cost; once a call is unpriced the agent's total is unknown."""
        known = self.costs.get(agent_id, 0.0)
        self.costs[agent_id] = None if known is None or cost is None else known + cost
        if agent_id in self.rows:
            update_row(self, agent_id, {"cost": self._cost_cell(agent_id)})

    def _cost_cell(self, agent_id: str) -> Text:
        cost = self.costs.get(agent_id, 0.0)
        return Text("$?" if cost is None else f"${cost:.2f}", justify="right", style="dim" if not cost else "")

    def add_streamed(self, agent_id: str, text: str) -> None:
        """Show the model's answer arriving in a form a person can read at 80 columns: how much has
        come, and the file it is writing now (the answer is a tool call's JSON, streamed in pieces)."""
        if agent_id not in self.rows:
            return
        self.streamed[agent_id] = self.streamed.get(agent_id, 0) + len(text)
        tail = (self.tails.get(agent_id, "") + text)[-TAIL_CHARS:]
        self.tails[agent_id] = tail
        count = self.streamed[agent_id]
        size = f"{count / 1000:.1f}k" if count >= 1000 else str(count)
        paths = _PATH.findall(tail)
        now = f" · {paths[-1]}" if paths else ""
        step = one_line(f"{self.steps.get(agent_id, '')} · {size} chars{now}", 60)
        update_row(self, agent_id, {"step": Text(" " + step)})
