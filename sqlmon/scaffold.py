"""`sqlmon init`: a new project with a commented example, ready for `sqlmon validate`."""

from __future__ import annotations

from pathlib import Path

from sqlmon.errors import ConfigError, ConfigProblem, Location

PROJECT_TEMPLATE = """\
# sqlmon project settings. Reference: docs/configuration.md
name: {name}

connection:
  type: duckdb                 # the embedded default; postgres and spark too (docs/engines.md)
  path: warehouse.duckdb       # relative to this folder
  # memory_limit: 4GB          # DuckDB spills to disk above this
  # threads: 4

results_schema: sqlmon         # where sqlmon_runs, sqlmon_metrics, sqlmon_histograms, sqlmon_alerts live
monitor_paths: [monitors]      # folders (or files) holding monitor YAML
"""

EXAMPLE_MONITORS = """\
# Sources are the tables to watch; monitors are the checks on them. Reference: docs/monitors.md
# Edit the table and column names, then run `sqlmon validate` and `sqlmon run`.
sources:
  - name: predictions
    table: main.predictions          # schema.table; or  file: data/predictions/*.parquet
    timestamp: scored_at             # windows are cut on this column
    window: 1 day                    # one set of metrics per day
    backfill: 7 days                 # how far back the first run reaches
    baseline:
      table: main.training_features  # or  previous: 7 days

monitors:
  - name: prediction_nulls
    type: null_rate
    source: predictions
    columns: all
    thresholds:
      null_rate: {warn: 0.01, error: 0.05}

  - name: input_drift
    type: feature_drift
    source: predictions
    columns: [amount, country]
    thresholds:
      psi: {warn: 0.1, error: 0.25}

  # - name: score_distribution
  #   type: prediction_histogram
  #   source: predictions
  #   column: score
  #
  # - name: predictions_contract
  #   type: schema_contract
  #   source: predictions
  #   columns: {amount: float, country: string, scored_at: timestamp}
"""


def init_project(folder: Path, name: str | None = None) -> list[Path]:
    """Write sqlmon.yml and monitors/example.yml; refuses to overwrite an existing project."""
    project_file = folder / "sqlmon.yml"
    example = folder / "monitors" / "example.yml"
    for path in (project_file, example):
        if path.exists():
            raise ConfigError(
                ConfigProblem(
                    Location(str(path)),
                    "",
                    "already exists; sqlmon init does not overwrite",
                    "choose an empty folder or remove the file",
                )
            )
    example.parent.mkdir(parents=True, exist_ok=True)
    project_file.write_text(PROJECT_TEMPLATE.format(name=name or folder.resolve().name or "sqlmon"), encoding="utf-8")
    example.write_text(EXAMPLE_MONITORS, encoding="utf-8")
    return [project_file, example]
