"""Work run side by side in two Python threads of one process: does it go faster?

The issue on batched members suggests, where members cannot be batched, running
them "in parallel threads". This measures what two Python threads, each with one
torch thread, gain on this machine's cores over running the same work twice in
one thread, for:

1. whole detector fits (one member each: what a member per thread would be),
   ``GANAnomalyDetector`` on 5,000 x 20 and ``LSTMGANAnomalyDetector`` on 1,181
   windows of 100 steps (2 epochs); their scores are compared with a fit alone;
2. the pieces of a training step, each called 600 times: one row-critic forward
   and backward pass (real and fake rows stacked, 1 member), the same followed
   by a fused Adam step, and the fused Adam step alone;
3. a control that should scale: 400 products of two 512 x 512 matrices;
4. that control in a new thread that does not set torch's thread count: the
   count holds for the thread that sets it, and a new thread's products run
   on every core (why the package's scoring workers set theirs).

``speed-up`` is ``2 x (one run alone, in one worker thread) / (two runs side by
side)``: 2.0 means the two threads ran fully in parallel, 1.0 not at all. Each
piece of work runs once before the timed repeats; medians of interleaved
repeats. Writes ``benchmarks/results/threads.md``.

    python benchmarks/threads.py
"""

import argparse
import sys
import threading
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, environment_summary, median, write_text  # noqa: E402

from sklearn_gan_ad import GANAnomalyDetector, LSTMGANAnomalyDetector  # noqa: E402
from sklearn_gan_ad.networks import MLPCritic  # noqa: E402
from sklearn_gan_ad.timeseries import make_windows  # noqa: E402


def on_one_torch_thread(work):
    def run():
        # torch's thread count holds for the thread that sets it: without this
        # a new thread's products run on every core
        torch.set_num_threads(1)
        work()

    return run


def in_threads(*works, set_count=True):
    """Seconds for ``works`` run at once, each in a Python thread of its own.

    Each thread first sets one torch thread for itself, unless ``set_count`` is false.
    """
    threads = [
        threading.Thread(target=on_one_torch_thread(work) if set_count else work) for work in works
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def alone(work):
    # in a worker thread too: an LSTM fit ran 0.80-0.85 s in one against
    # 0.85-1.09 s in the main thread, which would flatter the side-by-side run
    return in_threads(work)


def side_by_side(first, second):
    return in_threads(first, second)


def fit_work(make_detector, data, scores):
    """A fit of a fresh detector; its scores on ``data[:500]`` go into ``scores``."""

    def work():
        detector = make_detector().fit(data)
        scores.append(detector.score_samples(data[:500]))

    return work


def critic_work(with_optimizer, calls=600):
    torch.manual_seed(0)
    critic = MLPCritic(20, n_members=1)
    optimizer = torch.optim.Adam(critic.parameters(), fused=True)
    real, fake = torch.randn(1, 128, 20), torch.randn(1, 128, 20)
    target = torch.cat([torch.ones(1, 128), torch.zeros(1, 128)], dim=1)

    def work():
        for _ in range(calls):
            out = critic(torch.cat([real, fake], dim=1))
            loss = F.binary_cross_entropy_with_logits(out, target, reduction="none").mean(1).sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if with_optimizer:
                optimizer.step()

    return work


def adam_work(calls=600):
    critic = MLPCritic(20, n_members=1)
    for param in critic.parameters():
        param.grad = torch.randn_like(param)
    optimizer = torch.optim.Adam(critic.parameters(), fused=True)

    def work():
        for _ in range(calls):
            optimizer.step()

    return work


def product_work(calls=400):
    a = torch.randn(512, 512)

    def work():
        for _ in range(calls):
            a @ a

    return work


def thread_count_rows(repeats):
    """The control in the main thread and in new threads that set, or not, their count."""
    work = product_work()

    places = {
        "main thread, torch.set_num_threads(1)": lambda: alone_in_main(work),
        "new thread that sets torch.set_num_threads(1)": lambda: in_threads(work),
        "new thread that does not set it": lambda: in_threads(work, set_count=False),
    }
    times = {name: [] for name in places}
    for repeat in range(repeats):
        names = list(places) if repeat % 2 == 0 else list(reversed(places))
        for name in names:
            times[name].append(places[name]())
    return [f"| {name} | {median(values):.3f} |" for name, values in times.items()]


def alone_in_main(work):
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    torch.set_num_threads(1)  # each Python thread then runs its ops on one torch thread

    X = np.random.default_rng(0).normal(size=(5000, 20))
    t = np.arange(6000)
    series = np.sin(2 * np.pi * t / 100) + 0.1 * np.random.default_rng(0).normal(size=len(t))
    windows, _ = make_windows(series, 100, step=5)
    fits = {
        "GANAnomalyDetector fit, 1 member, 5,000 x 20": (
            lambda: GANAnomalyDetector(n_estimators=1, n_threads=1, random_state=0),
            X,
        ),
        f"LSTMGANAnomalyDetector fit, {len(windows):,} windows of 100, epochs=2": (
            lambda: LSTMGANAnomalyDetector(epochs=2, n_threads=1, random_state=0),
            windows,
        ),
    }
    pieces = {
        "row-critic forward + backward, 600 calls": lambda: critic_work(False),
        "the same + fused Adam step, 600 calls": lambda: critic_work(True),
        "fused Adam step alone, 600 calls": adam_work,
        "512 x 512 product, 400 calls (control)": product_work,
    }

    # first calls pay one-off costs (kernel selection, allocator growth)
    for make_detector, data in fits.values():
        fit_work(make_detector, data, [])()
    for work in pieces.values():
        work()()

    times = {name: {"alone": [], "together": []} for name in [*fits, *pieces]}
    identical = {}
    for repeat in range(args.repeats):
        names = list(times) if repeat % 2 == 0 else list(reversed(times))
        for name in names:
            if name in fits:
                make_detector, data = fits[name]
                scores = []
                times[name]["alone"].append(alone(fit_work(make_detector, data, scores)))
                times[name]["together"].append(
                    side_by_side(
                        fit_work(make_detector, data, scores), fit_work(make_detector, data, scores)
                    )
                )
                same = all(np.array_equal(s, scores[0]) for s in scores[1:])
                identical[name] = identical.get(name, True) and same
            else:
                work = pieces[name]
                times[name]["alone"].append(alone(work()))
                times[name]["together"].append(side_by_side(work(), work()))

    count_rows = thread_count_rows(args.repeats)
    rows = []
    for name, measured in times.items():
        one, two = median(measured["alone"]), median(measured["together"])
        same = {True: "yes", False: "no"}.get(identical.get(name), "–")
        rows.append(f"| {name} | {one:.3f} | {two:.3f} | {2 * one / two:.2f} | {same} |")
    text = "\n".join(
        [
            "# Two Python threads side by side",
            "",
            environment_summary(),
            "",
            f"`python benchmarks/threads.py --repeats {args.repeats}`; medians of "
            f"{args.repeats} interleaved repeats; one torch thread per Python thread; "
            f"{(time.perf_counter() - started) / 60:.1f} min. Speed-up = 2 x alone / "
            "side by side (2.0: fully parallel, 1.0: not at all).",
            "",
            "| work | one alone, s | two side by side, s | speed-up | scores as alone |",
            "| :--- | ---: | ---: | ---: | :--- |",
            *rows,
            "",
            "The control (400 products of 512 x 512) by where it runs, with "
            "`torch.set_num_threads(1)` called in the main thread first:",
            "",
            "| where | s |",
            "| :--- | ---: |",
            *count_rows,
            "",
        ]
    )
    write_text(REPO_ROOT / "benchmarks" / "results" / "threads.md", text)
    print(text)


if __name__ == "__main__":
    main()
