"""Measures event-loop lag (a 5 ms ticker) while the demo engine runs headless on the scripted model."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from codeframe_tui.demo.setup import prepare_demo
from codeframe_tui.engine.session import Engine
from codeframe_tui.llm.offline import scripted_model_client

TICK = 0.005


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        setup = await prepare_demo(Path(tmp) / "demo", latency=0.5)
        client = scripted_model_client(setup.settings, setup.scripted)
        engine = await Engine.open(setup.settings, client, lambda event: None)
        lags: list[float] = []
        running = True

        async def ticker() -> None:
            # How late each 5 ms sleep wakes up is how long something else held the loop.
            while running:
                start = time.perf_counter()
                await asyncio.sleep(TICK)
                lags.append((time.perf_counter() - start - TICK) * 1000)

        ticks = asyncio.create_task(ticker())
        try:
            summary = await engine.run(approve_all=True)
        finally:
            running = False
            await ticks
            await engine.close()
    lags.sort()
    p50, p99 = lags[len(lags) // 2], lags[int(len(lags) * 0.99)]
    print(f"done={summary.done}/{summary.total} elapsed={summary.elapsed:.1f}s ticks={len(lags)} "
          f"p50={p50:.2f}ms p99={p99:.2f}ms max={lags[-1]:.2f}ms")


if __name__ == "__main__":
    asyncio.run(main())
