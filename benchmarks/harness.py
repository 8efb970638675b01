"""What every benchmark shares: a measure beside its target, printed as one line and kept in results.json.

A benchmark is a script, `python benchmarks/bench_<name>.py [--short]`, that runs in one process and
calls `report(...)` once per measure. `--short` is the smoke form `make test` runs: small sizes, the
same code paths, no results written. The machines are shared and noisy, so what counts is the ratio
of each value to its target (or to its ideal), not the absolute time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.json"
sys.path.insert(0, str(ROOT))  # the scripts run from a checkout, with or without an install


@dataclass(frozen=True)
class Measure:
    """One measure. `ratio` is value/target for lower-is-better, target/value for higher-is-better:
    either way ≤ 1.0 meets the target."""

    bench: str
    name: str
    value: float
    unit: str
    target: float
    higher_is_better: bool = False
    note: str = ""

    @property
    def ratio(self) -> float:
        if self.higher_is_better:
            return self.target / self.value if self.value else float("inf")
        return self.value / self.target if self.target else float("inf")

    @property
    def met(self) -> bool:
        return self.ratio <= 1.0

    def line(self) -> str:
        sign = "≥" if self.higher_is_better else "≤"
        verdict = "met" if self.met else "MISSED"
        note = f"  ({self.note})" if self.note else ""
        return (f"{self.name}: {_num(self.value)} {self.unit} · target {sign} {_num(self.target)} {self.unit} · "
                f"ratio {self.ratio:.2f} · {verdict}{note}")


class Bench:
    """The measures of one benchmark run; printed as they come, saved at the end unless short."""

    def __init__(self, name: str, description: str) -> None:
        parser = argparse.ArgumentParser(description=description)
        parser.add_argument("--short", action="store_true", help="the smoke form: small sizes, nothing saved")
        self.args, _ = parser.parse_known_args()
        self.name = name
        self.short: bool = self.args.short
        self.measures: list[Measure] = []

    def report(self, name: str, value: float, unit: str, target: float, *, higher_is_better: bool = False,
               note: str = "") -> Measure:
        measure = Measure(self.name, name, float(value), unit, float(target), higher_is_better, note)
        self.measures.append(measure)
        print(measure.line(), flush=True)
        return measure

    def save(self) -> None:
        if not self.short:
            save_results(self.measures)


def save_results(measures: list[Measure], path: Path = RESULTS) -> None:
    """Replace this benchmark's measures in results.json and keep the others'."""
    benches = {m.bench for m in measures}
    try:
        old = json.loads(path.read_text())["measures"]
    except (OSError, ValueError, KeyError, TypeError):
        old = []
    kept = [m for m in old if isinstance(m, dict) and m.get("bench") not in benches]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    fresh = [{**asdict(m), "ratio": round(m.ratio, 3), "met": m.met, "measured_at": now} for m in measures]
    data = {"machine": machine(), "updated_at": now, "measures": kept + fresh}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def machine() -> dict[str, object]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "system": platform.system(),
            "machine": platform.machine()}


def _num(value: float) -> str:
    if value == int(value) and abs(value) >= 10:
        return f"{int(value):,}"
    return f"{value:,.3g}" if abs(value) < 10 else f"{value:,.1f}"
