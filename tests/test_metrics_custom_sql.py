"""`custom_sql` end to end on DuckDB: the user's aggregates over the window's rows against numpy on the same rows,
written in another dialect and transpiled, fused into the window's one scan, and refused when they are not one
aggregate expression."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_the_expressions_join_the_windows_one_scan(basket):
    _, result, _ = basket
    # per window: the MIN/MAX of the timestamp once, then one SELECT for every aggregate of both custom monitors and
    # the null rate
    assert result.statements == 1 + len(result.windows["orders"])


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
