"""Measures event-loop lag (a 5 ms ticker) while the demo engine runs headless on the scripted model."""

from __future__ import annotations

import asyncio
import pathlib
import tempfile
import time

from codeframe_tui.demo.setup import prepare_demo
from codeframe_tui.engine.session import Engine
from codeframe_tui.llm.offline import scripted_model_client


async def main():
    root = pathlib.Path(tempfile.mkdtemp())/"demo"
    setup = await prepare_demo(root, latency=0.5)
    engine = await Engine.open(setup.settings, scripted_model_client(setup.settings, setup.scripted), lambda e: None)
    lags=[]; stop=False
    async def ticker():
        while not stop:
            t=time.perf_counter(); await asyncio.sleep(0.005); lags.append((time.perf_counter()-t-0.005)*1000)
    tk=asyncio.create_task(ticker())
    s=await engine.run(approve_all=True); stop=True; await tk; await engine.close()
    lags.sort()
    print(f"done={s.done}/{s.total} elapsed={s.elapsed:.1f}s ticks={len(lags)} p50={lags[len(lags)//2]:.2f}ms p99={lags[int(len(lags)*0.99)]:.2f}ms max={lags[-1]:.2f}ms")
asyncio.run(main())
