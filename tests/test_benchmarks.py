"""The benchmarks' smoke forms: each runs end to end and prints its measures; no timing is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from isolation import config_home_env

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
LINE = re.compile(r"^[^:]+: \S+ \S+.* · target [≤≥] \S+ .*· ratio \d+\.\d\d · (met|MISSED)")


@pytest.mark.parametrize("script", sorted(BENCHMARKS.glob("bench_*.py")), ids=lambda p: p.stem)
def test_a_benchmark_runs_in_its_short_form_and_prints_its_measures(script, tmp_path):
    before = (BENCHMARKS / "results.json").read_bytes() if (BENCHMARKS / "results.json").exists() else None
    proc = subprocess.run([sys.executable, str(script), "--short"], capture_output=True, text=True, timeout=170,
                          cwd=tmp_path, env={**config_home_env(),
                                             "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TERM": "dumb"})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    measures = [line for line in proc.stdout.splitlines() if LINE.match(line)]
    assert measures, proc.stdout
    after = (BENCHMARKS / "results.json").read_bytes() if (BENCHMARKS / "results.json").exists() else None
    assert after == before  # the smoke form never overwrites the measured results
