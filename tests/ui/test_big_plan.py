"""Pilot tests: a plan of thousands of tasks loads in chunks, and a status change updates one row in place."""

from __future__ import annotations

from rich.text import Text
from textual.app import App
from textual.widgets import DataTable

from codeframe_tui.domain import AgentType, Task, TaskStatus
from codeframe_tui.ui.widgets.rows import RowTable
from codeframe_tui.ui.widgets.tasks import FIRST_ROWS, TasksTable


def plan(count: int) -> list[Task]:
    return [Task(id=n, key=f"{n // 5 + 1}.{n % 5 + 1}", title=f"Task number {n} " + "x" * (n % 40),
                 description="", agent_type=AgentType.BACKEND, status=TaskStatus.PROPOSED) for n in range(count)]


class TableApp(App):
    def compose(self):
        yield TasksTable()


def row_text(table: DataTable, key: str) -> list[str]:
    return [cell.plain if isinstance(cell, Text) else str(cell) for cell in table.get_row(key)]


async def test_a_big_plan_shows_its_first_rows_at_once_and_the_rest_soon(tmp_path):
    big = plan(3000)
    app = TableApp()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(TasksTable)
        table.load(big)
        assert table.row_count == FIRST_ROWS and len(table.display_status) == 3000
        assert table.status_counts["proposed"] == 3000 and table.highlighted_key() == "1.1"
        last = big[-1].key
        table.set_status(last, "running", "backend-1")  # its row is not there yet: shown when it comes
        while table.row_count < 3000:
            await pilot.pause(0.01)
        await pilot.pause()
        assert row_text(table, last)[1:3] == ["● running", "backend-1"]
        assert [str(k.value) for k in list(table.rows)[:3]] == ["1.1", "1.2", "1.3"]
        # The Title column is as wide as the widest title, measured from the text.
        widest = max(len(t.title) for t in big)
        assert table.ordered_columns[3].content_width == widest


async def test_status_changes_update_rows_in_place_and_keep_the_counts(tmp_path, monkeypatch):
    calls: list[str] = []
    for name in ("clear", "add_row", "add_rows", "remove_row", "update_cell"):
        original = getattr(DataTable, name)

        def counted(self, *args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(DataTable, name, counted)
    big = plan(1200)
    app = TableApp()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(TasksTable)
        table.load(big)
        while table.row_count < 1200:
            await pilot.pause(0.01)
        calls.clear()
        for n, task in enumerate(big[::7]):
            table.set_status(task.key, "running" if n % 2 else "done", f"backend-{n % 3}")
        assert calls == []  # no rebuild, not even DataTable.update_cell (it re-renders every visible row)
        assert table.status_counts["running"] + table.status_counts["done"] == len(big[::7])
        assert sum(table.status_counts.values()) == 1200
        await pilot.pause()
        assert row_text(table, big[7].key)[1:3] == ["● running", "backend-1"]
        # The same plan again (after plan review) updates the changed rows; it does not start over.
        again = [t if t.key != "1.1" else Task(**{**t.__dict__, "title": "Renamed"}) for t in big]
        table.load(again)
        assert "clear" not in calls and "add_row" not in calls and row_text(table, "1.1")[3] == "Renamed"
        assert table.status_counts == {"proposed": 1200}


class TwoTables(App):
    def compose(self):
        yield DataTable(id="plain", cell_padding=0, cursor_type="row")  # as RowTable makes it
        yield RowTable(id="rows")


async def test_row_table_rows_match_what_data_table_makes(tmp_path):
    app = TwoTables()
    async with app.run_test(size=(120, 40)) as pilot:
        tables = [app.query_one("#plain", DataTable), app.query_one("#rows", RowTable)]
        for table in tables:
            table.add_column("a", key="a", width=4)
            table.add_column("b", key="b")
            table.add_column("c", key="c")
            for n in range(50):
                table.add_row(Text(str(n)), Text("b" * n), key=f"k{n}")  # fewer cells than columns too
        await pilot.pause()
        plain, rows = tables
        assert [r.key for r in rows.ordered_rows] == [r.key for r in plain.ordered_rows]
        assert [rows.get_row_at(i) for i in range(50)] == [plain.get_row_at(i) for i in range(50)]
        # Widths as drawn (a fixed column's measured content width is never used, so it is not measured).
        assert [c.get_render_width(rows) for c in rows.ordered_columns] == \
            [c.get_render_width(plain) for c in plain.ordered_columns]
        assert rows.virtual_size == plain.virtual_size and rows.cursor_row == plain.cursor_row == 0

