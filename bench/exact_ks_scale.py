"""What exact KS and Wasserstein cost at scale on embedded DuckDB, against a plain group-by-value fetch.

Builds, in a temporary DuckDB file, a baseline table `main.base` and a current table `main.cur` with `columns`
continuous DOUBLE columns (normal, lognormal and exponential in turn, drawn in-engine with random(), so nearly every
value is distinct; the current side is slightly shifted) and `rows` rows per side, then measures three ways of getting
the exact two-sample KS statistic and 1-Wasserstein distance of every column:

1. `one statement`: sqlmon's `feature_drift.ks_wasserstein` for all columns through sqlmon.executor.Executor, which
   makes them one UNION ALL statement (exactly what `sqlmon run` does for a window);
2. `per column`: the same macro through the same Executor, one statement per column;
3. `group-by fetch`: per column `SELECT x, count(*) ... GROUP BY x` on each side, fetched into Python (fetchall),
   merged, and KS / Wasserstein computed by sqlmon.stats.reference.ks_from_counts / wasserstein_from_counts;
4. `bounded (cells)`: sqlmon's `feature_drift.ks_wasserstein_binned` (what `exact: auto` does above
   `exact_max_rows`, and `exact: never` always): the baseline's finite range from one aggregate statement, then every
   column's cell counts (65,536 cells) and bounds in one statement. Its KS is a lower bound L and its Wasserstein the
   midpoint of [low, up]; "agrees" then checks that the exact values lie within the bounds and reports the widths.

`sqlmon run` uses 2 for `exact: always` above `exact_max_rows`, 4 for `auto` above it, and 1 below it.

Each measurement runs in a fresh process (spawned, not forked), so its peak resident memory (ru_maxrss) is its own.
DuckDB's own peak is sampled every 0.1 s from a second connection (`duckdb_memory()`: buffer-managed memory and
temporary storage) together with the size of its temporary directory, so it is a lower bound. The results are
compared with those of 1, or of the first approach that ran if 1 did not (absolute difference, tolerance 1e-9).
A measurement is killed when its resident memory passes 20 GiB or it runs past `--timeout`; approach 3 is skipped
when its estimated peak is above 16 GiB.

    python bench/exact_ks_scale.py                                # 1M and 10M rows per side, 15 columns
    python bench/exact_ks_scale.py --rows 1000000                 # one size
    python bench/exact_ks_scale.py --rows 1000000 --memory-limit 4GB
    python bench/exact_ks_scale.py --timeout 360                  # at most 6 minutes per measurement
    python bench/exact_ks_scale.py --rows 10000000 --approaches 2,3,4
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

APPROACHES = ("one statement", "per column", "group-by fetch", "bounded (cells)")
CELLS = 65536
TOLERANCE = 1e-9
FETCH_LIMIT_GB = 16.0  # GiB; approach 3 is skipped when its estimated peak is above this
RSS_CEILING_GB = 20.0  # GiB; a measurement is killed when its resident memory passes this (the machine has 24 GiB)
# A priori cost of approach 3 per fetched row (one side, one column): a (float, int) tuple in a list is ~90 bytes,
# plus the numpy copies of the merge and DuckDB's hash table. Raised to the measured rate once a size has run.
FETCH_BYTES_PER_ROW = 200
SAMPLE_SECONDS = 0.1

DISTRIBUTIONS = (
    "{shift} + {scale} * {z}",  # normal
    "exp({shift} * 0.2 + 0.5 * {z})",  # lognormal
    "{scale} * -ln(1 - random()) + {shift}",  # exponential
)


def _normal() -> str:
    # Box-Muller; 1 - random() is in (0, 1], so the logarithm is finite
    return "sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())"


def _columns_sql(columns: int, shift: float) -> str:
    parts = []
    for i in range(columns):
        template = DISTRIBUTIONS[i % len(DISTRIBUTIONS)]
        expression = template.format(shift=i * 0.1 + shift, scale=1 + i * 0.05, z=_normal())
        parts.append(f"CAST({expression} AS DOUBLE) AS c{i:02d}")
    return ",\n  ".join(parts)


def build(path: str, rows: int, columns: int, queue: multiprocessing.Queue) -> None:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect(path)
    con.execute("SELECT setseed(0.42)")
    con.execute(f"CREATE TABLE main.base AS SELECT\n  {_columns_sql(columns, 0.0)}\nFROM range({rows})")
    con.execute(f"CREATE TABLE main.cur AS SELECT\n  {_columns_sql(columns, 0.02)}\nFROM range({rows})")
    distinct = con.execute("SELECT count(DISTINCT c00) / count(*) FROM main.base").fetchone()[0]
    con.execute("CHECKPOINT")
    con.close()
    queue.put((time.perf_counter() - started, os.path.getsize(path), distinct))


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _dir_bytes(folder: str) -> int:
    total = 0
    try:
        for entry in os.scandir(folder):
            if entry.is_file(follow_symlinks=False):
                total += entry.stat(follow_symlinks=False).st_size
            elif entry.is_dir(follow_symlinks=False):
                total += _dir_bytes(entry.path)
    except FileNotFoundError:
        pass
    return total


class Sampler(threading.Thread):
    """Polls DuckDB's memory (from its own connection) and its temporary directory while a measurement runs."""

    def __init__(self, connection: Any, temp_directory: str):
        super().__init__(daemon=True)
        self.cursor = connection.cursor()
        self.temp_directory = temp_directory
        self.stop = threading.Event()
        self.peak_memory = self.peak_temporary = self.peak_temp_dir = 0
        self.temp_dir_before = _dir_bytes(temp_directory)

    def sample(self) -> None:
        memory, temporary = self.cursor.execute(
            "SELECT sum(memory_usage_bytes), sum(temporary_storage_bytes) FROM duckdb_memory()"
        ).fetchone()
        self.peak_memory = max(self.peak_memory, int(memory or 0))
        self.peak_temporary = max(self.peak_temporary, int(temporary or 0))
        self.peak_temp_dir = max(self.peak_temp_dir, _dir_bytes(self.temp_directory) - self.temp_dir_before)

    def run(self) -> None:
        while not self.stop.wait(SAMPLE_SECONDS):
            self.sample()

    def finish(self) -> None:
        self.stop.set()
        self.join()
        self.sample()
        self.cursor.close()


def _requests(columns: list[str]) -> list[Any]:
    from sqlmon.monitors.base import Distribution, Relation

    return [
        Distribution.of(
            "feature_drift.ks_wasserstein",
            column=name,
            floating=True,
            floating_base=True,
            current=Relation("main.cur"),
            baseline=Relation("main.base"),
        )
        for name in columns
    ]


def _sqlmon(engine: Any, columns: list[str], one_statement: bool) -> tuple[dict[str, tuple[float, float]], int]:
    from sqlmon.executor import Executor
    from sqlmon.sql.compiler import SqlCompiler

    executor = Executor(engine, SqlCompiler("duckdb"))
    requests = _requests(columns)
    results: dict[Any, Any] = {}
    for batch in [requests] if one_statement else [[r] for r in requests]:
        results.update(executor.run(batch, "bench", None))
    values = {}
    for name, request in zip(columns, requests, strict=True):
        (_, ks, wasserstein), *_ = results[request]
        values[name] = (ks, wasserstein)
    return values, len(executor.log.statements)


def _bounded(engine: Any, columns: list[str]) -> tuple[dict[str, tuple[float, ...]], int]:
    from sqlmon.executor import Executor
    from sqlmon.monitors.base import Aggregate, Distribution, Relation
    from sqlmon.sql.compiler import SqlCompiler

    executor = Executor(engine, SqlCompiler("duckdb"))
    base, cur = Relation("main.base"), Relation("main.cur")
    ranges = {
        name: (
            Aggregate.of(base, "common.finite_min", column=name, floating=True),
            Aggregate.of(base, "common.finite_max", column=name, floating=True),
        )
        for name in columns
    }
    found = executor.run([r for pair in ranges.values() for r in pair], "bench", None)
    requests = {
        name: Distribution.of(
            "feature_drift.ks_wasserstein_binned",
            column=name,
            floating=True,
            floating_base=True,
            current=cur,
            baseline=base,
            lo=float(found[low]),
            hi=float(found[high]),
            cells=CELLS,
        )
        for name, (low, high) in ranges.items()
    }
    results = executor.run(list(requests.values()), "bench", None)
    values = {}
    for name, request in requests.items():
        bounds = {k: (a, b) for k, a, b in results[request]}
        (ks_low, ks_up), (w_low, w_up) = bounds["ks"], bounds["wasserstein"]
        values[name] = (ks_low, (w_low + w_up) / 2, ks_up, w_low, w_up)
    return values, len(executor.log.statements)


def _group_by_fetch(engine: Any, columns: list[str]) -> tuple[dict[str, tuple[float, float]], int]:
    import numpy as np

    from sqlmon.stats import reference

    values = {}
    for name in columns:
        base = engine.query(f'SELECT "{name}" AS x, count(*) AS n FROM main.base GROUP BY "{name}"')
        cur = engine.query(f'SELECT "{name}" AS x, count(*) AS n FROM main.cur GROUP BY "{name}"')
        x = np.fromiter((r[0] for r in base), float, len(base))
        nb = np.fromiter((r[1] for r in base), float, len(base))
        y = np.fromiter((r[0] for r in cur), float, len(cur))
        nc = np.fromiter((r[1] for r in cur), float, len(cur))
        del base, cur
        merged = np.concatenate([x, y])
        base_counts = np.concatenate([nb, np.zeros_like(nc)])
        cur_counts = np.concatenate([np.zeros_like(nb), nc])
        values[name] = (
            reference.ks_from_counts(merged, base_counts, cur_counts),
            reference.wasserstein_from_counts(merged, base_counts, cur_counts),
        )
    return values, 2 * len(columns)


def measure(path: str, approach: str, columns: int, memory_limit: str | None, queue: multiprocessing.Queue) -> None:
    from sqlmon.config.specs import DuckDBConnection
    from sqlmon.engines.duckdb import DuckDBEngine

    names = [f"c{i:02d}" for i in range(columns)]
    engine = DuckDBEngine.open(DuckDBConnection(path=path, memory_limit=memory_limit), Path("."))
    temp_directory = engine.query("SELECT current_setting('temp_directory')")[0][0]
    temp_directory = os.path.join(os.path.dirname(path), temp_directory) if temp_directory else path + ".tmp"
    rss_before = _rss_mb()
    in_engine = [0.0]
    query = engine.query

    def timed_query(sql: str, parameters: Any = None) -> list[tuple]:
        # time in the engine, fetch included, as against compiling SQL (sqlglot) and the Python-side statistics
        tic = time.perf_counter()
        try:
            return query(sql, parameters)
        finally:
            in_engine[0] += time.perf_counter() - tic

    engine.query = timed_query  # type: ignore[method-assign]
    sampler = Sampler(engine._con, temp_directory)
    sampler.start()
    started = time.perf_counter()
    try:
        if approach == "group-by fetch":
            values, statements = _group_by_fetch(engine, names)
        elif approach == "bounded (cells)":
            values, statements = _bounded(engine, names)
        else:
            values, statements = _sqlmon(engine, names, one_statement=approach == "one statement")
    except Exception as exc:  # e.g. DuckDB's Out of Memory Error under a memory_limit: report it, as a result
        sampler.finish()
        engine.close()
        queue.put({"error": str(exc).splitlines()[0][:160]})
        return
    seconds = time.perf_counter() - started
    sampler.finish()
    engine.close()
    queue.put(
        {
            "seconds": seconds,
            "in_engine": in_engine[0],
            "statements": statements,
            "rss_before_mb": rss_before,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "duckdb_peak_mb": sampler.peak_memory / 2**20,
            "spilled_mb": max(sampler.peak_temporary, sampler.peak_temp_dir) / 2**20,
            "values": values,
        }
    )


def _process_rss_gb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**30
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


def _in_process(target: Any, args: tuple, timeout: float) -> tuple[Any, str]:
    """Runs target(*args, queue) in a freshly spawned interpreter: (its answer, "") or (None, why it has none).

    The process is killed when it runs out of time, or when its resident memory passes RSS_CEILING_GB, so that no
    measurement can take the machine down.
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    deadline = time.monotonic() + timeout
    result, why = None, ""
    while result is None:
        try:
            result = queue.get(timeout=0.5)
        except Exception:  # queue.Empty: still running, or dead without an answer
            if not process.is_alive() and queue.empty():
                why = f"failed (exit code {process.exitcode})"
                break
            if time.monotonic() > deadline:
                why = f"timed out after {timeout:.0f} s"
                break
            rss = _process_rss_gb(process.pid)
            if rss > RSS_CEILING_GB:
                why = f"killed at {rss:.1f} GiB resident (ceiling {RSS_CEILING_GB:.0f} GiB)"
                break
    if result is None and process.is_alive():
        process.kill()
    process.join()
    return result, why


def _agreement(
    values: dict[str, tuple[float, float]], reference: tuple[int, dict[str, tuple[float, float]]] | None
) -> str:
    if reference is None:
        return "reference"
    reference_label, reference = reference
    worst_ks = worst_w = 0.0
    if any(len(v) > 2 for v in values.values()):  # bounds: the exact values must lie inside them
        inside = all(
            ks_low - TOLERANCE <= reference[name][0] <= ks_up + TOLERANCE
            and w_low - TOLERANCE <= reference[name][1] <= w_up + TOLERANCE
            for name, (ks_low, _, ks_up, w_low, w_up) in values.items()
        )
        width_ks = max(v[2] - v[0] for v in values.values())
        error_w = max((v[4] - v[3]) / 2 / max(abs(reference[name][1]), 1e-300) for name, v in values.items())
        for name, (ks, w, *_) in values.items():
            worst_ks = max(worst_ks, abs(ks - reference[name][0]))
            worst_w = max(worst_w, abs(w - reference[name][1]) / max(abs(reference[name][1]), 1e-300))
        verdict = "exact inside bounds" if inside else "NO: exact outside bounds"
        return (
            f"{verdict} of {reference_label}: max KS error bound {width_ks:.1e} (actual {worst_ks:.1e}), "
            f"W relative bound {error_w:.1e} (actual {worst_w:.1e})"
        )
    for name, (ks, w) in values.items():
        ref_ks, ref_w = reference[name]
        worst_ks = max(worst_ks, abs(ks - ref_ks))
        worst_w = max(worst_w, abs(w - ref_w))
    verdict = "yes" if worst_ks <= TOLERANCE and worst_w <= TOLERANCE and math.isfinite(worst_ks + worst_w) else "NO"
    return f"{verdict} vs {reference_label} (max Δ KS {worst_ks:.1e}, W {worst_w:.1e})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="rows per side (repeatable); default 1M and 10M")
    parser.add_argument("--columns", type=int, default=15, help="DOUBLE columns per table (default 15)")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit for the measurements, e.g. 4GB (default: unset)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed per measurement (default 900)")
    parser.add_argument("--approaches", default="1,2,3,4", help="which approaches to measure, e.g. 2,3,4")
    args = parser.parse_args()
    sizes = args.rows or [1_000_000, 10_000_000]
    started = time.perf_counter()
    header = (
        "| rows/side | approach | statements | wall s | in engine s | peak RSS MiB | DuckDB peak MiB | spilled MiB "
        "| agrees |\n"
        "|---:|---|---:|---:|---:|---:|---:|---:|---|"
    )
    lines: list[str] = []
    notes: list[str] = []
    fetch_bytes_per_row = float(FETCH_BYTES_PER_ROW)
    for rows in sorted(sizes):
        with tempfile.TemporaryDirectory(prefix="exact_ks_") as tmp:
            path = str(Path(tmp) / "bench.duckdb")
            built, why = _in_process(build, (path, rows, args.columns), args.timeout)
            if built is None:
                notes.append(f"{rows:,} rows: building the tables {why}")
                continue
            build_seconds, size, distinct = built
            notes.append(
                f"{rows:,} rows/side × {args.columns} columns: built in {build_seconds:.1f} s, file "
                f"{size / 2**20:,.0f} MiB, {distinct:.4%} of c00's baseline values distinct"
            )
            reference = None
            chosen = {int(n) for n in args.approaches.split(",")}
            for number, approach in enumerate(APPROACHES, start=1):
                label = f"{number}. {approach}"
                if number not in chosen:
                    continue
                if approach == "group-by fetch":
                    estimate_gb = fetch_bytes_per_row * 2 * rows / 2**30 + 0.3
                    if estimate_gb > FETCH_LIMIT_GB:
                        lines.append(f"| {rows:,} | {label} | | | | | | | skipped |")
                        notes.append(
                            f"{rows:,} rows: skipped approach 3, estimated peak {estimate_gb:.1f} GiB "
                            f"({fetch_bytes_per_row:.0f} bytes per fetched row × 2 sides × {rows:,} rows, one column "
                            f"at a time) is above {FETCH_LIMIT_GB:.0f} GiB"
                        )
                        continue
                result, why = _in_process(measure, (path, approach, args.columns, args.memory_limit), args.timeout)
                if result is not None and "error" in result:
                    result, why = None, f"failed: {result['error']}"
                if result is None:
                    # a killed DuckDB leaves its spill files behind; they are not the next measurement's
                    shutil.rmtree(path + ".tmp", ignore_errors=True)
                    lines.append(f"| {rows:,} | {label} | | | | | | | {why} |")
                    print(lines[-1], flush=True)
                    continue
                if approach == "group-by fetch":
                    grown = (result["peak_rss_mb"] - result["rss_before_mb"]) * 2**20 / (2 * rows)
                    fetch_bytes_per_row = max(float(FETCH_BYTES_PER_ROW), grown)
                agreement = _agreement(result["values"], reference)
                if approach != "bounded (cells)":
                    reference = reference or (number, result["values"])
                lines.append(
                    f"| {rows:,} | {label} | {result['statements']} | {result['seconds']:.1f} | "
                    f"{result['in_engine']:.1f} | {result['peak_rss_mb']:,.0f} | {result['duckdb_peak_mb']:,.0f} | "
                    f"{result['spilled_mb']:,.0f} | {agreement} |"
                )
                print(lines[-1], flush=True)
    print()
    print(header)
    print("\n".join(lines))
    print()
    limit = args.memory_limit or "unset (DuckDB's default, 80% of RAM)"
    print(f"- {os.cpu_count()} cores; DuckDB memory_limit {limit}; each measurement in a fresh process")
    print(
        f"- agrees: KS and Wasserstein of every column within {TOLERANCE} of the reference (1, else the first that ran)"
    )
    print("- in engine: time inside engine.query (DuckDB, fetch included); the rest is sqlglot compiling or numpy")
    print("- peak RSS is the process's ru_maxrss (Python + DuckDB, including ~100 MiB of imports)")
    print(f"- DuckDB peak: the largest of duckdb_memory() sampled every {SAMPLE_SECONDS} s (a lower bound)")
    print("- spilled: the largest temporary storage seen (duckdb_memory(), or the growth of the temporary directory)")
    for note in notes:
        print(f"- {note}")
    print(f"- total runtime {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
