"""The crash harness, short: SIGKILL the demo at 3 random moments, resume each to the end, lose nothing.
`make crash-test` runs it with 20 kills."""

from __future__ import annotations

import io
import random

from crash_harness import run


def test_three_kills_at_random_moments_lose_nothing(tmp_path):
    seed = random.randrange(1 << 30)
    out = io.StringIO()
    rounds = run(3, seed, tmp_path, out=out)
    report = f"seed {seed} (rerun: python tests/crash_harness.py --kills 3 --seed {seed})\n{out.getvalue()}"
    assert sum(r.killed for r in rounds) == 3, report
    assert [r.problems for r in rounds] == [[] for _ in rounds], report
