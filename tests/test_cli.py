"""The sklearn-gan-ad command line, end to end on tiny files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import IsolationForest

import sklearn_gan_ad
from sklearn_gan_ad.cli import main

# compare-series on the series_file fixture: its columns, and small windows and
# few epochs so that a run takes seconds
SERIES_COLUMNS = ["--timestamp-column", "timestamp", "--value-column", "value"]
FAST_SERIES = ["--window", "20", "--step", "5", "--epochs", "2"]

RUN_COLUMNS = [
    "detector",
    "seed",
    "n_train",
    "n_test",
    "roc_auc",
    "average_precision",
    "flagged_share",
    "fit_seconds",
    "score_seconds",
]


@pytest.fixture
def table(tmp_path):
    """90 normal rows, 9 shifted anomalies, a text column and a 0/1 label column."""
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(size=(90, 3)), rng.normal(loc=5.0, size=(9, 3))])
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["name"] = [f"row{i}" for i in range(len(frame))]
    frame["is_anomaly"] = np.r_[np.zeros(90, dtype=int), np.ones(9, dtype=int)]
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def series_file(tmp_path):
    """A sine wave with a level shift at 120-129, labelled both ways."""
    rng = np.random.RandomState(0)
    values = np.sin(np.arange(200) / 6.0) + 0.05 * rng.normal(size=200)
    values[120:130] += 3.0
    timestamps = pd.date_range("2024-01-01", periods=200, freq="h")
    labels = np.zeros(200, dtype=int)
    labels[120:130] = 1
    path = tmp_path / "series.csv"
    pd.DataFrame({"timestamp": timestamps, "value": values, "label": labels}).to_csv(
        path, index=False
    )
    window = [str(timestamps[118]), str(timestamps[131])]
    (tmp_path / "nab.json").write_text(json.dumps({"realKnownCause/series.csv": [window]}))
    (tmp_path / "list.json").write_text(json.dumps([window]))
    return path


def run(argv, capsys):
    status = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_compare_on_csv_exits_zero_and_writes_runs_csv(table, tmp_path, capsys):
    output = tmp_path / "runs.csv"
    status, out, _ = run(
        [
            "compare",
            table,
            "--label-column",
            "is_anomaly",
            "--detectors",
            "IsolationForest,GANAnomalyDetector",
            "--epochs",
            "3",
            "--seeds",
            "0,1",
            "--output",
            output,
        ],
        capsys,
    )
    assert status == 0
    runs = pd.read_csv(output)
    assert list(runs.columns) == RUN_COLUMNS
    assert len(runs) == 4


def test_compare_prints_summary_table(table, capsys):
    status, out, _ = run(
        [
            "compare",
            table,
            "--label-column",
            "is_anomaly",
            "--detectors",
            "IsolationForest",
            "--seeds",
            "0",
        ],
        capsys,
    )
    assert status == 0
    for word in ("IsolationForest", "ROC-AUC", "AP", "flagged", "fit s", "score s"):
        assert word in out


def test_compare_notes_ignored_non_numeric_columns(table, capsys):
    _, out, _ = run(["compare", table, "--detectors", "IsolationForest", "--seeds", "0"], capsys)
    assert "Ignored non-numeric columns: name" in out


def test_compare_without_labels_reports_no_ranking_metrics(table, capsys):
    status, out, _ = run(
        ["compare", table, "--detectors", "IsolationForest", "--seeds", "0"], capsys
    )
    assert status == 0
    assert "ROC-AUC" not in out and "no labels" in out


def test_compare_without_file_uses_default_dataset(capsys):
    status, out, _ = run(["compare", "--detectors", "IsolationForest", "--seeds", "0"], capsys)
    assert status == 0
    assert "built-in default" in out and "breast cancer" in out


def test_compare_quiet_prints_only_the_table(table, capsys):
    _, out, err = run(
        [
            "compare",
            table,
            "--label-column",
            "is_anomaly",
            "--detectors",
            "IsolationForest",
            "--seeds",
            "0",
            "--quiet",
        ],
        capsys,
    )
    assert out.splitlines()[0].split() == ["ROC-AUC", "AP", "flagged", "fit", "s", "score", "s"]
    assert err == ""


def test_compare_plot_writes_png(table, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "report.png"
    status, _, _ = run(
        [
            "compare",
            table,
            "--label-column",
            "is_anomaly",
            "--detectors",
            "IsolationForest",
            "--seeds",
            "0",
            "--plot",
            plot,
        ],
        capsys,
    )
    assert status == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_detect_writes_one_row_per_scored_row(table, tmp_path, capsys):
    to_score = tmp_path / "new.csv"
    pd.read_csv(table).head(17).to_csv(to_score, index=False)
    output = tmp_path / "scores.csv"
    status, _, _ = run(["detect", table, to_score, "--output", output, "--epochs", "3"], capsys)
    assert status == 0
    scores = pd.read_csv(output)
    assert list(scores.columns) == ["score", "decision_function", "label"]
    assert len(scores) == 17
    assert set(scores["label"]) <= {-1, 1}


@pytest.mark.parametrize("output", ["runs.xlsx", "runs.json"])
def test_compare_refuses_an_output_format_before_fitting_anything(table, tmp_path, capsys, output):
    status, out, err = run(
        ["compare", table, "--detectors", "IsolationForest", "--output", tmp_path / output],
        capsys,
    )
    assert status == 2
    assert "cannot tell the format" in err
    assert out == ""


def test_compare_refuses_a_plot_format_before_fitting_anything(table, tmp_path, capsys):
    plot = tmp_path / "report.xlsx"
    status, out, err = run(
        ["compare", table, "--detectors", "IsolationForest", "--plot", plot], capsys
    )
    assert status == 2
    assert "cannot write a figure" in err
    assert out == ""


def test_detect_rejects_a_score_file_without_rows(table, tmp_path, capsys):
    header_only = tmp_path / "empty.csv"
    pd.read_csv(table).head(0).to_csv(header_only, index=False)
    output = tmp_path / "scores.csv"
    status, _, err = run(["detect", table, header_only, "--output", output], capsys)
    assert status == 2
    assert "has no rows to score" in err


def test_detect_contamination_sets_the_flagged_share(table, tmp_path, capsys):
    output = tmp_path / "scores.csv"
    status, _, _ = run(
        [
            "detect",
            table,
            table,
            "--output",
            output,
            "--detector",
            "IsolationForest",
            "--contamination",
            "0.2",
        ],
        capsys,
    )
    assert status == 0
    assert (pd.read_csv(output)["label"] == -1).mean() == pytest.approx(0.2, abs=0.02)


def test_detect_score_is_negated_score_samples(table, tmp_path, capsys):
    output = tmp_path / "scores.csv"
    run(["detect", table, table, "--output", output, "--detector", "IsolationForest"], capsys)
    scores = pd.read_csv(output)
    flagged = scores["label"] == -1
    # higher score = more anomalous: every flagged row outscores every kept row
    assert scores.loc[flagged, "score"].min() >= scores.loc[~flagged, "score"].max()


def _bad_inputs(tmp_path, table):
    """argv lists that must each fail with exit status 2."""
    text_only = tmp_path / "text.csv"
    pd.DataFrame({"word": ["x", "y", "z"]}).to_csv(text_only, index=False)
    with_nan = tmp_path / "nan.csv"
    frame = pd.read_csv(table)
    frame.loc[4, "b"] = np.nan
    frame.to_csv(with_nan, index=False)
    plus_minus = tmp_path / "pm.csv"
    frame = pd.read_csv(table)
    frame["is_anomaly"] = 1 - 2 * frame["is_anomaly"]
    frame.to_csv(plus_minus, index=False)
    return {
        "missing file": ["compare", tmp_path / "missing.csv"],
        "no numeric columns": ["compare", text_only],
        "unknown detector": ["compare", table, "--detectors", "IsolationForest,Nope"],
        "label column absent": ["compare", table, "--label-column", "nope"],
        "label column not binary": ["compare", table, "--label-column", "a"],
        "label column +1/-1": ["compare", plus_minus, "--label-column", "is_anomaly"],
        "bad seeds": ["compare", table, "--seeds", "0,one"],
        "negative seed": ["compare", table, "--seeds", "-1"],
        "bad test size": ["compare", table, "--test-size", "1.5"],
        "rows with NaN": ["compare", with_nan],
        "unknown extension": ["compare", tmp_path / "data.xlsx"],
        "missing output folder": ["compare", table, "--output", tmp_path / "no" / "r.csv"],
        "pyod missing": ["compare", table, "--detectors", "pyod:NoSuchModel"],
        "no command": [],
        "unknown command": ["frobnicate"],
        "detect without output": ["detect", table, table],
        "detect bad contamination": [
            "detect",
            table,
            table,
            "--output",
            tmp_path / "s.csv",
            "--contamination",
            "0.9",
        ],
        "detect contamination unsupported": [
            "detect",
            table,
            table,
            "--output",
            tmp_path / "s.csv",
            "--detector",
            "OneClassSVM",
            "--contamination",
            "0.1",
        ],
        "detect missing columns": ["detect", table, text_only, "--output", tmp_path / "s.csv"],
        "series value column absent": [
            "compare-series",
            table,
            "--timestamp-column",
            "a",
            "--value-column",
            "nope",
        ],
    }


# the keys of _bad_inputs, listed here so that pytest can name each case
BAD_INPUT_CASES = [
    "missing file",
    "no numeric columns",
    "unknown detector",
    "label column absent",
    "label column not binary",
    "label column +1/-1",
    "bad seeds",
    "negative seed",
    "bad test size",
    "rows with NaN",
    "unknown extension",
    "missing output folder",
    "pyod missing",
    "no command",
    "unknown command",
    "detect without output",
    "detect bad contamination",
    "detect contamination unsupported",
    "detect missing columns",
    "series value column absent",
]


@pytest.mark.parametrize("case", BAD_INPUT_CASES)
def test_bad_input_exits_2_with_one_error_line(case, table, tmp_path, capsys):
    argv = _bad_inputs(tmp_path, table)[case]
    status, out, err = run(argv, capsys)
    assert status == 2
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("sklearn-gan-ad: error: ")
    assert "Traceback" not in err + out


def test_python_m_reports_errors_without_traceback(tmp_path):
    # run the package under test, not whatever copy the interpreter would find
    root = Path(sklearn_gan_ad.__file__).resolve().parent.parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "sklearn_gan_ad", "compare", str(tmp_path / "missing.csv")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert completed.returncode == 2
    assert completed.stderr == f"sklearn-gan-ad: error: no such file: {tmp_path / 'missing.csv'}\n"


def test_help_exits_zero(capsys):
    status, out, _ = run(["compare", "--help"], capsys)
    assert status == 0
    assert "--label-column" in out


@pytest.mark.parametrize(
    "labels", [["--labels", "nab.json"], ["--labels", "list.json"], ["--label-column", "label"]]
)
def test_compare_series_reports_interval_f1_and_auc(series_file, labels, capsys):
    pytest.importorskip("sklearn_gan_ad.lstm")
    if labels[0] == "--labels":
        labels = [labels[0], series_file.parent / labels[1]]
    status, out, _ = run(
        ["compare-series", series_file, *SERIES_COLUMNS, *labels, *FAST_SERIES],
        capsys,
    )
    assert status == 0
    assert "LSTMGANAnomalyDetector" in out and "IsolationForest" in out
    assert "f1" in out and "roc_auc" in out


def test_compare_series_writes_scores_and_plot(series_file, tmp_path, capsys):
    pytest.importorskip("sklearn_gan_ad.lstm")
    pytest.importorskip("matplotlib")
    output, plot = tmp_path / "scores.csv", tmp_path / "series.png"
    status, _, _ = run(
        [
            "compare-series",
            series_file,
            *SERIES_COLUMNS,
            *FAST_SERIES,
            "--output",
            output,
            "--plot",
            plot,
        ],
        capsys,
    )
    assert status == 0
    assert len(pd.read_csv(output)) == 200
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_series_refuses_a_window_leaving_fewer_than_two_windows(series_file, capsys):
    status, _, err = run(
        ["compare-series", series_file, *SERIES_COLUMNS, "--window", "200", "--step", "5"],
        capsys,
    )
    assert status == 2
    assert "--window 200 leaves fewer than two windows" in err


def test_compare_series_reads_labels_and_writes_times_in_the_series_time_zone(
    series_file, tmp_path, capsys
):
    frame = pd.read_csv(series_file)
    zoned = frame.assign(
        timestamp=pd.to_datetime(frame["timestamp"]).dt.tz_localize("Europe/Paris")
    )
    zoned_file = tmp_path / "zoned.csv"
    zoned.to_csv(zoned_file, index=False)
    for path, output in ((series_file, "naive.csv"), (zoned_file, "zoned_scores.csv")):
        status, _, _ = run(
            [
                "compare-series",
                path,
                *SERIES_COLUMNS,
                *FAST_SERIES,
                "--labels",
                tmp_path / "list.json",
                "--output",
                tmp_path / output,
            ],
            capsys,
        )
        assert status == 0
    naive, aware = pd.read_csv(tmp_path / "naive.csv"), pd.read_csv(tmp_path / "zoned_scores.csv")
    # the same wall-clock label bounds select the same timestamps
    np.testing.assert_array_equal(aware["label"], naive["label"])
    assert aware["timestamp"][0] == str(zoned["timestamp"][0])


def test_compare_series_with_no_labelled_window_reports_recall_and_f1_as_undefined(
    series_file, capsys
):
    pytest.importorskip("sklearn_gan_ad.lstm")
    empty = series_file.parent / "empty.json"
    empty.write_text(json.dumps({"series.csv": []}))
    status, out, _ = run(
        ["compare-series", series_file, *SERIES_COLUMNS, *FAST_SERIES, "--labels", empty],
        capsys,
    )
    assert status == 0
    header, *rows = out.split("\n")[1:4]
    recall, f1 = header.split().index("recall"), header.split().index("f1")
    for row in rows:
        # the first field is the detector's name, so cells sit one to the right
        assert row.split()[recall + 1] == "NaN" and row.split()[f1 + 1] == "NaN"
    assert "recall and F1 are undefined" in out


def test_compare_series_labels_json_without_entry_for_the_file_exits_2(series_file, capsys):
    other = series_file.parent / "other.json"
    other.write_text(json.dumps({"realKnownCause/elsewhere.csv": []}))
    status, _, err = run(
        ["compare-series", series_file, *SERIES_COLUMNS, "--labels", other],
        capsys,
    )
    assert status == 2
    assert "no entry for 'series.csv'" in err and err.count("\n") == 1


def test_detect_refuses_a_csv_without_header_line(table, tmp_path, capsys):
    headerless = tmp_path / "headerless.csv"
    np.savetxt(headerless, pd.read_csv(table)[["a", "b", "c"]].to_numpy(), delimiter=",")
    status, _, err = run(["detect", headerless, headerless, "--output", tmp_path / "s.csv"], capsys)
    assert status == 2
    # read as column names, its first row would go unscored
    assert "headerless.csv has no header line" in err


def test_detect_reads_the_positional_header_of_an_unnamed_frame(table, tmp_path, capsys):
    unnamed = tmp_path / "unnamed.csv"
    pd.DataFrame(pd.read_csv(table)[["a", "b", "c"]].to_numpy()).to_csv(unnamed, index=False)
    output = tmp_path / "s.csv"
    argv = ["detect", unnamed, unnamed, "--output", output, "--detector", "IsolationForest"]
    status, _, _ = run(argv, capsys)
    assert status == 0
    assert len(pd.read_csv(output)) == 99


def test_detect_names_the_file_it_cannot_parse(table, tmp_path, capsys):
    broken = tmp_path / "broken.csv"
    broken.write_text("a,b,c\n1,2,3\n1,2,3,4\n")
    status, _, err = run(["detect", table, broken, "--output", tmp_path / "s.csv"], capsys)
    assert status == 2
    assert "cannot read" in err and "broken.csv" in err


def test_detect_says_an_input_folder_is_a_folder(table, tmp_path, capsys):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    status, _, err = run(["detect", folder, table, "--output", tmp_path / "s.csv"], capsys)
    assert status == 2
    assert "folder.csv is a folder" in err


@pytest.mark.parametrize("kind", ["existing folder", "trailing slash", "unwritable place"])
def test_detect_refuses_an_output_it_cannot_write_before_fitting(
    table, tmp_path, capsys, kind, monkeypatch
):
    def fit_must_not_run(self, X, y=None):
        raise AssertionError("the detector was fitted before the output was checked")

    monkeypatch.setattr(IsolationForest, "fit", fit_must_not_run)
    (tmp_path / "out.csv").mkdir()
    output = {
        "existing folder": tmp_path / "out.csv",
        "trailing slash": f"{tmp_path / 'new.csv'}/",
        # a file in place of the output's folder
        "unwritable place": tmp_path / "data.csv" / "s.csv",
    }[kind]
    argv = ["detect", table, table, "--output", output, "--detector", "IsolationForest"]
    status, _, err = run(argv, capsys)
    assert status == 2
    assert "output" in err


def test_detect_leaves_no_file_behind_when_checking_an_output_before_fitting(
    table, tmp_path, capsys
):
    output = tmp_path / "s.csv"
    run(["detect", table, tmp_path / "missing.csv", "--output", output], capsys)
    assert not output.exists()


def test_compare_names_a_label_column_with_too_few_anomalies(table, tmp_path, capsys):
    frame = pd.read_csv(table)
    frame["is_anomaly"] = 0
    frame.loc[0, "is_anomaly"] = 1
    one_anomaly = tmp_path / "one.csv"
    frame.to_csv(one_anomaly, index=False)
    status, _, err = run(["compare", one_anomaly, "--label-column", "is_anomaly"], capsys)
    assert status == 2
    assert "label column 'is_anomaly' of" in err and "holds 1 anomalies" in err


@pytest.mark.parametrize("command", ["detect", "compare-series"])
def test_a_negative_seed_is_refused_naming_the_option(
    command, table, series_file, tmp_path, capsys
):
    argv = {
        "detect": ["detect", table, table, "--output", tmp_path / "s.csv"],
        "compare-series": ["compare-series", series_file, *SERIES_COLUMNS],
    }[command]
    status, _, err = run([*argv, "--seed", "-1"], capsys)
    assert status == 2
    assert "--seed: expected a non-negative integer" in err


def test_compare_series_on_a_single_timestamp_asks_for_a_longer_series(tmp_path, capsys):
    single = tmp_path / "single.csv"
    pd.DataFrame({"timestamp": ["2024-01-01"], "value": [1.0]}).to_csv(single, index=False)
    status, _, err = run(["compare-series", single, *SERIES_COLUMNS], capsys)
    assert status == 2
    assert "needs at least 2 timestamps" in err


def test_detect_refuses_epochs_for_a_detector_without_them(table, tmp_path, capsys):
    argv = ["detect", table, table, "--output", tmp_path / "s.csv"]
    status, _, err = run([*argv, "--detector", "IsolationForest", "--epochs", "2"], capsys)
    assert status == 2
    assert "'IsolationForest' has no epochs parameter" in err


def test_compare_refuses_epochs_when_no_detector_trains_for_epochs(table, capsys):
    argv = ["compare", table, "--detectors", "IsolationForest,LocalOutlierFactor"]
    status, _, err = run([*argv, "--epochs", "2"], capsys)
    assert status == 2
    assert "has an epochs parameter" in err


def test_detect_leaves_ignored_columns_out_of_the_features(table, tmp_path, capsys):
    unlabelled = tmp_path / "unlabelled.csv"
    pd.read_csv(table).drop(columns="is_anomaly").to_csv(unlabelled, index=False)
    output = tmp_path / "s.csv"
    argv = ["detect", table, unlabelled, "--output", output, "--detector", "IsolationForest"]
    # the label column is a feature unless ignored, and the score file lacks it
    status, _, err = run(argv, capsys)
    assert status == 2 and "lacks columns" in err
    status, _, _ = run([*argv, "--ignore-columns", "is_anomaly"], capsys)
    assert status == 0
    assert len(pd.read_csv(output)) == 99


def test_detect_refuses_to_ignore_a_column_the_training_file_lacks(table, tmp_path, capsys):
    argv = ["detect", table, table, "--output", tmp_path / "s.csv", "--ignore-columns", "nope"]
    status, _, err = run(argv, capsys)
    assert status == 2
    assert "--ignore-columns names columns not in" in err


def test_compare_series_reads_a_local_time_series_across_a_daylight_saving_change(
    series_file, tmp_path, capsys
):
    frame = pd.read_csv(series_file)
    # Paris moved its clocks on 2024-03-31: the file holds +01:00 and +02:00 offsets
    local = pd.date_range("2024-03-30", periods=len(frame), freq="h", tz="Europe/Paris")
    local_file = tmp_path / "local.csv"
    frame.assign(timestamp=local).to_csv(local_file, index=False)
    status, out, err = run(
        [
            "compare-series",
            local_file,
            *SERIES_COLUMNS,
            *FAST_SERIES,
            "--output",
            tmp_path / "s.csv",
        ],
        capsys,
    )
    assert status == 0, err
    written = pd.to_datetime(pd.read_csv(tmp_path / "s.csv")["timestamp"], utc=True)
    assert (written == local.tz_convert("UTC")).all()


def test_compare_series_draws_a_time_zone_aware_series_in_its_own_zone(
    series_file, tmp_path, capsys, monkeypatch
):
    drawn = {}
    monkeypatch.setattr(
        "sklearn_gan_ad.plotting.plot_series",
        lambda *args, timestamps=None, **kwargs: drawn.update(timestamps=timestamps),
    )
    frame = pd.read_csv(series_file)
    zoned = pd.to_datetime(frame["timestamp"]).dt.tz_localize("Asia/Tokyo")
    zoned_file = tmp_path / "tokyo.csv"
    frame.assign(timestamp=zoned).to_csv(zoned_file, index=False)
    argv = ["compare-series", zoned_file, *SERIES_COLUMNS, *FAST_SERIES]
    status, _, _ = run([*argv, "--plot", tmp_path / "s.png"], capsys)
    assert status == 0
    assert pd.Series(drawn["timestamps"]).iloc[0] == zoned.iloc[0]


def test_compare_series_on_a_file_without_rows_says_so(tmp_path, capsys):
    header_only = tmp_path / "header.csv"
    header_only.write_text("timestamp,value\n")
    status, _, err = run(["compare-series", header_only, *SERIES_COLUMNS], capsys)
    assert status == 2
    assert "header.csv has no rows" in err
