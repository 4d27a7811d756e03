"""The YAML loading path under fuzzing, and odd files with the exact result each one gets.

Property: whatever the bytes of `sqlmon.yml` or a monitor file, loading the project (what `validate --offline` runs)
gives a valid project or a ConfigError whose every problem names its file and line. Never another exception, never
a traceback.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqlmon.cli import main
from sqlmon.config.loader import Project, load_project
from sqlmon.errors import ConfigError
from tests.conftest import PROJECT_YML

VALID_MONITORS = """\
sources:
  - name: events
    table: main.events
    timestamp: ts
    window: 1 day
    baseline: {table: main.training}
monitors:
  - name: nulls
    type: null_rate
    source: events
    columns: [amount, country]
    thresholds:
      null_rate: {warn: 0.1, error: 0.2}
  - name: drift
    type: feature_drift
    source: events
    columns: [amount]
    bins: 10
  - name: checks
    type: validity
    source: events
    columns:
      amount: {min: 0, max: 100}
      country: {accepted_values: [DE, FR]}
"""

# the words a configuration is made of, so generated mappings reach past the first unknown key
VOCABULARY = [
    "name", "type", "source", "sources", "monitors", "table", "timestamp", "window", "baseline", "previous",
    "profile", "version", "columns", "thresholds", "warn", "error", "enabled", "segment_by", "max_segments", "bins",
    "k", "column", "connection", "targets", "target", "path", "results_schema", "monitor_paths", "null_rate",
    "feature_drift", "topk_concentration", "validity", "volume", "freshness", "schema_contract", "custom_sql", "min",
    "max", "accepted_values", "unique", "not_null", "regex", "anomaly", "trend", "duckdb", "postgres", "events",
    "1 day", "7 days", "all", "direction", "query", "metrics", "labels", "key", "edges", "categorical", "method",
]  # fmt: skip
ODD_TEXT = st.sampled_from(
    ["", "~", "null", "true", "yes", "on", "1e-4", ".nan", "-.inf", "0x1f", "0o17", "2026-01-01", "12:30", "1_000",
     "é", "\u202e", "\u00a0", "\u2028", "\ufeff", "😀", "\x85", "'", '"', "%", "@", "`", "!!python/object", "!!binary",
     "<<", "=", "?", "-", "::", "{}", "[]", "&a", "*a", "|", ">"]
)  # fmt: skip
NAMES = {"sqlmon.yml", "monitors/m.yml", "monitors/n.yml"}


def check_loads(files: dict[str, bytes]) -> Project | ConfigError:
    """Write the files into a fresh project folder and load it: a Project, or a ConfigError with file:line for each
    problem. Anything else fails the test."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "monitors").mkdir()
        files = {"sqlmon.yml": PROJECT_YML.encode(), **files}
        for name, data in files.items():
            (root / name).write_bytes(data)
        try:
            return load_project(root)
        except ConfigError as exc:
            assert exc.problems
            for problem in exc.problems:
                assert problem.location is not None, problem
                assert problem.location.file in NAMES, problem
                assert isinstance(problem.location.line, int) and problem.location.line >= 1, problem
                assert problem.message, problem
            return exc


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.text(max_size=300))
def test_any_text_as_a_monitor_file(text: str) -> None:
    check_loads({"monitors/m.yml": text.encode("utf-8", "surrogatepass")})


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_as_a_monitor_file(data: bytes) -> None:
    check_loads({"monitors/m.yml": data})


@FUZZ
@given(st.text(max_size=300))
def test_any_text_as_sqlmon_yml(text: str) -> None:
    check_loads({"sqlmon.yml": text.encode("utf-8", "surrogatepass")})


# --- near-valid YAML ------------------------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.sampled_from(VOCABULARY),
    ODD_TEXT,
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12).map(repr),
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """Block-style YAML from the config vocabulary: nested mappings and lists, duplicate keys, anchors and aliases,
    flow collections, tabs and odd scalars, indented with 2 spaces (or, now and then, a tab)."""
    anchors: list[str] = []

    def scalar() -> str:
        if anchors and draw(st.integers(0, 9)) == 0:
            return "*" + draw(st.sampled_from(anchors))
        return draw(SCALARS)

    def anchor() -> str:
        if draw(st.integers(0, 7)) == 0:
            name = f"a{len(anchors)}"
            anchors.append(name)
            return f"&{name} "
        return ""

    def block(depth: int, indent: str) -> list[str]:
        lines: list[str] = []
        as_list = draw(st.booleans())
        keys = draw(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=4))  # repeats: duplicate keys
        for key in keys:
            pad = indent + ("\t" if draw(st.integers(0, 19)) == 0 else "")
            head = f"{pad}- {key}:" if as_list else f"{pad}{key}:"
            choice = draw(st.integers(0, 5)) if depth < 4 else 0
            if choice <= 2:
                lines.append(f"{head} {anchor()}{scalar()}")
            elif choice == 3:
                items = ", ".join(scalar() for _ in range(draw(st.integers(0, 3))))
                lines.append(f"{head} {anchor()}[{items}]")
            elif choice == 4:
                items = ", ".join(f"{draw(st.sampled_from(VOCABULARY))}: {scalar()}" for _ in range(2))
                lines.append(f"{head} {anchor()}{{{items}}}")
            else:
                mark = anchor().strip()
                lines.append(f"{head} {mark}".rstrip())
                lines += block(depth + 1, indent + "    " if as_list else indent + "  ")
        return lines

    top = draw(st.lists(st.sampled_from(["sources", "monitors", *VOCABULARY[:6]]), min_size=1, max_size=3))
    lines = []
    for key in top:
        lines.append(f"{key}:")
        lines += block(1, "  ")
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n", "\n\n# end\n"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_near_valid_monitor_files(text: str) -> None:
    check_loads({"monitors/m.yml": text.encode()})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_near_valid_sqlmon_yml(text: str) -> None:
    check_loads({"sqlmon.yml": text.encode()})


SPECIALS = [*":-[]{}&*!|>'\"#%@`,?\t\n\r ", "\ufeff", "\u00e9", "  ", "- ", ": ", "\n  ", "&x ", "*x"]


@st.composite
def mutations(draw: st.DrawFn) -> str:
    """A valid monitor file with a few random edits: characters inserted, deleted or replaced, lines repeated
    (duplicate keys, duplicate names) or dropped."""
    lines = VALID_MONITORS.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        edit = draw(st.integers(0, 4))
        where = draw(st.integers(0, len(line)))
        if edit == 0:
            lines[index] = line[:where] + draw(st.sampled_from(SPECIALS)) + line[where:]
        elif edit == 1:
            lines[index] = line[:where] + line[where + 1 :]
        elif edit == 2:
            lines[index] = line[:where] + draw(st.sampled_from(SPECIALS)) + line[where + 1 :]
        elif edit == 3:
            lines.insert(index, line)
        else:
            del lines[index]
            if not lines:
                break
    return "".join(lines)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_mutated_valid_monitor_files(text: str) -> None:
    check_loads({"monitors/m.yml": text.encode()})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mutations(), documents()))
def test_the_cli_never_prints_a_traceback(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "monitors").mkdir()
        (root / "sqlmon.yml").write_text(PROJECT_YML)
        (root / "monitors" / "m.yml").write_text(text)
        result = CliRunner().invoke(main, ["validate", "-p", str(root), "--offline"])
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output and "Internal error" not in result.output
    if result.exit_code == 2:
        header, *lines = result.stderr.splitlines()
        assert header.startswith("Invalid configuration (")
        assert all(line.startswith(("  sqlmon.yml:", "  monitors/m.yml:")) for line in lines), lines


# --- odd files, each with its exact result --------------------------------------------------------------------------


def offline(root: Path) -> list[str]:
    """`validate --offline` on a project that must be refused: the problems it lists."""
    result = CliRunner().invoke(main, ["validate", "-p", str(root), "--offline"])
    assert result.exit_code == 2, result.output
    return [line[2:] for line in result.stderr.splitlines()[1:]]


def valid(root: Path) -> str:
    result = CliRunner().invoke(main, ["validate", "-p", str(root), "--offline"])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    return make_project(VALID_MONITORS)


def test_a_5_mb_monitor_file_is_a_valid_project(project: Path) -> None:
    """50,000 monitors in one 5 MB file: valid, not refused as an alias bomb (its load time: bench/config_load.py)."""
    item = "  - {name: nulls_%05d, type: null_rate, source: events, columns: [amount, country, a_longer_name]}\n"
    lines = ["sources:\n", "  - {name: events, table: main.events}\n", "monitors:\n"]
    lines += [item % i for i in range(50_000)]
    (project / "monitors" / "monitors.yml").write_text("".join(lines))
    size = (project / "monitors" / "monitors.yml").stat().st_size
    assert size > 5_000_000
    assert len(load_project(project).monitors) == 50_000


def test_a_5_mb_text_value_loads(project: Path) -> None:
    """One 5 MB scalar (a description) is a value like any other."""
    text = VALID_MONITORS.replace("    type: null_rate\n", f"    type: null_rate\n    description: {'x' * 5_000_000}\n")
    (project / "monitors" / "monitors.yml").write_text(text)
    assert valid(project) == "OK (YAML only): 1 source(s), 3 monitor(s) in 1 file(s)."


def test_a_duplicate_key_names_the_file_line_and_key(project: Path) -> None:
    text = VALID_MONITORS.replace("    bins: 10\n", "    bins: 10\n    columns: [country]\n")
    (project / "monitors" / "monitors.yml").write_text(text)
    assert offline(project) == [
        "monitors/monitors.yml:19: columns: duplicate key `columns` (first given on line 17) (remove one of them)"
    ]


def test_a_duplicate_key_in_a_flow_mapping(project: Path) -> None:
    text = VALID_MONITORS.replace("{warn: 0.1, error: 0.2}", "{warn: 0.1, warn: 0.2}")
    (project / "monitors" / "monitors.yml").write_text(text)
    assert offline(project) == [
        "monitors/monitors.yml:13: warn: duplicate key `warn` (first given on line 13) (remove one of them)"
    ]


def test_a_duplicate_key_in_sqlmon_yml(project: Path) -> None:
    (project / "sqlmon.yml").write_text(PROJECT_YML + "results_schema: other\n")
    assert offline(project) == [
        "sqlmon.yml:7: results_schema: duplicate key `results_schema` (first given on line 5) (remove one of them)"
    ]


def test_a_duplicate_key_spelled_as_another_type(project: Path) -> None:
    """`1` and `"1"` are one key once sqlmon reads keys as text, so they are duplicates too."""
    (project / "monitors" / "monitors.yml").write_text(VALID_MONITORS + "  - {name: n, type: volume, 1: a, '1': b}\n")
    assert offline(project) == [
        "monitors/monitors.yml:25: 1: duplicate key `1` (first given on line 25) (remove one of them)"
    ]


def test_tabs_used_for_indentation(project: Path) -> None:
    text = VALID_MONITORS.replace("    columns: [amount]\n", "\tcolumns: [amount]\n")
    (project / "monitors" / "monitors.yml").write_text(text)
    assert offline(project) == [
        "monitors/monitors.yml:17: invalid YAML: found character '\\t' that cannot start any token (indent with"
        " spaces: YAML does not allow tabs for indentation)"
    ]


def test_an_empty_monitor_file_declares_nothing(project: Path) -> None:
    (project / "monitors" / "empty.yml").write_text("")
    assert valid(project) == "OK (YAML only): 1 source(s), 3 monitor(s) in 2 file(s)."


def test_a_monitor_file_that_is_only_a_comment_declares_nothing(project: Path) -> None:
    (project / "monitors" / "comment.yml").write_text("# nothing here yet\n")
    assert valid(project) == "OK (YAML only): 1 source(s), 3 monitor(s) in 2 file(s)."


def test_an_empty_sqlmon_yml_means_every_default(project: Path) -> None:
    (project / "sqlmon.yml").write_text("")
    loaded = load_project(project)
    assert (loaded.spec.name, loaded.spec.results_schema, loaded.spec.monitor_paths) == (
        "sqlmon",
        "sqlmon",
        ["monitors"],
    )
    assert len(loaded.monitors) == 3


def test_sqlmon_yml_that_is_not_a_mapping(project: Path) -> None:
    (project / "sqlmon.yml").write_text("- name: x\n")
    assert offline(project) == ["sqlmon.yml:1: expected a mapping of keys to values"]


def test_a_byte_order_mark_is_ignored(project: Path) -> None:
    (project / "monitors" / "monitors.yml").write_bytes(b"\xef\xbb\xbf" + VALID_MONITORS.encode())
    (project / "sqlmon.yml").write_bytes(b"\xef\xbb\xbf" + PROJECT_YML.encode())
    assert valid(project) == "OK (YAML only): 1 source(s), 3 monitor(s) in 1 file(s)."


def test_a_byte_order_mark_keeps_the_lines_of_errors(project: Path) -> None:
    text = VALID_MONITORS.replace("bins: 10", "bins: ten")
    (project / "monitors" / "monitors.yml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert offline(project) == [
        "monitors/monitors.yml:18: monitors[1].bins: Input should be a valid integer, unable to parse string as an"
        " integer (got `ten`)"
    ]


def test_crlf_line_endings_load_like_lf(project: Path) -> None:
    (project / "monitors" / "monitors.yml").write_bytes(VALID_MONITORS.replace("\n", "\r\n").encode())
    (project / "sqlmon.yml").write_bytes(PROJECT_YML.replace("\n", "\r\n").encode())
    assert valid(project) == "OK (YAML only): 1 source(s), 3 monitor(s) in 1 file(s)."
    broken = VALID_MONITORS.replace("bins: 10", "bins: ten").replace("\n", "\r\n")
    (project / "monitors" / "monitors.yml").write_bytes(broken.encode())
    assert offline(project) == [
        "monitors/monitors.yml:18: monitors[1].bins: Input should be a valid integer, unable to parse string as an"
        " integer (got `ten`)"
    ]


def test_a_python_tag_is_refused_with_its_line(project: Path) -> None:
    (project / "monitors" / "monitors.yml").write_text(VALID_MONITORS + "  - !!python/object:os.system {}\n")
    problems = offline(project)
    assert len(problems) == 1
    assert problems[0].startswith("monitors/monitors.yml:25: invalid YAML: could not determine a constructor")
