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


def test_the_performance_benchmark_runs_every_section_in_its_quick_mode(tmp_path):
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "perf.py"), "--quick", "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = (tmp_path / "perf_quick.md").read_text()
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    assert [heading.split()[1] for heading in headings] == [
        "1.",
        "1b.",
        "2.",
        "3.",
        "4.",
        "5.",
        "6.",
    ]


def test_the_version_comparison_times_the_working_tree_against_a_commit(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "versions.py"),
            "HEAD",
            "--repeats",
            "1",
            "--rows",
            "300",
            "--param",
            "epochs=2",
            "--output-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = (tmp_path / "versions.md").read_text()
    assert "| working tree |" in report
    assert "| commit " in report
