"""The demo warehouse is deterministic and its incidents are exactly where ground_truth.json says they are.

sqlmon's demo and its end-to-end tests score monitors against ground_truth.json, so these tests check the data
itself (with SQL written here, independently of the generator's own measuring code) against that file.
"""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import duckdb
import pytest

GENERATOR = Path(__file__).resolve().parents[1] / "example_warehouse" / "generate.py"
DAY = "CAST(date_diff('day', DATE '2026-10-01', CAST({ts} AS DATE)) + 1 AS INTEGER)"
PRED_DAY = DAY.format(ts="scored_at")
REC_DAY = DAY.format(ts="exposed_at")


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    """The generator, loaded by file path the way `sqlmon demo` loads it."""
    spec = importlib.util.spec_from_file_location("example_warehouse_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def warehouse(gen: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default 30-day build, made once for the whole module."""
    path = tmp_path_factory.mktemp("warehouse") / "demo.duckdb"
    gen.build(path)
    return path


@pytest.fixture(scope="module")
def con(warehouse: Path):
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def truth(gen: ModuleType) -> dict:
    return gen.ground_truth()


def checksums(con: duckdb.DuckDBPyConnection, first_day: int = 1, last_day: int = 30) -> dict[str, tuple]:
    """Row count and order-independent hash of every row, per table, for the given days."""
    days = f"BETWEEN {first_day} AND {last_day}"
    queries = {
        "training_features": "SELECT * FROM main.training_features",
        "predictions": f"SELECT * FROM main.predictions WHERE {PRED_DAY} {days}",
        "recommendations": f"SELECT * FROM main.recommendations WHERE {REC_DAY} {days}",
    }
    return {name: con.execute(f"SELECT count(*), sum(hash(t)) FROM ({q}) t").fetchone() for name, q in queries.items()}


def per_day(con: duckdb.DuckDBPyConnection, sql: str) -> dict[int, object]:
    """Run a `SELECT day, value ... ` query and return {day: value}."""
    return {int(day): value for day, value in con.execute(sql).fetchall()}


def test_public_calendar(gen: ModuleType) -> None:
    assert gen.START_DATE.isoformat() == "2026-10-01"
    assert (gen.DAYS, gen.SEED) == (30, 42)


def test_same_seed_gives_identical_tables_and_another_seed_does_not(gen, con, tmp_path) -> None:
    gen.build(tmp_path / "again.duckdb")
    with duckdb.connect(str(tmp_path / "again.duckdb"), read_only=True) as again:
        assert checksums(again) == checksums(con)

    gen.build(tmp_path / "other_seed.duckdb", days=2, seed=7)
    with duckdb.connect(str(tmp_path / "other_seed.duckdb"), read_only=True) as other:
        ours, theirs = checksums(con, 1, 2), checksums(other, 1, 2)
    assert all(ours[table] != theirs[table] for table in ours)


def test_build_overwrites_an_existing_file(gen, tmp_path) -> None:
    path = tmp_path / "demo.duckdb"
    path.write_text("not a database")
    gen.build(path, days=1)
    with duckdb.connect(str(path), read_only=True) as built:
        assert built.execute("SELECT count(*) FROM main.predictions").fetchone()[0] > 0


def test_training_set_is_the_baseline(con) -> None:
    rows, fraud_rate, median_amount, countries = con.execute(
        "SELECT count(*), avg(is_fraud::INT), median(amount), list(DISTINCT country ORDER BY country) "
        "FROM main.training_features"
    ).fetchone()
    assert rows == 50_000
    assert 0.02 < fraud_rate < 0.04
    assert 40 < median_amount < 50
    assert countries == ["AU", "CA", "DE", "FR", "GB", "US"]


def test_every_day_has_rows_in_range_and_only_inside_that_day(con) -> None:
    predictions = per_day(con, f"SELECT {PRED_DAY}, count(*) FROM main.predictions GROUP BY 1")
    exposures = per_day(con, f"SELECT {REC_DAY}, count(*) FROM main.recommendations GROUP BY 1")
    assert sorted(predictions) == sorted(exposures) == list(range(1, 31))
    assert all(10_000 <= n <= 20_000 for n in predictions.values())
    assert all(17_000 <= n <= 23_000 for n in exposures.values())


def test_ids_are_unique(con) -> None:
    assert con.execute("SELECT count(*) = count(DISTINCT request_id) FROM main.predictions").fetchone()[0]
    assert con.execute("SELECT count(*) = count(DISTINCT exposure_id) FROM main.recommendations").fetchone()[0]


def test_null_spike_is_on_days_12_and_13_only(con, truth) -> None:
    null_rate = per_day(
        con, f"SELECT {PRED_DAY}, avg((account_age_days IS NULL)::INT) FROM main.predictions GROUP BY 1"
    )
    assert {day for day, rate in null_rate.items() if rate > 0} == {12, 13}
    assert 0.35 <= null_rate[12] <= 0.45 and 0.35 <= null_rate[13] <= 0.45
    assert next(i for i in truth["incidents"] if i["id"] == "null_spike")["days"] == [12, 13]


def test_no_other_column_is_ever_null(con) -> None:
    for table in ("training_features", "predictions", "recommendations"):
        columns = [row[0] for row in con.execute(f"DESCRIBE main.{table}").fetchall()]
        nulls = con.execute(
            f"SELECT {', '.join(f'count(*) - count({c})' for c in columns)} FROM main.{table}"
        ).fetchone()
        assert {c for c, n in zip(columns, nulls, strict=True) if n} <= {"account_age_days"}, table


def test_new_market_br_appears_on_day_18_at_a_quarter_of_rows(con, truth) -> None:
    br_share = per_day(con, f"SELECT {PRED_DAY}, avg((country = 'BR')::INT) FROM main.predictions GROUP BY 1")
    assert all(br_share[day] == 0 for day in range(1, 18))
    assert all(0.23 <= br_share[day] <= 0.27 for day in range(18, 31))
    assert con.execute("SELECT count(*) FROM main.training_features WHERE country = 'BR'").fetchone()[0] == 0
    drift = next(i for i in truth["incidents"] if i["id"] == "covariate_drift")
    assert (drift["first_day"], drift["last_day"]) == (18, 30)


def test_score_psi_is_material_from_day_18_and_noise_before(con, truth) -> None:
    """PSI on 10 equal bins of [0, 1], empty bins at 1e-4, computed here in SQL as a monitor would."""
    psi = per_day(
        con,
        f"""
        WITH bins AS (SELECT range AS bin FROM range(10)),
        base AS (
            SELECT least(floor(score * 10), 9)::INT AS bin, count(*) / sum(count(*)) OVER () AS p
            FROM main.training_features GROUP BY 1
        ),
        cur AS (
            SELECT {PRED_DAY} AS day, least(floor(score * 10), 9)::INT AS bin,
                   count(*) / sum(count(*)) OVER (PARTITION BY {PRED_DAY}) AS q
            FROM main.predictions GROUP BY 1, 2
        ),
        grid AS (SELECT DISTINCT cur.day, bins.bin FROM cur, bins)
        SELECT grid.day, sum((coalesce(q, 1e-4) - coalesce(p, 1e-4)) * ln(coalesce(q, 1e-4) / coalesce(p, 1e-4)))
        FROM grid LEFT JOIN base USING (bin) LEFT JOIN cur USING (day, bin)
        GROUP BY 1
        """,
    )
    assert all(psi[day] <= 0.02 for day in range(1, 18))
    assert all(psi[day] >= 0.1 for day in range(18, 31))
    recorded = truth["daily"]["score_psi_vs_training"]
    assert all(abs(psi[day] - recorded[str(day)]) < 1e-5 for day in range(1, 31))


def test_schema_is_renamed_on_day_20_and_restored_on_day_22(gen, con) -> None:
    """Loaded step by step on a fresh connection; days depend only on (seed, day), so days 19-22 alone suffice."""
    fresh = duckdb.connect(":memory:")
    gen.create_tables(fresh)

    def device_columns() -> set[str]:
        columns = {row[0] for row in fresh.execute("DESCRIBE main.predictions").fetchall()}
        return columns & {"device_type", "device_os"}

    gen.load_day(fresh, 19)
    assert device_columns() == {"device_type"}
    gen.load_day(fresh, 20)
    assert device_columns() == {"device_os"}
    gen.load_day(fresh, 21)
    assert device_columns() == {"device_os"}
    assert fresh.execute("SELECT count(*) = count(device_os) FROM main.predictions").fetchone()[0]
    gen.load_day(fresh, 22)
    assert device_columns() == {"device_type"}

    assert checksums(fresh, 19, 22) == checksums(con, 19, 22)
    fresh.close()


def test_feedback_loop_matches_ground_truth(con, truth) -> None:
    top10_share = per_day(
        con,
        f"""
        SELECT day, sum(n) FILTER (WHERE rk <= 10) / sum(n)
        FROM (
            SELECT day, n, row_number() OVER (PARTITION BY day ORDER BY n DESC) AS rk
            FROM (SELECT {REC_DAY} AS day, item_id, count(*) AS n FROM main.recommendations GROUP BY 1, 2)
        )
        GROUP BY day
        """,
    )
    zero_items = per_day(con, f"SELECT {REC_DAY}, 2000 - count(DISTINCT item_id) FROM main.recommendations GROUP BY 1")
    daily = truth["daily"]
    assert {day: round(share, 6) for day, share in top10_share.items()} == {
        int(day): share for day, share in daily["recommendations_top10_share"].items()
    }
    assert zero_items == {int(day): n for day, n in daily["recommendations_zero_exposure_items"].items()}

    assert all(0.10 <= top10_share[day] <= 0.15 and zero_items[day] == 0 for day in range(1, 10))
    assert all(top10_share[day] < top10_share[day + 1] for day in range(9, 30))
    assert 0.55 <= top10_share[30] <= 0.65
    assert zero_items[30] >= 2000 - 300

    feedback = next(i for i in truth["incidents"] if i["id"] == "feedback_loop")
    assert feedback["days"] == [day for day in range(1, 31) if top10_share[day] > 0.25]
    assert feedback["window_rule"] == "recommendations_top10_share > 0.25"


def test_incident_dates_match_days(gen, truth) -> None:
    for incident in truth["incidents"]:
        assert incident["first_date"] == (gen.START_DATE + timedelta(days=incident["first_day"] - 1)).isoformat()
        assert incident["last_date"] == (gen.START_DATE + timedelta(days=incident["last_day"] - 1)).isoformat()


def test_ground_truth_json_is_what_the_generator_produces_now(gen, con, truth) -> None:
    assert gen.compute_ground_truth(con) == truth


def test_command_line_builds_a_file(gen, tmp_path, capsys) -> None:
    assert gen.main([str(tmp_path / "cli.duckdb"), "--days", "1"]) == 0
    assert "predictions=" in capsys.readouterr().out
    with duckdb.connect(str(tmp_path / "cli.duckdb"), read_only=True) as built:
        assert built.execute(f"SELECT max({PRED_DAY}) FROM main.predictions").fetchone()[0] == 1
