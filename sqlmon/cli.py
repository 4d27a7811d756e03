"""The `sqlmon` command line. Thin: parses options, calls the runner, prints, and maps outcomes to exit codes.

Exit codes: 0 ok, 1 alerts at or above --fail-on, 2 invalid configuration, 3 runtime or warehouse error.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any

import click

from sqlmon import __version__
from sqlmon.errors import ConfigError, ExitCode, SqlmonError, Terminated, redact

DATETIME_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _fail(message: str, code: ExitCode) -> None:
    click.echo(message, err=True)
    sys.exit(int(code))


def handle_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    """Every failure becomes a message and an exit code; a traceback only with SQLMON_DEBUG=1."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ConfigError as exc:
            from sqlmon.notify.not_started import config_message

            _fail(config_message(exc), ExitCode.INVALID_CONFIG)
        except SqlmonError as exc:
            _fail(f"Error: {exc}", exc.exit_code)
        except click.ClickException:  # a bad option value: click prints the usage error and exits 2
            raise
        except KeyboardInterrupt as exc:
            # a SIGTERM that lands inside a DuckDB statement comes back as DuckDB's interrupt: the flag tells them apart
            if isinstance(exc, Terminated) or _SIGNALLED["term"]:
                _fail("Terminated (SIGTERM); nothing stored for this run.", ExitCode.TERMINATED)
            _fail("Interrupted; nothing stored for this run.", ExitCode.INTERRUPTED)
        except Exception as exc:  # a bug in sqlmon: say so plainly, keep the traceback for those who ask
            if os.environ.get("SQLMON_DEBUG"):
                click.echo(redact(traceback.format_exc()), err=True, nl=False)
            _fail(
                f"Internal error: {type(exc).__name__}: {redact(str(exc))}\n"
                "This is a bug in sqlmon; rerun with SQLMON_DEBUG=1 for the traceback and report it.",
                ExitCode.RUNTIME_ERROR,
            )

    return wrapper


project_dir_option = click.option(
    "--project-dir",
    "-p",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with sqlmon.yml (default: the current folder or the nearest parent that has one).",
)
target_option = click.option(
    "--target",
    "-t",
    default=None,
    help="Which of `targets:` in sqlmon.yml to use (default: `target:`, else the first).",
)
dbt_target_option = click.option(
    "--target",
    "-t",
    default=None,
    help="Which of `targets:` in sqlmon.yml to use (default: `target:`, else the first); with --dbt-project, which"
    " target of the dbt profile (default: the profile's `target:`).",
)
dbt_project_option = click.option(
    "--dbt-project",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="A dbt project: connect with its profile's target, resolve `ref`/`source` through its manifest.",
)
profiles_dir_option = click.option(
    "--profiles-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with dbt's profiles.yml (default: $DBT_PROFILES_DIR, the dbt project, ~/.dbt).",
)


def _dbt_options(dbt_project: Path | None, profiles_dir: Path | None, target: str | None) -> Any:
    """--dbt-project's settings (then --target names the dbt target), or None."""
    if dbt_project is None:
        if profiles_dir is not None:
            raise click.BadParameter("goes with --dbt-project", param_hint="--profiles-dir")
        return None
    from sqlmon.dbt.target import DbtOptions

    return DbtOptions(dbt_project.resolve(), profiles_dir.resolve() if profiles_dir else None, target)


select_option = click.option(
    "--select",
    "-s",
    multiple=True,
    help="Monitor name, source:NAME or type:KIND; repeat to select several (default: all enabled monitors).",
)


fail_on_option = click.option(
    "--fail-on",
    type=click.Choice(["warn", "error", "never"]),
    default="error",
    show_default=True,
    help="Exit 1 when an alert reaches this severity.",
)


def _notifier_name(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from sqlmon.notify.base import REGISTRY

    if value not in REGISTRY:
        raise click.BadParameter(f"no format `{value}`; known: {', '.join(REGISTRY.names())}")
    return value


format_option = click.option(
    "--format",
    "output_format",
    default="text",
    show_default=True,
    metavar="FORMAT",
    callback=_notifier_name,
    help="text for people; json (run id, metrics, alerts, exit code) for machines; or an installed notifier.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sqlmon")
def main() -> None:
    """sqlmon: monitors for ML models and data pipelines, compiled to SQL that runs inside your warehouse.

    Exit codes: 0 ok, 1 alerts at or above --fail-on, 2 invalid configuration, 3 runtime or warehouse error.
    """
    signal.signal(signal.SIGTERM, _terminate)


_SIGNALLED = {"term": False}


def _terminate(signum: int, frame: Any) -> None:
    _SIGNALLED["term"] = True
    raise Terminated()


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", default=None, help="Project name (default: the folder's name).")
@handle_errors
def init(directory: Path, name: str | None) -> None:
    """Create a project in DIRECTORY: sqlmon.yml and a commented monitors/example.yml."""
    from sqlmon.scaffold import init_project

    for path in init_project(directory, name):
        click.echo(f"created {path}")
    click.echo("Next: edit monitors/example.yml, then `sqlmon validate` and `sqlmon run`.")


@main.command()
@project_dir_option
@dbt_target_option
@dbt_project_option
@profiles_dir_option
@click.option("--offline", is_flag=True, help="Check the YAML only; do not connect to the warehouse.")
@handle_errors
def validate(
    project_dir: Path | None, target: str | None, dbt_project: Path | None, profiles_dir: Path | None, offline: bool
) -> None:
    """Check the project: YAML keys and types, references, and (unless --offline) tables and columns in the warehouse.

    Every problem names its file, line and key, with a fix. Exit 2 when anything is wrong; nothing is written.
    """
    from sqlmon.config.loader import load_project

    project = load_project(project_dir, target, _dbt_options(dbt_project, profiles_dir, target))
    if not offline:
        from sqlmon.catalog import Catalog
        from sqlmon.checks import check_project
        from sqlmon.engines import connect

        with connect(project, read_only=True) as engine:
            check_project(project, list(project.monitors.values()), Catalog(engine), every_source=True)
    where = "YAML only" if offline else "YAML and warehouse"
    click.echo(
        f"OK ({where}): {len(project.sources)} source(s), {len(project.monitors)} monitor(s) "
        f"in {len(project.files)} file(s)."
    )


FIRST_YEAR, LAST_YEAR = 1900, 9000


def _parse_time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    for fmt in DATETIME_FORMATS:
        try:
            moment = datetime.strptime(value, fmt)
        except ValueError:
            continue
        # windows and backfills (up to a century) reach before the moment; keep them inside what datetime holds
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise click.BadParameter(
                f"`{value}` is outside the years {FIRST_YEAR}–{LAST_YEAR} that sqlmon computes windows in",
                param_hint=option,
            )
        return moment
    raise click.BadParameter(
        f"`{value}` is not a date or time; write e.g. 2026-10-01 or 2026-10-01T06:00", param_hint=option
    )


@main.command(name="compile")
@project_dir_option
@dbt_target_option
@dbt_project_option
@profiles_dir_option
@select_option
@click.option("--dialect", default=None, help="SQL dialect to write (default: the connection's).")
@click.option(
    "--end", "end", default=None, help="Show the statements for the latest window ending by then (default: now)."
)
@handle_errors
def compile_command(
    project_dir: Path | None,
    target: str | None,
    dbt_project: Path | None,
    profiles_dir: Path | None,
    select: tuple[str, ...],
    dialect: str | None,
    end: str | None,
) -> None:
    """Print the SQL statements a run makes for each source's latest window, grouped by source.

    Statements that only read the baseline (quantile bin edges) are executed, read-only, because the window's
    statements depend on their results.
    """
    from sqlmon.compile import compile_project
    from sqlmon.sql.dialects import DIALECTS

    if dialect is not None and dialect not in DIALECTS:
        raise click.BadParameter(f"unknown dialect `{dialect}`; known: {', '.join(DIALECTS)}", param_hint="--dialect")
    dbt = _dbt_options(dbt_project, profiles_dir, target)
    click.echo(compile_project(project_dir, list(select) or None, dialect, _parse_time(end, "--end"), target, dbt))


@main.command(name="run")
@project_dir_option
@dbt_target_option
@dbt_project_option
@profiles_dir_option
@select_option
@click.option("--start", default=None, help="Recompute windows from this date/time (a backfill); default: resume.")
@click.option("--end", default=None, help="Compute windows ending by this date/time (default: now, UTC).")
@fail_on_option
@click.option(
    "--fail-fast",
    is_flag=True,
    help="Stop at the first source that fails on the warehouse and store nothing (default: the other sources run).",
)
@format_option
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Print nothing when the run succeeds without alerts (the exit code says it); errors and alerts still print.",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Print each SQL statement on stderr as it finishes: its time in ms, what it is for, its start on one line.",
)
@click.option(
    "--profile",
    is_flag=True,
    help="After the run, print on stderr where its time went: the warehouse's share, and the slowest statements"
    " with their time and rows.",
)
@handle_errors
def run_command(
    project_dir: Path | None,
    target: str | None,
    dbt_project: Path | None,
    profiles_dir: Path | None,
    select: tuple[str, ...],
    start: str | None,
    end: str | None,
    fail_on: str,
    fail_fast: bool,
    output_format: str,
    quiet: bool,
    verbose: bool,
    profile: bool,
) -> None:
    """Compute the monitors' metrics in the warehouse, store them, and report alerts.

    Windows not yet computed are computed (incremental); --start recomputes from a date, replacing what was stored.
    On a terminal, a progress bar on stderr shows the sources, windows and statements done; a pipe gets none.
    """
    from sqlmon import notify
    from sqlmon.runner import run
    from sqlmon.terminal import Terminal

    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose exclude each other; give one.")
    progress = Terminal(sys.stderr, bar=not quiet and sys.stderr.isatty(), verbose=verbose, profile=profile)
    parsed_end = None
    try:
        dbt = _dbt_options(dbt_project, profiles_dir, target)
        parsed_start, parsed_end = _parse_time(start, "--start"), _parse_time(end, "--end")
        result = run(
            project_dir,
            list(select) or None,
            parsed_start,
            parsed_end,
            target=None if dbt else target,
            dbt=dbt,
            fail_fast=fail_fast,
            progress=progress,
        )
    except Exception as exc:
        progress.clear()
        if output_format != "text":
            # the run failed before it began (an invalid project or --select, a warehouse that cannot be opened):
            # still a report in the format asked for, with the exit code; stderr gets the message as for text
            from sqlmon.notify.not_started import not_started_report
            from sqlmon.session import utcnow

            notify.get(output_format).send(not_started_report(exc, fail_on, parsed_end, utcnow()))
        raise
    finally:
        progress.clear()
    if profile:
        from sqlmon.terminal import profile_lines

        click.echo("\n".join(profile_lines(progress.timed, time.perf_counter() - progress.began)), err=True)
    code = _run_exit_code(result, fail_on)
    clean = code == ExitCode.OK and not result.current_alerts
    # a machine asked for JSON reads it whatever happened; --quiet silences only what people read
    if not (quiet and clean and output_format == "text"):
        notify.get(output_format).send(notify.Report(result, int(code), fail_on))
    sys.exit(int(code))


def _run_exit_code(result: Any, fail_on: str) -> ExitCode:
    from sqlmon.results import at_or_above

    if result.status == "error":
        return ExitCode.RUNTIME_ERROR
    if at_or_above(result.current_alerts, fail_on):
        return ExitCode.ALERTS
    return ExitCode.OK


def dbt_command_options(project_help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """-p, --dbt-project (default: here), --profiles-dir and --target of the `sqlmon dbt` commands."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        options = [
            click.option(
                "--project-dir",
                "-p",
                type=click.Path(file_okay=False, path_type=Path),
                default=None,
                help="Folder with sqlmon.yml (default: the current folder or the dbt project, if either has one; "
                "else none is needed).",
            ),
            click.option(
                "--dbt-project",
                type=click.Path(file_okay=False, path_type=Path),
                default=Path("."),
                show_default=True,
                help=project_help,
            ),
            profiles_dir_option,
            click.option("--target", "-t", default=None, help="The dbt target (default: the profile's `target:`)."),
        ]
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


@main.group(name="dbt")
def dbt_group() -> None:
    """Run sqlmon as part of a dbt project's build, and show its results in dbt (docs/dbt.md)."""


@dbt_group.command(name="build", context_settings={"ignore_unknown_options": True})
@dbt_command_options("The dbt project to build.")
@select_option
@click.option("--end", default=None, help="Compute windows ending by this date/time (default: now, UTC).")
@click.option(
    "--block-on",
    type=click.Choice(["warn", "error", "never"]),
    default="never",
    show_default=True,
    help="Report a model to dbt as failed when its monitors raise an alert of this severity, so dbt skips the "
    "models downstream of it.",
)
@fail_on_option
@format_option
@click.argument("dbt_args", nargs=-1, type=click.UNPROCESSED)
@handle_errors
def dbt_build_command(
    project_dir: Path | None,
    dbt_project: Path,
    profiles_dir: Path | None,
    target: str | None,
    select: tuple[str, ...],
    end: str | None,
    block_on: str,
    fail_on: str,
    output_format: str,
    dbt_args: tuple[str, ...],
) -> None:
    """`dbt build`, with each model's monitors run right after dbt builds it.

    Arguments after `--` go to dbt, e.g. `sqlmon dbt build -- --select marts+`. Monitors of a model that failed,
    was skipped or was not built are not run and are listed. Exit 1 when dbt failed or an alert reaches --fail-on.
    """
    from sqlmon import notify
    from sqlmon.dbt.build import build, combined, summary

    parsed_end = None
    try:
        dbt = _dbt_options(dbt_project, profiles_dir, target)
        parsed_end = _parse_time(end, "--end")
        result = build(project_dir, dbt, list(dbt_args), list(select) or None, parsed_end, block_on)
    except Exception as exc:
        if output_format != "text":  # as `sqlmon run` does: a report, in the format asked for, of what failed
            from sqlmon.notify.not_started import not_started_report
            from sqlmon.session import utcnow

            notify.get(output_format).send(not_started_report(exc, fail_on, parsed_end, utcnow()))
        raise
    run = combined(result, parsed_end)
    code = _run_exit_code(run, fail_on)
    if code == ExitCode.OK and not result.dbt_success:
        code = ExitCode.ALERTS
    if output_format != "text":  # the dbt build's own outcome travels with the report, for machines
        extra = {
            "dbt": {
                "success": result.dbt_success,
                "nodes": result.counts,
                "runs": [
                    {"node": item.node, "run_id": item.run.run_id, "status": item.run.status, "blocked": item.blocked}
                    for item in result.runs
                ],
                "not_monitored": [vars(item) for item in result.skipped],
            }
        }
        notify.get(output_format).send(notify.Report(run, int(code), fail_on, extra))
    elif result.runs:
        text = notify.get("text").render(notify.Report(run, int(code), fail_on))
        click.echo("\n".join([*summary(result), "", text]))
    else:
        click.echo("\n".join([*summary(result), "", f"No monitor ran: none watches what was built; exit {int(code)}"]))
    sys.exit(int(code))


@dbt_group.command(name="sources")
@dbt_command_options("The dbt project to write into.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The property file to write (default: sqlmon_results.yml in the dbt project's first model path).",
)
@handle_errors
def dbt_sources_command(
    project_dir: Path | None, dbt_project: Path, profiles_dir: Path | None, target: str | None, output: Path | None
) -> None:
    """Declare sqlmon's results tables as the dbt source `sqlmon`, and its monitors as the exposure `sqlmon_monitors`.

    dbt docs then list the results tables, models can select from `{{ source('sqlmon', 'sqlmon_open_alerts') }}`,
    and the lineage graph shows the models sqlmon watches. Rerun it when monitors change.
    """
    from sqlmon.config.loader import load_project
    from sqlmon.dbt.sources import check_writable, write
    from sqlmon.dbt.target import read_project_file

    dbt = _dbt_options(dbt_project, profiles_dir, target)
    if output is None:
        paths = read_project_file(dbt).get("model-paths") or ["models"]
        output = dbt.project_dir / str(paths[0]) / "sqlmon_results.yml"
    check_writable(output)  # before the slow part: the project and perhaps a `dbt parse`
    project = load_project(project_dir, None, dbt)
    write(project, project.warehouse, output)
    click.echo(f"wrote {output}: source `sqlmon` ({project.spec.results_schema}) and exposure `sqlmon_monitors`")


@main.group()
def baseline() -> None:
    """Frozen baselines: profiles of a source stored in the results schema (`baseline: {profile: NAME}`)."""


@baseline.command(name="create")
@project_dir_option
@target_option
@click.argument("name")
@click.option("--source", "source_name", required=True, help="The source to profile (a name from sqlmon.yml).")
@click.option("--start", default=None, help="Profile only rows from this date/time (needs the source's timestamp).")
@click.option("--end", default=None, help="Profile only rows before this date/time.")
@click.option(
    "--cells",
    type=click.IntRange(16, 10_000_000),
    default=65536,
    show_default=True,
    help="Equal-width cells per numeric column, from which KS and Wasserstein are bounded.",
)
@handle_errors
def baseline_create(
    project_dir: Path | None,
    target: str | None,
    name: str,
    source_name: str,
    start: str | None,
    end: str | None,
    cells: int,
) -> None:
    """Profile a source in the warehouse and store it as the next version of NAME."""
    from sqlmon.baselines.commands import create

    profile = create(
        project_dir, target, name, source_name, _parse_time(start, "--start"), _parse_time(end, "--end"), cells
    )
    numeric = sum(1 for c in profile.columns.values() if c.quantiles)
    categorical = sum(1 for c in profile.columns.values() if c.categories)
    click.echo(
        f"Created baseline profile `{profile.name}` version {profile.version} of source {profile.source}: "
        f"{len(profile.columns)} columns ({numeric} numeric, {categorical} categorical profiled). "
        f"Use it with `baseline: {{profile: {profile.name}}}`."
    )


@baseline.command(name="list")
@project_dir_option
@target_option
@handle_errors
def baseline_list(project_dir: Path | None, target: str | None) -> None:
    """List the stored profiles and their versions, newest first."""
    from sqlmon.baselines.commands import listing

    click.echo("\n".join(listing(project_dir, target)))


@baseline.command(name="show")
@project_dir_option
@target_option
@click.argument("name")
@click.option("--version", "version", type=click.IntRange(1), default=None, help="Which version (default: the latest).")
@handle_errors
def baseline_show(project_dir: Path | None, target: str | None, name: str, version: int | None) -> None:
    """What a profile holds, column by column."""
    from sqlmon.baselines.commands import show

    click.echo("\n".join(show(project_dir, target, name, version)))


@baseline.command(name="drop")
@project_dir_option
@target_option
@click.argument("name")
@click.option("--version", "version", type=click.IntRange(1), default=None, help="Drop only this version.")
@handle_errors
def baseline_drop(project_dir: Path | None, target: str | None, name: str, version: int | None) -> None:
    """Delete a profile (every version, or one)."""
    from sqlmon.baselines.commands import drop

    click.echo(drop(project_dir, target, name, version))


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("sqlmon_demo"),
    show_default=True,
    help="Folder for the demo project and its warehouse (replaced if it exists).",
)
@click.option("--days", type=click.IntRange(1, 30), default=None, help="Simulate only the first N days.")
@click.option(
    "--notify",
    "notify_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="A YAML file with a `notify:` list of channels, added to the demo's sqlmon.yml: each day's run messages them"
    " (docs/notifications.md).",
)
@handle_errors
def demo(directory: Path, days: int | None, notify_file: Path | None) -> None:
    """Build the example warehouse day by day, run the monitors after each day, and print the alert timeline."""
    from sqlmon.demo import notify_section, print_demo

    print_demo(directory, days, notify_section(notify_file) if notify_file else "")


@main.command(name="report")
@project_dir_option
@dbt_target_option
@dbt_project_option
@profiles_dir_option
@select_option
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="Where to write the HTML file (replaced whole, never half-written).",
)
@click.option(
    "--days",
    type=click.IntRange(1, 3660),
    default=30,
    show_default=True,
    help="How many days of windows to show, counted back from the newest stored window.",
)
@handle_errors
def report_command(
    project_dir: Path | None,
    target: str | None,
    dbt_project: Path | None,
    profiles_dir: Path | None,
    select: tuple[str, ...],
    out: Path,
    days: int,
) -> None:
    """Write one self-contained HTML page of the stored results: an overview, each monitor's metrics over time with
    their thresholds, anomaly bands and alerts, histograms, reliability diagrams and schema changes.

    It reads the results schema only (no monitor runs), works offline and fetches nothing; each monitor has a
    permalink, report.html#monitor-NAME, which notifications with `report_url` link to.
    """
    from sqlmon.report import write_report

    dbt = _dbt_options(dbt_project, profiles_dir, target)
    summary = write_report(project_dir, out, days, list(select) or None, None if dbt else target, dbt)
    click.echo(summary.line)


@main.group(name="notify")
def notify_group() -> None:
    """Notification channels: the `notify:` list of sqlmon.yml (docs/notifications.md)."""


@notify_group.command(name="test")
@project_dir_option
@click.argument("name", required=False)
@handle_errors
def notify_test_command(project_dir: Path | None, name: str | None) -> None:
    """Send a test message to every channel of `notify:`, or to the channel NAME.

    Prints one line per channel; exit 3 when one could not be reached. Neither the warehouse nor the notification
    state is touched.
    """
    from sqlmon.config.loader import load_project
    from sqlmon.notify.probe import send_tests

    deliveries = send_tests(load_project(project_dir), name)
    for delivery in deliveries:
        click.echo(
            f"{delivery.channel} ({delivery.type}): "
            + ("test message sent" if delivery.status == "sent" else f"FAILED: {delivery.error}")
        )
    if any(d.status == "failed" for d in deliveries):
        sys.exit(int(ExitCode.RUNTIME_ERROR))
