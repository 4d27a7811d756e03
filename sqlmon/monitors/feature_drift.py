"""`feature_drift`: each column's distribution in the window against the baseline's.

Numeric columns: `psi`, `js`, `kl`, `hellinger` on bins cut at baseline quantiles; `ks` (exact two-sample statistic)
and `ks_pvalue`, `wasserstein` (exact, from per-value counts computed in the warehouse). Categorical columns: `psi`,
`chi2` and `chi2_pvalue` (two-sample test of homogeneity), `js`, `kl`, `hellinger`, `l_infinity`, `unseen_rate`.
The formulas are in docs/monitors.md; the math on the aggregates is sqlmon.stats.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from sqlmon import stats
from sqlmon.config.specs import MonitorSpec
from sqlmon.errors import ConfigProblem
from sqlmon.monitors.base import (
    Aggregate,
    Distribution,
    DistributionRows,
    MetricValue,
    MonitorContext,
    MonitorKind,
    MonitorOutput,
    Request,
    Results,
    baseline_side,
    metric_number,
)
from sqlmon.monitors.binning import (
    bin_requests,
    category_rows,
    edges_from_quantiles,
    fixed_edges,
    histogram_rows,
    profile_binning_problems,
    quantile_requests,
)
from sqlmon.rules.drift_defaults import default_rule, small_sample_note
from sqlmon.sql.types import ColumnInfo

NUMERIC_METRICS = (
    "psi",
    "ks",
    "ks_pvalue",
    "ks_error",
    "wasserstein",
    "wasserstein_error",
    "wasserstein_norm",
    "js",
    "kl",
    "hellinger",
)
CATEGORICAL_METRICS = ("psi", "chi2", "chi2_pvalue", "js", "kl", "hellinger", "l_infinity", "unseen_rate")
LISTED_CATEGORIES = 10  # how many new or vanished categories an alert message names


class FeatureDriftSpec(MonitorSpec):
    type: Literal["feature_drift"]
    columns: list[str] = Field(min_length=1, description="feature columns to compare with the baseline")
    categorical: list[str] = Field(default_factory=list, description="numeric-typed columns to treat as categories")
    bins: int = Field(default=10, ge=2, le=1000, description="bins for the binned numeric metrics")
    binning: Literal["quantile", "equal_width"] = Field(
        default="quantile", description="bin edges at baseline quantiles, or equal widths over the baseline's range"
    )
    edges: dict[str, list[float]] = Field(
        default_factory=dict, description="explicit inner bin edges per numeric column; override `binning`"
    )
    max_categories: int = Field(default=200, ge=1, description="categories kept per column; the rest fold into one")
    method: Literal["auto", "psi", "pvalue", "distance"] = Field(
        default="auto",
        description="which metrics alert by default: auto (psi and the distances, levels by sample size), psi,"
        " pvalue (ks_pvalue, chi2_pvalue) or distance (wasserstein_norm, l_infinity, unseen_rate)",
    )
    exact: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="KS and Wasserstein from per-value counts (exact) or bounded from cell counts; auto: exact up to"
        " `exact_max_rows`",
    )
    exact_max_rows: int = Field(
        default=2_000_000, ge=0, description="baseline + window rows up to which `exact: auto` computes exactly"
    )
    cells: int = Field(
        default=65536, ge=16, le=10_000_000, description="cells over the baseline's range when not exact"
    )

    @field_validator("edges")
    @classmethod
    def _ascending(cls, edges: dict[str, list[float]]) -> dict[str, list[float]]:
        for name, values in edges.items():
            if not values or any(b <= a for a, b in pairwise(values)) or any(v != v for v in values):
                raise ValueError(f"`edges` of `{name}` must be a non-empty list of strictly increasing numbers")
        return edges


def _is_categorical(spec: FeatureDriftSpec, column: ColumnInfo) -> bool:
    return column.name in spec.categorical or column.logical in ("string", "boolean")


@dataclass
class _NumericPlan:
    """A numeric column's window requests, given the edges the baseline decided."""

    edges: list[float]
    base_bins: list[Aggregate]
    cur_bins: list[Aggregate]
    exact: Distribution  # exact KS/Wasserstein, or their bounds from cell counts
    n_base: Aggregate
    n_cur: Aggregate
    sd_base: Aggregate

    def requests(self) -> list[Request]:
        return [*self.base_bins, *self.cur_bins, self.exact, self.n_base, self.n_cur, self.sd_base]


@dataclass
class _CategoricalPlan:
    """A categorical column's one request: both sides' counts per category."""

    categories: Distribution

    def requests(self) -> list[Request]:
        return [self.categories]


class FeatureDrift(MonitorKind[FeatureDriftSpec]):
    type = "feature_drift"
    column_keys = ("columns",)
    spec_class = FeatureDriftSpec
    metrics = tuple(dict.fromkeys(NUMERIC_METRICS + CATEGORICAL_METRICS))
    headline = ("psi",)
    # the defaults depend on `method` and the sample sizes: each metric value carries its own (see default_rule)
    default_thresholds: ClassVar[dict[str, dict[str, Any]]] = {}
    needs_baseline = True
    reads_baseline = True
    supports_profile = True

    def columns_used(self, spec: FeatureDriftSpec, columns: Mapping[str, ColumnInfo]) -> list[str]:
        return list(spec.columns)

    def check(self, spec: FeatureDriftSpec, ctx: MonitorContext) -> list[ConfigProblem]:
        problems = []
        for index, name in enumerate(spec.columns):
            column = ctx.columns.get(name)
            if column is None:
                continue
            if not (column.numeric or _is_categorical(spec, column)):
                problems.append(
                    ConfigProblem(
                        spec.locate("columns", index),
                        f"columns[{index}]",
                        f"column `{name}` has type {column.data_type}, which feature_drift cannot compare",
                        "use numeric, string or boolean columns",
                    )
                )
        for index, name in enumerate(spec.columns):
            now, then = ctx.columns.get(name), (ctx.baseline_columns or {}).get(name)
            if now and then and _is_categorical(spec, now) and now.logical != then.logical:
                # categories are compared as text, and 1 (INTEGER) is not 1.0 (DOUBLE) as text
                problems.append(
                    ConfigProblem(
                        spec.locate("columns", index),
                        f"columns[{index}]",
                        f"categorical column `{name}` is {now.logical} here but {then.logical} in the baseline",
                        "give both sides the same type, e.g. cast one side in a view",
                    )
                )
        for name in spec.edges:
            column = ctx.columns.get(name)
            if name not in spec.columns or column is None or _is_categorical(spec, column):
                problems.append(
                    ConfigProblem(
                        spec.locate("edges", name),
                        f"edges.{name}",
                        f"`{name}` is not a numeric column of this monitor",
                        "give edges only for numeric columns listed under `columns`",
                    )
                )
        if ctx.profile is not None:
            problems += profile_binning_problems(spec, "binning" if spec.binning != "quantile" else None)
            if spec.edges:
                problems.append(
                    ConfigProblem(
                        spec.locate("edges"),
                        "edges",
                        "explicit edges cannot be used with a profile baseline: it holds counts at its quantiles only",
                        "leave out `edges`, or compare against a `table` baseline",
                    )
                )
            if spec.exact == "always":
                problems.append(
                    ConfigProblem(
                        spec.locate("exact"),
                        "exact",
                        "a profile baseline keeps cell counts, not every value: KS and Wasserstein are bounded",
                        "use `exact: auto` or `never` with a profile, or a `table` baseline for exact values",
                    )
                )
        for index, name in enumerate(spec.categorical):
            if name not in spec.columns:
                problems.append(
                    ConfigProblem(
                        spec.locate("categorical", index),
                        f"categorical[{index}]",
                        f"`{name}` is not in this monitor's `columns`",
                        "list it under `columns` too",
                    )
                )
        return problems

    def _numeric(self, spec: FeatureDriftSpec, ctx: MonitorContext) -> list[ColumnInfo]:
        return [ctx.columns[n] for n in spec.columns if not _is_categorical(spec, ctx.columns[n])]

    def _categorical(self, spec: FeatureDriftSpec, ctx: MonitorContext) -> list[ColumnInfo]:
        return [ctx.columns[n] for n in spec.columns if _is_categorical(spec, ctx.columns[n])]

    def _edge_requests(self, spec: FeatureDriftSpec, ctx: MonitorContext, col: ColumnInfo) -> list[Request]:
        """What the baseline must answer before the column can be binned: quantiles, its range, or nothing."""
        assert ctx.baseline is not None
        base_col = baseline_side(ctx, col)
        if col.name in spec.edges:
            return []
        if spec.binning == "quantile":
            return list(quantile_requests(ctx.baseline, base_col, spec.bins))
        args = {"column": col.name, "floating": base_col.floating}
        return [
            Aggregate.of(ctx.baseline, "common.finite_min", **args),
            Aggregate.of(ctx.baseline, "common.finite_max", **args),
        ]

    def _edges(self, spec: FeatureDriftSpec, ctx: MonitorContext, col: ColumnInfo, baseline: Results) -> list[float]:
        if col.name in spec.edges:
            return list(spec.edges[col.name])
        requests = self._edge_requests(spec, ctx, col)
        if spec.binning == "quantile":
            return edges_from_quantiles(requests, baseline)
        low, high = (baseline[r] for r in requests)
        if low is None or high is None or not low < high:
            return []  # an empty or constant baseline: one bin
        return fixed_edges(float(low), float(high), spec.bins)

    def _size_requests(self, spec: FeatureDriftSpec, ctx: MonitorContext, col: ColumnInfo) -> dict[str, Request]:
        """What decides between the exact and the bounded KS/Wasserstein: both sides' sizes and the baseline's range."""
        assert ctx.baseline is not None
        base_col = baseline_side(ctx, col)
        args = {"column": col.name, "floating": base_col.floating}
        requests: dict[str, Request] = {}
        if ctx.profile is not None:  # always bounded, from the profile's cells
            return {
                "lo": Aggregate.of(ctx.baseline, "common.finite_min", **args),
                "hi": Aggregate.of(ctx.baseline, "common.finite_max", **args),
            }
        if spec.exact != "never":
            requests["n_base"] = Aggregate.of(ctx.baseline, "common.valid_count", **args)
            requests["rows_cur"] = Aggregate.of(ctx.current, "common.row_count")
        if spec.exact != "always":
            requests["lo"] = Aggregate.of(ctx.baseline, "common.finite_min", **args)
            requests["hi"] = Aggregate.of(ctx.baseline, "common.finite_max", **args)
        return requests

    def baseline_requests(self, spec: FeatureDriftSpec, ctx: MonitorContext) -> list[Request]:
        return [
            r
            for col in self._numeric(spec, ctx)
            for r in [*self._edge_requests(spec, ctx, col), *self._size_requests(spec, ctx, col).values()]
        ]

    def _ks_request(
        self, spec: FeatureDriftSpec, ctx: MonitorContext, col: ColumnInfo, baseline: Results
    ) -> Distribution:
        """Exact KS/Wasserstein when affordable, else their bounds from cell counts (memory O(cells))."""
        sizes = {name: baseline[r] for name, r in self._size_requests(spec, ctx, col).items()}
        rows = float(sizes.get("n_base") or 0) + float(sizes.get("rows_cur") or 0)
        lo, hi = sizes.get("lo"), sizes.get("hi")
        common: dict[str, Any] = {
            "column": col.name,
            "floating": col.floating,
            "floating_base": baseline_side(ctx, col).floating,
            "current": ctx.current,
            "baseline": ctx.baseline,
        }
        bounded = (
            ctx.profile is not None or spec.exact == "never" or (spec.exact == "auto" and rows > spec.exact_max_rows)
        )
        cells = ctx.profile.cells if ctx.profile is not None else spec.cells
        # a baseline without finite values, or a range too wide for a double, leaves nothing to cut into cells
        if bounded and lo is not None and hi is not None and math.isfinite(float(hi) - float(lo)):
            return Distribution.of(
                "feature_drift.ks_wasserstein_binned", **common, lo=float(lo), hi=float(hi), cells=cells
            )
        return Distribution.of("feature_drift.ks_wasserstein", alone=rows > spec.exact_max_rows, **common)

    def _plan(
        self, spec: FeatureDriftSpec, ctx: MonitorContext, baseline: Results
    ) -> dict[str, _NumericPlan | _CategoricalPlan]:
        assert ctx.baseline is not None
        plan: dict[str, _NumericPlan | _CategoricalPlan] = {}
        for col in self._numeric(spec, ctx):
            # the baseline's own type decides its NaN filter: a pandas-written training table often holds NaN in a
            # DOUBLE where the serving table has NULL in an INTEGER
            base_col = baseline_side(ctx, col)
            edges = self._edges(spec, ctx, col, baseline)
            plan[col.name] = _NumericPlan(
                edges=edges,
                base_bins=bin_requests(ctx.baseline, base_col, edges),
                cur_bins=bin_requests(ctx.current, col, edges),
                exact=self._ks_request(spec, ctx, col, baseline),
                n_base=Aggregate.of(ctx.baseline, "common.valid_count", column=col.name, floating=base_col.floating),
                n_cur=Aggregate.of(ctx.current, "common.valid_count", column=col.name, floating=col.floating),
                sd_base=Aggregate.of(ctx.baseline, "common.finite_stddev", column=col.name, floating=base_col.floating),
            )
        for col in self._categorical(spec, ctx):
            plan[col.name] = _CategoricalPlan(
                Distribution.of(
                    "feature_drift.category_counts",
                    column=col.name,
                    current=ctx.current,
                    baseline=ctx.baseline,
                    max_categories=spec.max_categories,
                )
            )
        return plan

    def window_requests(self, spec: FeatureDriftSpec, ctx: MonitorContext, baseline: Results) -> list[Request]:
        return [r for parts in self._plan(spec, ctx, baseline).values() for r in parts.requests()]

    def finalize(
        self, spec: FeatureDriftSpec, ctx: MonitorContext, baseline: Results, window: Results
    ) -> MonitorOutput:
        output = MonitorOutput()
        for name, parts in self._plan(spec, ctx, baseline).items():
            if isinstance(parts, _CategoricalPlan):
                self._categorical_metrics(spec.method, name, window[parts.categories], output)
            else:
                self._numeric_metrics(spec.method, name, parts, window, output)
        return output

    @staticmethod
    def _numeric_metrics(method: str, name: str, parts: _NumericPlan, window: Results, output: MonitorOutput) -> None:
        edges = parts.edges
        base = [float(window[r] or 0) for r in parts.base_bins]
        cur = [float(window[r] or 0) for r in parts.cur_bins]
        request = parts.exact
        rows = window[request]
        if request.macro == "feature_drift.ks_wasserstein_binned":
            bounds = {k: (a, b) for k, a, b in rows}
            ks, ks_upper = bounds["ks"]
            w_low, w_up = bounds["wasserstein"]
            ks_error = ks_upper - ks if ks is not None and ks_upper is not None else None
            wasserstein = (w_low + w_up) / 2 if w_low is not None and w_up is not None else None
            wasserstein_error = (w_up - w_low) / 2 if wasserstein is not None else None
        else:
            ks, wasserstein = (rows[0][1], rows[0][2]) if rows else (None, None)
            ks_error = 0.0 if ks is not None else None
            wasserstein_error = 0.0 if wasserstein is not None else None
        n_base, n_cur = int(window[parts.n_base] or 0), int(window[parts.n_cur] or 0)
        sd = window[parts.sd_base]
        values = {
            "psi": stats.psi(base, cur),
            "ks": ks,
            # from the lower bound when approximate: the p-value is then conservative (never smaller than exact)
            "ks_pvalue": stats.ks_pvalue(ks, n_base, n_cur) if ks is not None else None,
            "ks_error": ks_error,
            "wasserstein": wasserstein if n_base and n_cur else None,
            "wasserstein_error": wasserstein_error if n_base and n_cur else None,
            # in units of the baseline's standard deviation, so one threshold fits features of any scale
            "wasserstein_norm": wasserstein / sd if n_base and n_cur and wasserstein is not None and sd else None,
            "js": stats.js(base, cur),
            "kl": stats.kl(base, cur),
            "hellinger": stats.hellinger(base, cur),
        }
        output.metrics += [
            MetricValue(
                metric,
                metric_number(values[metric]),
                name,
                rule=default_rule(method, "numeric", metric, n_base, n_cur, len(base)),
                unjudged=small_sample_note(method, "numeric", metric, n_base, n_cur),
            )
            for metric in NUMERIC_METRICS
        ]
        output.bins += histogram_rows(name, "baseline", edges, base) + histogram_rows(name, "current", edges, cur)

    @staticmethod
    def _categorical_metrics(method: str, name: str, rows: DistributionRows, output: MonitorOutput) -> None:
        rows = sorted(rows, key=lambda r: (r[0] is None, -(r[1] or 0) - (r[2] or 0), r[0] or ""))
        categories = [r[0] for r in rows]
        base = [float(r[1] or 0) for r in rows]
        cur = [float(r[2] or 0) for r in rows]
        chi2, chi2_p, _dof = stats.chi2_two_sample(base, cur)
        new = [c for c, b, q in zip(categories, base, cur, strict=True) if c is not None and b == 0 and q > 0]
        gone = [c for c, b, q in zip(categories, base, cur, strict=True) if c is not None and b > 0 and q == 0]
        detail = _category_detail(new, gone)
        values = {
            "psi": stats.psi(base, cur),
            "chi2": chi2,
            "chi2_pvalue": chi2_p,
            "js": stats.js(base, cur),
            "kl": stats.kl(base, cur),
            "hellinger": stats.hellinger(base, cur),
            "l_infinity": stats.l_infinity(base, cur),
            "unseen_rate": stats.unseen_rate(base, cur),
        }
        n_base, n_cur = sum(base), sum(cur)
        output.metrics += [
            MetricValue(
                m,
                metric_number(values[m]),
                name,
                detail,
                default_rule(method, "categorical", m, n_base, n_cur, len(rows)),
                unjudged=small_sample_note(method, "categorical", m, n_base, n_cur),
            )
            for m in CATEGORICAL_METRICS
        ]
        output.bins += category_rows(name, categories, base, cur)


def _category_detail(new: list[str], gone: list[str]) -> str | None:
    parts = []
    for label, names in (("new", new), ("vanished", gone)):
        if names:
            shown = ", ".join(names[:LISTED_CATEGORIES])
            more = f" (+{len(names) - LISTED_CATEGORIES} more)" if len(names) > LISTED_CATEGORIES else ""
            parts.append(f"{label}: {shown}{more}")
    return "; ".join(parts) or None
