"""Where a tabular training step's time goes, and the floor its arithmetic sets.

The performance issue asks for a 5-member fit within 1.5x a 1-member fit and
for 3x PyOD AutoEncoder's training rows per second. This script measures, in
one run on one torch thread, what bounds both:

1. the floating-point work of one training step (``torch.utils.flop_counter``:
   matrix products only, forward and backward), for ``GANAnomalyDetector``
   with 1 and 5 members (20 features, the default networks, 128 rows a batch)
   and for PyOD's AutoEncoder at the width ``benchmarks/perf.py`` compares
   (``hidden_neuron_list=[64, 64]``, 128 rows);
2. the time of one step (``AdversarialNet.train_step`` on a fixed batch; PyOD's
   ``training_forward``), medians of interleaved repeats, split with torch's
   profiler into matrix products, the fused Adam kernel, the other operators
   (elementwise work, reductions, copies) and what lies between operators
   (Python and dispatch);
3. the core's practical peak, a dense (2048 x 2048) float32 product, and from
   it the floors: the time the step's products would take at that peak, the
   fewest seconds five members can add to one member's step, and the most
   rows per second five members could train if nothing but their products at
   peak speed were left;
4. ``torch.compile`` (inductor) of each network's forward against eager
   fits of 5,000 x 20: compile time (first fit) and warm fits, interleaved.

Writes ``benchmarks/results/training_step.md``.

    python benchmarks/training_step.py                 # about 3 minutes on 2 cores
    python benchmarks/training_step.py --skip-compile  # sections 1-3 only
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import add_output_dir_option, environment_summary, log, median, write_text  # noqa: E402
from kernels import REPEATS, interleaved, seconds_per_call  # noqa: E402
from perf import _pyod_models, pyod_autoencoder  # noqa: E402

from sklearn_gan_ad import GANAnomalyDetector  # noqa: E402

N_ROWS, N_FEATURES, BATCH = 5000, 20, 128
PRODUCTS = {"aten::mm", "aten::bmm", "aten::baddbmm", "aten::addmm", "aten::addbmm"}
ADAM = {"aten::_fused_adam_", "aten::_fused_adam"}
STEP_CALLS = 200
PROFILED_STEPS = 100
FIT_FIVE, FIT_ONE = "GANAnomalyDetector (5 members)", "GANAnomalyDetector (1 member)"


def training_rows(seed=0):
    return np.random.default_rng(seed).normal(size=(N_ROWS, N_FEATURES)).astype(np.float32)


def detector_step(n_members):
    """A fitted detector's training step on one fixed batch (its modules, optimizers, draws)."""
    detector = GANAnomalyDetector(n_estimators=n_members, epochs=1, random_state=0)
    net = detector.fit(training_rows()).net_
    for module in (net.module_, net.generator_, net.critic_x_, net.critic_z_):
        module.train()
    batch = torch.randn(n_members, BATCH, N_FEATURES, generator=torch.Generator().manual_seed(0))
    return lambda: net.train_step(batch)


def pyod_step():
    """PyOD AutoEncoder's ``training_forward`` on one fixed batch, or None."""
    model = pyod_autoencoder(1)
    if model is None:
        return None
    model.fit(training_rows())
    model.model.train()
    batch = torch.randn(BATCH, N_FEATURES, generator=torch.Generator().manual_seed(0))
    return lambda: model.training_forward(batch)


def multiply_adds(step):
    """Multiply-adds of the matrix products one call of ``step`` runs (forward and backward)."""
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops() / 2


def time_split(step, seconds):
    """Per step: products, Adam, other operators, and the rest (between operators)."""
    for _ in range(10):
        step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(PROFILED_STEPS):
            step()
    parts = {"products": 0.0, "Adam": 0.0, "other": 0.0}
    for event in prof.key_averages():
        if not event.key.startswith("aten::"):
            continue
        part = "products" if event.key in PRODUCTS else "Adam" if event.key in ADAM else "other"
        parts[part] += event.self_cpu_time_total / 1e6 / PROFILED_STEPS
    parts["between operators"] = max(seconds - sum(parts.values()), 0.0)
    return parts


def dense_peak():
    """Multiply-adds per second of a dense (2048 x 2048) float32 product, one thread."""
    square = torch.randn(2048, 2048)
    seconds = median([seconds_per_call(lambda: square @ square, 3) for _ in range(5)])
    return 2048**3 / seconds


def step_sections():
    steps = {"GANAnomalyDetector, 1 member": detector_step(1)}
    steps["GANAnomalyDetector, 5 members"] = detector_step(5)
    autoencoder = pyod_step()
    if autoencoder is not None:
        steps["PyOD AutoEncoder"] = autoencoder
    work = {name: multiply_adds(step) for name, step in steps.items()}
    log("timing the steps")
    seconds = interleaved(
        {n: (lambda s: lambda: seconds_per_call(s, STEP_CALLS))(s) for n, s in steps.items()}
    )
    log("profiling the steps")
    split = {name: time_split(step, seconds[name]) for name, step in steps.items()}
    peak = dense_peak()
    return work, seconds, split, peak


def whole_fits(repeats):
    """Seconds of whole default fits: the detector with 5 and 1 members, PyOD's AutoEncoder."""
    X = training_rows()
    epochs = GANAnomalyDetector()._resolved_epochs(N_ROWS)

    def timed_fit(make):
        def run():
            start = time.perf_counter()
            make().fit(X)
            return time.perf_counter() - start

        return run

    functions = {
        FIT_FIVE: timed_fit(lambda: GANAnomalyDetector(random_state=0)),
        FIT_ONE: timed_fit(lambda: GANAnomalyDetector(n_estimators=1, random_state=0)),
    }
    if _pyod_models() is not None:
        functions["PyOD AutoEncoder"] = timed_fit(lambda: pyod_autoencoder(epochs))
    return epochs, interleaved(functions, repeats)


def compiled_fit_seconds(repeats):
    """Fits of 5,000 x 20 with eager and torch.compile'd network forwards, 1 and 5 members."""
    import torch._dynamo

    from sklearn_gan_ad import training

    # training and scoring call each network with and without autograd and
    # with several batch shapes; the default limit of 8 graphs per function
    # would silently fall back to eager part-way
    torch._dynamo.config.recompile_limit = 64
    eager_initialize = training.AdversarialNet.initialize_module

    def compiled_initialize(self):
        eager_initialize(self)
        for name in ("module_", "generator_", "critic_x_", "critic_z_"):
            module = getattr(self, name)
            module.forward = torch.compile(module.forward, dynamic=False)
        return self

    X = training_rows()

    def fit(n_members, compiled):
        def run():
            training.AdversarialNet.initialize_module = (
                compiled_initialize if compiled else eager_initialize
            )
            try:
                start = time.perf_counter()
                GANAnomalyDetector(n_estimators=n_members, random_state=0).fit(X)
                return time.perf_counter() - start
            finally:
                training.AdversarialNet.initialize_module = eager_initialize

        return run

    first = {}
    for n_members in (1, 5):
        log(f"compiling, {n_members} member(s)")
        first[n_members] = fit(n_members, True)()
    functions = {(m, c): fit(m, c) for m in (1, 5) for c in (False, True)}
    warm = interleaved(functions, repeats)
    return first, warm


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_output_dir_option(parser, "training_step.md")
    parser.add_argument(
        "--skip-compile", action="store_true", help="leave out the torch.compile fits"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved repeats of the fits (default 3)"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    started = time.perf_counter()
    work, seconds, split, peak = step_sections()
    one, five = "GANAnomalyDetector, 1 member", "GANAnomalyDetector, 5 members"
    lines = [
        "## 1-2. One training step",
        "",
        "| model | multiply-adds | step, µs | products, µs | Adam, µs | other operators, µs "
        "| between operators, µs | products at peak, µs |",
        "| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, macs in work.items():
        parts = split[name]
        lines.append(
            f"| {name} | {macs / 1e6:.1f} M | {seconds[name] * 1e6:.0f} | "
            + " | ".join(f"{parts[p] * 1e6:.0f}" for p in parts)
            + f" | {macs / peak * 1e6:.0f} |"
        )
    added = seconds[five] - seconds[one]
    floor_added = (work[five] - work[one]) / peak
    lines += [
        "",
        f"## 3. Floors (dense float32 peak: {peak / 1e9:.1f} GMAC/s)",
        "",
        "| figure | value |",
        "| :--- | ---: |",
        f"| 5-member step ÷ 1-member step | {seconds[five] / seconds[one]:.2f} |",
        f"| seconds four more members add to a step | {added * 1e6:.0f} µs |",
        f"| their products' work at peak (the fewest they can add) | {floor_added * 1e6:.0f} µs |",
        f"| lowest 5 ÷ 1 ratio with today's 1-member step | "
        f"{(seconds[one] + floor_added) / seconds[one]:.2f} |",
        f"| 5 members' rows per second, measured step | {BATCH / seconds[five]:,.0f} |",
        f"| 5 members' rows per second if only their products at peak were left | "
        f"{BATCH * peak / work[five]:,.0f} |",
    ]
    if "PyOD AutoEncoder" in seconds:
        autoencoder = BATCH / seconds["PyOD AutoEncoder"]
        lines += [
            f"| PyOD AutoEncoder's rows per second, measured step | {autoencoder:,.0f} |",
            f"| ceiling of 5 members ÷ AutoEncoder's step | "
            f"{BATCH * peak / work[five] / autoencoder:.2f} |",
        ]
    log("timing whole fits")
    epochs, fit_seconds = whole_fits(args.repeats)
    n_steps = epochs * -(-N_ROWS // BATCH)
    lines += [
        "",
        f"Whole default fits ({epochs} epochs, {n_steps} steps; medians of {args.repeats} "
        "interleaved repeats), the figures perf.py's goals compare:",
        "",
        "| model | fit, s | rows x epochs per second | 5 members' ceiling above ÷ this |",
        "| :--- | ---: | ---: | ---: |",
    ]
    for name, value in fit_seconds.items():
        throughput = N_ROWS * epochs / value
        lines.append(
            f"| {name} | {value:.2f} | {throughput:,.0f} | "
            f"{BATCH * peak / work[five] / throughput:.2f} |"
        )
    lines += [
        "",
        f"5-member fit ÷ 1-member fit: {fit_seconds[FIT_FIVE] / fit_seconds[FIT_ONE]:.2f}; "
        "lowest it could be if four more members added only their products at peak to "
        f"each of the {n_steps} steps: "
        f"{(fit_seconds[FIT_ONE] + n_steps * floor_added) / fit_seconds[FIT_ONE]:.2f}.",
    ]
    if not args.skip_compile:
        first, warm = compiled_fit_seconds(args.repeats)
        lines += [
            "",
            f"## 4. torch.compile of the networks' forwards, fits of {N_ROWS:,} x {N_FEATURES} "
            f"(defaults; medians of {args.repeats} interleaved repeats after a first, "
            "compiling fit)",
            "",
            "| members | eager, s | compiled, s | compiled ÷ eager | first compiled fit, s |",
            "| ---: | ---: | ---: | ---: | ---: |",
        ]
        for n_members in (1, 5):
            eager, compiled = warm[n_members, False], warm[n_members, True]
            lines.append(
                f"| {n_members} | {eager:.2f} | {compiled:.2f} | {compiled / eager:.2f} | "
                f"{first[n_members]:.1f} |"
            )
    header = [
        "# Where a training step's time goes",
        "",
        environment_summary(),
        "",
        f"`python benchmarks/training_step.py`; one torch thread; {N_ROWS:,} x {N_FEATURES} "
        f"rows, batches of {BATCH}; medians of {REPEATS} interleaved repeats of {STEP_CALLS} "
        f"steps. {(time.perf_counter() - started) / 60:.1f} min.",
        "",
    ]
    text = "\n".join([*header, *lines, ""])
    write_text(args.output_dir / "training_step.md", text)
    print(text)


if __name__ == "__main__":
    main()
