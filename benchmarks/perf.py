"""Performance benchmark of the GAN anomaly detectors: overhead, throughput, memory, scaling.

Sections (``--sections``, all by default)
-----------------------------------------
``overhead``    A default ``GANAnomalyDetector(random_state=0)`` fit on 5,000 x 20
                standard-normal rows against a bare hand-written torch loop doing the
                same training: the same module classes built with the same kwargs
                (``detector._network_specs``, all ensemble members batched in one set of
                modules), the same seed, batch size, resolved number of epochs and
                ensemble members (``net_.n_members``), the same Adam
                settings (the fitted ``net_.optimizer_.defaults``: lr 1e-3, betas
                (0.5, 0.999), fused or not; one optimizer for encoder+generator and
                one for both critics), the same per-step computation (critic step then
                generator step, BCE-with-logits losses, reconstruction MSE weight 10,
                batches sliced from a shuffled tensor, critics frozen in the generator
                step when the package does so, every member shuffling its own rows,
                losses summed over members) and the same torch thread count
                (``detector.n_threads_``). The bare loop trains on the detector's
                standardised input, so with the same seeds and draws it reproduces
                the detector's last-epoch reconstruction loss: the report prints both
                as a check that both do the same work. The detector's fit is split
                into phases by timing wrappers put around package methods for the
                duration of the run (about a microsecond per call, a few thousand
                calls per fit). "What-if" rows flip one of the package's choices in
                the bare loop (fused Adam; critics frozen in the generator step).
``ensemble``    The default fit on 5,000 x 20 with ``n_estimators=1`` and with the
                default 5 members, interleaved: the ratio of the two is what the
                ensemble costs. The correlation of the members' reconstruction scores
                on fresh rows shows that they stay independent. Also the LSTM detector
                with 1 and 5 members (``epochs=5``) on the ``lstm`` section's windows.
``throughput``  Training throughput, rows x epochs per second, of the default detector
                on 5,000 x 20 (default epochs) and 100,000 x 50 (``--large-epochs``,
                2 unless told, to keep the run short: a row-epoch costs the same
                whatever the number of epochs), against PyOD's AutoEncoder and ALAD
                at matched width (hidden layers 64, 64; ALAD's latent size = the
                detector's), batch
                size 128 and matched work, all with the detector's torch thread count.
                PyOD's ALAD calls one optimisation step an "epoch" and shuffles the
                whole training array before each step, so it is given as many steps
                as the detector makes (epochs x batches), capped at
                ``--alad-max-steps`` on the large set (its cost per step grows with
                the rows); its throughput is rows processed (steps x 128) per second.
``scoring``     ``score_samples`` on 1,000,000 x 20 rows: the detector fitted in
                ``overhead`` (or a fresh default one) against
                ``IsolationForest(random_state=0)`` fitted on the same 5,000 rows,
                interleaved; the detector's time is split into phases. What-ifs
                (the fitted detector with one setting changed for the call): one
                thread, 4,096-row scoring chunks, float64 scoring networks; and
                ``IsolationForest(n_jobs=-1)``. How far a row's score scored alone
                moves from its score in the big batch is reported for the package and
                the float64 what-if. Single-row latency: median of 200 calls each,
                alternating.
``memory``      Peak RSS (the RSS high-water mark minus its value right after the
                imports), each in a fresh subprocess. The high-water mark is read
                from ``VmHWM`` in ``/proc/self/status``: ``getrusage(RUSAGE_SELF)
                .ru_maxrss`` is inherited through fork + exec on Linux, so a child of
                this (by then large) process would start with the parent's size as
                its mark and show no peak below it; ``ru_maxrss`` is recorded in the
                JSON too. Measured: fit on 1,000,000 x 20 float32
                rows with ``epochs=2`` (the second on the pruned rows), and
                ``score_samples`` on the same rows (the detector fitted on 5,000
                of them, ``epochs=1``). The data itself (80 MB
                as float32) is included in the peak. The high-water mark reached by
                the end of each phase of fit is recorded too. What-if (only when the
                package's scoring chunks are far from 4,096 rows): both again with
                4,096-row chunks.
``scaling``     Fit time with ``epochs=2`` (so the training part is the time of two
                epochs) against rows (1k, 10k, 100k, 1M at 20 features) and against
                features (10, 100, 1000 at 10k rows). A point whose first fit takes
                longer than ``--slow-point-seconds`` is not repeated; where
                ``n_threads="auto"`` picks more than one thread, a what-if point
                with ``n_threads=1`` is added.
``lstm``        ``LSTMGANAnomalyDetector(random_state=0)`` (default epochs) on windows
                (length 100, step 20) of a 20,000-point synthetic series: fit seconds
                and scoring throughput in windows per second.

Every comparison is measured in the same run and interleaved (the order of the
compared fits alternates from repeat to repeat); tables show medians over
``--repeats`` (default 3). A warm-up fit runs first, so torch's one-time
initialisation is not charged to any measurement. ``--quick`` runs every section
on small sizes with one repeat (a smoke test; results go to ``perf_quick.*``).

Outputs
-------
``<output-dir>/perf.md`` (the tables printed at the end) and ``<output-dir>/perf.json``
(every raw timing); progress lines go to stderr. ``--sections ... --update``
re-measures some sections and keeps the others from the existing files. To
benchmark a fixed package version while the working tree changes, export it
(``git archive <commit> sklearn_gan_ad | tar -x -C /tmp/pkg``) and run with
``PYTHONPATH=/tmp/pkg``: the memory subprocesses inherit it.

Example
-------
    nice -n 5 .venv/bin/python benchmarks/perf.py
    .venv/bin/python benchmarks/perf.py --quick
"""

import argparse
import copy
import gc
import inspect
import json
import math
import resource
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    REPO_ROOT,
    environment_summary,
    fmt,
    log,
    markdown_table,
    median,
    write_text,
)
from sklearn.ensemble import IsolationForest  # noqa: E402

import sklearn_gan_ad.base as base_module  # noqa: E402
import sklearn_gan_ad.scoring as scoring_module  # noqa: E402
from sklearn_gan_ad import GANAnomalyDetector, LSTMGANAnomalyDetector  # noqa: E402
from sklearn_gan_ad._threads import choose_n_threads  # noqa: E402
from sklearn_gan_ad.base import BaseAdversarialDetector, _training_seed  # noqa: E402
from sklearn_gan_ad.networks.members import with_member_axis  # noqa: E402
from sklearn_gan_ad.timeseries import make_windows  # noqa: E402
from sklearn_gan_ad.training import AdversarialNet  # noqa: E402

DEFAULT_OUTPUT_DIR = REPO_ROOT / "benchmarks" / "results"
# the score combiners of the package versions this script has met
SCORERS = tuple(
    getattr(scoring_module, name)
    for name in ("ScoreCombiner", "EnsembleScorer")
    if hasattr(scoring_module, name)
)

# what-if row count of a scoring chunk (the package uses base._CHUNK_ROWS)
WHAT_IF_CHUNK_ROWS = 4096

# epochs of the memory section's fits: two, so that the second half runs on the
# pruned rows (the default path); the scorer's detector is fitted with one
MEMORY_FIT_EPOCHS = 2
MEMORY_SCORER_EPOCHS = 1

SECTIONS = ("overhead", "ensemble", "throughput", "scoring", "memory", "scaling", "lstm")


# -- sizes --------------------------------------------------------------------------


def sizes(args):
    """Problem sizes; ``--quick`` shrinks every one of them."""
    if args.quick:
        return dict(
            overhead_rows=2000,
            overhead_epochs=3,
            throughput=[("2k x 20", 2000, 20, 3), ("10k x 50", 10000, 50, 1)],
            alad_max_steps=20,
            score_rows=100_000,
            latency_calls=50,
            memory_rows=100_000,
            scaling_rows=[1000, 10_000],
            scaling_features=[10, 100],
            scaling_feature_rows=2000,
            series_length=4000,
            lstm_epochs=2,
            lstm_ensemble_length=4000,
            lstm_ensemble_epochs=1,
        )
    return dict(
        overhead_rows=5000,
        overhead_epochs=None,
        throughput=[("5k x 20", 5000, 20, None), ("100k x 50", 100_000, 50, args.large_epochs)],
        alad_max_steps=args.alad_max_steps,
        score_rows=1_000_000,
        latency_calls=200,
        memory_rows=1_000_000,
        scaling_rows=[r for r in (1000, 10_000, 100_000, 1_000_000) if r <= args.max_scaling_rows],
        scaling_features=[10, 100, 1000],
        scaling_feature_rows=10_000,
        series_length=20_000,
        lstm_epochs=None,
        lstm_ensemble_length=20_000,
        lstm_ensemble_epochs=5,
    )


def epochs_kwarg(epochs):
    """``{"epochs": epochs}``, or nothing for None: the package's default."""
    return {} if epochs is None else {"epochs": epochs}


def normal_rows(n_rows, n_features, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal((n_rows, n_features), dtype=dtype)


# -- timing helpers --------------------------------------------------------------------


def interleaved(functions, repeats, on_result=None, once_above=None):
    """Run each named callable ``repeats`` times, rotating the order every repeat.

    Returns ``{name: [seconds, ...]}`` and ``{name: last result}``. The first repeat
    keeps the given order (later callables may depend on earlier results). A
    callable whose first run took longer than ``once_above`` seconds is not repeated.
    """
    names = list(functions)
    seconds = {name: [] for name in names}
    results = {}
    for repeat in range(repeats):
        shift = repeat % len(names)
        order = names[shift:] + names[:shift] if repeat % 2 == 0 else list(reversed(names))
        if repeat == 0:
            order = names
        for name in order:
            if repeat and once_above is not None and seconds[name][0] > once_above:
                continue
            gc.collect()
            start = time.perf_counter()
            result = functions[name]()
            seconds[name].append(time.perf_counter() - start)
            results[name] = result
            if on_result is not None:
                on_result(name, result)
            log(f"  [{repeat + 1}/{repeats}] {name}: {seconds[name][-1]:.2f} s")
    return seconds, results


class PhaseTimer:
    """Wrap methods of package classes with timers while the context is active.

    Times are keyed by the chain of wrapped calls (``"net_fit>run_single_epoch"``),
    summed over calls, and collected per ``run`` so repeated fits can be compared.
    """

    TARGETS = (
        (BaseAdversarialDetector, "_validate_input", "validate"),
        (BaseAdversarialDetector, "_fit_input_scaling", "input_scaling"),
        (BaseAdversarialDetector, "_standardise", "standardise"),
        (BaseAdversarialDetector, "_make_net", "make_net"),
        (BaseAdversarialDetector, "_score_components", "score_pass"),
        (AdversarialNet, "fit", "net_fit"),
        (AdversarialNet, "initialize", "initialize"),
        (AdversarialNet, "run_single_epoch", "run_single_epoch"),
        (AdversarialNet, "train_step", "train_step"),
        (AdversarialNet, "scoring_modules", "scoring_modules"),
        # the torch forward of scoring (renamed while the package evolves)
        (AdversarialNet, "reconstruct_and_residual", "net_forward"),
        (AdversarialNet, "score_parts", "net_forward"),
        *[
            (scorer, method, f"combiner_{method}")
            for scorer in SCORERS
            for method in ("fit", "transform")
        ],
    )

    def __init__(self):
        self.totals = defaultdict(float)
        self.counts = defaultdict(int)
        # scoring runs chunks in worker threads: each thread keeps its own call
        # chain, and a worker's calls are charged to the call that started it
        self._local = threading.local()
        self._root = []
        self._saved = []

    def _stack(self):
        if threading.current_thread() is threading.main_thread():
            return self._root
        if not hasattr(self._local, "stack"):
            self._local.stack = list(self._root)
        return self._local.stack

    def _wrap(self, original, label):
        timer = self

        def wrapper(*args, **kwargs):
            stack = timer._stack()
            key = ">".join([*stack, label])
            stack.append(label)
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timer.totals[key] += time.perf_counter() - start
                timer.counts[key] += 1
                stack.pop()

        wrapper.__wrapped__ = original
        return wrapper

    def __enter__(self):
        for owner, name, label in self.TARGETS:
            if not hasattr(owner, name):
                continue  # not in this version of the package
            had_own = name in owner.__dict__
            original = getattr(owner, name)
            self._saved.append((owner, name, had_own, owner.__dict__.get(name)))
            setattr(owner, name, self._wrap(original, label))
        return self

    def __exit__(self, *exc):
        for owner, name, had_own, original in reversed(self._saved):
            if had_own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)
        self._saved.clear()
        return False

    def take(self):
        """The totals so far, then reset."""
        totals = dict(self.totals)
        counts = dict(self.counts)
        self.totals.clear()
        self.counts.clear()
        return totals, counts


def fit_phases(totals, fit_seconds):
    """Named phases of one detector fit from :class:`PhaseTimer` totals (seconds)."""
    get = lambda key: totals.get(key, 0.0)  # noqa: E731
    net_fit = get("net_fit")
    epochs = get("net_fit>run_single_epoch")
    steps = get("net_fit>run_single_epoch>train_step")
    initialize = get("net_fit>initialize")
    phases = {
        "validation (validate_data)": get("validate"),
        "input scaling (mean/std)": get("input_scaling"),
        "standardisation (fit data)": get("standardise"),
        "skorch net construction": get("make_net"),
        "skorch initialize (modules, optimizers, callbacks)": initialize,
        "training: train_step calls": steps,
        "training: per-batch loop overhead (iterator, notify, loss sums)": epochs - steps,
        "training: per-epoch overhead (callbacks, history)": net_fit - initialize - epochs,
        "scoring passes (pruning, error scales, training scores)": get("score_pass"),
        "score combiner fit": get("combiner_fit"),
    }
    phases["other (param validation, clip, float32 tensor, threads, seeding, offset)"] = (
        fit_seconds - sum(phases.values())
    )
    return phases


def median_dict(dicts):
    keys = list(dicts[0]) if dicts else []
    return {key: median([d.get(key, float("nan")) for d in dicts]) for key in keys}


# -- the bare torch loop ---------------------------------------------------------------


def package_freezes_critics():
    """Whether the package's generator step turns off the critics' weight gradients.

    Read from the source of :class:`AdversarialNet` (the bare loop must do the same
    work as the package, and freezing changes the cost, not the numbers).
    """
    try:
        return "requires_grad_(False)" in inspect.getsource(AdversarialNet)
    except (OSError, TypeError):
        return False


def _member_module(cls, kwargs, n_members):
    """The module the package builds for one spec, holding all ``n_members``."""
    cls, kwargs = with_member_axis(cls, kwargs)
    return cls(n_members=n_members, **kwargs)


def bare_fit(
    X,
    specs,
    latent_dim,
    batch_size,
    epochs,
    n_threads,
    seed,
    adam_kwargs,
    n_members=1,
    freeze_critics=False,
):
    """The detector's training written as a plain torch loop; returns timings and loss.

    Mirrors :class:`sklearn_gan_ad.training.AdversarialNet` step for step and draw for
    draw (it draws from torch's seeded global generator; the net from a generator
    of its own continuing that seeded stream), without skorch, validation, scaling or the
    scoring pass: all ``n_members`` ensemble members in one set of batched modules
    (the package's network classes with the member axis), every member shuffling
    its own rows each epoch, prior draws with a member axis, each critic called once
    on real and fake stacked, one generator call on encoded and prior codes stacked,
    losses summed over members. With the same seed both runs agree to the last bit;
    the report prints the last-epoch reconstruction loss (mean over members) of both
    as the check. ``adam_kwargs`` are the fitted net's optimizer defaults (lr, betas,
    fused, ...); ``freeze_critics`` turns off the critics' weight gradients during the
    generator step.
    """
    from torch.nn import functional as F

    def member_loss(per_sample):
        return per_sample.mean(dim=1).sum()

    def bce(out, target):
        return F.binary_cross_entropy_with_logits(out, target, reduction="none")

    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        start = time.perf_counter()
        data = torch.as_tensor(X, dtype=torch.float32)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            encoder, generator, critic_x, critic_z = (
                _member_module(*specs[name], n_members)
                for name in ("module", "generator", "critic_x", "critic_z")
            )
            generator_params = [*encoder.parameters(), *generator.parameters()]
            optimizer_g = torch.optim.Adam(generator_params, **adam_kwargs)
            critic_params = [*critic_x.parameters(), *critic_z.parameters()]
            optimizer_c = torch.optim.Adam(critic_params, **adam_kwargs)
            setup = time.perf_counter() - start
            n_rows = len(data)
            last_epoch_rec = torch.zeros(())
            n_last = 0
            for epoch in range(epochs):
                order = torch.stack([torch.randperm(n_rows) for _ in range(n_members)])
                for first in range(0, n_rows, batch_size):
                    x = data[order[:, first : first + batch_size]]
                    b = x.shape[1]
                    # critic step: each critic sees real and fake stacked in one call
                    z = torch.randn(n_members, b, latent_dim)
                    with torch.no_grad():
                        x_fake = generator(z)
                        z_encoded = encoder(x)
                    out_x = critic_x(torch.cat([x, x_fake], dim=1))
                    real_x, fake_x = out_x[:, :b], out_x[:, b:]
                    out_z = critic_z(torch.cat([z, z_encoded], dim=1))
                    real_z, fake_z = out_z[:, :b], out_z[:, b:]
                    loss_c = member_loss(
                        bce(real_x, torch.ones_like(real_x)) + bce(fake_x, torch.zeros_like(fake_x))
                    ) + member_loss(
                        bce(real_z, torch.ones_like(real_z)) + bce(fake_z, torch.zeros_like(fake_z))
                    )
                    optimizer_c.zero_grad(set_to_none=True)
                    loss_c.backward()
                    optimizer_c.step()
                    # generator step
                    if freeze_critics:
                        for p in critic_params:
                            p.requires_grad_(False)
                    z = torch.randn(n_members, b, latent_dim)
                    z_encoded = encoder(x)
                    generated = generator(torch.cat([z_encoded, z], dim=1))
                    reconstruction, from_prior = generated[:, :b], generated[:, b:]
                    out_x = critic_x(from_prior)
                    out_z = critic_z(z_encoded)
                    adversarial = member_loss(bce(out_x, torch.ones_like(out_x))) + member_loss(
                        bce(out_z, torch.ones_like(out_z))
                    )
                    rec = (reconstruction - x).pow(2).flatten(2).mean(dim=2).mean(dim=1)
                    loss_g = adversarial + 10.0 * rec.sum()
                    optimizer_g.zero_grad(set_to_none=True)
                    loss_g.backward()
                    optimizer_g.step()
                    if freeze_critics:
                        for p in critic_params:
                            p.requires_grad_(True)
                    if epoch == epochs - 1:
                        last_epoch_rec = last_epoch_rec + rec.detach().mean()
                        n_last += 1
        total = time.perf_counter() - start
    finally:
        torch.set_num_threads(previous)
    return {
        "seconds": total,
        "setup_seconds": setup,
        "last_epoch_reconstruction_loss": float(last_epoch_rec) / max(n_last, 1),
    }


# -- sections -----------------------------------------------------------------------------


def section_overhead(args, size, state):
    n_rows = size["overhead_rows"]
    X = normal_rows(n_rows, 20)
    info = {}
    phases = []

    def detector_fit(**params):
        # prune_threshold=None: the bare loop trains every row in every epoch, so
        # the ratio compares the same work; the defaults (with pruning) are
        # timed alongside
        params = {"prune_threshold": None, **params}
        detector = GANAnomalyDetector(
            random_state=0, **epochs_kwarg(size["overhead_epochs"]), **params
        )
        with PhaseTimer() as timer:
            start = time.perf_counter()
            detector.fit(X)
            seconds = time.perf_counter() - start
            totals, _ = timer.take()
        phases.append(fit_phases(totals, seconds))
        if not info:
            latent_dim = detector.latent_dim_
            model_X = np.clip(
                detector._standardise(X, detector.input_mean_, detector.input_scale_), -1e4, 1e4
            )
            adam = dict(detector.net_.optimizer_.defaults)
            info.update(
                model_X=model_X,
                n_members=detector.net_.n_members,
                adam=adam,
                freeze=package_freezes_critics(),
                specs=detector._network_specs((X.shape[1],), latent_dim),
                latent_dim=latent_dim,
                epochs=len(detector.net_.history),
                batch_size=detector.net_.batch_size,
                n_threads=detector.n_threads_,
                seed=_training_seed(0),
                modules={
                    name: type(getattr(detector.net_, name + "_")).__name__
                    for name in ("module", "generator", "critic_x", "critic_z")
                },
            )
        info["last_epoch_reconstruction_loss"] = detector.net_.history[-1, "train_loss"]
        state["detector"] = detector
        state["train_X"] = X
        return detector

    def bare(adam_change=None, freeze=None):
        # the bare loop trains on exactly the detector's network input (standardised
        # and clipped outside the timer), so both runs do the same arithmetic
        def run():
            adam = {**info["adam"], **(adam_change or {})}
            return bare_fit(
                info["model_X"],
                info["specs"],
                info["latent_dim"],
                info["batch_size"],
                info["epochs"],
                info["n_threads"],
                info["seed"],
                adam,
                n_members=info["n_members"],
                freeze_critics=info["freeze"] if freeze is None else freeze,
            )

        return run

    def default_fit():
        detector = GANAnomalyDetector(random_state=0, **epochs_kwarg(size["overhead_epochs"]))
        return detector.fit(X)

    functions = {
        "detector.fit": detector_fit,
        "bare torch loop": bare(),
        "detector.fit, defaults (with pruning)": default_fit,
    }

    log(f"overhead: {n_rows} x 20, detector vs bare loop")
    if not args.no_what_if:
        # each what-if flips one of the package's choices in the bare loop; the
        # closures read ``info``, which the first detector fit fills in
        functions["what-if: bare loop, Adam fused flipped"] = lambda: bare(
            {"fused": not info["adam"].get("fused"), "foreach": None}
        )()
        functions["what-if: bare loop, critics' freezing in generator step flipped"] = lambda: bare(
            freeze=not info["freeze"]
        )()
    seconds, results = interleaved(functions, args.repeats)
    med = {name: median(values) for name, values in seconds.items()}
    # one step trains every member
    n_steps = info["epochs"] * math.ceil(n_rows / info["batch_size"])
    phase_median = median_dict(phases)
    bare_result = results["bare torch loop"]
    return {
        "rows": n_rows,
        "features": 20,
        "epochs": info["epochs"],
        "steps": n_steps,
        "batch_size": info["batch_size"],
        "latent_dim": info["latent_dim"],
        "n_threads": info["n_threads"],
        "modules": info["modules"],
        "ensemble_members": info["n_members"],
        "adam": {k: (list(v) if isinstance(v, tuple) else v) for k, v in info["adam"].items()},
        "package_freezes_critics": info["freeze"],
        "specs": {
            name: {
                "class": cls.__name__,
                "kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()},
            }
            for name, (cls, kw) in info["specs"].items()
        },
        "seconds": seconds,
        "median_seconds": med,
        "ratio_detector_to_bare": med["detector.fit"] / med["bare torch loop"],
        "bare_setup_seconds": bare_result["setup_seconds"],
        "detector_phases_median": phase_median,
        "detector_phases_per_repeat": phases,
        "check_last_epoch_reconstruction_loss": {
            "detector": info["last_epoch_reconstruction_loss"],
            "bare": bare_result["last_epoch_reconstruction_loss"],
        },
    }


def _pyod_models():
    try:
        from pyod.models.alad import ALAD
        from pyod.models.auto_encoder import AutoEncoder
    except ImportError:
        return None
    return AutoEncoder, ALAD


def pyod_autoencoder(epochs):
    """PyOD's AutoEncoder at the width the detector is compared with (None without PyOD)."""
    models = _pyod_models()
    if models is None:
        return None
    return models[0](
        hidden_neuron_list=[64, 64],
        epoch_num=epochs,
        batch_size=128,
        lr=1e-3,
        verbose=0,
        random_state=0,
        device="cpu",
    )


def section_throughput(args, size, state):
    models = _pyod_models()
    if models is None:
        log("PyOD not installed, skipped")
    out = {"pyod": None if models is None else __import__("pyod").__version__, "configs": []}
    if models is not None:
        log("throughput: PyOD warm-up fits")
        tiny = normal_rows(300, 5)
        models[0](epoch_num=1, verbose=0, device="cpu").fit(tiny)
        models[1](epochs=2, device="cpu").fit(tiny)
    for label, n_rows, n_features, epochs in size["throughput"]:
        X = normal_rows(n_rows, n_features, seed=1)
        probe = GANAnomalyDetector(**epochs_kwarg(epochs))
        n_epochs = probe._resolved_epochs(n_rows)
        latent_dim = probe._resolved_latent_dim(n_features)
        n_batches = math.ceil(n_rows / probe.batch_size)
        info = {}

        def gan():
            detector = GANAnomalyDetector(random_state=0, **epochs_kwarg(epochs)).fit(X)
            info["n_threads"] = detector.n_threads_
            return detector

        functions = {"GANAnomalyDetector": gan}
        alad_steps = n_epochs * n_batches
        if label != size["throughput"][0][0]:
            alad_steps = min(alad_steps, size["alad_max_steps"])
        if models is not None:
            ALAD = models[1]

            def with_threads(fit):
                def run():
                    previous = torch.get_num_threads()
                    torch.set_num_threads(info["n_threads"])
                    try:
                        np.random.seed(0)
                        return fit()
                    finally:
                        torch.set_num_threads(previous)

                return run

            functions["PyOD AutoEncoder"] = with_threads(lambda: pyod_autoencoder(n_epochs).fit(X))
            functions["PyOD ALAD"] = with_threads(
                lambda: ALAD(
                    enc_layers=[64, 64],
                    dec_layers=[64, 64],
                    disc_xx_layers=[64, 64],
                    disc_zz_layers=[64, 64],
                    disc_xz_layers=[64, 64],
                    latent_dim=latent_dim,
                    epochs=alad_steps,
                    batch_size=128,
                    preprocessing=True,
                    device="cpu",
                ).fit(X)
            )
        log(f"throughput: {label}, {n_epochs} epochs")
        seconds, _ = interleaved(functions, args.repeats)
        rows = []
        for name, values in seconds.items():
            med = median(values)
            if name == "PyOD ALAD":
                work, note = alad_steps * 128, f"{alad_steps} steps of 128 rows"
            else:
                work, note = n_rows * n_epochs, f"{n_epochs} epochs"
            rows.append(
                {
                    "model": name,
                    "median_seconds": med,
                    "seconds": values,
                    "row_epochs": work,
                    "row_epochs_per_second": work / med,
                    "work": note,
                }
            )
        out["configs"].append(
            {
                "label": label,
                "rows": n_rows,
                "features": n_features,
                "epochs": n_epochs,
                "epochs_param": epochs,
                "latent_dim": latent_dim,
                "n_threads": info.get("n_threads"),
                "models": rows,
            }
        )
    return out


def section_ensemble(args, size, state):
    """Fit with one member against the default five, interleaved (and the LSTM's)."""
    X = normal_rows(size["overhead_rows"], 20)
    n_default = GANAnomalyDetector().n_estimators
    info = {}

    def gan(n_members):
        def run():
            detector = GANAnomalyDetector(random_state=0, n_estimators=n_members)
            detector.fit(X)
            info[n_members] = {
                "steps": int(sum(detector.net_.history[:, "train_batch_count"])),
                "n_threads": detector.n_threads_,
            }
            return detector

        return run

    log(f"ensemble: {size['overhead_rows']} x 20, 1 vs {n_default} members")
    seconds, results = interleaved(
        {"n_estimators=1": gan(1), f"n_estimators={n_default} (default)": gan(n_default)},
        args.repeats,
    )
    med = {name: median(values) for name, values in seconds.items()}
    one, default = med["n_estimators=1"], med[f"n_estimators={n_default} (default)"]
    # members stay independent: their scores on fresh rows are not the same
    fresh = normal_rows(2000, 20, seed=3)
    members = results[f"n_estimators={n_default} (default)"]._components_for(
        fresh, ("scaled_reconstruction",)
    )
    member_scores = np.array([m["scaled_reconstruction"] for m in members])
    correlation = np.corrcoef(member_scores)[np.triu_indices(len(members), 1)]

    windows, _ = make_windows(synthetic_series(size["lstm_ensemble_length"]), window=100, step=20)
    lstm_seconds = {}
    if not args.no_what_if:

        def lstm(n_members):
            return lambda: LSTMGANAnomalyDetector(
                random_state=0, n_estimators=n_members, epochs=size["lstm_ensemble_epochs"]
            ).fit(windows)

        log(f"ensemble: LSTM on {len(windows)} windows, 1 vs 5 members")
        lstm_seconds, _ = interleaved(
            {"LSTM n_estimators=1": lstm(1), "LSTM n_estimators=5": lstm(5)}, args.repeats
        )
    return {
        "rows": size["overhead_rows"],
        "features": 20,
        "default_members": n_default,
        "seconds": seconds,
        "median_seconds": med,
        "ratio_default_to_one": default / one,
        "steps": {str(k): v for k, v in info.items()},
        "member_score_correlation": {
            "min": float(correlation.min()),
            "max": float(correlation.max()),
        },
        "lstm": {
            "windows": len(windows),
            "epochs": size["lstm_ensemble_epochs"],
            "seconds": lstm_seconds,
            "ratio_5_to_1": (
                median(lstm_seconds["LSTM n_estimators=5"])
                / median(lstm_seconds["LSTM n_estimators=1"])
                if lstm_seconds
                else None
            ),
        },
    }


def section_scoring(args, size, state):
    detector = state.get("detector")
    train_X = state.get("train_X")
    if detector is None:
        train_X = normal_rows(5000, 20)
        log("scoring: fitting a default detector on 5,000 x 20")
        detector = GANAnomalyDetector(random_state=0).fit(train_X)
    n_rows = size["score_rows"]
    X = normal_rows(n_rows, 20, seed=2)
    forest = IsolationForest(random_state=0).fit(train_X)
    forest_all_cores = IsolationForest(random_state=0, n_jobs=-1).fit(train_X)
    detector.score_samples(X[:10])  # builds the cached scoring copies
    forest.score_samples(X[:10])
    phases = []
    n_threads = scoring_threads(detector)

    def gan():
        with PhaseTimer() as timer:
            start = time.perf_counter()
            scores = detector.score_samples(X)
            seconds = time.perf_counter() - start
            totals, _ = timer.take()
        get = totals.get
        net = get("score_pass>net_forward", 0.0)
        phases.append(
            {
                "validation (validate_data)": get("validate", 0.0),
                "score pass (standardise, float32 networks, float64 errors; wall)": get(
                    "score_pass", 0.0
                ),
                f"  of which network forward, summed over {n_threads} worker thread(s)": net,
                "score combiner transform": get("combiner_transform", 0.0),
                "other": seconds
                - get("validate", 0.0)
                - get("score_pass", 0.0)
                - get("combiner_transform", 0.0),
            }
        )
        return scores

    default_rows = detector._chunk_rows(X)
    functions = {
        "GANAnomalyDetector.score_samples": gan,
        "IsolationForest.score_samples": lambda: forest.score_samples(X),
    }
    if not args.no_what_if:
        functions["what-if: IsolationForest(n_jobs=-1)"] = lambda: forest_all_cores.score_samples(X)
        if n_threads > 1:
            functions["what-if: detector, 1 thread"] = lambda: scoring_variant(
                detector, X, threads=1
            )
        functions[
            f"what-if: detector, chunks of {WHAT_IF_CHUNK_ROWS} rows (default {default_rows})"
        ] = lambda: scoring_variant(detector, X, chunk_rows=WHAT_IF_CHUNK_ROWS)
        functions["what-if: detector, float64 networks"] = lambda: scoring_variant(
            detector, X, float64=True
        )
    log(f"scoring: {n_rows} x 20")
    seconds, results = interleaved(functions, args.repeats)
    reference = results["GANAnomalyDetector.score_samples"]
    what_if_deviation = {
        name: float(np.max(np.abs(values - reference)))
        for name, values in results.items()
        if name.startswith("what-if: detector")
    }
    throughput = {name: n_rows / median(values) for name, values in seconds.items()}

    log(f"latency: {size['latency_calls']} single-row calls each")
    latency = {"GANAnomalyDetector": [], "IsolationForest": []}
    single = []
    for i in range(size["latency_calls"]):
        row = X[i : i + 1]
        for name, model in (("GANAnomalyDetector", detector), ("IsolationForest", forest)):
            start = time.perf_counter()
            value = model.score_samples(row)
            latency[name].append(time.perf_counter() - start)
            if model is detector:
                single.append(value[0])
    n_check = len(single)
    # a sample's score must not depend on the other samples scored with it
    alone64 = [scoring_variant(detector, X[i : i + 1], float64=True)[0] for i in range(n_check)]
    batch64 = results.get("what-if: detector, float64 networks")
    invariance = {
        "package (float32, fixed-shape calls)": float(
            np.max(np.abs(np.array(single) - reference[:n_check]))
        )
    }
    if batch64 is not None:
        invariance["float64 what-if"] = float(np.max(np.abs(np.array(alone64) - batch64[:n_check])))
    return {
        "rows": n_rows,
        "features": 20,
        "n_threads": n_threads,
        "chunk_rows": default_rows,
        "seconds": seconds,
        "rows_per_second": throughput,
        "ratio_detector_to_iforest": throughput["GANAnomalyDetector.score_samples"]
        / throughput["IsolationForest.score_samples"],
        "detector_phases_median": median_dict(phases),
        "what_if_max_abs_score_difference": what_if_deviation,
        "single_row_vs_batch_max_abs_difference": invariance,
        "invariance_rows": n_check,
        "latency_seconds_median": {name: median(values) for name, values in latency.items()},
        "latency_seconds_p90": {
            name: float(np.percentile(values, 90)) for name, values in latency.items()
        },
    }


def scoring_threads(detector):
    """The scoring threads the fitted detector uses (resolved from ``n_threads``)."""
    return detector._fitted_scoring_threads()


class _Float64Module(torch.nn.Module):
    """A float64 copy of a scoring module that takes float32 and returns float64 tensors."""

    def __init__(self, module):
        super().__init__()
        self.inner = copy.deepcopy(module).double().eval()

    def forward(self, x):
        return self.inner(x.double())

    def features(self, x):
        return self.inner.features(x.double())

    def embedding(self, x):
        return self.inner.embedding(x.double())


def scoring_variant(detector, X, chunk_rows=None, threads=None, float64=False):
    """``detector.score_samples(X)`` with scoring chunk rows, threads or float64
    networks changed for the duration of the call (what-if measurements)."""
    net = detector.net_
    saved_chunk, saved_threads = base_module._CHUNK_ROWS, detector.n_threads
    net.scoring_modules()
    saved_modules = net.__dict__.get("_scoring_modules")
    if chunk_rows:
        base_module._CHUNK_ROWS = chunk_rows
    if threads:
        detector.n_threads = threads
    if float64:
        net._scoring_modules = tuple(_Float64Module(m) for m in saved_modules)
    try:
        return detector.score_samples(X)
    finally:
        base_module._CHUNK_ROWS = saved_chunk
        detector.n_threads = saved_threads
        net._scoring_modules = saved_modules


# -- memory (subprocesses) ------------------------------------------------------------------


def _maxrss_mb():
    """This process's RSS high-water mark in MiB.

    ``getrusage(RUSAGE_SELF).ru_maxrss`` is not reset by fork + exec on Linux: a child
    started from this (large) benchmark process starts with the parent's resident
    size as its high-water mark, which hides every smaller peak. ``VmHWM`` in
    ``/proc/self/status`` is the same high-water mark for the child's own address
    space only; it is used when available, and ``ru_maxrss`` is recorded alongside.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return _ru_maxrss_mb()


def _ru_maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def child_memory(kind, n_rows, chunk_rows=None):
    """Run inside a fresh subprocess; prints one JSON line."""
    if chunk_rows:
        base_module._CHUNK_ROWS = chunk_rows
    baseline = _maxrss_mb()
    ru_baseline = _ru_maxrss_mb()
    marks = {}

    def marker(owner, name, label):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            try:
                return original(*args, **kwargs)
            finally:
                marks.setdefault(label, _maxrss_mb() - baseline)

        setattr(owner, name, wrapper)

    marker(BaseAdversarialDetector, "_validate_input", "after validation")
    marker(BaseAdversarialDetector, "_standardise", "after standardisation")
    marker(BaseAdversarialDetector, "_make_net", "after net construction")
    marker(AdversarialNet, "fit", "after training")
    marker(BaseAdversarialDetector, "_score_components", "after _score_components")
    X = normal_rows(n_rows, 20, dtype=np.float32)
    after_data = _maxrss_mb() - baseline
    start = time.perf_counter()
    if kind == "fit":
        GANAnomalyDetector(random_state=0, epochs=MEMORY_FIT_EPOCHS).fit(X)
        before_measured = after_data
    else:
        detector = GANAnomalyDetector(random_state=0, epochs=MEMORY_SCORER_EPOCHS).fit(X[:5000])
        marks.clear()
        before_measured = _maxrss_mb() - baseline
        start = time.perf_counter()
        detector.score_samples(X)
    seconds = time.perf_counter() - start
    peak = _maxrss_mb() - baseline
    print(
        json.dumps(
            {
                "kind": kind,
                "rows": n_rows,
                "chunk_rows": chunk_rows,
                "baseline_mb": baseline,
                "after_data_mb": after_data,
                "before_measured_mb": before_measured,
                "peak_mb": peak,
                "seconds": seconds,
                "marks_mb": marks,
                "ru_maxrss_baseline_mb": ru_baseline,
                "ru_maxrss_peak_minus_baseline_mb": _ru_maxrss_mb() - ru_baseline,
                "data_mb": X.nbytes / 1e6,
            }
        )
    )


def section_memory(args, size, state):
    out = {}
    runs = [("fit", None), ("score", None)]
    default_rows = max(64, min(base_module._CHUNK_ROWS, base_module._CHUNK_ELEMENTS // 20))
    if not args.no_what_if and not 0.5 <= default_rows / WHAT_IF_CHUNK_ROWS <= 2:
        runs += [("fit", WHAT_IF_CHUNK_ROWS), ("score", WHAT_IF_CHUNK_ROWS)]
    for kind, chunk_rows in runs:
        key = kind if chunk_rows is None else f"{kind}, what-if: chunks of {chunk_rows} rows"
        log(f"memory: {key} on {size['memory_rows']} x 20 float32, fresh subprocess")
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            kind,
            "--child-rows",
            str(size["memory_rows"]),
        ]
        if chunk_rows:
            command += ["--child-chunk-rows", str(chunk_rows)]
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            log(proc.stderr[-2000:])
            out[key] = {"error": proc.stderr[-500:]}
            continue
        out[key] = json.loads(proc.stdout.strip().splitlines()[-1])
        log(f"  peak {out[key]['peak_mb']:.0f} MB over baseline")
    return out


# -- scaling -------------------------------------------------------------------------------------


def section_scaling(args, size, state):
    points = [("rows", n, 20, "auto") for n in size["scaling_rows"]]
    for d in size["scaling_features"]:
        points.append(("features", size["scaling_feature_rows"], d, "auto"))
        probe = GANAnomalyDetector()
        auto_threads = choose_n_threads(
            "auto", probe._work_per_step((d,), probe._resolved_latent_dim(d))
        )
        if auto_threads > 1 and not args.no_what_if:
            points.append(("what-if: n_threads=1", size["scaling_feature_rows"], d, 1))
    data = {}
    measurements = {p: [] for p in points}
    done = set()
    for repeat in range(args.repeats):
        order = points if repeat % 2 == 0 else list(reversed(points))
        for point in order:
            if point in done:
                continue
            kind, n_rows, n_features, n_threads = point
            if (n_rows, n_features) not in data:
                data[n_rows, n_features] = normal_rows(n_rows, n_features, seed=3)
            X = data[n_rows, n_features]
            detector = GANAnomalyDetector(random_state=0, epochs=2, n_threads=n_threads)
            gc.collect()
            with PhaseTimer() as timer:
                start = time.perf_counter()
                detector.fit(X)
                seconds = time.perf_counter() - start
                totals, _ = timer.take()
            measurements[point].append(
                {
                    "seconds": seconds,
                    "training_seconds": totals.get("net_fit", 0.0),
                    "epochs_seconds": totals.get("net_fit>run_single_epoch", 0.0),
                    "score_pass_seconds": totals.get("score_pass", 0.0),
                    "n_threads": detector.n_threads_,
                }
            )
            log(
                f"  [{repeat + 1}/{args.repeats}] scaling {n_rows} x {n_features}: {seconds:.2f} s "
                f"({detector.n_threads_} thread(s))"
            )
            if seconds > args.slow_point_seconds:
                done.add(point)
    rows = []
    for point in points:
        kind, n_rows, n_features, _ = point
        runs = measurements[point]
        med = {key: median([r[key] for r in runs]) for key in runs[0] if key != "n_threads"}
        rows.append(
            {
                "kind": kind,
                "rows": n_rows,
                "features": n_features,
                "repeats": len(runs),
                "n_threads": runs[0]["n_threads"],
                **med,
                "us_per_row_epoch_training": 1e6 * med["epochs_seconds"] / (2 * n_rows),
                "runs": runs,
            }
        )
    by_rows = [r for r in rows if r["kind"] == "rows" and r["rows"] >= 10_000]
    slope = float("nan")
    if len(by_rows) >= 2:
        slope = float(
            np.polyfit(
                np.log([r["rows"] for r in by_rows]), np.log([r["seconds"] for r in by_rows]), 1
            )[0]
        )
    return {"epochs": 2, "points": rows, "log_log_slope_fit_seconds_vs_rows_from_10k": slope}


# -- LSTM ------------------------------------------------------------------------------------


def synthetic_series(length):
    """Two seasons plus noise: the series of the LSTM sections."""
    rng = np.random.default_rng(4)
    t = np.arange(length)
    return (
        np.sin(2 * np.pi * t / 50)
        + 0.5 * np.sin(2 * np.pi * t / 430)
        + 0.1 * rng.standard_normal(len(t))
    )


def section_lstm(args, size, state):
    windows, _ = make_windows(synthetic_series(size["series_length"]), window=100, step=20)
    info = {}
    phases = []

    def fit():
        detector = LSTMGANAnomalyDetector(random_state=0, **epochs_kwarg(size["lstm_epochs"]))
        with PhaseTimer() as timer:
            start = time.perf_counter()
            detector.fit(windows)
            seconds = time.perf_counter() - start
            totals, _ = timer.take()
        phases.append(
            {
                "training epochs": totals.get("net_fit>run_single_epoch", 0.0),
                "training-score pass": totals.get("score_pass", 0.0),
                "rest": seconds
                - totals.get("net_fit>run_single_epoch", 0.0)
                - totals.get("score_pass", 0.0),
            }
        )
        info.update(
            epochs=len(detector.net_.history),
            n_threads=detector.n_threads_,
            latent_dim=detector.latent_dim_,
            batch_size=detector.net_.batch_size,
        )
        state["lstm"] = detector
        return detector

    log(f"lstm: {len(windows)} windows of 100")
    fit_seconds, _ = interleaved({"fit": fit}, args.repeats, once_above=args.slow_point_seconds)
    detector = state["lstm"]
    detector.score_samples(windows[:4])
    score_seconds, _ = interleaved(
        {"score_samples": lambda: detector.score_samples(windows)}, args.repeats
    )
    return {
        "series_length": size["series_length"],
        "windows": len(windows),
        "window": 100,
        "step": 20,
        **info,
        "steps": info["epochs"] * math.ceil(len(windows) / info["batch_size"]),
        "fit_seconds": fit_seconds["fit"],
        "fit_median_seconds": median(fit_seconds["fit"]),
        "fit_phases_median": median_dict(phases),
        "score_seconds": score_seconds["score_samples"],
        "windows_per_second": len(windows) / median(score_seconds["score_samples"]),
    }


# -- report -------------------------------------------------------------------------------------


def _ms(seconds):
    return fmt(1e3 * seconds, 1)


def _rate(value):
    if value is None or not math.isfinite(value):
        return "–"
    if value >= 1e6:
        return f"{value / 1e6:.2f} M"
    if value >= 1e3:
        return f"{value / 1e3:.1f} k"
    return f"{value:.0f}"


def render(results, args):
    parts = [
        f"# Performance benchmark ({'quick smoke run' if args.quick else 'full run'})",
        "",
        results["environment"],
        "",
        f"Command: `{results['command']}`; medians over {results['args']['repeats']} "
        f"repeat(s); total wall time {results['wall_seconds'] / 60:.1f} min. "
        f"{results['args'].get('note', '')}".rstrip(),
        "",
    ]
    package = results.get("package")
    if package:
        # results written before the package chunked by rows record elements
        chunks = (
            f"up to {package['scoring_chunk_rows']} rows"
            if "scoring_chunk_rows" in package
            else f"{package['scoring_chunk_elements']} elements"
        )
        parts += [
            f"Package imported from `{package['path']}`; default ensemble size "
            f"(n_estimators): GANAnomalyDetector {package['GANAnomalyDetector_n_estimators']}, "
            f"LSTMGANAnomalyDetector {package['LSTMGANAnomalyDetector_n_estimators']} — every "
            f"fit and score below of a default detector includes all members; scoring chunks "
            f"of {chunks}.",
            "",
        ]
    for update in results.get("updates", []):
        parts += [
            f"Updated: section(s) {', '.join(update['sections'])} re-measured by "
            f"`{update['command']}` ({update['environment']}). {update['note']}".rstrip(),
            "",
        ]
    r = results.get("overhead")
    if r:
        med = r["median_seconds"]
        check = r["check_last_epoch_reconstruction_loss"]
        parts += [
            f"## 1. Framework overhead: detector fit vs bare torch loop ({r['rows']:,} x 20)",
            "",
            f"Resolved: {r['epochs']} epochs, batch size {r['batch_size']}, {r['steps']} steps, "
            f"latent_dim {r['latent_dim']}, {r['n_threads']} torch thread(s); modules "
            + ", ".join(f"{k}={v}" for k, v in r["modules"].items())
            + f"; ensemble members {r.get('ensemble_members', 1)}"
            + (
                f"; Adam fused={r['adam'].get('fused')}, critics frozen in the generator step: "
                f"{r['package_freezes_critics']}"
                if "adam" in r
                else ""
            )
            + " (the bare loop copies all of these). "
            "Check that both do the same work (same seed, same draws): last-epoch "
            f"reconstruction loss detector {check['detector']:.6f}, bare loop "
            f"{check['bare']:.6f}"
            + (
                # the epoch mean is accumulated in a different order: float32
                # rounding, not different training, separates the two
                " — equal (to 1e-6 relative)."
                if math.isclose(check["detector"], check["bare"], rel_tol=1e-6)
                else " — NOT equal: the package's training step differs from bare_fit's."
            )
            + " What-if rows change one thing in the bare loop.",
            "",
        ]
        base = med["bare torch loop"]
        rows = [
            [name, fmt(s, 2), fmt(s / base, 3), fmt(1e3 * s / r["steps"], 3)]
            for name, s in med.items()
        ]
        parts += [
            markdown_table(["run", "median s", "ratio to bare loop", "ms per step"], rows),
            "",
            f"**Ratio detector_fit / bare_loop = {r['ratio_detector_to_bare']:.3f}** (goal ≤ 1.05).",
            "",
            f"Medians over {len(r['seconds']['detector.fit'])} interleaved repeats. "
            "Where the detector's fit time goes (median over repeats):",
            "",
        ]
        phases = r["detector_phases_median"]
        total = med["detector.fit"]
        rows = [[name, _ms(s), fmt(100 * s / total, 1)] for name, s in phases.items()]
        rows.append(["**total detector.fit**", _ms(total), "100.0"])
        rows.append(
            [
                f"bare loop total (incl. module/optimizer setup {_ms(r['bare_setup_seconds'])} ms)",
                _ms(base),
                fmt(100 * base / total, 1),
            ]
        )
        parts += [markdown_table(["phase", "ms", "% of fit"], rows), ""]
    r = results.get("ensemble")
    if r:
        med = r["median_seconds"]
        one = med["n_estimators=1"]
        corr = r["member_score_correlation"]
        parts += [
            f"## 1b. Ensemble cost: fit with 1 member vs the default {r['default_members']} "
            f"({r['rows']:,} x 20, defaults otherwise)",
            "",
            markdown_table(
                ["fit", "median s", "ratio to 1 member", "training steps", "torch threads"],
                [
                    [
                        name,
                        fmt(value, 2),
                        fmt(value / one, 2),
                        str(r["steps"][name.split("=")[1].split()[0]]["steps"]),
                        str(r["steps"][name.split("=")[1].split()[0]]["n_threads"]),
                    ]
                    for name, value in med.items()
                ],
            ),
            "",
            f"**Ratio {r['default_members']}-member fit / 1-member fit = "
            f"{r['ratio_default_to_one']:.2f}** (goal ≤ 1.5). All members train in the same "
            "steps (one batched call per layer). Members stay independent: the correlation of "
            f"two members' reconstruction scores on 2,000 fresh rows is {corr['min']:.3f} to "
            f"{corr['max']:.3f}, not 1.",
            "",
        ]
        lstm = r["lstm"]
        if lstm["seconds"]:
            lstm_med = {k: median(v) for k, v in lstm["seconds"].items()}
            parts += [
                f"LSTMGANAnomalyDetector on {lstm['windows']} windows of 100 steps, "
                f"epochs={lstm['epochs']}: "
                + ", ".join(f"{k} {fmt(v, 2)} s" for k, v in lstm_med.items())
                + f" — ratio {lstm['ratio_5_to_1']:.2f}. torch's LSTM kernel takes one set of "
                "weights, so the recurrent members run one after another (the default is one "
                "member).",
                "",
            ]
    r = results.get("throughput")
    if r:
        parts += ["## 2. Training throughput (rows x epochs per second)", ""]
        if r["pyod"] is None:
            parts += ["PyOD not installed, skipped.", ""]
        table = []
        for config in r["configs"]:
            for model in config["models"]:
                table.append(
                    [
                        config["label"],
                        model["model"],
                        model["work"],
                        fmt(model["median_seconds"], 2),
                        _rate(model["row_epochs_per_second"]),
                    ]
                )
        parts += [
            markdown_table(["data", "model", "work", "median s", "rows x epochs / s"], table),
            "",
        ]
        notes = ", ".join(
            f"{c['label']}: epochs="
            f"{'default' if c['epochs_param'] is None else c['epochs_param']} -> {c['epochs']}, "
            f"latent_dim {c['latent_dim']}, {c['n_threads']} thread(s)"
            for c in r["configs"]
        )
        parts += [
            f"Settings: {notes}. PyOD {r['pyod']}: AutoEncoder(hidden_neuron_list=[64, 64], "
            "batch_size=128, epoch_num=same epochs; its other defaults: batch norm, dropout 0.2), "
            "ALAD(all layer lists [64, 64], same latent_dim, batch_size=128); PyOD runs with the "
            "detector's torch thread count.",
            "",
        ]
    r = results.get("scoring")
    if r:
        parts += [f"## 3. Scoring throughput ({r['rows']:,} x 20) and single-row latency", ""]
        table = [
            [name, fmt(median(s), 2), _rate(r["rows_per_second"][name])]
            for name, s in r["seconds"].items()
        ]
        parts += [
            markdown_table(["scorer", "median s", "rows / s"], table),
            "",
            f"**Detector / IsolationForest rows/s = {r['ratio_detector_to_iforest']:.2f}x** "
            f"(goal ≥ 2x; both with their defaults). The detector scores "
            f"{r.get('chunk_rows', '?')}-row chunks in {r['n_threads']} worker thread(s). "
            "What-if rows change "
            "one setting of the fitted detector (largest absolute score difference to the "
            "default: "
            + ", ".join(
                f"{fmt(v, 1) if v == 0 else f'{v:.1e}'}"
                for v in r["what_if_max_abs_score_difference"].values()
            )
            + "). A sample's score should not depend on the others scored with it: "
            f"largest |score alone - score in the {r['rows']:,}-row batch| over the first "
            f"{r['invariance_rows']} rows: "
            + ", ".join(
                f"{k} {v:.1e}" for k, v in r["single_row_vs_batch_max_abs_difference"].items()
            )
            + ".",
            "",
            "Where the detector's scoring time goes (median):",
            "",
        ]
        phases = r["detector_phases_median"]
        total = median(r["seconds"]["GANAnomalyDetector.score_samples"])
        parts += [
            markdown_table(
                ["phase", "ms", "%"],
                [[k, _ms(v), fmt(100 * v / total, 1)] for k, v in phases.items()],
            ),
            "",
        ]
        lat = r["latency_seconds_median"]
        p90 = r["latency_seconds_p90"]
        parts += [
            markdown_table(
                ["single-row score_samples", "median ms", "p90 ms"],
                [[k, fmt(1e3 * lat[k], 3), fmt(1e3 * p90[k], 3)] for k in lat],
            ),
            "",
        ]
    r = results.get("memory")
    if r:
        parts += [
            "## 4. Peak memory (fresh subprocess each; RSS high-water minus after-imports baseline)",
            "",
        ]
        table = []
        for key, m in r.items():
            if not isinstance(m, dict):
                continue
            label = key.replace("fit", f"fit (epochs={MEMORY_FIT_EPOCHS})", 1)
            label = label.replace("score", "score_samples", 1)
            if "peak_mb" not in m:
                table.append([label, "error", "", "", "", ""])
                continue
            table.append(
                [
                    label,
                    f"{m['rows']:,} x 20 float32",
                    fmt(m["data_mb"], 0),
                    fmt(m["peak_mb"], 0),
                    fmt(m["peak_mb"] - m["data_mb"], 0),
                    fmt(m["seconds"], 1),
                ]
            )
        parts += [
            markdown_table(
                ["run", "data", "data MB", "peak MB (MiB over baseline)", "peak - data", "s"], table
            ),
            "",
            "Goal for fit: peak - data ≤ 300 MB. The score_samples rows include the data and "
            f"a detector fitted on 5,000 of its rows (epochs={MEMORY_SCORER_EPOCHS}). "
            "High-water mark reached by "
            "the end of each phase (MiB over baseline):",
            "",
        ]
        for key, m in r.items():
            if isinstance(m, dict) and m.get("marks_mb"):
                parts.append(
                    f"- {key}: after data {fmt(m['after_data_mb'], 0)}, "
                    + (
                        f"before score_samples {fmt(m['before_measured_mb'], 0)}, "
                        if key.startswith("score")
                        else ""
                    )
                    + ", ".join(f"{k} {fmt(v, 0)}" for k, v in m["marks_mb"].items())
                )
        parts.append("")
    r = results.get("scaling")
    if r:
        parts += ["## 5. Scaling (fit with epochs=2, so training time = two epochs)", ""]
        table = [
            [
                p["kind"],
                f"{p['rows']:,}",
                p["features"],
                p["n_threads"],
                p["repeats"],
                fmt(p["seconds"], 2),
                fmt(p["epochs_seconds"], 2),
                fmt(p["score_pass_seconds"], 3),
                fmt(p["us_per_row_epoch_training"], 2),
            ]
            for p in r["points"]
        ]
        parts += [
            markdown_table(
                [
                    "varied",
                    "rows",
                    "features",
                    "threads",
                    "repeats",
                    "fit s",
                    "epochs s",
                    "score pass s",
                    "µs per row-epoch (training)",
                ],
                table,
            ),
            "",
            f"Log-log slope of fit seconds vs rows (≥ 10k rows): "
            f"{fmt(r['log_log_slope_fit_seconds_vs_rows_from_10k'], 3)} (1.0 = linear).",
            "",
        ]
    r = results.get("lstm")
    if r:
        ph = r["fit_phases_median"]
        parts += [
            f"## 6. LSTMGANAnomalyDetector (fit repeats: {len(r['fit_seconds'])})",
            "",
            markdown_table(
                [
                    "windows",
                    "epochs",
                    "steps",
                    "threads",
                    "fit median s",
                    "of which epochs s",
                    "score pass s",
                    "score windows/s",
                ],
                [
                    [
                        r["windows"],
                        r["epochs"],
                        r["steps"],
                        r["n_threads"],
                        fmt(r["fit_median_seconds"], 2),
                        fmt(ph["training epochs"], 2),
                        fmt(ph["training-score pass"], 3),
                        _rate(r["windows_per_second"]),
                    ]
                ],
            ),
            "",
            f"Series of {r['series_length']:,} points, windows of {r['window']} with step "
            f"{r['step']}.",
            "",
        ]
    return "\n".join(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--repeats", type=int, default=3, help="repeats per measurement (median)")
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat: a smoke run")
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument(
        "--large-epochs",
        type=int,
        default=2,
        help="epochs on 100,000 x 50 in the throughput section",
    )
    parser.add_argument(
        "--alad-max-steps", type=int, default=100, help="cap on PyOD ALAD's steps on 100,000 x 50"
    )
    parser.add_argument(
        "--max-scaling-rows",
        type=int,
        default=1_000_000,
        help="leave out scaling points with more rows",
    )
    parser.add_argument(
        "--slow-point-seconds",
        type=float,
        default=60.0,
        help="do not repeat a scaling point or LSTM fit whose first fit took longer",
    )
    parser.add_argument("--no-what-if", action="store_true", help="skip the what-if variants")
    parser.add_argument("--note", default="", help="free text added to the result header")
    parser.add_argument(
        "--update",
        action="store_true",
        help="re-measure only --sections and keep the other sections of the existing result files",
    )
    parser.add_argument("--child", choices=["fit", "score"], help=argparse.SUPPRESS)
    parser.add_argument("--child-rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-chunk-rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_memory(args.child, args.child_rows, args.child_chunk_rows)
        return
    if args.quick:
        args.repeats = 1
    size = sizes(args)
    started = time.perf_counter()

    log("warm-up fit")
    GANAnomalyDetector(epochs=1, random_state=0).fit(normal_rows(300, 5))
    results = {
        "environment": environment_summary(),
        "package": {
            "path": str(Path(base_module.__file__).resolve().parent),
            "GANAnomalyDetector_n_estimators": GANAnomalyDetector()
            .get_params()
            .get("n_estimators", 1),
            "LSTMGANAnomalyDetector_n_estimators": LSTMGANAnomalyDetector()
            .get_params()
            .get("n_estimators", 1),
            "scoring_chunk_rows": base_module._CHUNK_ROWS,
        },
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    state = {}
    functions = {
        "overhead": section_overhead,
        "ensemble": section_ensemble,
        "throughput": section_throughput,
        "scoring": section_scoring,
        "memory": section_memory,
        "scaling": section_scaling,
        "lstm": section_lstm,
    }
    for name in SECTIONS:
        if name in args.sections:
            section_start = time.perf_counter()
            results[name] = functions[name](args, size, state)
            results[name]["section_wall_seconds"] = time.perf_counter() - section_start
            log(f"{name} done in {results[name]['section_wall_seconds']:.0f} s")
    results["wall_seconds"] = time.perf_counter() - started
    stem = "perf_quick" if args.quick else "perf"
    previous_path = args.output_dir / f"{stem}.json"
    if args.update and previous_path.exists():
        previous = json.loads(previous_path.read_text(encoding="utf-8"))
        for name in args.sections:
            previous[name] = results[name]
        previous.setdefault("updates", []).append(
            {
                "sections": list(args.sections),
                "command": results["command"],
                "environment": results["environment"],
                "note": args.note,
                "wall_seconds": results["wall_seconds"],
            }
        )
        results = previous
    text = render(results, args)
    print(text)
    write_text(args.output_dir / f"{stem}.md", text + "\n")
    write_text(args.output_dir / f"{stem}.json", json.dumps(results, indent=1, default=str) + "\n")
    log(f"wrote {args.output_dir / (stem + '.md')} and .json")


if __name__ == "__main__":
    main()
