"""Frozen baselines: a profile of a source stored in the results schema, to compare with after the rows are gone.

`sqlmon baseline create NAME --source S [--start --end]` computes, in the warehouse, for every column:

- numeric: row, valid and finite counts, finite min/max and standard deviation; the inverted-CDF quantiles at
  j/1000 (j = 1 … 999), each with the number of valid values below it; and the valid values per equal-width cell
  over [min, max] (65,536 cells by default);
- categorical (text, boolean): the count of each category, the 10,000 largest kept, the rest summed;
- every column: its type (the schema).

and appends it to `sqlmon_baselines` as the next version of NAME. A monitor with `baseline: {profile: NAME}` then
reads these numbers instead of baseline rows: quantile bin edges and bin counts are exact (for bin counts that
divide 1000), category counts are exact (up to the cap), and KS and Wasserstein are bounded from the cells, as
`exact: never` does against a table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlglot import exp

from sqlmon.config.durations import Window
from sqlmon.config.specs import SourceSpec
from sqlmon.errors import SqlmonError
from sqlmon.monitors.base import Aggregate, Distribution, Relation, Request
from sqlmon.sql.types import ColumnInfo, logical_type
from sqlmon.store import BASELINES_TABLE, TABLES, Store

TABLE = BASELINES_TABLE
LEVELS = 1000  # quantiles at j / LEVELS: quantile bins must divide it
DEFAULT_CELLS = 65536
MAX_CATEGORIES = 10_000
STATS = {
    "common.row_count": "rows",
    "common.valid_count": "valid",
    "common.finite_count": "finite",
    "common.finite_min": "min",
    "common.finite_max": "max",
    "common.finite_stddev": "stddev",
}
COLUMNS = TABLES[TABLE]


class ProfileError(SqlmonError):
    """A profile asked for something it does not hold."""


@dataclass
class ColumnProfile:
    name: str
    data_type: str
    ordinal: int
    stats: dict[str, float | None] = field(default_factory=dict)
    quantiles: dict[int, tuple[float, float]] = field(default_factory=dict)  # j -> (value, valid values below it)
    categories: dict[str | None, float] = field(default_factory=dict)

    @property
    def info(self) -> ColumnInfo:
        return ColumnInfo(self.name, self.data_type, logical_type(self.data_type))

    def below(self, value: float | None, upper: bool) -> float:
        """Valid values below `value` (a quantile of this profile); an open bound is −inf or +inf."""
        if value is None:
            return float(self.stats.get("valid") or 0) if upper else 0.0
        for quantile, count in self.quantiles.values():
            if quantile == value:
                return count
        raise ProfileError(
            f"bin edge {value!r} of column `{self.name}` is not one of the profile's quantiles; with a profile"
            " baseline, bins are cut at its quantiles (binning: quantile, with bins dividing 1000)"
        )


@dataclass
class Profile:
    name: str
    version: int
    created_at: datetime
    source: str
    table: str
    window: Window | None
    cells: int
    columns: dict[str, ColumnProfile]

    def column_infos(self) -> dict[str, ColumnInfo]:
        return {name: c.info for name, c in sorted(self.columns.items(), key=lambda item: item[1].ordinal)}

    def answer(self, request: Request) -> Any:
        """What the baseline rows would have answered, for the requests a profile can stand in for."""
        args = dict(request.args)
        column = self.columns.get(args.get("column") or "")
        if isinstance(request, Aggregate) and request.macro == "common.row_count":
            return next(iter(self.columns.values())).stats.get("rows") if self.columns else 0.0
        if column is None:
            raise ProfileError(f"profile `{self.name}` version {self.version} has no column `{args.get('column')}`")
        if isinstance(request, Aggregate) and request.macro in STATS:
            return column.stats.get(STATS[request.macro])
        if isinstance(request, Aggregate) and request.macro == "common.bin_count":
            return column.below(args["upper"], True) - column.below(args["lower"], False)
        if isinstance(request, Distribution) and request.macro == "common.quantiles":
            bins = int(args["bins"])
            if LEVELS % bins:
                raise ProfileError(f"a profile holds quantiles at j/{LEVELS}: `bins` must divide {LEVELS}, not {bins}")
            step = LEVELS // bins
            return [
                (str(k), column.quantiles[k * step][0], None) for k in range(1, bins) if k * step in column.quantiles
            ]
        raise ProfileError(f"a profile baseline cannot answer `{request.macro}`")


def answers(request: Request) -> tuple[str, int] | None:
    """The profile a request reads from a stored profile rather than from the warehouse's rows, if any."""
    if isinstance(request, Aggregate):
        return request.relation.profile
    if request.macro == "common.quantiles":
        relation: Relation = dict(request.args)["rel"]
        return relation.profile
    return None


def _table(schema: str) -> exp.Table:
    return exp.table_(exp.to_identifier(TABLE, quoted=True), db=exp.to_identifier(schema, quoted=True))


def _where(name: str, version: int | None = None) -> exp.Condition:
    condition: exp.Condition = exp.column("name").eq(exp.Literal.string(name))
    if version is not None:
        condition = exp.and_(condition, exp.column("version").eq(exp.Literal.number(version)))
    return condition


class Profiles:
    """The profiles in a results schema: read (cached for the run), listed, created and dropped."""

    def __init__(self, store: Store):
        self.store = store
        self._loaded: dict[tuple[str, int], Profile] = {}

    def _query(self, query: exp.Expression) -> list[tuple[Any, ...]]:
        if self.store.engine.describe(f"{self.store.schema}.{TABLE}") is None:
            return []
        return self.store.engine.query(self.store._sql(query))

    def versions(self) -> list[tuple[Any, ...]]:
        """(name, version, created_at, source, table, window_start, window_end, columns), newest first per name."""
        query = (
            exp.select(
                "name",
                "version",
                exp.func("MAX", exp.column("created_at")),
                exp.func("MAX", exp.column("source")),
                exp.func("MAX", exp.column("table_name")),
                exp.func("MAX", exp.column("window_start")),
                exp.func("MAX", exp.column("window_end")),
                exp.func("COUNT", exp.column("column_name")),
            )
            .from_(_table(self.store.schema))
            .where(exp.column("entry").eq(exp.Literal.string("schema")))
            .group_by("name", "version")
            .order_by("name", exp.Ordered(this=exp.column("version"), desc=True))
        )
        return self._query(query)

    def latest(self, name: str) -> int | None:
        found = [v for n, v, *_ in self.versions() if n == name]
        return max(found) if found else None

    def get(self, name: str, version: int | None = None) -> Profile | None:
        version = version if version is not None else self.latest(name)
        if version is None:
            return None
        if (name, version) not in self._loaded:
            columns = [c for c, _ in COLUMNS]
            rows = self._query(exp.select(*columns).from_(_table(self.store.schema)).where(_where(name, version)))
            if not rows:
                return None
            self._loaded[(name, version)] = _assemble([dict(zip(columns, row, strict=True)) for row in rows])
        return self._loaded[(name, version)]

    def relation(self, profile: Profile) -> Relation:
        return Relation(f"{self.store.schema}.{TABLE}", profile=(profile.name, profile.version))

    def drop(self, name: str, version: int | None = None) -> int:
        """Delete a profile's rows (one version, or all); returns how many versions went."""
        gone = [v for n, v, *_ in self.versions() if n == name and (version is None or v == version)]
        if gone:
            with self.store.engine.transaction():
                self.store._remove(TABLE, _where(name, version))
        return len(gone)

    def create(
        self,
        executor: Any,
        name: str,
        source: SourceSpec,
        columns: dict[str, ColumnInfo],
        window: Window | None,
        created_at: datetime,
        cells: int = DEFAULT_CELLS,
        max_categories: int = MAX_CATEGORIES,
    ) -> Profile:
        """Profile `source` (within `window`, if given) in the warehouse and store it as NAME's next version."""
        table = source.resolved_table
        relation = Relation(table, source.timestamp, window) if window else Relation(table)
        numeric = [c for c in columns.values() if c.numeric]
        categorical = [c for c in columns.values() if c.logical in ("string", "boolean")]
        stats: dict[tuple[str, str], Aggregate] = {}
        for c in numeric:
            for macro, stat in STATS.items():
                args = {} if macro == "common.row_count" else {"column": c.name, "floating": c.floating}
                stats[(c.name, stat)] = Aggregate.of(relation, macro, **args)
        for c in categorical:
            stats[(c.name, "rows")] = Aggregate.of(relation, "common.row_count")
        quantiles = {
            c.name: Distribution.of(  # a sort of every value: one column per statement, so sorts do not pile up
                "common.quantiles",
                alone=True,
                rel=relation,
                column=c.name,
                floating=c.floating,
                bins=LEVELS,
                below=True,
            )
            for c in numeric
        }
        found = executor.run([*stats.values(), *quantiles.values()], source.name, window)
        ranges = {c.name: (found[stats[(c.name, "min")]], found[stats[(c.name, "max")]]) for c in numeric}
        cell_requests = {
            c.name: Distribution.of(
                "profile.cells",
                rel=relation,
                column=c.name,
                floating=c.floating,
                lo=float(lo),
                hi=float(hi),
                cells=cells,
            )
            for c in numeric
            if (lo := ranges[c.name][0]) is not None and (hi := ranges[c.name][1]) is not None
        }
        category_requests = {
            c.name: Distribution.of("profile.categories", rel=relation, column=c.name, max_categories=max_categories)
            for c in categorical
        }
        found.update(executor.run([*cell_requests.values(), *category_requests.values()], source.name, window))

        version = (self.latest(name) or 0) + 1
        common = {
            "name": name,
            "version": version,
            "created_at": created_at,
            "source": source.name,
            "table_name": source.table,
            "window_start": window.start if window else None,
            "window_end": window.end if window else None,
        }
        rows: list[dict[str, Any]] = []

        def add(column: ColumnInfo, entry: str, **values: Any) -> None:
            rows.append({**common, "column_name": column.name, "data_type": column.data_type, "entry": entry, **values})

        for ordinal, c in enumerate(columns.values()):
            add(c, "schema", position=ordinal)
        for (column_name, stat), request in stats.items():
            add(columns[column_name], "stat", category=stat, value=found[request])
        for c in numeric:
            add(c, "stat", category="cells", value=float(cells))
            for k, value, below in found[quantiles[c.name]]:
                add(c, "quantile", position=int(k), value=value, count=below)
            for k, count, finite in found.get(cell_requests.get(c.name), None) or []:
                add(c, "cell", position=int(k), count=count, finite_count=finite)
        for c in categorical:
            for k, count, _ in found[category_requests[c.name]]:
                add(c, "category", category=k, count=count)
        self.store.ensure()
        with self.store.engine.transaction():
            self.store._append(TABLE, rows)
        profile = self.get(name, version)
        assert profile is not None
        return profile


def _assemble(rows: list[dict[str, Any]]) -> Profile:
    first = rows[0]
    window = (
        Window(first["window_start"], first["window_end"])
        if first["window_start"] is not None and first["window_end"] is not None
        else None
    )
    columns: dict[str, ColumnProfile] = {}
    cells = DEFAULT_CELLS
    for row in rows:
        name = row["column_name"]
        column = columns.setdefault(name, ColumnProfile(name, row["data_type"], 0))
        entry = row["entry"]
        if entry == "schema":
            column.ordinal = int(row["position"])
        elif entry == "stat":
            column.stats[row["category"]] = row["value"]
            if row["category"] == "cells":
                cells = int(row["value"])
        elif entry == "quantile":
            column.quantiles[int(row["position"])] = (float(row["value"]), float(row["count"]))
        elif entry == "category":
            column.categories[row["category"]] = float(row["count"])
    return Profile(
        name=first["name"],
        version=int(first["version"]),
        created_at=first["created_at"],
        source=first["source"],
        table=first["table_name"],
        window=window,
        cells=cells,
        columns=columns,
    )
