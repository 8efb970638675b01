"""`make bench`: every benchmarks/bench_*.py in its own process, then the table of the latest results.

`--short` runs the smoke forms (what `make test` checks); `--table` only prints the Markdown table of
benchmarks/results.json, for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
PER_BENCH_TIMEOUT = 240  # seconds; make bench as a whole must stay under 5 minutes on 2 cores


def scripts() -> list[Path]:
    return sorted(HERE.glob("bench_*.py"))


def run(script: Path, short: bool) -> tuple[int, float]:
    started = time.monotonic()
    print(f"== {script.stem.removeprefix('bench_')}", flush=True)
    try:
        code = subprocess.run([sys.executable, str(script), *(["--short"] if short else [])], cwd=HERE.parent,
                              timeout=PER_BENCH_TIMEOUT).returncode
    except subprocess.TimeoutExpired:
        print(f"{script.name}: stopped after {PER_BENCH_TIMEOUT}s", flush=True)
        code = 124
    return code, time.monotonic() - started


def table(path: Path = RESULTS) -> str:
    data = json.loads(path.read_text())
    rows = ["| Benchmark | Measure | Value | Target | Ratio | |", "|---|---|---|---|---|---|"]
    for m in data["measures"]:
        sign = "≥" if m["higher_is_better"] else "≤"
        rows.append(f"| {m['bench']} | {m['name']} | {_fmt(m['value'])} {m['unit']} | {sign} {_fmt(m['target'])} "
                    f"{m['unit']} | {m['ratio']:.2f} | {'met' if m['met'] else '**missed**'} |")
    machine = data.get("machine", {})
    rows.append("")
    rows.append(f"Measured {data.get('updated_at', '?')} on {machine.get('cpus', '?')} cores, "
                f"Python {machine.get('python', '?')}.")
    return "\n".join(rows)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true")
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    if args.table:
        print(table())
        return 0
    started = time.monotonic()
    failed = []
    for script in scripts():
        code, took = run(script, args.short)
        print(f"   ({took:.1f}s)", flush=True)
        if code != 0:
            failed.append(script.name)
    print(f"all benchmarks: {time.monotonic() - started:.0f}s" + (f"; crashed: {', '.join(failed)}" if failed else ""))
    if not args.short and RESULTS.exists():
        print()
        print(table())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
