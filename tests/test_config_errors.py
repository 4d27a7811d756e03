"""Bad configurations, and the exact error each one gets.

Every problem names its file, line and key, says what is wrong and how to fix it. Each test builds a real project
(tests/conftest.py), runs `sqlmon validate` and compares the problems it prints, word for word. `--offline` tests
look at the YAML alone; the others also read the tables in the project's DuckDB file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sqlmon.cli import main
from sqlmon.monitors import registry
from tests.conftest import PROJECT_YML, query

WAREHOUSE = [
    "CREATE TABLE main.events (id INTEGER, amount DOUBLE, country VARCHAR, score DOUBLE, scored_at TIMESTAMP,"
    " day DATE, created VARCHAR)",
    "INSERT INTO main.events VALUES (1, 2.5, 'DE', 0.9, '2026-01-01 10:00', '2026-01-01', '2026-01-01')",
    "CREATE TABLE main.training (id INTEGER, amount DOUBLE, country VARCHAR)",
    "INSERT INTO main.training VALUES (1, 2.0, 'DE')",
]
KINDS = ", ".join(sorted(registry.kinds()))


def problems(root: Path, *args: str, command: str = "validate") -> list[str]:
    """Run a command that must refuse the project (exit 2); return the problems it lists on stderr."""
    result = CliRunner().invoke(main, [command, "-p", str(root), *args])
    assert result.exit_code == 2, result.output
    header, *lines = result.stderr.splitlines()
    assert header == f"Invalid configuration ({len(lines)} problem{'s' if len(lines) != 1 else ''}):"
    assert result.stdout == ""
    assert all(line.startswith("  ") for line in lines)
    return [line[2:] for line in lines]


def offline(root: Path) -> list[str]:
    return problems(root, "--offline")


# --- keys ----------------------------------------------------------------------------------------------------------


def test_a_misspelled_key_gets_a_suggestion(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            type: null_rate
            source: events
            treshold:
              null_rate: {warn: 0.1}
        """)
    assert offline(root) == [
        "monitors/monitors.yml:8: monitors[0].treshold: unknown key `treshold` (did you mean `thresholds`?)"
    ]


def test_an_unknown_key_with_no_near_match_lists_the_allowed_keys(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            type: null_rate
            source: events
            team: data-team
        """)
    assert offline(root) == [
        "monitors/monitors.yml:8: monitors[0].team: unknown key `team` (allowed keys: name, type, source, "
        "description, enabled, baseline, thresholds, segment_by, max_segments, owner, tags, columns, nan_as_null, "
        "anomaly, trend)"
    ]


def test_an_unknown_top_level_key_in_a_monitor_file(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitor:
          - name: nulls
            type: null_rate
            source: events
        """)
    assert offline(root) == ["monitors/monitors.yml:4: monitor: unknown key `monitor` (did you mean `monitors`?)"]


def test_an_unknown_key_in_sqlmon_yml(make_project):
    root = make_project("", project_yml=PROJECT_YML + "result_schema: monitoring\n")
    assert offline(root) == [
        "sqlmon.yml:7: result_schema: unknown key `result_schema` (did you mean `results_schema`?)"
    ]


def test_an_unknown_key_in_a_source(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
            timestamp_column: scored_at
        """)
    assert offline(root) == [
        "monitors/monitors.yml:4: sources[0].timestamp_column: unknown key `timestamp_column` "
        "(did you mean `timestamp`?)"
    ]


def test_a_duplicate_key_in_one_mapping_names_both_lines(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            type: null_rate
            source: events
            type: feature_drift
        """)
    assert offline(root) == [
        "monitors/monitors.yml:8: type: duplicate key `type` (first given on line 6) (remove one of them)"
    ]


# --- values and types ----------------------------------------------------------------------------------------------


def test_a_string_where_a_whole_number_is_expected(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
            baseline: {table: main.training}
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [amount]
            bins: ten
        """)
    assert offline(root) == [
        "monitors/monitors.yml:10: monitors[0].bins: Input should be a valid integer, unable to parse string as an "
        "integer (got `ten`)"
    ]


def test_a_list_where_one_name_is_expected(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
            baseline: {table: main.training}
        monitors:
          - name: scores
            type: prediction_histogram
            source: events
            column: [score, amount]
        """)
    assert offline(root) == ["monitors/monitors.yml:9: monitors[0].column: Input should be a valid string (got a list)"]


def test_a_text_where_a_list_is_expected_in_sqlmon_yml(make_project):
    root = make_project("", project_yml=PROJECT_YML.replace("monitor_paths: [monitors]", "monitor_paths: monitors"))
    assert offline(root) == ["sqlmon.yml:6: monitor_paths: Input should be a valid list (got `monitors`)"]


def test_an_unsupported_connection_type(make_project):
    root = make_project("", project_yml=PROJECT_YML.replace("type: duckdb", "type: oracle"))
    assert offline(root) == ["sqlmon.yml:3: connection.type: unknown type `oracle` (known: duckdb, postgres, spark)"]


def test_a_monitor_name_must_be_an_identifier(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: event-nulls
            type: null_rate
            source: events
        """)
    assert offline(root) == [
        "monitors/monitors.yml:5: monitors[0].name: `event-nulls` is not a valid name: use letters, digits and `_`, "
        "not starting with a digit (did you mean `event_nulls`?)"
    ]


def test_a_monitor_item_must_be_a_mapping(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - nulls
        """)
    assert offline(root) == [
        "monitors/monitors.yml:5: monitors[0]: expected a mapping of keys to values (`- name: ...`)"
    ]


# --- monitor types, required keys, references ------------------------------------------------------------------------


def test_an_unknown_monitor_type_suggests_the_near_miss_and_lists_the_known_ones(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            type: null_rates
            source: events
        """)
    assert offline(root) == [
        f"monitors/monitors.yml:6: monitors[0].type: unknown monitor type `null_rates` (did you mean `null_rate`? "
        f"known types: {KINDS})"
    ]


def test_an_unknown_monitor_type_with_no_near_miss_lists_the_known_ones(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: heartbeat
            type: heartbeat
            source: events
        """)
    assert offline(root) == [
        f"monitors/monitors.yml:6: monitors[0].type: unknown monitor type `heartbeat` (known types: {KINDS})"
    ]


def test_a_monitor_without_type(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            source: events
        """)
    assert offline(root) == [f"monitors/monitors.yml:5: monitors[0]: missing required key `type` (one of: {KINDS})"]


def test_a_monitor_without_source(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            type: null_rate
        """)
    assert offline(root) == ["monitors/monitors.yml:5: monitors[0].source: missing required key `source` (add it)"]


def test_an_unknown_source_gets_a_suggestion(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            type: null_rate
            source: event
        """)
    assert offline(root) == [
        "monitors/monitors.yml:7: monitors[0].source: unknown source `event` (did you mean `events`?)"
    ]


def test_an_unknown_source_with_no_near_match_lists_the_declared_ones(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
          - name: training
            table: main.training
        monitors:
          - name: nulls
            type: null_rate
            source: predictions
        """)
    assert offline(root) == [
        "monitors/monitors.yml:9: monitors[0].source: unknown source `predictions` (declared sources: events, training)"
    ]


def test_duplicate_monitor_names_across_two_files_name_both_places(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            type: null_rate
            source: events
        """)
    (root / "monitors" / "other.yml").write_text(
        "monitors:\n  - name: nulls\n    type: null_rate\n    source: events\n"
    )
    assert offline(root) == [  # files load in name order, so the one in other.yml is the duplicate
        "monitors/other.yml:2: monitors[0].name: duplicate monitor name `nulls` (first declared at "
        "monitors/monitors.yml:5) (give each monitor a unique name)"
    ]


def test_duplicate_source_names(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
          - name: events
            table: main.training
        """)
    assert offline(root) == [
        "monitors/monitors.yml:4: sources[1].name: duplicate source name `events` (first declared at "
        "monitors/monitors.yml:2) (give each source a unique name)"
    ]


# --- YAML syntax ---------------------------------------------------------------------------------------------------


def test_invalid_yaml_names_the_line_of_the_error(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            type: null_rate: true
        """)
    assert offline(root) == [
        "monitors/monitors.yml:6: invalid YAML: mapping values are not allowed here (fix the syntax)"
    ]


def test_an_unclosed_bracket_points_at_where_it_opens(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            type: null_rate
            source: events
            columns: [amount, country
        """)
    assert offline(root) == [
        "monitors/monitors.yml:8: invalid YAML: expected ',' or ']', but got '<stream end>', while parsing a flow "
        "sequence that starts on line 8 (fix the syntax)"
    ]


# --- thresholds ----------------------------------------------------------------------------------------------------

NULLS_WITH = """\
sources:
  - name: events
    table: main.events
monitors:
  - name: nulls
    type: null_rate
    source: events
    thresholds:
      {rule}
"""


def test_a_warn_level_above_the_error_level(make_project):
    root = make_project(NULLS_WITH.format(rule="null_rate: {warn: 0.5, error: 0.1}"))
    assert offline(root) == [
        "monitors/monitors.yml:9: monitors[0].thresholds.null_rate: `warn` (0.5) is above `error` (0.1); "
        "with direction above, warn ≤ error"
    ]


def test_a_warn_level_below_the_error_level_when_low_values_alert(make_project):
    root = make_project(NULLS_WITH.format(rule="row_count: {warn: 10, error: 100, direction: below}"))
    assert offline(root) == [
        "monitors/monitors.yml:9: monitors[0].thresholds.row_count: `warn` (10.0) is below `error` (100.0); "
        "with direction below, warn ≥ error"
    ]


def test_a_number_and_a_range_mixed_in_one_rule(make_project):
    root = make_project(NULLS_WITH.format(rule="null_rate: {warn: 0.1, error: [0, 0.5]}"))
    assert offline(root) == [
        "monitors/monitors.yml:9: monitors[0].thresholds.null_rate: `warn` and `error` must both be numbers or both "
        "be [low, high] ranges"
    ]


def test_a_range_with_low_above_high(make_project):
    root = make_project(NULLS_WITH.format(rule="row_count: {error: [1000, 10]}"))
    assert offline(root) == [
        "monitors/monitors.yml:9: monitors[0].thresholds.row_count: the `error` range [1000.0, 10.0] has low above high"
    ]


def test_a_level_written_as_a_word(make_project):
    root = make_project(NULLS_WITH.format(rule="null_rate: {warn: high}"))
    assert offline(root) == [
        "monitors/monitors.yml:9: monitors[0].thresholds.null_rate.warn: a level is a number, a duration such as "
        "`6 hours` (for metrics in seconds) or a [low, high] pair, not `high`"
    ]


def test_a_rule_with_no_level(make_project):
    root = make_project(NULLS_WITH.format(rule="null_rate: {direction: below}"))
    assert offline(root) == ["monitors/monitors.yml:9: monitors[0].thresholds.null_rate: give `warn`, `error` or both"]


def test_a_threshold_on_a_misspelled_metric(make_project):
    root = make_project(NULLS_WITH.format(rule="null_ratio: {warn: 0.1}"))
    assert offline(root) == [
        "monitors/monitors.yml:9: monitors[0].thresholds.null_ratio: `null_rate` has no metric `null_ratio` "
        "(did you mean `null_rate`? its metrics: row_count, null_count, null_rate)"
    ]


def test_a_threshold_on_a_metric_of_another_kind(make_project):
    root = make_project(NULLS_WITH.format(rule="psi: {warn: 0.1}"))
    assert offline(root) == [
        "monitors/monitors.yml:9: monitors[0].thresholds.psi: `null_rate` has no metric `psi` "
        "(its metrics: row_count, null_count, null_rate)"
    ]


# --- windows and baselines -----------------------------------------------------------------------------------------


def test_a_window_without_a_timestamp(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
            window: 1 day
        """)
    assert offline(root) == [
        "monitors/monitors.yml:4: sources[0].window: `window` needs `timestamp`: the column that windows are cut on"
    ]


def test_a_duration_in_an_unknown_unit(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
            timestamp: scored_at
            window: 1 fortnight
        """)
    assert offline(root) == [
        "monitors/monitors.yml:5: sources[0].window: `1 fortnight` is not a duration; write a positive whole number "
        "and a unit, e.g. `1 day`, `6 hours`"
    ]


def test_feature_drift_with_no_baseline_on_the_monitor_or_its_source(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [amount]
        """)
    assert offline(root) == [
        "monitors/monitors.yml:5: monitors[0]: `feature_drift` compares against a baseline, and none is set "
        "(add `baseline: {table: ...}` or `baseline: {previous: 7 days}` to source `events` or to this monitor)"
    ]


def test_a_previous_baseline_on_a_source_without_timestamp(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
            baseline: {previous: 7 days}
        """)
    assert offline(root) == [
        "monitors/monitors.yml:4: sources[0].baseline: a `previous` baseline needs `timestamp` and `window` on the "
        "source"
    ]


def test_a_previous_baseline_on_a_monitor_whose_source_has_no_timestamp(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [amount]
            baseline:
              previous: 7 days
        """)
    assert offline(root) == [
        "monitors/monitors.yml:9: monitors[0].baseline: a `previous` baseline needs a source with `timestamp` and "
        "`window`"
    ]


# --- the project and the command line ------------------------------------------------------------------------------


def test_a_monitor_paths_folder_that_does_not_exist(make_project):
    root = make_project("", project_yml=PROJECT_YML.replace("[monitors]", "[monitors, checks]"))
    assert offline(root) == ["sqlmon.yml:6: monitor_paths: folder `checks` does not exist (create it or fix the path)"]


def test_select_of_an_unknown_monitor_source_or_type(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: event_nulls
            type: null_rate
            source: events
        """,
        setup_sql=WAREHOUSE,
    )
    selectors = ["--select", "event_null", "-s", "source:event", "-s", "type:nul_rate", "-s", "tag:daily"]
    assert problems(root, *selectors, command="run") == [
        "--select: `event_null` matches no monitor (did you mean `event_nulls`?)",
        "--select: `source:event` matches no monitor (did you mean `source:events`?)",
        "--select: `type:nul_rate` matches no monitor (did you mean `type:null_rate`?)",
        "--select: `tag:daily` matches no monitor (use a monitor name, source:NAME or type:KIND)",
    ]


def test_every_problem_in_a_file_is_reported_at_once(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
            window: 1 day
          - name: training
            table: main.training
        monitors:
          - name: nulls
            type: null_rate
            source: event
          - name: drift
            type: feature_drift
            source: training
            columns: [amount]
            tresholds: {}
          - name: shape
            type: schema_check
            source: events
          - name: nulls
            type: null_rate
            source: training
            thresholds:
              null_rate: {warn: 0.5, error: 0.2}
        """)
    assert offline(root) == [
        "monitors/monitors.yml:4: sources[0].window: `window` needs `timestamp`: the column that windows are cut on",
        "monitors/monitors.yml:10: monitors[0].source: unknown source `event` (declared sources: training)",
        "monitors/monitors.yml:15: monitors[1].tresholds: unknown key `tresholds` (did you mean `thresholds`?)",
        "monitors/monitors.yml:17: monitors[2].type: unknown monitor type `schema_check` (did you mean "
        f"`schema_contract`? known types: {KINDS})",
        "monitors/monitors.yml:23: monitors[3].thresholds.null_rate: `warn` (0.5) is above `error` (0.2); "
        "with direction above, warn ≤ error",
    ]


# --- against the warehouse -----------------------------------------------------------------------------------------


def test_a_table_that_does_not_exist(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.event
        monitors:
          - name: nulls
            type: null_rate
            source: events
          - name: more_nulls
            type: null_rate
            source: events
        """,
        setup_sql=WAREHOUSE,
    )
    assert problems(root) == [  # once, though two monitors read it
        "monitors/monitors.yml:3: sources[0].table: table `main.event` does not exist in the warehouse "
        "(did you mean `main.events`?)"
    ]


def test_a_column_missing_from_the_source_table_gets_a_suggestion(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            type: null_rate
            source: events
            columns: [id, amout]
        """,
        setup_sql=WAREHOUSE,
    )
    assert problems(root) == [
        "monitors/monitors.yml:8: monitors[0].columns[1]: column `amout` is not in source table main.events "
        "(did you mean `amount`?)"
    ]


def test_a_column_missing_from_the_baseline_table(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
            baseline:
              table: main.training
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns:
              - amount
              - score
        """,
        setup_sql=WAREHOUSE,
    )
    assert problems(root) == [
        "monitors/monitors.yml:12: monitors[0].columns[1]: column `score` is not in baseline table main.training "
        "(its columns: id, amount, country)"
    ]


def test_a_baseline_table_that_does_not_exist(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
            baseline:
              table: main.train
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [amount]
          - name: country_drift
            type: feature_drift
            source: events
            columns: [country]
        """,
        setup_sql=WAREHOUSE,
    )
    assert problems(root) == [  # once, though two monitors compare with it
        "monitors/monitors.yml:5: sources[0].baseline.table: baseline table `main.train` does not exist in the "
        "warehouse (did you mean `main.training`?)"
    ]


def test_a_timestamp_column_that_is_not_a_time(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
            timestamp: created
        monitors:
          - name: nulls
            type: null_rate
            source: events
        """,
        setup_sql=WAREHOUSE,
    )
    assert problems(root) == [
        "monitors/monitors.yml:4: sources[0].timestamp: column `created` has type VARCHAR; windows need a date or "
        "timestamp column"
    ]


def test_a_timestamp_column_that_does_not_exist(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
            timestamp: scored_on
        monitors:
          - name: nulls
            type: null_rate
            source: events
        """,
        setup_sql=WAREHOUSE,
    )
    assert problems(root) == [
        "monitors/monitors.yml:4: sources[0].timestamp: column `scored_on` is not in table main.events "
        "(did you mean `scored_at`?)"
    ]


def test_feature_drift_cannot_compare_a_date_column(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
            baseline: {table: main.events}
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [amount, day]
        """,
        setup_sql=WAREHOUSE,
    )
    assert problems(root) == [
        "monitors/monitors.yml:9: monitors[0].columns[1]: column `day` has type DATE, which feature_drift cannot "
        "compare (use numeric, string or boolean columns)"
    ]


def test_a_prediction_histogram_needs_a_numeric_score(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
            baseline: {table: main.events}
        monitors:
          - name: scores
            type: prediction_histogram
            source: events
            column: country
        """,
        setup_sql=WAREHOUSE,
    )
    assert problems(root) == [
        "monitors/monitors.yml:9: monitors[0].column: column `country` has type VARCHAR; a score column must be numeric"
    ]


def test_every_warehouse_problem_is_reported_at_once(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
            timestamp: created
            baseline: {table: main.training}
          - name: gone
            table: main.gone
        monitors:
          - name: nulls
            type: null_rate
            source: gone
          - name: drift
            type: feature_drift
            source: events
            columns: [amount, country, score]
          - name: scores
            type: prediction_histogram
            source: events
            column: country
        """,
        setup_sql=WAREHOUSE,
    )
    assert problems(root) == [  # in file and line order
        "monitors/monitors.yml:4: sources[0].timestamp: column `created` has type VARCHAR; windows need a date or "
        "timestamp column",
        "monitors/monitors.yml:7: sources[1].table: table `main.gone` does not exist in the warehouse "
        "(check the name, including its schema)",
        "monitors/monitors.yml:15: monitors[1].columns[2]: column `score` is not in baseline table main.training "
        "(its columns: id, amount, country)",
        "monitors/monitors.yml:19: monitors[2].column: column `country` has type VARCHAR; a score column must be "
        "numeric",
    ]


# --- an invalid project writes nothing -----------------------------------------------------------------------------


def results_tables(root: Path) -> list[tuple]:
    return query(root, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'sqlmon'")


def test_a_run_refused_for_invalid_yaml_writes_nothing(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            type: null_rate
            source: events
            treshold: {}
        """,
        setup_sql=WAREHOUSE,
    )
    assert problems(root, command="run") == [
        "monitors/monitors.yml:8: monitors[0].treshold: unknown key `treshold` (did you mean `thresholds`?)"
    ]
    assert results_tables(root) == []


def test_a_run_refused_for_a_missing_column_writes_nothing(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: nulls
            type: null_rate
            source: events
            columns: [amount, label]
        """,
        setup_sql=WAREHOUSE,
    )
    assert problems(root, "--end", "2026-01-02", command="run") == [
        "monitors/monitors.yml:8: monitors[0].columns[1]: column `label` is not in source table main.events "
        "(its columns: id, amount, country, score, scored_at, day, created)"
    ]
    assert results_tables(root) == []


def test_a_range_rule_with_a_direction(make_project):
    root = make_project(NULLS_WITH.format(rule="null_rate: {warn: [0.1, 0.2], direction: below}"))
    assert offline(root) == [
        "monitors/monitors.yml:9: monitors[0].thresholds.null_rate: `direction` applies to single levels; "
        "a [low, high] range alerts outside it either way"
    ]


def test_numbers_in_exponent_form_are_numbers(make_project):
    root = make_project(NULLS_WITH.format(rule="null_rate: {warn: 1e-4, error: 2E-2}"), setup_sql=WAREHOUSE)
    result = CliRunner().invoke(main, ["validate", "-p", str(root)])
    assert result.exit_code == 0, result.output


def test_a_column_typed_differently_in_the_baseline_table(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
            baseline:
              table: main.training_text
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [amount]
        """,
        setup_sql=[*WAREHOUSE, "CREATE TABLE main.training_text (amount VARCHAR)"],
    )
    assert problems(root) == [
        "monitors/monitors.yml:10: monitors[0].columns[0]: column `amount` is DOUBLE in main.events but VARCHAR in "
        "baseline table main.training_text; both sides must be numeric, or both not (cast one side in a view, or "
        "compare against a baseline with the same types)"
    ]


def test_a_categorical_column_typed_differently_in_the_baseline(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
            baseline: {table: main.training_double}
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [id]
            categorical: [id]
        """,
        setup_sql=[*WAREHOUSE, "CREATE TABLE main.training_double (id DOUBLE)"],
    )
    assert problems(root) == [
        "monitors/monitors.yml:9: monitors[0].columns[0]: categorical column `id` is integer here but float in the "
        "baseline (give both sides the same type, e.g. cast one side in a view)"
    ]


def test_backfill_on_a_source_without_timestamp(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
            backfill: 7 days
        """
    )
    assert offline(root) == [
        "monitors/monitors.yml:4: sources[0].backfill: `backfill` needs `timestamp`: the column that windows are cut on"
    ]


def test_a_nan_level_never_alerts_so_it_is_refused(make_project):
    root = make_project(NULLS_WITH.format(rule="null_rate: {warn: .nan}"))
    assert offline(root) == [
        "monitors/monitors.yml:9: monitors[0].thresholds.null_rate.warn: a level cannot be NaN: it would never alert"
    ]


def test_a_null_rate_monitor_with_an_empty_column_list(make_project):
    root = make_project(NULLS_WITH.format(rule="{}").replace("    thresholds:\n      {}\n", "    columns: []\n"))
    [problem] = offline(root)
    assert problem.startswith("monitors/monitors.yml:8: monitors[0].columns: ")


TARGETS = """\
target: dev
targets:
  dev: {type: duckdb, path: dev.duckdb}
  prod: {type: postgres, host: db.internal, password: "${SQLMON_TEST_PW:-unset}"}
monitor_paths: [monitors]
"""


def test_targets_default_to_target_and_dash_dash_target_picks_another(make_project):
    from sqlmon.config.loader import load_project

    root = make_project("", project_yml=TARGETS)
    assert load_project(root).connection.type == "duckdb"
    prod = load_project(root, "prod")
    assert (prod.target, prod.connection.type, prod.connection.host) == ("prod", "postgres", "db.internal")


def test_an_unknown_target_is_named_with_a_suggestion(make_project):
    root = make_project("", project_yml=TARGETS)
    assert problems(root, "--offline", "--target", "prd") == [
        "sqlmon.yml:2: --target: no target `prd` in sqlmon.yml (did you mean `prod`?)"
    ]


def test_explicit_edges_for_a_column_that_is_not_numeric(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
            baseline: {table: main.training}
        monitors:
          - name: drift
            type: feature_drift
            source: events
            columns: [amount, country]
            edges: {country: [1, 2]}
        """,
        setup_sql=WAREHOUSE,
    )
    assert problems(root) == [
        "monitors/monitors.yml:10: monitors[0].edges.country: `country` is not a numeric column of this monitor "
        "(give edges only for numeric columns listed under `columns`)"
    ]


def test_explicit_edges_must_increase(make_project):
    root = make_project(
        """\
        sources:
          - {name: events, table: main.events, baseline: {table: main.training}}
        monitors:
          - {name: drift, type: feature_drift, source: events, columns: [amount], edges: {amount: [3, 1]}}
        """
    )
    assert offline(root) == [
        "monitors/monitors.yml:4: monitors[0].edges: `edges` of `amount` must be a non-empty list of strictly "
        "increasing numbers"
    ]


# --- labels joined from a table of their own ------------------------------------------------------------------------

LABELS = [
    *WAREHOUSE,
    "CREATE TABLE main.outcomes (event_id INTEGER, is_fraud BOOLEAN, reason VARCHAR, labelled_at TIMESTAMP)",
]


def test_a_labels_table_that_does_not_exist(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: quality
            type: model_performance
            source: events
            task: classification
            prediction: score
            label: is_fraud
            labels: {table: main.outcome, key: {id: event_id}}
        """,
        setup_sql=LABELS,
    )
    assert problems(root) == [
        "monitors/monitors.yml:11: monitors[0].labels.table: labels table `main.outcome` does not exist in the "
        "warehouse (check the name, including its schema)"
    ]


def test_a_key_column_missing_on_either_side(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: quality
            type: model_performance
            source: events
            task: classification
            prediction: score
            label: is_fraud
            labels:
              table: main.outcomes
              key: [id]
          - name: calib
            type: calibration
            source: events
            prediction: score
            label: is_fraud
            labels:
              table: main.outcomes
              key:
                event_id: event_id
        """,
        setup_sql=LABELS,
    )
    assert problems(root) == [
        "monitors/monitors.yml:13: monitors[0].labels.key[0]: column `id` is not in labels table main.outcomes "
        "(its columns: event_id, is_fraud, reason, labelled_at)",
        "monitors/monitors.yml:22: monitors[1].labels.key.event_id: column `event_id` is not in source table "
        "main.events (its columns: id, amount, country, score, scored_at, day, created)",
    ]


def test_a_label_column_missing_from_the_labels_table(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: quality
            type: model_performance
            source: events
            task: classification
            prediction: score
            label: is_fraudulent
            labels: {table: main.outcomes, key: {id: event_id}, timestamp: labeled_at}
        """,
        setup_sql=LABELS,
    )
    assert problems(root) == [
        "monitors/monitors.yml:10: monitors[0].label: column `is_fraudulent` is not in labels table main.outcomes "
        "(did you mean `is_fraud`?)",
        "monitors/monitors.yml:11: monitors[0].labels.timestamp: column `labeled_at` is not in labels table "
        "main.outcomes (did you mean `labelled_at`?)",
    ]


def test_a_label_of_the_wrong_type_in_the_labels_table(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: quality
            type: model_performance
            source: events
            task: regression
            prediction: score
            label: reason
            labels: {table: main.outcomes, key: {id: event_id}}
        """,
        setup_sql=LABELS,
    )
    assert problems(root) == [
        "monitors/monitors.yml:10: monitors[0].label: column `reason` has type VARCHAR; a regression label must be "
        "integer or float or decimal"
    ]


def test_join_keys_of_types_that_cannot_be_compared(make_project):
    root = make_project(
        """\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: quality
            type: model_performance
            source: events
            task: classification
            prediction: score
            label: is_fraud
            labels:
              table: main.outcomes
              key: {country: event_id}
        """,
        setup_sql=LABELS,
    )
    assert problems(root) == [
        "monitors/monitors.yml:13: monitors[0].labels.key.country: key column `country` is VARCHAR in main.events "
        "but INTEGER in labels table main.outcomes; join keys must have comparable types (cast one side in a view)"
    ]


def test_an_empty_labels_key(make_project):
    root = make_project("""\
        sources:
          - name: events
            table: main.events
        monitors:
          - name: quality
            type: calibration
            source: events
            prediction: score
            label: is_fraud
            labels: {table: main.outcomes, key: []}
        """)
    assert offline(root) == ["monitors/monitors.yml:10: monitors[0].labels.key: give at least one key column"]


# --- the kinds that catch silent failures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("monitor", "expected"),
    [
        (
            "{name: v, type: validity, source: events, columns: {amount: {min: 10, max: 1}}}",
            "monitors[0].columns.amount: `min` (10) is above `max` (1)",
        ),
        (
            "{name: v, type: validity, source: events, columns: {email: {regex: '[a-'}}}",
            "monitors[0].columns.email.regex: `[a-` is not a regular expression: unterminated character set at "
            "position 0",
        ),
        (
            "{name: v, type: validity, source: events, columns: {email: {regex: '(?<=a)b'}}}",
            "monitors[0].columns.email.regex: `(?<=a)b` uses a lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`), which "
            "DuckDB and BigQuery (RE2) do not support; write the pattern without it",
        ),
        (
            "{name: v, type: validity, source: events, columns: {code: {accepted: [a]}}}",
            "monitors[0].columns.code.accepted: unknown key `accepted` (did you mean `accepted_values`?)",
        ),
        (
            "{name: v, type: validity, source: events, columns: {code: {}}}",
            "monitors[0].columns.code: give at least one rule: min, max, accepted_values, regex, min_length, "
            "max_length, not_null, unique",
        ),
        (
            "{name: v, type: validity, source: events, columns: {code: {unique: true}}, samples: 5}",
            "monitors[0]: `samples` needs `sample_key`: the columns that identify a failing row (only they are "
            "stored, never the row), e.g. `sample_key: [order_id]`",
        ),
        (
            "{name: v, type: validity, source: events, columns: {code: {unique: true}}, samples: -1, sample_key: [id]}",
            "monitors[0].samples: Input should be greater than or equal to 0 (got `-1`)",
        ),
        (
            "{name: f, type: freshness, source: events, warn_after: 2 days, error_after: 1 day}",
            "monitors[0]: `warn_after` is longer than `error_after`; the warning must come first",
        ),
        (
            "{name: f, type: freshness, source: events, expected_by: 9am}",
            'monitors[0].expected_by: write a local time as `HH:MM` in quotes, e.g. `expected_by: "09:00"`, not `9am`',
        ),
        (
            "{name: f, type: freshness, source: events, expected_by: '09:00', timezone: Mars/Olympus}",
            "monitors[0].timezone: `Mars/Olympus` is not a time zone; write an IANA name such as `Europe/Berlin` or"
            " `UTC`",
        ),
        (
            "{name: f, type: freshness, source: plain}",
            "monitors[0].type: freshness needs a time column, and source `plain` has no `timestamp` (add `column: <a "
            "timestamp column>` to the monitor, or `timestamp:` to the source)",
        ),
    ],
)
def test_a_bad_rule_of_the_new_kinds_names_its_key_and_the_fix(make_project, monitor, expected):
    root = make_project(f"""\
        sources:
          - {{name: events, table: main.events, timestamp: ts}}
          - {{name: plain, table: main.events}}
        monitors:
          - {monitor}
        """)
    assert offline(root) == [f"monitors/monitors.yml:5: {expected}"]


# --- hostile files: a clear problem with the file and line, never a traceback ----------------------------------------
HOSTILE_MONITOR = """\
sources:
  - {name: events, table: main.events}
monitors:
  - {name: nulls, type: null_rate, source: events}
"""


def test_a_byte_that_is_not_utf8_names_the_file_line_and_column(make_project):
    root = make_project(HOSTILE_MONITOR)
    (root / "monitors" / "latin1.yml").write_bytes(b"# caf\xe9\nmonitors: []\n")
    assert offline(root) == ["monitors/latin1.yml:1: not UTF-8: byte 0xe9 in column 6 (save the file as UTF-8)"]


def test_yaml_nested_thousands_of_levels_deep_is_refused(make_project):
    root = make_project(HOSTILE_MONITOR)
    (root / "monitors" / "deep.yml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert offline(root) == ["monitors/deep.yml:1: nested more than 100 levels deep (flatten the document)"]


def test_yaml_nested_thousands_of_lines_deep_names_the_line_it_passes_the_limit(make_project):
    root = make_project(HOSTILE_MONITOR)
    (root / "monitors" / "deep.yml").write_text("".join(f"{' ' * i}k{i}:\n" for i in range(3000)) + " " * 3000 + "x\n")
    assert offline(root) == ["monitors/deep.yml:101: nested more than 100 levels deep (flatten the document)"]


def test_an_alias_bomb_is_refused_at_once(make_project):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]  # 9^12 values once expanded
    root = make_project(HOSTILE_MONITOR)
    (root / "monitors" / "bomb.yml").write_text("\n".join(lines) + "\n")
    assert offline(root) == [
        "monitors/bomb.yml:6: expands to more than 100,000 values through YAML aliases (write the values out, or"
        " use fewer `*alias` references)"
    ]


def test_yes_is_not_a_boolean(make_project):
    root = make_project(HOSTILE_MONITOR.replace("source: events}", "source: events, enabled: yes}"))
    assert offline(root) == ["monitors/monitors.yml:4: monitors[0].enabled: write true or false, not `yes`"]


@pytest.mark.parametrize(
    ("connection", "problem"),
    [
        (
            "postgresql://user:S3cretPw@host:54x2/db",
            "sqlmon.yml:2: connection: the port in `url` is not a number from 1 to 65535",
        ),
        (
            "mysql://user:S3cretPw@host/db",
            "sqlmon.yml:2: connection: a connection URL starts with postgresql:// (`postgresql://user@host:5432/dbname`);"
            " other engines take their keys",
        ),
        (
            "{url: 'postgresql://user:S3cretPw@host/db?sslmod=require'}",
            "sqlmon.yml:2: connection: `url` has the parameter `sslmod`; it takes sslmode and connect_timeout",
        ),
        (
            "{url: 'postgresql://user:S3cretPw@host/db', password: '${PG_PASSWORD:-x}'}",
            "sqlmon.yml:2: connection: the password is given twice: keep `password: ${PG_PASSWORD}` beside `url`, not"
            " inside it",
        ),
        (
            "user:S3cretPw@host/db",
            "sqlmon.yml:2: connection: a connection is a mapping of keys, such as `{type: postgres, host: …, password:"
            " ${PG_PASSWORD}}`, or a PostgreSQL URL, `postgresql://user@host:5432/dbname`",
        ),
        (
            "[postgresql, S3cretPw]",
            "sqlmon.yml:2: connection: a connection is a mapping of keys, such as `{type: postgres, host: …, password:"
            " ${PG_PASSWORD}}` (or a PostgreSQL URL, `postgresql://user@host:5432/dbname` (docs/engines.md))",
        ),
    ],
    ids=["port", "scheme", "parameter", "password-twice", "no-scheme", "list"],
)
def test_an_invalid_connection_url_is_refused_without_repeating_its_password(make_project, connection, problem):
    project = PROJECT_YML.replace(
        "connection:\n  type: duckdb\n  path: warehouse.duckdb\n", f"connection: {connection}\n"
    )
    root = make_project(HOSTILE_MONITOR, project_yml=project)
    result = CliRunner().invoke(main, ["validate", "-p", str(root), "--offline"])
    assert result.exit_code == 2
    assert "S3cretPw" not in result.output
    assert "Connection" not in result.output  # no class name of ours either
    assert offline(root) == [problem]


def test_a_time_outside_the_years_sqlmon_computes_in_is_an_option_error(make_project):
    root = make_project(HOSTILE_MONITOR)
    result = CliRunner().invoke(main, ["run", "-p", str(root), "--end", "0001-01-02"])
    assert result.exit_code == 2
    assert "`0001-01-02` is outside the years 1900–9000 that sqlmon computes windows in" in result.output
    assert "Internal error" not in result.output
