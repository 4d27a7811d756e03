"""Sources and baselines given as `file:` become tables that DuckDB reads in place (sqlmon.sql.files): the path is
made absolute against the project folder here, once, so no stage later depends on the current folder."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from sqlmon.config.specs import BaselineSpec, MonitorSpec, SourceSpec
from sqlmon.sql.files import FileTable


def file_table(root: Path, written: str, file_format: str) -> FileTable:
    """A remote path (`s3://…`, `https://…`) is DuckDB's to reach, as written."""
    path = written if "://" in written else os.path.normpath(os.path.join(root, os.path.expanduser(written)))
    return FileTable(written, path, file_format)


def _resolve(root: Path, baseline: BaselineSpec | None) -> None:
    if baseline is not None and baseline.file is not None and baseline.format is not None:
        baseline.table = file_table(root, baseline.file, baseline.format)


def resolve_files(root: Path, sources: Iterable[SourceSpec], monitors: Iterable[MonitorSpec] = ()) -> None:
    """Set `table` of every file source and file baseline to its `FileTable`."""
    for source in sources:
        if source.file is not None and source.format is not None:
            source.table = file_table(root, source.file, source.format)
        _resolve(root, source.baseline)
    for monitor in monitors:
        _resolve(root, monitor.baseline)
