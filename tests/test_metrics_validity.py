"""`validity` end to end on DuckDB, against the same rules applied with pandas and Python's `re` to the raw rows of
the window — NULLs, NaN, ties at the bounds, duplicated keys of one and of two columns included."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tests.metrics_support import DAY, W0, load, project_in, run_project, stack, times

SOURCE = """\
sources:
  - {name: orders, table: main.orders, timestamp: ts, window: 1 day}
"""
MONITORS = """\
monitors:
  - name: checks
    type: validity
    source: orders
    columns:
      amount: {min: 0, max: 100, not_null: true}
      bounded: {min: 0, max: 100, strict: true}
      status: {accepted_values: [new, paid, shipped]}
      email: {regex: '^[^@ ]+@[^@ ]+\\.[a-z]{2,}$', max_length: 12}
      code: {min_length: 3, unique: true}
      order_id: {unique: true}
    unique_together: [[customer, day_no]]
    samples: 4
    sample_key: [row_no]
"""
PATTERN = r"^[^@ ]+@[^@ ]+\.[a-z]{2,}$"


def _frame(n: int, day, rng: np.random.Generator, first_row: int) -> dict[str, np.ndarray]:
    amount = rng.choice([-1.0, 0.0, 50.0, 100.0, 100.5, np.nan], size=n, p=[0.05, 0.1, 0.6, 0.1, 0.05, 0.1])
    return {
        "ts": times(n, day, rng),
        "amount": amount,
        "bounded": amount.copy(),
        "status": rng.choice(np.array(["new", "paid", "shipped", "lost", "Paid"], dtype=object), size=n),
        "email": rng.choice(
            np.array(
                ["a@b.io", "a.b@c.de", "no-at.com", "x@y", "long.name@example.org", "no-at-sign-at-all"], dtype=object
            ),
            size=n,
        ),
        "code": np.array([f"c{int(i)}" for i in rng.integers(0, 400, size=n)], dtype=object),
        "order_id": rng.integers(0, n * 3, size=n),
        "customer": rng.integers(0, 60, size=n),
        "day_no": rng.integers(0, 8, size=n),
        "row_no": first_row + rng.permutation(n),  # a key whose order is not the rows' order
    }


@pytest.fixture(scope="module")
def validity_run(tmp_path_factory):
    rng = np.random.default_rng(3)
    before, cur = _frame(300, W0 - DAY, rng, 0), _frame(2000, W0, rng, 300)
    null_status = rng.random(2000) < 0.05
    null_customer = rng.random(2000) < 0.05
    zeros = np.zeros(300, bool)
    nulls = {
        "status": np.concatenate([zeros, null_status]),
        "customer": np.concatenate([zeros, null_customer]),
        "amount": np.concatenate([zeros, rng.random(2000) < 0.03]),
    }

    root = load(
        project_in(tmp_path_factory.mktemp("validity")),
        SOURCE,
        MONITORS,
        {"orders": stack(before, cur)},
        nulls={"orders": nulls},
    )
    frame = pd.DataFrame(cur)
    for column, mask in nulls.items():
        frame[column] = frame[column].astype(object).where(~mask[300:], None)
    return root, frame, run_project(root).metrics("checks")


def _samples(root) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(
            "SELECT column_name, sample, row_key, rules FROM sqlmon.sqlmon_samples WHERE window_start = ? "
            "ORDER BY column_name, sample",
            [W0],
        ).fetchall()
    finally:
        con.close()


def _present(values: pd.Series) -> pd.Series:
    """Values that are there: a rule judges these; NULL breaks only not_null. NaN is a value (DuckDB orders it
    above every number, so it breaks `max`)."""
    return values.map(lambda v: v is not None)


def _duplicated(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    keyed = frame[columns].notna().all(axis=1)
    counts = frame[keyed].groupby(columns, dropna=True)[columns[0]].transform("size")
    return (counts > 1).reindex(frame.index, fill_value=False)


def _expected(frame: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    amount = frame["amount"].astype(float)
    present = _present(frame["amount"])
    above = present & ((amount > 100) | amount.isna())  # NaN sorts above every number
    email = frame["email"]
    code = frame["code"]
    return {
        ("amount", "min"): present & (amount < 0),
        ("amount", "max"): above,
        ("amount", "not_null"): ~present,
        ("bounded", "min"): frame["bounded"].astype(float) <= 0,
        ("bounded", "max"): (frame["bounded"].astype(float) >= 100) | frame["bounded"].isna(),
        ("status", "accepted_values"): _present(frame["status"]) & ~frame["status"].isin(["new", "paid", "shipped"]),
        ("email", "regex"): email.map(lambda v: re.search(PATTERN, v) is None),
        ("email", "max_length"): email.str.len() > 12,
        ("code", "min_length"): code.str.len() < 3,
        ("code", "unique"): _duplicated(frame, ["code"]),
        ("order_id", "unique"): _duplicated(frame, ["order_id"]),
        ("customer,day_no", "unique"): _duplicated(frame, ["customer", "day_no"]),
    }


def test_each_rules_invalid_count_and_rate_match_pandas(validity_run):
    _, frame, stored = validity_run
    n = len(frame)
    assert stored[(None, "row_count")] == n
    for (column, rule), broken in _expected(frame).items():
        assert stored[(column, f"invalid_count.{rule}")] == int(broken.sum()), (column, rule)
        assert stored[(column, f"invalid_rate.{rule}")] == pytest.approx(broken.sum() / n, abs=1e-12)
        assert broken.sum() > 0, (column, rule)  # every rule is exercised, so none passes by breaking nothing


def test_a_rows_combined_count_is_the_union_of_its_columns_rules(validity_run):
    _, frame, stored = validity_run
    expected = _expected(frame)
    for column in ("amount", "bounded", "email", "code", "customer,day_no"):
        union = np.logical_or.reduce([v for (c, _), v in expected.items() if c == column])
        assert stored[(column, "invalid_count")] == int(union.sum()), column
        assert stored[(column, "invalid_rate")] == pytest.approx(union.sum() / len(frame), abs=1e-12)


def test_a_duplicated_key_counts_every_copy_and_a_key_with_a_null_part_never_repeats(validity_run):
    _, frame, stored = validity_run
    keyed = frame[frame["customer"].notna()]
    copies = keyed.groupby(["customer", "day_no"]).size()
    assert stored[("customer,day_no", "invalid_count")] == int(copies[copies > 1].sum())


def test_samples_are_the_keys_of_the_first_failing_rows_in_key_order_with_the_rules_each_broke(validity_run):
    root, frame, _ = validity_run
    expected_rules = _expected(frame)
    expected = []
    for column in dict.fromkeys(c for c, _ in expected_rules):
        rules = {rule: mask for (c, rule), mask in expected_rules.items() if c == column}
        failing = frame[np.logical_or.reduce(list(rules.values()))].sort_values("row_no").head(4)
        for sample, (index, row) in enumerate(failing.iterrows(), start=1):
            broke = ",".join(rule for rule, mask in rules.items() if mask[index])
            expected.append((column, sample, f"row_no={row['row_no']}", broke))
    assert _samples(root) == sorted(expected)
    assert any("," in rules for *_, rules in expected)  # some rows break two rules of one column
