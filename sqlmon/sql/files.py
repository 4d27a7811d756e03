"""Files as sources: Parquet, CSV or JSON files (or a glob of them) that DuckDB reads in place, through its table
functions `read_parquet`, `read_csv` and `read_json` (docs/configuration.md#files-as-sources).

A file source travels through the run as its table name does, a string, so that every stage (batching by relation,
the catalog's cache, the stored schema's `table_name`) treats it as any table: `FileTable` is that string, the path as
written in the YAML, carrying what the SQL needs. Where SQL names the relation (`table_expression`), it becomes the
table function's call, built by sqlglot like every other node.
"""

from __future__ import annotations

from sqlglot import exp

READERS = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json"}
# what a file's name ends with → its format; compressed CSV and JSON are read by the same functions
EXTENSIONS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".csv.gz": "csv",
    ".tsv.gz": "csv",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json.gz": "json",
    ".jsonl.gz": "json",
    ".ndjson.gz": "json",
}


def format_of(path: str) -> str | None:
    """The format a file's name says, or None."""
    lowered = path.lower()
    for ending in sorted(EXTENSIONS, key=len, reverse=True):
        if lowered.endswith(ending):
            return EXTENSIONS[ending]
    return None


class FileTable(str):
    """The files of a source: as a string, the path or glob as written (what messages and `sqlmon_schemas` show);
    `path` is where DuckDB reads them (relative paths made absolute against the project folder)."""

    path: str
    file_format: str  # a key of READERS (not `format`, which would hide str.format)

    def __new__(cls, written: str, path: str, file_format: str) -> FileTable:
        made = super().__new__(cls, written)
        made.path, made.file_format = path, file_format
        return made

    def __getnewargs__(self) -> tuple[str, str, str]:  # type: ignore[override]  # copies keep the path and format
        return (str(self), self.path, self.file_format)

    @property
    def written(self) -> str:
        return str.__str__(self)

    def expression(self) -> exp.Table:
        """`read_parquet('/abs/data/*.parquet')`, in the place of a table."""
        call = exp.Anonymous(this=READERS[self.file_format], expressions=[exp.Literal.string(self.path)])
        return exp.Table(this=call)
