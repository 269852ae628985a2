"""Every benchmark script answers --help without running (or overwriting its results)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(path.name for path in BENCHMARKS.glob("*.py") if not path.name.startswith("_"))


def _result_stamps():
    return {path.name: path.stat().st_mtime_ns for path in (BENCHMARKS / "results").glob("*")}


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_benchmark_prints_its_usage_for_help_and_writes_nothing(script):
    before = _result_stamps()
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:")
    assert _result_stamps() == before
