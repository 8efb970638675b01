"""Regenerates the README's SVG screenshots from the same fixed scenes the snapshot tests use."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from snapshot_scenes import finished_story, mid_run_story, play, scene_app  # noqa: E402

SHOTS = [
    ("main-80x24.svg", (80, 24), mid_run_story),
    ("main-120x40.svg", (120, 40), finished_story),
]


async def shoot(name: str, size: tuple[int, int], story) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = scene_app(Path(tmp) / "demo")
        async with app.run_test(size=size) as pilot:
            await play(pilot, story())
            app.save_screenshot(filename=name, path=str(ROOT / "screenshots"))
            await pilot.press("q")


async def shoot_real_demo(name: str = "demo-running-80x24.svg") -> None:
    """A live demo run (the real engine on the scripted model), caught with 3 tasks running."""
    from codeframe_tui.ui.launch import demo_app

    with tempfile.TemporaryDirectory() as tmp:
        app = demo_app(Path(tmp) / "demo", latency=1.0, approve_all=True)
        async with app.run_test(size=(80, 24)) as pilot:
            statuses = lambda: list(app.main.tasks_table.display_status.values())  # noqa: E731
            while statuses().count("running") < 3 or not app.main.test_log.line_count:
                await pilot.pause(0.02)
            app.save_screenshot(filename=name, path=str(ROOT / "screenshots"))
            await pilot.press("q")


async def shoot_scene(name: str, make_app, scene) -> None:
    """An 80x24 screenshot of `scene` played on a fresh app from `make_app(folder)`."""
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp) / "p")
        async with app.run_test(size=(80, 24)) as pilot:
            await scene(pilot)
            app.save_screenshot(filename=name, path=str(ROOT / "screenshots"))
            await pilot.press("ctrl+c")


async def main() -> None:
    for name, size, story in SHOTS:
        await shoot(name, size, story)
        print(f"wrote screenshots/{name}")
    from snapshot_scenes import (
        answer_scene,
        diff_scene,
        discovery_scene,
        discovery_scene_app,
        inbox_app,
        inbox_scene,
        review_app,
        review_scene,
    )

    for name, make_app, scene in (("plan-review-80x24.svg", review_app, review_scene),
                                  ("discovery-80x24.svg", discovery_scene_app, discovery_scene),
                                  ("inbox-80x24.svg", inbox_app, inbox_scene),
                                  ("answer-80x24.svg", inbox_app, answer_scene),
                                  ("diff-80x24.svg", inbox_app, diff_scene)):
        await shoot_scene(name, make_app, scene)
        print(f"wrote screenshots/{name}")
    await shoot_real_demo()
    print("wrote screenshots/demo-running-80x24.svg")


if __name__ == "__main__":
    asyncio.run(main())
