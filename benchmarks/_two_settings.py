"""What the NAB benchmarks that score the same fits several ways in two settings share.

``orion``: every labelled NAB series, fitted and scored on the whole series,
intervals by the package's default rule (``benchmarks/nab.py``'s protocol);
``clean``: the clean cuts of ``benchmarks/nab_clean.py``, fitted before the
first labelled anomaly and scored on the rest, no intervals. A script gives
one function per setting that turns a series and a seed into result rows (one
per variant, ``tp`` / ``fp`` / ``fn`` only in Orion's setting), and the
variants it reports; this module runs them, writes the CSV and a summary
after every seed, and merges runs (``--summarise``).
"""

import argparse
from pathlib import Path

import numpy as np
from _common import environment_summary, fmt, log, markdown_table, read_csv, write_csv, write_text
from nab import DEFAULT_DATA_DIR, DEFAULT_OUTPUT_DIR, PUBLISHED_F1, SHORT, SUBSETS, labelled_series
from nab_clean import clean_cuts

from sklearn_gan_ad.timeseries import sum_overlap_scores

SETTINGS = (
    ("orion", "Orion's setting (train = test; NAB, every labelled series)"),
    ("clean", "Clean cuts (fitted before the first labelled anomaly)"),
)
COUNTS = ("tp", "fp", "fn")


def parser_for(description):
    """The options every such script takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--setting", choices=[name for name, _ in SETTINGS], default="orion")
    parser.add_argument("--subsets", nargs="+", choices=SUBSETS, default=list(SUBSETS))
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--tag", default="run", help="suffix of this run's result files")
    parser.add_argument(
        "--summarise", nargs="+", type=Path, metavar="CSV", help="merge these runs' CSVs"
    )
    return parser


def read_rows(paths, text_fields, int_fields):
    """Rows of result CSVs; the clean cuts have no intervals, so their tp / fp / fn stay NaN."""
    rows = read_csv(paths, text_fields, int_fields)
    for row in rows:
        if row["setting"] == "orion":
            row.update({field: int(row[field]) for field in COUNTS})
    return rows


def seed_means(rows, field):
    """The mean over seeds of each seed's mean of ``field``."""
    seeds = sorted({r["seed"] for r in rows})
    return float(np.mean([np.mean([r[field] for r in rows if r["seed"] == s]) for s in seeds]))


def subset_value(rows, field, seeds):
    """A subset's ``field``: F1 of its tp / fp / fn summed per seed, else the mean over series."""
    if field == "f1":
        return float(
            np.mean([sum_overlap_scores([r for r in rows if r["seed"] == s])["f1"] for s in seeds])
        )
    return seed_means(rows, field)


def setting_sections(rows, label_headers, variants):
    """Markdown sections, one per setting in ``rows``: F1 (Orion's), ROC-AUC and AP per subset.

    ``variants`` holds ``(cells, selects)``: the label cells of a table row
    (one per ``label_headers``) and whether a result row belongs to it.
    """
    lines = []
    for setting, title in SETTINGS:
        chosen = [r for r in rows if r["setting"] == setting]
        if not chosen:
            continue
        seeds = sorted({r["seed"] for r in chosen})
        subsets = [s for s in SUBSETS if any(r["subset"] == s for r in chosen)]
        orion = [s for s in subsets if SHORT[s] in PUBLISHED_F1["TadGAN"]]
        n_series = len({r["series"] for r in chosen})
        seeds_text = " ".join(map(str, seeds))
        lines += ["", f"## {title}: {n_series} series, seeds {seeds_text}", ""]
        metrics = [("roc_auc", "ROC-AUC"), ("average_precision", "AP")]
        if setting == "orion":
            metrics.insert(0, ("f1", "interval F1"))
        for field, name in metrics:
            table = []
            if field == "f1":
                table.append(
                    ["published TadGAN / AER", *[""] * (len(label_headers) - 1)]
                    + [
                        f"{fmt(PUBLISHED_F1['TadGAN'][SHORT[s]])} / "
                        f"{fmt(PUBLISHED_F1['AER'][SHORT[s]])}"
                        if s in orion
                        else "–"
                        for s in subsets
                    ]
                    + ["", "", ""]
                )
            for cells, selects in variants:
                of_variant = [r for r in chosen if selects(r)]
                if not of_variant:
                    continue
                values = {
                    s: subset_value([r for r in of_variant if r["subset"] == s], field, seeds)
                    for s in subsets
                }
                line = [*cells, *(fmt(values[s]) for s in subsets)]
                line.append(fmt(float(np.mean([values[s] for s in orion]))))
                if field == "f1":
                    at_tadgan = sum(values[s] >= PUBLISHED_F1["TadGAN"][SHORT[s]] for s in orion)
                    above_aer = sum(values[s] > PUBLISHED_F1["AER"][SHORT[s]] for s in orion)
                    line += [f"{at_tadgan} / {len(orion)}", f"{above_aer} / {len(orion)}"]
                else:
                    line.append(fmt(seed_means(of_variant, field)))
                table.append(line)
            headers = [*label_headers, *(SHORT[s] for s in subsets), f"mean of {len(orion)} Orion"]
            headers += ["≥ TadGAN", "> AER"] if field == "f1" else ["all series"]
            lines += [f"### {name}", "", markdown_table(headers, table), ""]
    return lines


def run(args, name, rows_in, csv_fields, text_fields, int_fields, summarise, progress):
    """Run (or merge, with ``--summarise``) a script; its files are named after ``name``.

    ``rows_in`` maps a setting to its function of ``(case..., seed, window)``
    (Orion's: ``subset, key, values, true``; the clean cuts': ``subset, key,
    train, test, labels``); ``summarise(rows, environment)`` returns the
    summary's text and ``progress(key, seed, new_rows)`` a progress line.
    """
    environment = environment_summary()
    if args.summarise:
        rows = read_rows(args.summarise, text_fields, int_fields)
        path = args.output_dir / f"{name}.md"
        write_text(path, summarise(rows, environment))
        log(f"wrote {path}")
        return

    csv_path = args.output_dir / f"{name}_{args.tag}.csv"
    md_path = args.output_dir / f"{name}_{args.tag}.md"
    log(environment)
    if args.setting == "orion":
        # loaded once: every seed scores the same series
        cases = list(labelled_series(args.data_dir, args.subsets))
    else:
        cases, _ = clean_cuts(args.data_dir, args.subsets, 400, 0.15)
    rows_of = rows_in[args.setting]
    rows = []
    for seed in args.seeds:
        for case in cases:
            new = rows_of(*case, seed, args.window)
            rows += new
            log(progress(case[1], seed, new))
        write_csv(csv_path, rows, csv_fields)
        write_text(md_path, summarise(rows, environment))
    log(f"wrote {csv_path} and {md_path}")
