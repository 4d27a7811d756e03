"""Turns the requests of every monitor on a source and window into as few statements as possible, and runs them.

Per phase: one single-row SELECT per relation for all scalar aggregates (one scan of it), and one UNION ALL statement
for all distributions. The segments of one relation share a scan too: their aggregates are one SELECT grouped by the
segment columns. Results are cached by request for the whole run, so a baseline table's quantiles and bin counts are
computed once, however many windows are compared with it. A request for rows (failing-row samples, only when a
monitor asks) is a statement of its own.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlglot import exp

from sqlmon.config.durations import Window
from sqlmon.engines.base import Engine
from sqlmon.monitors.base import (
    Aggregate,
    Distribution,
    DistributionRows,
    Relation,
    Request,
    Rows,
    Segment,
    segment_label,
)
from sqlmon.progress import Progress, Silent
from sqlmon.sql.compiler import SqlCompiler


@dataclass
class Statement:
    source: str
    window: Window | None
    purpose: str  # e.g. "aggregates over main.predictions [window]" or "distributions"
    sql: str  # in the engine's dialect, as executed
    canonical: str  # as rendered, before it is written in a dialect

    @property
    def tree(self) -> exp.Expression:
        """The canonical parse, so compile can write the statement in any dialect (parsed when asked: a run needs
        only `sql`)."""
        return SqlCompiler().parse(self.canonical)


@dataclass
class QueryLog:
    statements: list[Statement] = field(default_factory=list)


@dataclass(frozen=True)
class SegmentCut:
    """The segments of a relation that a run computes: the largest `len(kept)` of `total` (most rows first)."""

    kept: tuple[Segment, ...]
    rows: tuple[int, ...]  # rows of each kept segment
    total: int

    @property
    def dropped(self) -> int:
        return self.total - len(self.kept)

    def first(self, limit: int) -> SegmentCut:
        return SegmentCut(self.kept[:limit], self.rows[:limit], self.total)


def _scalar(value: Any) -> Any:
    """Driver numbers (Decimal, HUGEINT-as-int) as Python floats; None stays None."""
    if value is None or isinstance(value, float):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def describe_relation(relation: Relation) -> str:
    text = f"{relation.table} {relation.window}" if relation.window else relation.table
    text = f"{text} where {relation.segment.label}" if relation.segment else text
    return f"{text} joined with labels from {relation.labels.table}" if relation.labels else text


def _aliases(aggregates: Sequence[Aggregate]) -> list[str]:
    """Readable, unique output names (`null_count__amount`, `bin_count__score__3`, or a request's own `output_name`) so
    compiled SQL explains itself."""
    names: list[str] = []
    taken: set[str] = set()
    for aggregate in aggregates:
        args = dict(aggregate.args)
        base = args.get("output_name") or (
            aggregate.macro.rpartition(".")[2] + (f"__{args['column']}" if args.get("column") else "")
        )
        name, counter = base[:60], 0
        while name in taken:
            counter += 1
            name = f"{base[:60]}__{counter}"
        taken.add(name)
        names.append(name)
    return names


def _role(relation: Relation, window: Window | None, aggregates: Sequence[Aggregate] = ()) -> str:
    if window is None or relation.window == window:
        return ""
    roles = list(dict.fromkeys(a.role for a in aggregates if a.role))
    if roles:
        return " — " + "; ".join(roles)
    if relation.window is None:
        return " — the baseline table: computed once per run, reused for every window"
    return " — the baseline span before the window"


class Executor:
    """Runs batches of requests, caching results for the run. With `execute=False` it only writes the SQL down."""

    def __init__(
        self,
        engine: Engine | None,
        compiler: SqlCompiler,
        log: QueryLog | None = None,
        profiles: Any = None,
        progress: Progress | None = None,
    ):
        self.engine = engine
        self.compiler = compiler
        self.log = log or QueryLog()
        self.progress = progress or Silent()
        self.cache: dict[Request, Any] = {}
        self.profiles = profiles  # sqlmon.baselines.profile.Profiles: answers what a frozen baseline stands in for
        self.cuts: dict[tuple[Relation, tuple[str, ...], int], SegmentCut] = {}

    def segments(
        self, relation: Relation, columns: Sequence[str], limit: int, source: str, window: Window | None
    ) -> SegmentCut:
        """The `limit` largest segments of a relation by row count, and how many there are: one statement, cached.

        It runs even when only writing SQL down (compile), as the baseline's quantiles do: what follows depends on it.
        """
        key = (relation, tuple(columns), limit)
        if key not in self.cuts:
            rows = self._record(
                source,
                window,
                f"segments of {describe_relation(relation)} by {', '.join(columns)}: the {limit} largest",
                "queries/segments.sql",
                True,
                rel=relation,
                columns=list(columns),
                limit=limit,
            )
            rows = rows or []
            width = len(columns)
            self.cuts[key] = SegmentCut(
                kept=tuple(Segment(tuple(columns), tuple(row[:width])) for row in rows),
                rows=tuple(int(row[width]) for row in rows),
                total=int(rows[0][width + 1]) if rows else 0,
            )
        return self.cuts[key]

    def run(
        self, requests: Iterable[Request], source: str, window: Window | None, execute: bool = True
    ) -> dict[Request, Any]:
        todo = [r for r in dict.fromkeys(requests) if r not in self.cache]
        if self.profiles is not None:
            from sqlmon.baselines.profile import answers

            for request in todo:
                profile = answers(request)
                if profile is not None:
                    self.cache[request] = self.profiles.get(*profile).answer(request)
            todo = [r for r in todo if r not in self.cache]
        by_relation: dict[Relation, list[Aggregate]] = defaultdict(list)
        distributions: list[Distribution] = []
        for request in todo:
            if isinstance(request, Aggregate):
                by_relation[request.relation].append(request)
            elif isinstance(request, Distribution):
                distributions.append(request)
        # the segments of one relation (same table, window and segment columns) are read in one grouped scan
        families: dict[tuple[Relation, tuple[str, ...]], dict[Relation, list[Aggregate]]] = defaultdict(dict)
        for relation, aggregates in by_relation.items():
            if relation.segment is None:
                self._aggregates(relation, aggregates, source, window, execute)
            else:
                families[(replace(relation, segment=None), relation.segment.columns)][relation] = aggregates
        for (whole, columns), members in families.items():
            if len(members) == 1:
                [(relation, aggregates)] = members.items()
                self._aggregates(relation, aggregates, source, window, execute)
            else:
                self._segmented_aggregates(whole, columns, members, source, window, execute)
        together = [d for d in distributions if not d.alone]
        if together:
            self._distributions(together, source, window, execute)
        for request in distributions:
            if request.alone:
                self._distributions([request], source, window, execute)
        for request in todo:
            if isinstance(request, Rows):
                self._rows(request, source, window, execute)
        return {r: self.cache.get(r) for r in requests}

    def _record(
        self, source: str, window: Window | None, purpose: str, template: str, execute: bool, **context: Any
    ) -> list[tuple[Any, ...]] | None:
        canonical = self.compiler.render(template, **context)
        sql = self.compiler.statement(canonical)
        self.log.statements.append(Statement(source, window, purpose, sql, canonical))
        if not execute or self.engine is None:
            return None
        began = time.perf_counter()
        rows = self.engine.query(sql)
        self.progress.statement_done(purpose, sql, time.perf_counter() - began, len(rows))
        return rows

    def _aggregates(
        self, relation: Relation, aggregates: Sequence[Aggregate], source: str, window: Window | None, execute: bool
    ) -> None:
        expressions = [self.compiler.macro(a.macro, **dict(a.args)) for a in aggregates]
        items = list(zip(_aliases(aggregates), expressions, strict=True))
        rows = self._record(
            source,
            window,
            f"aggregates over {describe_relation(relation)}{_role(relation, window, aggregates)}",
            "queries/aggregates.sql",
            execute,
            items=items,
            rel=relation,
        )
        if rows is None:
            return
        for request, value in zip(aggregates, rows[0], strict=True):
            self.cache[request] = _scalar(value)

    def _segmented_aggregates(
        self,
        whole: Relation,
        columns: tuple[str, ...],
        members: dict[Relation, list[Aggregate]],
        source: str,
        window: Window | None,
        execute: bool,
    ) -> None:
        """One SELECT grouped by the segment columns for the aggregates of many segments of one relation.

        Segments asking for the same expression (the usual case: the same bins) share its column; a segment asking for
        its own (bins cut at its own baseline's quantiles) adds columns, which the other segments' rows carry unused.
        """
        expressions: dict[str, Aggregate] = {}  # SQL text -> the first request that renders it
        text_of: dict[Aggregate, str] = {}
        for aggregates in members.values():
            for aggregate in aggregates:
                text = self.compiler.macro(aggregate.macro, **dict(aggregate.args))
                text_of[aggregate] = text
                expressions.setdefault(text, aggregate)
        texts = list(expressions)
        items = list(zip(_aliases(list(expressions.values())), texts, strict=True))
        segments = [relation.segment for relation in members]
        rows = self._record(
            source,
            window,
            f"aggregates over {describe_relation(whole)}{_role(whole, window)}, "
            f"per segment of {', '.join(columns)} ({len(segments)} segments)",
            "queries/segmented_aggregates.sql",
            execute,
            items=items,
            rel=whole,
            columns=list(columns),
            segments=segments,
        )
        if rows is None:
            return
        width = len(columns)
        empty = next(row[1 + width :] for row in rows if row[0])
        by_label = {segment_label(columns, tuple(row[1 : 1 + width])): row[1 + width :] for row in rows if not row[0]}
        position = {text: index for index, text in enumerate(texts)}
        for relation, aggregates in members.items():
            assert relation.segment is not None
            row = by_label.get(relation.segment.label, empty)  # a segment without rows here has no group
            for aggregate in aggregates:
                self.cache[aggregate] = _scalar(row[position[text_of[aggregate]]])

    def _rows(self, request: Rows, source: str, window: Window | None, execute: bool) -> None:
        part = self.compiler.macro(request.macro, **dict(request.args))
        rows = self._record(source, window, request.purpose, "queries/rows.sql", execute, part=part)
        if rows is not None:
            self.cache[request] = [tuple(row) for row in rows]

    def _distributions(
        self, requests: Sequence[Distribution], source: str, window: Window | None, execute: bool
    ) -> None:
        # `tag` keeps the CTE names of the parts apart: Spark hoists CTEs out of subqueries into one WITH.
        parts = [self.compiler.macro(r.macro, **dict(r.args), tag=f"p{i}_") for i, r in enumerate(requests)]
        rows = self._record(
            source,
            window,
            "distributions: " + ", ".join(dict.fromkeys(r.macro.rpartition(".")[2] for r in requests)),
            "queries/distributions.sql",
            execute,
            parts=parts,
        )
        if rows is None:
            return
        grouped: dict[int, DistributionRows] = defaultdict(list)
        for req, k, a, b in rows:
            grouped[int(req)].append((k, _scalar(a), _scalar(b)))
        for index, request in enumerate(requests):
            self.cache[request] = grouped.get(index, [])
