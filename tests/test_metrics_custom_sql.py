"""`custom_sql` end to end on DuckDB: the user's aggregates over the window's rows against numpy on the same rows,
written in another dialect and transpiled, fused into the window's one scan, and refused when they are not one
aggregate expression; and a whole read-only query, a statement of its own, refused when it could write."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from sqlmon.cli import main
from sqlmon.runner import run
from tests.metrics_support import DAY, END, W0, Stored, load, project_in, stack, times
from tests.test_config_errors import offline

SOURCE = """\
sources:
  - {name: orders, table: main.orders, timestamp: ts, window: 1 day}
"""
MONITORS = """\
monitors:
  - name: basket
    type: custom_sql
    source: orders
    metrics:
      avg_basket: AVG(amount)
      refund_share: AVG(CASE WHEN refunded THEN 1.0 ELSE 0 END)
      big_orders: COUNT(*) FILTER (WHERE amount > 100)
      spread: STDDEV_SAMP(amount) / NULLIF(AVG(amount), 0)
  - name: written_for_bigquery
    type: custom_sql
    source: orders
    dialect: bigquery
    metrics:
      refunds: COUNTIF(refunded)
      safe_ratio: SAFE_DIVIDE(SUM(amount), COUNT(*))
  - {name: nulls, type: null_rate, source: orders, columns: [amount]}
  - name: by_query
    type: custom_sql
    source: orders
    query: |
      SELECT 'refunded_amount' AS metric, SUM(CASE WHEN refunded THEN amount ELSE 0 END) AS value, NULL AS segment
      FROM {{ source }}
      WHERE ts >= {{ window_start }} AND ts < {{ window_end }}
      UNION ALL
      SELECT 'orders', COUNT(*), CASE WHEN o.refunded THEN 'refunded=true' ELSE 'refunded=false' END
      FROM {{ source }} AS o
      WHERE o.ts >= {{ window_start }} AND o.ts < {{ window_end }}
      GROUP BY o.refunded
"""


def _frame(n: int, day, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"ts": times(n, day, rng), "amount": rng.lognormal(4, 0.8, size=n), "refunded": rng.random(n) < 0.07}


@pytest.fixture(scope="module")
def basket(tmp_path_factory):
    rng = np.random.default_rng(9)
    before, cur = _frame(500, W0 - DAY, rng), _frame(3000, W0, rng)

    root = load(project_in(tmp_path_factory.mktemp("custom")), SOURCE, MONITORS, {"orders": stack(before, cur)})
    result = run(root, end=END)
    assert result.status == "success", result.error
    return cur, result, Stored(root)


def test_each_expression_is_its_aggregate_over_the_windows_rows(basket):
    cur, _, stored = basket
    amount, refunded = cur["amount"], cur["refunded"]
    values = stored.metrics("basket")
    assert values[(None, "avg_basket")] == pytest.approx(amount.mean(), rel=1e-12)
    assert values[(None, "refund_share")] == pytest.approx(refunded.mean(), rel=1e-12)
    assert values[(None, "big_orders")] == int(np.sum(amount > 100))
    assert values[(None, "spread")] == pytest.approx(amount.std(ddof=1) / amount.mean(), rel=1e-9)


def test_an_expression_in_another_dialect_is_transpiled(basket):
    cur, _, stored = basket
    values = stored.metrics("written_for_bigquery")
    assert values[(None, "refunds")] == int(cur["refunded"].sum())
    assert values[(None, "safe_ratio")] == pytest.approx(cur["amount"].mean(), rel=1e-12)


def test_the_expressions_join_the_windows_one_scan_and_a_query_is_a_statement_of_its_own(basket):
    _, result, _ = basket
    # the MIN/MAX of the timestamp once, then per window one SELECT for every aggregate of both custom monitors and
    # the null rate, and the query
    assert result.statements == 1 + 2 * len(result.windows["orders"])


def test_a_query_returns_metrics_over_all_rows_and_per_segment(basket):
    cur, result, _ = basket
    got = {(m.segment, m.metric): m.value for m in result.metrics if m.monitor == "by_query" and m.window.start == W0}
    refunded = cur["refunded"]
    assert got == {
        (None, "refunded_amount"): pytest.approx(cur["amount"][refunded].sum(), rel=1e-12),
        ("refunded=true", "orders"): int(refunded.sum()),
        ("refunded=false", "orders"): int((~refunded).sum()),
    }


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("SELECT AVG(amount) FROM main.orders", "is a statement (SELECT), not an expression"),
        ("DROP TABLE main.orders", "is a statement (DROP), not an expression"),
        ("AVG(amount); DELETE FROM main.orders", "holds 2 statements; write one aggregate expression"),
        ("AVG(amount) - (SELECT MIN(amount) FROM main.orders)", "holds a subquery"),
        ("amount * 2", "is not an aggregate"),
        ("SUM(amount) OVER ()", "uses a window function (OVER)"),
        ("AVG(amount) + amount", "column `amount` is outside an aggregate"),
        ("AVG(o.amount)", "names `o.amount`; write the column without a table"),
    ],
)
def test_an_expression_that_is_not_one_aggregate_is_an_error_at_its_line(make_project, expression, expected):
    root = make_project(f"""\
        sources: [{{name: orders, table: main.orders}}]
        monitors:
          - name: basket
            type: custom_sql
            source: orders
            metrics:
              fine: COUNT(*)
              broken: "{expression}"
        """)
    [problem] = offline(root)
    assert problem.startswith(f"monitors/monitors.yml:8: monitors[0].metrics.broken: `{expression}` {expected}"[:70])
    assert expected in problem


QUERY_PROJECT = """\
    sources:
      - {{name: orders, table: main.orders, timestamp: ts, window: 1 day}}
      - {{name: plain, table: main.orders}}
    monitors:
      - name: q
        type: custom_sql
        source: {source}
        query: |
          {query}
        thresholds: {thresholds}
    """


@pytest.mark.parametrize(
    ("query", "line", "expected"),
    [
        ("DELETE FROM {{ source }}", 8, "the query must only read: it holds DELETE"),
        ("SELECT 'n' AS metric, COUNT(*) AS value INTO main.copy FROM {{ source }}", 8, "holds INTO"),
        ("SELECT 'n' AS metric, 1 AS value; DROP TABLE main.orders", 8, "holds 2 statements; write one SELECT"),
        ("SELECT * FROM {{ source }}", 8, "selects `*`; name its columns"),
        ("SELECT COUNT(*) AS n FROM {{ source }}", 8, "returns `n`; it must return `metric` and `value`"),
        ("SELECT 'n' AS metric, COUNT(*) AS value FROM {{ table }}", 9, "`{{ table }}` is not a placeholder"),
        (
            "SELECT 'a' AS metric, 1 AS value\n          UNION ALL SELECT 'b', 2, 'x=1'",
            8,
            "the parts of the query's UNION return 2 and 3 columns",
        ),
        ("SELECT 'n' AS metric,\n          COUNT(* AS value FROM {{ source }}", 10, "does not parse as duckdb SQL"),
    ],
)
def test_a_query_that_is_not_one_read_only_select_is_an_error_at_its_line(make_project, query, line, expected):
    root = make_project(QUERY_PROJECT.format(source="orders", query=query, thresholds="{}"))
    [problem] = offline(root)
    assert problem.startswith(f"monitors/monitors.yml:{line}: monitors[0].query: "), problem
    assert expected in problem


def test_a_query_on_a_source_without_windows_cannot_use_the_bounds(make_project):
    query = "SELECT 'n' AS metric, COUNT(*) AS value FROM {{ source }} WHERE ts < {{ window_end }}"
    root = make_project(QUERY_PROJECT.format(source="plain", query=query, thresholds="{}"))
    assert offline(root) == [
        "monitors/monitors.yml:8: monitors[0].query: source `plain` has no windows, so the query has no "
        "`{{ window_start }}` or `{{ window_end }}` to use (add `timestamp` and `window` to the source, or leave the "
        "bounds out of the query)"
    ]


def test_thresholds_may_name_a_metric_the_query_names_at_run_time(make_project):
    computed = "SELECT 'n_' || status AS metric, COUNT(*) AS value FROM {{ source }} GROUP BY status"
    root = make_project(QUERY_PROJECT.format(source="orders", query=computed, thresholds="{n_paid: {warn: 1}}"))
    result = CliRunner().invoke(main, ["validate", "-p", str(root), "--offline"])
    assert result.exit_code == 0, result.output


def test_thresholds_may_not_name_a_metric_the_query_does_not_return(make_project):
    literal = "SELECT 'n' AS metric, COUNT(*) AS value FROM {{ source }}"
    root = make_project(QUERY_PROJECT.format(source="orders", query=literal, thresholds="{m: {warn: 1}}"))
    assert offline(root) == [
        "monitors/monitors.yml:10: monitors[0].thresholds.m: `custom_sql` has no metric `m` (its metrics: n)"
    ]


def test_a_query_that_returns_a_metric_twice_stops_the_run_and_says_why(make_project):
    import pandas as pd

    query = "SELECT 'n' AS metric, COUNT(*) AS value FROM {{ source }} GROUP BY status"
    frame = pd.DataFrame({"ts": pd.to_datetime([W0, W0]), "status": ["paid", "new"]})
    root = make_project(QUERY_PROJECT.format(source="orders", query=query, thresholds="{}"), tables={"orders": frame})
    result = run(root, end=END)
    assert result.status == "error"
    assert result.error == (
        "source `orders` failed, nothing of it stored: custom_sql `q`: the query returned metric `n` twice in window "
        "2026-03-10 00:00; return one row per metric and segment"
    )
