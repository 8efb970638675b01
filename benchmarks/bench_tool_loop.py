"""Tool loops at once: the event loop's lag while 8 agents search, view 150 KB files and edit them.

Headless, no Textual: the engine on the scripted model served over HTTP from ANOTHER process (no
latency: every answer comes at once, the hardest case for the loop; in its own process, as the real
API is, so that its work of checking signed histories is not counted as ours), through the real
client built from settings, max_concurrent 8, worktrees on, a real git project whose package holds
a 150 KB module per task. Each agent's conversation: search the module for its function, view three
ranges of it, view it whole (cut at the view cap), list the files, edit its function with
str_replace, and finish; the finish runs the test command (`true`: the tests are not what is
measured). A probe sleeps 1 ms again and again and records how late each wake-up is.

Target: p99 ≤ 16 ms (one frame at 60 fps). The note gives the max, the tool calls made and the
same probe's p99 on the idle loop just before.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import Bench
from load import LagProbe, idle_lag, make_project, ms, percentile

from codeframe_tui.config import load_settings
from codeframe_tui.domain import AgentType, NewTask
from codeframe_tui.engine.events import Event, ToolUsed
from codeframe_tui.engine.session import Engine
from codeframe_tui.llm.client import ModelClient, build_anthropic_client
from codeframe_tui.llm.scripted import ScriptedModel, ScriptedServer
from codeframe_tui.llm.scripted.agent import finish, list_files, place, play, replace, search, view
from codeframe_tui.llm.tools import worker_tools

TARGET_MS = 16.0
FUNCTIONS = 3000  # ~150 KB per module


def module(n: int) -> str:
    return "".join(f'def f{i}(x):\n    """Function {i} of module {n}."""\n    return x + {i}\n\n\n'
                   for i in range(FUNCTIONS))


def agent(request):
    key = request.first_user_text().split(":", 1)[0].removeprefix("Task ").strip()
    path = f"pkg/big_{key}.py"
    line = 3 + 5 * 1234  # where f1234 starts
    return play([
        search(r"def f1234\(", path),
        view(path, line, line + 40),
        view(path, 1, 200),
        view(path, 9000, 9400),
        view(path),
        list_files("pkg/*.py"),
        replace(path, "    return x + 1234\n", "    return -x\n"),
        finish(f"f1234 of {path} returns -x"),
    ], place(request).step)


async def run(workdir: Path, tasks: int) -> tuple[list[float], list[float], int, float]:
    project = make_project(workdir / "p", ["true"], {"max_concurrent": 8, "review": "auto"})
    for n in range(1, tasks + 1):
        (project / "pkg" / f"big_{n}.py").write_text('"""A big module."""\n\n\n' + module(n))
    for args in (("add", "-A"), ("commit", "-q", "-m", "modules")):
        await (await asyncio.create_subprocess_exec("git", *args, cwd=project)).wait()
    server = await asyncio.create_subprocess_exec(sys.executable, __file__, "--serve", stdout=subprocess.PIPE)
    base_url = (await server.stdout.readline()).decode().strip()
    settings = load_settings(project, env={"ANTHROPIC_API_KEY": "sk-bench", "ANTHROPIC_BASE_URL": base_url},
                             user_file=False)
    calls = 0

    def sink(event: Event) -> None:
        nonlocal calls
        calls += isinstance(event, ToolUsed)

    engine = await Engine.open(settings, ModelClient(settings, build_anthropic_client(settings)), sink)
    try:
        await engine.store.add_plan([], [NewTask(str(n), f"f1234 of module {n}", AgentType.BACKEND,
                                                 description="negate", files=(f"pkg/big_{n}.py",))
                                         for n in range(1, tasks + 1)])
        await engine.approve_all()
        # One call first: the SDK builds its types at the first request it makes (hundreds of ms of
        # class construction, once per process; bench_startup measures first-use costs).
        await engine.ctx.model.turn(system="warm-up", messages=[{"role": "user", "content": "Task 0: warm up"}],
                                    tools=worker_tools(settings.model), model=settings.model)
        idle = await idle_lag()
        probe = LagProbe(0.001)
        probe.start()
        started = time.monotonic()
        summary = await engine.run()
        took = time.monotonic() - started
        await probe.stop()
        if not summary.all_done:
            raise SystemExit(f"not every task finished: {summary}")
    finally:
        await engine.close()
        server.terminate()
        await server.wait()
    return [late for _, late in probe.samples], idle, calls, took


async def serve() -> None:
    """The scripted model on 127.0.0.1 in this process; prints its address, serves until killed."""
    async with ScriptedServer(ScriptedModel(agent)) as server:
        print(server.base_url, flush=True)
        await asyncio.Event().wait()


async def main() -> None:
    if "--serve" in sys.argv:
        await serve()
        return
    bench = Bench("tool_loop", __doc__.splitlines()[0])
    import anthropic  # noqa: F401  (imported once at the first model call, in a thread: not what is measured)

    tasks = 8 if bench.short else 24
    with tempfile.TemporaryDirectory(prefix="bench-tool-loop-") as tmp:
        lag, idle, calls, took = await run(Path(tmp), tasks)
    bench.report(f"loop lag p99, 8 agents' tool loops ({tasks} tasks)", ms(percentile(lag, 99)), "ms", TARGET_MS,
                 note=f"max {ms(max(lag, default=0)):.1f} ms over {len(lag)} wake-ups; {calls} tool calls in "
                      f"{took:.1f} s; idle loop p99 {ms(percentile(idle, 99)):.1f} ms; load {os.getloadavg()[0]:.2f}")
    bench.save()


if __name__ == "__main__":
    asyncio.run(main())
