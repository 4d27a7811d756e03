"""Frozen baselines: `sqlmon baseline create` profiles a source in the warehouse, and monitors compare with the profile
as they would with the rows — exactly for bins and categories, within stated bounds for KS and Wasserstein — after
the rows are gone."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats as sps

from sqlmon.cli import main
from tests.conftest import execute
from tests.metrics_support import DAY, W0, Stored, load, run_project, times

SOURCES = """\
sources:
  - {name: events, table: main.events, timestamp: ts, window: 1 day, baseline: {table: main.train}}
  - {name: train, table: main.train}
"""
MONITORS = """\
monitors:
  - {name: against_table, type: feature_drift, source: events, columns: [x, n, c], bins: 8}
  - {name: against_profile, type: feature_drift, source: events, columns: [x, n, c], bins: 8,
     baseline: {profile: training}}
  - {name: scores_table, type: prediction_histogram, source: events, column: x, binning: quantile, bins: 5}
  - {name: scores_profile, type: prediction_histogram, source: events, column: x, binning: quantile, bins: 5,
     baseline: {profile: training}}
"""


def cli(root, *args: str):
    return CliRunner().invoke(main, [*args, "--project-dir", str(root)])


@pytest.fixture
def project(make_project):
    rng = np.random.default_rng(8)
    train = {
        "x": rng.lognormal(0, 1, 9_000),
        "n": rng.poisson(4, 9_000),  # ties: bins and KS on repeated values
        "c": rng.choice(["a", "b", "c", "d"], 9_000, p=[0.4, 0.3, 0.2, 0.1]),
    }
    train["x"][:4] = [np.inf, -np.inf, np.nan, 0.0]
    cur = {
        "x": rng.lognormal(0.1, 1.2, 3_000),
        "n": rng.poisson(5, 3_000),
        "c": rng.choice(["a", "b", "c", "e"], 3_000, p=[0.3, 0.3, 0.3, 0.1]),
        "ts": times(3_000, W0, rng),
    }
    root = load(make_project, SOURCES, "monitors: []\n", {"events": cur, "train": train})
    (root / "monitors" / "m.yml").write_text(MONITORS)
    return root, train, cur


def test_a_profile_gives_the_same_bins_and_categories_as_the_rows_and_bounds_ks(project):
    root, train, cur = project
    created = cli(root, "baseline", "create", "training", "--source", "train")
    assert created.exit_code == 0, created.output
    assert "version 1" in created.output
    db = run_project(root)
    table, profile = db.metrics("against_table"), db.metrics("against_profile")
    for column in ("x", "n"):
        for metric in ("psi", "js", "kl", "hellinger"):
            assert profile[(column, metric)] == table[(column, metric)], (column, metric)
        assert (
            profile[(column, "ks")] <= table[(column, "ks")] <= profile[(column, "ks")] + profile[(column, "ks_error")]
        )
        error = profile[(column, "wasserstein_error")]
        assert abs(profile[(column, "wasserstein")] - table[(column, "wasserstein")]) <= error + 1e-12
    for metric in ("psi", "chi2", "chi2_pvalue", "js", "l_infinity", "unseen_rate"):
        assert profile[("c", metric)] == pytest.approx(table[("c", metric)], rel=1e-12, abs=1e-15), metric
    assert db.histogram("against_profile", "x", "baseline") == db.histogram("against_table", "x", "baseline")
    assert db.metrics("scores_profile") == db.metrics("scores_table")
    # and the exact values are scipy's: the bounds contain them
    x_base = train["x"][~np.isnan(train["x"])]
    assert (
        profile[("x", "ks")]
        <= sps.ks_2samp(x_base, cur["x"]).statistic
        <= profile[("x", "ks")] + profile[("x", "ks_error")]
    )


def assert_aligned(lines: list[str]) -> None:
    """A table: headers, a rule of dashes, and rows whose every cell starts where its header does."""
    header, rule, *rows = lines
    starts = [match.start() for match in re.finditer(r"-+", rule)]
    assert [match.start() for match in re.finditer(r"(?:^|(?<=  ))\S", header)] == starts
    for row in rows:
        assert all(row[start - 2 : start] == "  " and row[start] != " " for start in starts[1:]), row


def test_a_profile_outlives_its_rows_and_is_versioned(project):
    root, _, _ = project
    assert cli(root, "baseline", "create", "training", "--source", "train").exit_code == 0
    execute(root, "DELETE FROM main.train WHERE n > 2")  # the training data changes, then goes
    assert cli(root, "baseline", "create", "training", "--source", "train").exit_code == 0
    execute(root, "DROP TABLE main.train")
    listed = cli(root, "baseline", "list")
    assert [line.split()[:2] for line in listed.output.splitlines()[2:]] == [["training", "2"], ["training", "1"]]
    shown = cli(root, "baseline", "show", "training", "--version", "1")
    assert "training version 1" in shown.output and "4 categories" in shown.output
    assert_aligned(listed.output.splitlines())
    assert_aligned(shown.output.splitlines()[2:])
    (root / "monitors" / "m.yml").write_text(
        "monitors:\n  - {name: pinned, type: feature_drift, source: events, columns: [x, n, c], bins: 8,"
        " baseline: {profile: training, version: 1}}\n"
    )
    db = run_project(root)
    assert db.metrics("pinned")[("n", "psi")] is not None
    dropped = cli(root, "baseline", "drop", "training", "--version", "2")
    assert dropped.exit_code == 0 and "Dropped 1 version" in dropped.output
    assert [line.split()[1] for line in cli(root, "baseline", "list").output.splitlines()[2:]] == ["1"]


def test_what_a_profile_cannot_do_is_a_configuration_error(project):
    root, _, _ = project
    (root / "monitors" / "m.yml").write_text(
        "monitors:\n  - {name: missing, type: feature_drift, source: events, columns: [x], baseline: {profile: nope}}\n"
    )
    result = cli(root, "run", "--end", str(W0 + DAY))
    assert result.exit_code == 2
    assert "monitors/m.yml:2: monitors[0].baseline.profile: baseline profile `nope` does not exist in sqlmon" in (
        result.output
    )
    assert "sqlmon baseline create nope --source events" in result.output
    assert cli(root, "baseline", "create", "training", "--source", "train").exit_code == 0
    (root / "monitors" / "m.yml").write_text(
        "monitors:\n"
        "  - {name: seven, type: feature_drift, source: events, columns: [x], bins: 7,"
        " baseline: {profile: training}}\n"
        "  - {name: exact, type: feature_drift, source: events, columns: [x], exact: always,"
        " baseline: {profile: training}}\n"
        "  - {name: nulls, type: null_rate, source: events, columns: [x]}\n"
    )
    result = cli(root, "validate")
    assert result.exit_code == 2, result.output
    assert "`bins` must divide 1000, not 7" in result.output
    assert "KS and Wasserstein are bounded" in result.output
    assert Stored(root).metrics("seven") == {}
