"""One suite, every engine: the same rows in DuckDB, PostgreSQL and Spark give the same metrics.

DuckDB's numbers are checked against scipy/numpy in tests/test_metrics_*.py; here every other engine must agree with
them: exact metrics to 1e-9, binned ones bin for bin (the edges are the same, so the counts must be identical), and
the results tables read back the same.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from sqlmon.baselines import commands as baselines
from sqlmon.runner import run
from tests import engines

START = datetime(2026, 10, 1)
# Past the data: the fourth day has no rows and the fifth is in progress, which only freshness and volume compute.
END = START + timedelta(days=4, hours=10)
TOL = 1e-9

COLUMNS = {
    "ts": "timestamp",
    "amount": "double",
    "age": "integer",
    "price": "decimal",
    "country": "string",
    "flag": "boolean",
    "score": "double",
    "item": "string",
    "weight": "double",
}
BASELINE_COLUMNS = {c: t for c, t in COLUMNS.items() if c != "ts"}
# predictions whose labels arrive in a table of their own, joined on (prediction_id, batch) = (id, batch)
SCORED_COLUMNS = {
    "ts": "timestamp",
    "prediction_id": "integer",
    "batch": "string",
    "score": "double",
    "estimate": "double",
}
OUTCOME_COLUMNS = {
    "id": "integer",
    "batch": "string",
    "outcome": "boolean",
    "value": "double",
    "labelled_at": "timestamp",
}

MONITORS = """\
sources:
  - name: events
    table: {db}.events
    timestamp: ts
    window: 1 day
    backfill: 30 days
    baseline: {{table: {db}.training}}
  - {{name: training, table: {db}.training}}
  - name: events_rolling
    table: {db}.events
    timestamp: ts
    window: 1 day
    backfill: 30 days
    baseline: {{previous: 1 day}}
  - {{name: scored, table: {db}.scored, timestamp: ts, window: 1 day, backfill: 30 days}}
monitors:
  - {{name: nulls, type: null_rate, source: events}}
  - name: drift
    type: feature_drift
    source: events
    columns: [amount, age, price, country, flag]
    bins: 7
    max_categories: 4
  - name: drift_rolling
    type: feature_drift
    source: events_rolling
    columns: [amount, age, country]
  - {{name: drift_profile, type: feature_drift, source: events, columns: [amount, age, price, country, flag], bins: 10,
     baseline: {{profile: train_profile}}}}
  - {{name: scores_profile, type: prediction_histogram, source: events, column: score, binning: quantile, bins: 5,
     baseline: {{profile: train_profile}}}}
  - {{name: drift_bounded, type: feature_drift, source: events, columns: [amount, age, price], exact: never,
     cells: 50}}
  - {{name: scores, type: prediction_histogram, source: events, column: score, decision_threshold: 0.7}}
  - {{name: scores_quantile, type: prediction_histogram, source: events, column: score, binning: quantile, bins: 5}}
  - {{name: items, type: topk_concentration, source: events_rolling, column: item, k: 3, weight: weight}}
  - {{name: items_plain, type: topk_concentration, source: events, column: item, k: 5}}
  - {{name: quality, type: model_performance, source: events, task: classification, prediction: score, label: flag,
     decision_threshold: 0.3}}
  - {{name: calib, type: calibration, source: events, prediction: score, label: flag, bins: 5}}
  - {{name: estimated, type: estimated_performance, source: events, prediction: score, label: flag,
     decision_threshold: 0.3, calibration_bins: 5}}
  - {{name: estimated_rolling, type: estimated_performance, source: events_rolling, prediction: score, label: flag}}
  - {{name: quality_regression, type: model_performance, source: events, task: regression, prediction: score,
     label: amount}}
  - {{name: labelled_quality, type: model_performance, source: scored, task: classification, prediction: score,
     label: outcome,
     labels: {{table: {db}.outcomes, key: {{prediction_id: id, batch: batch}}, timestamp: labelled_at}}}}
  - {{name: labelled_calib, type: calibration, source: scored, prediction: score, label: outcome, bins: 5,
     labels: {{table: {db}.outcomes, key: {{prediction_id: id, batch: batch}}}}}}
  - {{name: labelled_regression, type: model_performance, source: scored, task: regression, prediction: estimate,
     label: value, labels: {{table: {db}.outcomes, key: {{prediction_id: id, batch: batch}}, timestamp: labelled_at}}}}
  - name: drift_by_country
    type: feature_drift
    source: events
    columns: [amount, age, flag]
    bins: 5
    segment_by: [country]
    max_segments: 4
  - {{name: nulls_by_flag_country, type: null_rate, source: events_rolling, columns: [amount, price],
     segment_by: [flag, country], max_segments: 16}}
  - {{name: fresh, type: freshness, source: events, warn_after: 6 hours}}
  - {{name: fresh_by_country, type: freshness, source: events_rolling, segment_by: [country], max_segments: 4}}
  - {{name: rows_by_flag, type: volume, source: events, segment_by: [flag]}}
  - {{name: rows_anomaly, type: volume, source: events,
     anomaly: {{training: 5 windows, min_training: 2, seasonality: none,
               exclude: {{table: {db}.holidays, column: day}}}}}}
  - {{name: nulls_anomaly, type: null_rate, source: events, columns: [amount, age],
     anomaly: {{method: zscore, training: 5 windows, min_training: 2, seasonality: none, include_alerts: true}}}}
  - {{name: valid, type: validity, source: events, unique_together: [[country, item]], samples: 4,
     sample_key: [ts, item],
     columns: {{amount: {{min: 0, max: 500, not_null: true}}, age: {{min: 0, max: 40, strict: true}},
               country: {{accepted_values: [DE, FR, US], regex: '^[A-Z]{{2}}$'}}, item: {{max_length: 7, unique: true}},
               weight: {{accepted_values: [1, 2]}}}}}}
  - {{name: basket, type: custom_sql, source: events_rolling, segment_by: [flag],
     metrics: {{avg_score: AVG(score), heavy: 'COUNT(*) FILTER (WHERE weight > 2)',
               spread: 'STDDEV_SAMP(price) / NULLIF(AVG(price), 0)',
               cheap_share: 'AVG(CASE WHEN price < 100 THEN 1.0 ELSE 0 END)'}}}}
  - name: basket_query
    type: custom_sql
    source: events
    query: |
      SELECT 'heavy_share' AS metric, AVG(CASE WHEN weight > 2 THEN 1.0 ELSE 0 END) AS value, NULL AS segment
      FROM {{{{ source }}}} WHERE ts >= {{{{ window_start }}}} AND ts < {{{{ window_end }}}}
      UNION ALL
      SELECT 'mean_price', AVG(price), 'country=' || country
      FROM {{{{ source }}}} AS e
      WHERE e.ts >= {{{{ window_start }}}} AND e.ts < {{{{ window_end }}}} AND e.country IS NOT NULL
      GROUP BY e.country
  - name: contract
    type: schema_contract
    source: events
    columns: {{ts: timestamp, amount: float, age: integer, price: decimal, country: string, flag: boolean,
               score: float, item: string, weight: float}}
"""


def _rows(n: int, rng: np.random.Generator, start: datetime | None, shift: float) -> list[tuple]:
    countries = ["DE", "FR", 'O\'Brien "quoted"', "US", "GB", "BR"]
    rows = []
    for _ in range(n):
        amount = float(rng.lognormal(3 + shift, 1))
        u = rng.random()
        if u < 0.03:
            amount = float("nan")
        elif u < 0.05:
            amount = None
        elif u < 0.06:
            amount = float("inf") if u < 0.055 else float("-inf")
        age = None if rng.random() < 0.05 else int(rng.integers(0, 40 + 10 * shift))
        price = Decimal(f"{rng.integers(100, 100000) / 100:.2f}")
        country = None if rng.random() < 0.02 else countries[int(rng.integers(0, 5 + (shift > 0)))]
        item = f"item_{int(rng.zipf(1.6)) % 50:02d}"
        row = (
            amount,
            age,
            price,
            country,
            bool(rng.random() < 0.3),
            float(rng.beta(2, 5 - shift)),
            item,
            float(rng.integers(1, 4)),
        )
        rows.append(((start + timedelta(seconds=int(rng.integers(0, 86400))),) if start else ()) + row)
    return rows


def _scored(rng: np.random.Generator) -> tuple[list[tuple], list[tuple]]:
    """Predictions over three days and their labels: some missing or NULL, some corrected later (a second, older
    label that differs), some loaded twice, some without a time."""
    scored, outcomes = [], []
    for i in range(900):
        key = (i % 300, f"b{i // 300}")  # prediction_ids repeat across batches: only the pair is a key
        truth = bool(rng.random() < 0.35)
        score = float(np.clip(rng.normal(0.3 + 0.3 * truth, 0.2), 0, 1))
        estimate = float(rng.lognormal(2, 0.5))
        ts = START + timedelta(days=i // 300, seconds=int(rng.integers(0, 86400)))
        scored.append((ts, *key, round(score, 2), estimate))
        u = rng.random()
        if u < 0.12:
            continue  # not labelled yet
        labelled_at = None if u < 0.15 else ts + timedelta(days=int(rng.integers(1, 5)))
        value = None if u < 0.18 else estimate * float(rng.normal(1.0, 0.2))
        outcomes.append((*key, None if u < 0.2 else truth, value, labelled_at))
        if u > 0.85:
            outcomes.append((*key, not truth, estimate, ts))  # an earlier label, corrected since
        elif u > 0.75:
            outcomes.append((*key, truth, value, labelled_at))  # the same label loaded twice
    return scored, outcomes


@pytest.fixture(scope="module")
def data() -> dict[str, tuple[dict[str, str], list[tuple]]]:
    rng = np.random.default_rng(11)
    events = [row for day in range(3) for row in _rows(400, rng, START + timedelta(days=day), shift=0.4 * day)]
    scored, outcomes = _scored(rng)
    return {
        "training": (BASELINE_COLUMNS, _rows(1500, rng, None, 0.0)),
        "events": (COLUMNS, events),
        "scored": (SCORED_COLUMNS, scored),
        "outcomes": (OUTCOME_COLUMNS, outcomes),
        "holidays": ({"day": "date"}, [(START.date(),)]),  # days anomaly rules never train on
    }


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    session = engines.start_spark(tmp_path_factory.mktemp("spark-warehouse"))
    yield session
    session.stop()


def _project(folder: Path, connection: str, db: str, results_schema: str = "sqlmon") -> Path:
    (folder / "monitors").mkdir(parents=True)
    (folder / "sqlmon.yml").write_text(f"{connection}results_schema: {results_schema}\n")
    (folder / "monitors" / "m.yml").write_text(MONITORS.format(db=db))
    return folder


def _tables(data: dict, db: str) -> dict:
    return {f"{db}.{name}": spec for name, spec in data.items()}


@pytest.fixture(scope="module")
def duckdb_results(tmp_path_factory, data):
    root = _project(tmp_path_factory.mktemp("duckdb"), "connection: {type: duckdb, path: warehouse.duckdb}\n", "main")
    engines.load_duckdb(root / "warehouse.duckdb", _tables(data, "main"))
    baselines.create(root, None, "train_profile", "training", None, None)
    result = run(root, end=END)
    assert result.status == "success", result.error
    return root, result


@pytest.fixture(scope="module")
def postgres_results(tmp_path_factory, data, postgres):
    root = _project(tmp_path_factory.mktemp("postgres"), postgres.connection_yaml("parity"), "main")
    engines.load_postgres(postgres, "parity", _tables(data, "main"))
    baselines.create(root, None, "train_profile", "training", None, None)
    result = run(root, end=END)
    assert result.status == "success", result.error
    return root, result


@pytest.fixture(scope="module")
def spark_results(tmp_path_factory, data, spark):
    connection = "connection: {type: spark, master: 'local[2]'}\n"
    root = _project(tmp_path_factory.mktemp("spark"), connection, "parity", results_schema="sqlmon_parity")
    engines.load_spark(spark, "parity", _tables(data, "parity"))
    baselines.create(root, None, "train_profile", "training", None, None)
    result = run(root, end=END)
    assert result.status == "success", result.error
    return root, result


def _metrics(result) -> dict[tuple, float | None]:
    return {
        (m.monitor, m.segment, m.column, m.metric, m.window.start if m.window else None): m.value
        for m in result.metrics
    }


def _assert_same_metrics(reference, other) -> float:
    ours, theirs = _metrics(reference), _metrics(other)
    assert ours.keys() == theirs.keys()
    largest = 0.0
    for key, expected in ours.items():
        actual = theirs[key]
        if expected is None or actual is None:
            assert expected is None and actual is None, key
            continue
        deviation = abs(actual - expected) / max(1.0, abs(expected))
        largest = max(largest, deviation)
        assert deviation <= TOL, (key, expected, actual)
    return largest


def test_the_duckdb_run_covers_every_kind_and_window(duckdb_results):
    _, result = duckdb_results
    assert {m.monitor_type for m in result.metrics} == {
        "null_rate",
        "feature_drift",
        "prediction_histogram",
        "topk_concentration",
        "schema_contract",
        "model_performance",
        "calibration",
        "estimated_performance",
        "freshness",
        "volume",
        "validity",
        "custom_sql",
    }
    # the days with data, the empty fourth and the fifth in progress (freshness and volume)
    assert [w.start.day for w in result.windows["events"]] == [1, 2, 3, 4, 5]
    assert result.windows["events"][-1].end == END
    day4 = [m for m in result.metrics if m.window.start.day == 4]
    assert {m.monitor_type for m in day4} == {"freshness", "volume", "schema_contract"}  # the contract: a snapshot
    empty = {(m.monitor, m.metric): m.value for m in day4 if m.monitor in ("fresh", "rows_by_flag") and not m.segment}
    assert empty.keys() >= {("fresh", "lag"), ("fresh", "max_gap"), ("rows_by_flag", "row_count")}
    assert empty[("fresh", "lag")] > 86400 and empty[("fresh", "max_gap")] is None
    assert empty[("rows_by_flag", "row_count")] == 0
    assert not any(math.isnan(m.value) for m in result.metrics if m.value is not None)


def test_the_labels_table_variant_is_not_trivial(duckdb_results):
    # labels missing, NULL and contradicting each other: the engines must agree on every one of those cases
    _, result = duckdb_results
    got = {(m.monitor, m.metric): m.value for m in result.metrics if m.window.start == START}
    assert 0.7 < got["labelled_quality", "label_rate"] < 0.9
    assert got["labelled_quality", "label_conflicts"] > 10
    assert got["labelled_regression", "label_rate"] < got["labelled_quality", "label_rate"] + 0.1
    assert got["labelled_calib", "ece"] is not None
    assert [w.start.day for w in result.windows["scored"]] == [1, 2, 3]


def test_the_duckdb_run_has_segments_with_quotes_nulls_and_two_columns(duckdb_results):
    # the parity tests below then compare every segment's metrics, keyed by its label, across engines
    _, result = duckdb_results
    countries = {m.segment for m in result.metrics if m.monitor == "drift_by_country"}
    assert {'country=O\'Brien "quoted"', "country=DE"} <= countries
    pairs = {m.segment for m in result.metrics if m.monitor == "nulls_by_flag_country"}
    assert "flag=true,country=NULL" in pairs or "flag=false,country=NULL" in pairs
    assert any(w.monitor == "drift_by_country" for w in result.warnings)  # 5–6 countries, 4 kept: a cut


def test_postgres_computes_the_same_metrics_as_duckdb(duckdb_results, postgres_results):
    largest = _assert_same_metrics(duckdb_results[1], postgres_results[1])
    print(f"largest PostgreSQL deviation from DuckDB: {largest:.3g}")


def test_spark_computes_the_same_metrics_as_duckdb(duckdb_results, spark_results):
    largest = _assert_same_metrics(duckdb_results[1], spark_results[1])
    print(f"largest Spark deviation from DuckDB: {largest:.3g}")


def test_alerts_agree_across_engines(duckdb_results, postgres_results, spark_results):
    def alerts(result):
        return sorted(
            (a.monitor, a.segment or "", a.column or "", a.metric, a.severity, a.window_start) for a in result.alerts
        )

    assert alerts(duckdb_results[1]) == alerts(postgres_results[1]) == alerts(spark_results[1])
    assert alerts(duckdb_results[1])  # the shifted days do alert, so the comparison is not vacuous


def test_samples_agree_across_engines(duckdb_results, postgres_results, spark_results):
    def samples(result):
        return sorted(
            (s.monitor, s.window_start, s.row.column, s.row.sample, s.row.key, s.row.rules) for s in result.samples
        )

    duck = samples(duckdb_results[1])
    assert {column for _, _, column, *_ in duck} == {"amount", "age", "country", "item", "weight", "country,item"}
    assert samples(postgres_results[1]) == duck
    assert samples(spark_results[1]) == duck


def test_anomaly_bands_agree_across_engines(duckdb_results, postgres_results, spark_results):
    def bands(result):
        return {
            (a.monitor, a.column, a.metric, a.window.start if a.window else None): (
                a.status,
                a.training_size,
                a.seasonality,
                *(v if v is None else round(v, 6) for v in (a.value, a.expected, a.lower, a.upper, a.score)),
            )
            for a in result.anomalies
        }

    duck = bands(duckdb_results[1])
    statuses = {band[0] for band in duck.values()}
    assert {"insufficient_history", "ok", "warn"} <= statuses  # learning, judged, and the empty fourth day
    assert bands(postgres_results[1]) == duck
    assert bands(spark_results[1]) == duck


@pytest.mark.parametrize("engine_name", ["duckdb", "postgres", "spark"])
def test_the_store_reads_back_a_metric_series_with_its_alerts_and_the_excluded_days(engine_name, request):
    from sqlmon.session import Session

    root, result = request.getfixturevalue(f"{engine_name}_results")
    expected = sorted(
        (r.window.start, r.value) for r in result.metrics if (r.monitor, r.metric) == ("rows_anomaly", "row_count")
    )
    alerted = {a.window_start for a in result.alerts if (a.monitor, a.metric) == ("rows_anomaly", "row_count")}
    assert alerted  # the empty fourth day: the threshold and the anomaly rule
    db = "parity" if engine_name == "spark" else "main"
    session = Session.open(root, read_only=True)
    try:
        series = session.store.series("rows_anomaly", ["row_count"])[(None, None, "row_count")]
        days = session.store.dates(f"{db}.holidays", "day")
    finally:
        session.engine.close()
    assert [(p.start, p.value) for p in series] == expected
    assert {p.start for p in series if p.alerted} == alerted
    assert days == {START.date()}


def _stored(root: Path, engine_name: str, postgres=None, spark=None) -> list[tuple]:
    """sqlmon_metrics as each engine reads it back, normalised for comparison."""
    query = "SELECT monitor, segment, column_name, metric, window_start, window_end, value FROM {schema}.sqlmon_metrics"
    if engine_name == "duckdb":
        import duckdb

        con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
        rows = con.execute(query.format(schema="sqlmon")).fetchall()
        con.close()
    elif engine_name == "postgres":
        with postgres.connect("parity") as con:
            rows = con.execute(query.format(schema="sqlmon")).fetchall()
    else:
        rows = [tuple(r) for r in spark.sql(query.format(schema="sqlmon_parity")).collect()]
    return sorted(
        (*(v if v is not None else "" for v in r[:4]), *r[4:6], None if r[6] is None else round(float(r[6]), 9))
        for r in rows
    )


def test_results_read_back_the_same_from_every_engine(duckdb_results, postgres_results, spark_results, postgres, spark):
    duck = _stored(duckdb_results[0], "duckdb")
    assert duck == _stored(postgres_results[0], "postgres", postgres=postgres)
    assert duck == _stored(spark_results[0], "spark", spark=spark)


@pytest.mark.parametrize("engine_name", ["postgres", "spark"])
def test_a_backfill_replaces_rows_without_duplicates(engine_name, request, postgres, spark):
    # on Spark (parquet, no DELETE) this rewrites the results tables without the replaced windows
    root, _ = request.getfixturevalue(f"{engine_name}_results")
    before = _stored(root, engine_name, postgres=postgres, spark=spark)
    # the last two windows again: their rows replaced, the first window's kept
    again = run(root, start=START + timedelta(days=1), end=END)
    assert again.status == "success", again.error
    assert _stored(root, engine_name, postgres=postgres, spark=spark) == before


def test_two_runs_at_once_on_one_postgres_results_schema_never_duplicate_rows(postgres, data, tmp_path):
    """First runs on a schema that does not exist yet, started together in threads (psycopg releases the GIL, so
    their statements interleave): both succeed, and every (monitor, column, segment, metric, window) is stored once."""
    import threading

    engines.load_postgres(postgres, "concurrent", _tables(data, "main"))
    results_schema = "sqlmon_concurrent"
    for trial in range(3):
        schema = f"{results_schema}_{trial}"
        roots = [
            _project(tmp_path / f"t{trial}_{i}", postgres.connection_yaml("concurrent"), "main", schema)
            for i in range(2)
        ]
        for root in roots:  # the rules of these two runs only: no profile baseline
            text = (root / "monitors" / "m.yml").read_text()
            (root / "monitors" / "m.yml").write_text(text.split("  - {name: drift_profile")[0] + MONITORS_TAIL)
        outcomes: list = [None, None]

        def go(i: int, root: Path, outcomes: list = outcomes) -> None:
            outcomes[i] = run(root, end=END)

        threads = [threading.Thread(target=go, args=(i, root)) for i, root in enumerate(roots)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [o.status for o in outcomes] == ["success", "success"], [o.error for o in outcomes]
        with postgres.connect("concurrent") as con:
            duplicated = con.execute(
                f'SELECT COUNT(*) FROM (SELECT monitor, column_name, segment, metric, window_start FROM "{schema}".'
                "sqlmon_metrics GROUP BY 1, 2, 3, 4, 5 HAVING COUNT(*) > 1) AS d"
            ).fetchone()
            runs = con.execute(f'SELECT COUNT(*) FROM "{schema}".sqlmon_runs').fetchone()
            alerts = con.execute(
                "SELECT COUNT(*) - COUNT(DISTINCT (monitor, column_name, segment, metric, window_start, rule))"
                f' FROM "{schema}".sqlmon_alerts'
            ).fetchone()
        assert duplicated == (0,) and alerts == (0,)
        assert runs == (2,)


MONITORS_TAIL = """  - {name: rows, type: volume, source: events}
  - {name: fresh_parallel, type: freshness, source: events}
"""


def test_a_wrong_password_never_shows_the_password(postgres, tmp_path, monkeypatch):
    monkeypatch.setenv("SQLMON_TEST_PG_PASSWORD", "not-the-password-42")
    root = _project(tmp_path / "p", postgres.connection_yaml("postgres"), "main")
    from click.testing import CliRunner

    from sqlmon.cli import main

    result = CliRunner().invoke(main, ["validate", "-p", str(root)])
    assert result.exit_code == 3
    assert "cannot connect to postgres://sqlmon@127.0.0.1" in result.stderr
    assert "not-the-password-42" not in result.output + result.stderr


def test_the_run_records_its_target_without_secrets(postgres_results, postgres):
    _, result = postgres_results
    with postgres.connect("parity") as con:
        [(target,)] = con.execute("SELECT target FROM sqlmon.sqlmon_runs WHERE run_id = %s", [result.run_id]).fetchall()
    assert target == "default (postgres)"
    assert postgres.password not in target


def test_a_missing_environment_variable_is_a_configuration_error(tmp_path, monkeypatch):
    monkeypatch.delenv("SQLMON_TEST_UNSET", raising=False)
    (tmp_path / "monitors").mkdir()
    (tmp_path / "sqlmon.yml").write_text(
        "targets:\n  dev: {type: duckdb}\n  prod:\n    type: postgres\n    password: ${SQLMON_TEST_UNSET}\n"
    )
    from sqlmon.config.loader import load_project
    from sqlmon.errors import ConfigError

    with pytest.raises(ConfigError) as raised:
        load_project(tmp_path, "prod")
    assert [str(p) for p in raised.value.problems] == [
        "sqlmon.yml:5: targets.prod.password: environment variable `SQLMON_TEST_UNSET` is not set "
        "(export SQLMON_TEST_UNSET=…, or write `${SQLMON_TEST_UNSET:-default}`)"
    ]


def _own_project(engine: str, request, folder: Path, tables: dict) -> Path:
    """A project of its own on `engine`, with `tables` loaded and its own results schema: a test that changes what is
    stored there changes nothing the module's fixtures hand to other tests."""
    (folder / "monitors").mkdir(parents=True)
    if engine == "duckdb":
        path = folder / "warehouse.duckdb"
        connection, db = f"connection: {{type: duckdb, path: '{path}'}}\n", "main"
        engines.load_duckdb(path, _tables(tables, db))
    elif engine == "postgres":
        server = request.getfixturevalue("postgres")
        connection, db = server.connection_yaml("own"), "main"
        engines.load_postgres(server, "own", _tables(tables, db))
    else:
        connection, db = "connection: {type: spark, master: 'local[2]'}\n", "own"
        engines.load_spark(request.getfixturevalue("spark"), db, _tables(tables, db))
    (folder / "sqlmon.yml").write_text(f"{connection}results_schema: sqlmon_own\n")
    sources = "".join(f"  - {{name: {name}, table: {db}.{name}}}\n" for name in tables)
    (folder / "monitors" / "m.yml").write_text(f"sources:\n{sources}")
    return folder


@pytest.mark.parametrize("engine", ["duckdb", "postgres", "spark"])
def test_a_frozen_profile_is_listed_shown_and_dropped_on_every_engine(engine, request, tmp_path):
    # a project of its own: dropping a profile must not take `train_profile` from the fixture's other tests
    tiny = {"tiny": ({"amount": "double", "country": "string"}, [(1.5, "DE"), (2.5, "FR"), (None, "DE")])}
    own = _own_project(engine, request, tmp_path / "own", tiny)
    assert baselines.listing(own, None)[0].startswith("No baseline profiles yet")
    baselines.create(own, None, "tiny_profile", "tiny", None, None)
    assert any(line.startswith("tiny_profile  1  ") for line in baselines.listing(own, None))
    shown = baselines.show(own, None, "tiny_profile", None)
    assert any(line.startswith("amount  ") and "median" in line for line in shown)
    assert baselines.drop(own, None, "tiny_profile", 1) == "Dropped 1 version(s) of baseline profile `tiny_profile`."
    assert baselines.listing(own, None)[0].startswith("No baseline profiles yet")
    root, _ = request.getfixturevalue(f"{engine}_results")
    assert any(line.startswith("train_profile  1  ") for line in baselines.listing(root, None))


@pytest.mark.parametrize("engine_name", ["duckdb", "postgres", "spark"])
def test_the_store_reads_a_metrics_history_back_oldest_first(engine_name, request):
    from sqlmon.session import Session

    root, result = request.getfixturevalue(f"{engine_name}_results")
    row = next(r for r in result.metrics if r.window is not None and r.segment is None and r.column is not None)
    same = sorted(
        (r.window.start, r.value)
        for r in result.metrics
        if (r.monitor, r.column, r.segment, r.metric) == (row.monitor, row.column, None, row.metric) and r.window
    )
    assert len(same) == 3  # the fixture's three daily windows: `before` cuts the newest, `limit` the oldest
    session = Session.open(root, read_only=True)
    try:
        history = session.store.history(row.monitor, row.column, None, row.metric, before=same[-1][0], limit=1)
        whole = session.store.history(row.monitor, row.column, None, row.metric, before=END, limit=1000)
    finally:
        session.engine.close()
    assert [start for start, _ in history] == [same[1][0]]
    assert [v for _, v in history] == pytest.approx([same[1][1]], rel=1e-12)
    assert [start for start, _ in whole] == [start for start, _ in same]


# --- what every engine shares: driver errors wrapped the same way (sqlmon.engines.base) ------------------------------


def _engine(request, name: str):
    from sqlmon.config.loader import load_project
    from sqlmon.engines import connect

    root, _ = request.getfixturevalue(f"{name}_results")
    return connect(load_project(root))


PREFIXES = [("duckdb", "DuckDB: "), ("postgres", "PostgreSQL: "), ("spark", "Spark: ")]


@pytest.mark.parametrize(("name", "prefix"), PREFIXES)
def test_a_failing_statement_names_the_engine_and_the_statement(name, prefix, request):
    from sqlmon.errors import EngineError

    with _engine(request, name) as engine, pytest.raises(EngineError) as raised:
        engine.query("SELECT no_such_column FROM (SELECT 1 AS x) AS t")
    message = str(raised.value)
    assert message.startswith(prefix) and "no_such_column" in message.splitlines()[0]
    assert message.endswith("\nwhile running:\nSELECT no_such_column FROM (SELECT 1 AS x) AS t")
    assert raised.value.__suppress_context__  # the driver's traceback is not shown


def test_wrapped_errors_hide_secrets_and_let_sqlmon_errors_through():
    from sqlmon.engines.base import first_line, one_line, wrap_errors
    from sqlmon.errors import EngineError

    spark = wrap_errors("Spark", ["s3cret"], text=first_line, during="while running:\nSELECT 1")
    with pytest.raises(EngineError, match=r"^Spark: bad \*\*\* here\nwhile running:\nSELECT 1$"), spark:
        raise RuntimeError("  bad s3cret here\n\tat org.apache.spark.Some(Frame.java)\n")
    with pytest.raises(EngineError, match=r"^dbt: a b c$"), wrap_errors("dbt", text=one_line):
        raise RuntimeError("a\n   b   c\n")
    with pytest.raises(EngineError, match=r"^ours$"), wrap_errors("DuckDB"):
        raise EngineError("ours")
    with pytest.raises(KeyError), wrap_errors("PostgreSQL", errors=ValueError):
        raise KeyError("not a driver error")


@pytest.mark.parametrize(
    ("name", "time_zone"),
    [
        ("duckdb", "SELECT current_setting('TimeZone')"),
        ("postgres", "SHOW TIME ZONE"),
        ("spark", "SELECT current_timezone()"),
    ],
)
def test_every_session_runs_in_utc(name, time_zone, request):
    with _engine(request, name) as engine:
        assert engine.query(time_zone) == [("UTC",)]


@pytest.mark.parametrize(("name", "kept"), [("duckdb", []), ("postgres", []), ("spark", [(1,)])])
def test_a_failed_transaction_is_rolled_back_where_the_engine_has_transactions(name, kept, request):
    schema = "sqlmon_parity" if name == "spark" else "sqlmon"
    with _engine(request, name) as engine:
        engine.execute(f"CREATE TABLE {schema}.tx_check (a INT)")
        try:
            with pytest.raises(RuntimeError), engine.transaction():
                engine.execute(f"INSERT INTO {schema}.tx_check VALUES (1)")
                raise RuntimeError("a failure inside the transaction")
            assert engine.query(f"SELECT a FROM {schema}.tx_check") == kept  # Spark has no transactions
            with engine.transaction():
                engine.execute(f"INSERT INTO {schema}.tx_check VALUES (2)")
            assert engine.query(f"SELECT a FROM {schema}.tx_check WHERE a = 2") == [(2,)]
        finally:
            engine.execute(f"DROP TABLE {schema}.tx_check")


# each runs for minutes uncancelled, but not for ever: a cancel that does not work fails the test, not the suite
SLOW = {
    "duckdb": ("SELECT SUM(range % 7) FROM range(100000000000)", "statement cancelled after 1 s"),
    "postgres": ("SELECT pg_sleep(60)", "PostgreSQL: canceling statement due to statement timeout"),
}


@pytest.mark.parametrize("name", list(SLOW))
def test_statement_timeout_cancels_a_long_statement_on_duckdb_and_postgres(name, request):
    import time

    from sqlmon.config.loader import load_project
    from sqlmon.engines import REGISTRY
    from sqlmon.errors import EngineError

    root, _ = request.getfixturevalue(f"{name}_results")
    project = load_project(root)
    spec = project.connection.model_copy(update={"statement_timeout": 1})
    statement, message = SLOW[name]
    with REGISTRY.get(spec.type).open(spec, root, secrets=project.secrets) as engine:
        started = time.monotonic()
        with pytest.raises(EngineError) as raised:
            engine.query(statement)
        assert time.monotonic() - started < 20  # the statement alone would run for minutes
        assert message in str(raised.value)
        assert engine.query("SELECT 1") == [(1,)]  # the session goes on
