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
4. ``GANAnomalyDetector`` fits on 5,000 x 20 with 1 and 5 members, each with
   ``n_threads=1`` and ``n_threads=2`` (and whether the scores differ);
5. one row-critic update (real and fake rows in one call, as training makes
   it) with 1 and 5 members, and the median time of its two costliest kernels
   inside the update against the same kernel called alone on tensors of the
   same shape: why five members cost about twice one member here;
6. the LSTM of a window member (128 windows, 25 recurrent steps of 4 values,
   32 units), forward and backward: one member, five run one after another,
   and five as one block-diagonal LSTM of 160 units (the layout a batched
   kernel would need, since torch's LSTM takes one set of weights).

Section 1 also times a dense (2048 x 2048) product on one thread, the core's
practical peak, to show how close the ensemble's batched products come to it.

Writes ``benchmarks/results/kernels.md``.

    python benchmarks/kernels.py
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_output_dir_option, environment_summary, median, write_text  # noqa: E402

import sklearn_gan_ad.base as base_module  # noqa: E402
from sklearn_gan_ad import GANAnomalyDetector, LSTMGANAnomalyDetector  # noqa: E402
from sklearn_gan_ad.networks import MLPCritic  # noqa: E402
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
    square = torch.randn(2048, 2048)
    functions["dense (2048 x 2048)^2, float32 (peak reference)"] = lambda: seconds_per_call(
        lambda: square @ square, 3
    )
    for name, seconds in interleaved(functions).items():
        work = 2048**3 if name.startswith("dense") else 5 * 2048 * 64 * 64
        rows.append(f"| {name} | {work / seconds / 1e9:.1f} |")
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
    scores = {}

    def fit(n_members, n_threads):
        def measure():
            detector = GANAnomalyDetector(
                n_estimators=n_members, random_state=0, n_threads=n_threads
            )
            start = time.perf_counter()
            detector.fit(X)
            seconds = time.perf_counter() - start
            scores[n_members, n_threads] = detector.score_samples(X[:1000])
            return seconds

        return measure

    configs = [(m, t) for m in (1, 5) for t in (1, 2)]
    result = interleaved({config: fit(*config) for config in configs})
    rows = []
    for (n_members, n_threads), seconds in result.items():
        same = np.array_equal(scores[n_members, n_threads], scores[n_members, 1])
        rows.append(
            f"| {n_members} | {n_threads} | {seconds:.2f} | "
            f"{seconds / result[1, 1]:.2f} | {'yes' if same else 'no'} |"
        )
    return rows


def critic_update(n_members):
    """One update of the row critic as training makes it: real and fake rows in one call."""
    torch.manual_seed(0)
    critic = MLPCritic(20, n_members=n_members)
    optimizer = torch.optim.Adam(critic.parameters(), fused=True)
    real, fake = torch.randn(n_members, 128, 20), torch.randn(n_members, 128, 20)
    target = torch.cat([torch.ones(n_members, 128), torch.zeros(n_members, 128)], dim=1)

    def update():
        out = critic(torch.cat([real, fake], dim=1))
        loss = F.binary_cross_entropy_with_logits(out, target, reduction="none").mean(1).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return update


def kernels_in_context(n_members=5, calls=100):
    """Median kernel times inside critic updates against the same kernels called alone."""
    torch.set_num_threads(1)
    activation = (n_members, 2 * 128, 64)
    weight_shape = (n_members, 64, 64)
    update = critic_update(n_members)
    for _ in range(20):
        update()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(calls):
            update()
    wanted = {
        "aten::leaky_relu_backward": [list(activation), list(activation), [], []],
        "aten::bmm": [list(activation), list(weight_shape)],
    }
    inside = {name: [] for name in wanted}
    for event in prof.events():
        if event.name in wanted and list(event.input_shapes) == wanted[event.name]:
            inside[event.name].append(event.self_cpu_time_total)
    grad, output = torch.randn(activation), torch.randn(activation)
    weight = torch.randn(weight_shape)
    alone = {
        "aten::leaky_relu_backward": lambda: torch.ops.aten.leaky_relu_backward(
            grad, output, 0.2, True
        ),
        "aten::bmm": lambda: torch.bmm(output, weight),
    }
    shapes = {
        "aten::leaky_relu_backward": str(activation),
        "aten::bmm": f"{activation} x {weight_shape}",
    }
    rows = []
    for name, call in alone.items():
        alone_us = median([seconds_per_call(call, 200) * 1e6 for _ in range(REPEATS)])
        inside_us = float(np.median(inside[name]))
        rows.append(
            f"| `{name}` {shapes[name]} | {alone_us:.0f} | {inside_us:.0f} | "
            f"{inside_us / alone_us:.1f} |"
        )
    updates = {m: critic_update(m) for m in (1, n_members)}
    steps = interleaved(
        {m: (lambda u: lambda: seconds_per_call(u, 200))(u) for m, u in updates.items()}
    )
    update_rows = [
        f"| {m} | {seconds * 1e6:.0f} | {seconds / steps[1]:.2f} |" for m, seconds in steps.items()
    ]
    return rows, update_rows


def lstm_members(n_members=5, batch=128, steps=25, patch=4, hidden=32):
    """Forward + backward of window members' LSTMs: one, several in turn, one block-diagonal."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    separate = [torch.nn.LSTM(patch, hidden, batch_first=True) for _ in range(n_members)]
    wide = torch.nn.LSTM(patch * n_members, hidden * n_members, batch_first=True)
    inputs = [torch.randn(batch, steps, patch) for _ in range(n_members)]
    stacked = torch.cat(inputs, dim=2)

    def one():
        separate[0](inputs[0])[0].square().mean().backward()

    def in_turn():
        sum(lstm(x)[0].square().mean() for lstm, x in zip(separate, inputs)).backward()

    def block_diagonal():
        wide(stacked)[0].square().mean().backward()

    layouts = {
        "1 member": one,
        f"{n_members} members, one after another": in_turn,
        f"{n_members} members as one block-diagonal LSTM ({n_members * hidden} units)": (
            block_diagonal
        ),
    }
    result = interleaved({name: lambda f=f: seconds_per_call(f, 20) for name, f in layouts.items()})
    return [
        f"| {name} | {1e3 * seconds:.1f} | {seconds / result['1 member']:.2f} |"
        for name, seconds in result.items()
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_output_dir_option(parser, "kernels.md")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    product_rows, width_rows = products()
    lstm_rows, n_windows = lstm_chunks()
    thread_rows = fit_threads()
    context_rows, update_rows = kernels_in_context()
    lstm_member_rows = lstm_members()
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
            "| product | GMAC/s |",
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
            "## 4. GANAnomalyDetector fit on 5,000 x 20, defaults otherwise",
            "",
            "| members | n_threads | median s | ÷ 1 member, 1 thread | scores equal to 1 thread |",
            "| ---: | ---: | ---: | ---: | :--- |",
            *thread_rows,
            "",
            "## 5. Row-critic update (256 rows per member), one thread",
            "",
            "| members | one update, µs | ÷ 1 member |",
            "| ---: | ---: | ---: |",
            *update_rows,
            "",
            "The same kernels alone and inside the 5-member update (median of the calls):",
            "",
            "| kernel | alone, µs | inside the update, µs | ratio |",
            "| :--- | ---: | ---: | ---: |",
            *context_rows,
            "",
            "## 6. Window members' LSTM (128 windows, 25 steps of 4 values, 32 units), "
            "forward + backward, one thread",
            "",
            "| layout | ms | ÷ 1 member |",
            "| :--- | ---: | ---: |",
            *lstm_member_rows,
            "",
        ]
    )
    path = args.output_dir / "kernels.md"
    write_text(path, text)
    print(text)


if __name__ == "__main__":
    main()
