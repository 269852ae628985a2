"""Micro-benchmarks behind the batched ensemble's kernel choices.

Each figure quoted in ``sklearn_gan_ad/networks/members.py``,
``sklearn_gan_ad/lstm.py`` and ``docs/performance.md`` as a kernel measurement
comes from here, measured in one run with interleaved repeats (medians):

1. one batched matrix product of the default hidden layer, (5, 2048, 64) x
   (5, 64, 64), in float32 and float64 on one thread (GMAC/s);
2. the same product for output widths 1, 3, 16, 20, 64 (microseconds): why a
   narrow code layer is padded to 16 columns for scoring;
3. ``LSTMGANAnomalyDetector`` scoring with 256- and 2,048-window chunks
   (windows per second, and one window's latency);
4. the default ``GANAnomalyDetector`` fit on 5,000 x 20 with ``n_threads=1``
   and ``n_threads=2``.

Writes ``benchmarks/results/kernels.md``.

    python benchmarks/kernels.py
"""

import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, environment_summary, median, write_text  # noqa: E402

import sklearn_gan_ad.base as base_module  # noqa: E402
from sklearn_gan_ad import GANAnomalyDetector, LSTMGANAnomalyDetector  # noqa: E402
from sklearn_gan_ad.timeseries import make_windows  # noqa: E402

REPEATS = 5


def seconds_per_call(function, calls):
    function()
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def interleaved(functions, repeats=REPEATS):
    times = {name: [] for name in functions}
    for repeat in range(repeats):
        names = list(functions) if repeat % 2 == 0 else list(reversed(functions))
        for name in names:
            times[name].append(functions[name]())
    return {name: median(values) for name, values in times.items()}


def products():
    torch.set_num_threads(1)
    rows = []
    functions = {}
    for dtype in (torch.float32, torch.float64):
        x = torch.randn(5, 2048, 64, dtype=dtype)
        weight = torch.randn(5, 64, 64, dtype=dtype)
        bias = torch.randn(5, 1, 64, dtype=dtype)
        functions[str(dtype)] = lambda x=x, w=weight, b=bias: seconds_per_call(
            lambda: torch.baddbmm(b, x, w), 50
        )
    for name, seconds in interleaved(functions).items():
        rows.append(f"| {name} | {5 * 2048 * 64 * 64 / seconds / 1e9:.1f} |")
    widths = {}
    x = torch.randn(5, 2048, 64)
    for width in (1, 3, 16, 20, 64):
        weight, bias = torch.randn(5, 64, width), torch.randn(5, 1, width)
        widths[str(width)] = lambda w=weight, b=bias: seconds_per_call(
            lambda: torch.baddbmm(b, x, w), 100
        )
    width_rows = [f"| {k} | {1e6 * v:.0f} |" for k, v in interleaved(widths).items()]
    return rows, width_rows


def lstm_chunks():
    t = np.arange(60_000)
    series = np.sin(2 * np.pi * t / 50) + 0.1 * np.random.default_rng(0).normal(size=len(t))
    windows, _ = make_windows(series, window=100, step=10)
    detector = LSTMGANAnomalyDetector(random_state=0, epochs=1).fit(windows[:1000])
    saved = LSTMGANAnomalyDetector._max_chunk_rows

    def run(rows, data):
        def measure():
            LSTMGANAnomalyDetector._max_chunk_rows = rows
            try:
                return seconds_per_call(lambda: detector.score_samples(data), 1)
            finally:
                LSTMGANAnomalyDetector._max_chunk_rows = saved

        return measure

    functions = {}
    for rows in (256, 2048):
        functions[f"{rows}, all"] = run(rows, windows)
        functions[f"{rows}, one"] = run(rows, windows[:1])
    result = interleaved(functions)
    return [
        f"| {rows} | {len(windows) / result[f'{rows}, all']:,.0f} | "
        f"{1e3 * result[f'{rows}, one']:.1f} |"
        for rows in (256, 2048)
    ], len(windows)


def fit_threads():
    X = np.random.default_rng(0).normal(size=(5000, 20))

    def fit(n_threads):
        def measure():
            start = time.perf_counter()
            GANAnomalyDetector(random_state=0, n_threads=n_threads).fit(X)
            return time.perf_counter() - start

        return measure

    result = interleaved({"1": fit(1), "2": fit(2)}, repeats=3)
    return [f"| {k} | {v:.2f} |" for k, v in result.items()]


def main():
    started = time.perf_counter()
    product_rows, width_rows = products()
    lstm_rows, n_windows = lstm_chunks()
    thread_rows = fit_threads()
    torch.set_num_threads(torch.get_num_threads())
    text = "\n".join(
        [
            "# Kernel micro-benchmarks",
            "",
            environment_summary(),
            "",
            f"`python benchmarks/kernels.py`; medians of interleaved repeats; "
            f"{(time.perf_counter() - started) / 60:.1f} min. Scoring chunks of the "
            f"package: {base_module._CHUNK_ROWS} rows (tables), "
            f"{LSTMGANAnomalyDetector._max_chunk_rows} windows (LSTM).",
            "",
            "## 1. (5, 2048, 64) x (5, 64, 64) batched product, one thread",
            "",
            "| dtype | GMAC/s |",
            "| :--- | ---: |",
            *product_rows,
            "",
            "## 2. (5, 2048, 64) x (5, 64, width), float32, one thread",
            "",
            "| output width | µs |",
            "| ---: | ---: |",
            *width_rows,
            "",
            f"## 3. LSTMGANAnomalyDetector scoring, {n_windows:,} windows of 100 steps",
            "",
            "| windows per chunk | windows / s | one window, ms |",
            "| ---: | ---: | ---: |",
            *lstm_rows,
            "",
            "## 4. Default GANAnomalyDetector fit on 5,000 x 20",
            "",
            "| n_threads | median s |",
            "| ---: | ---: |",
            *thread_rows,
            "",
        ]
    )
    path = REPO_ROOT / "benchmarks" / "results" / "kernels.md"
    write_text(path, text)
    print(text)


if __name__ == "__main__":
    main()
