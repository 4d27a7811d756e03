"""How long loading and validating a large monitor file takes (`sqlmon validate --offline`), whole process.

    python bench/config_load.py [--monitors 10000 50000]

Prints one row per size: the file's bytes, the median of 3 whole-process runs, and peak RSS, measured with
/usr/bin/time -v (seconds and KiB as it reports them).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ITEM = "  - {name: nulls_%05d, type: null_rate, source: events, columns: [amount, country, a_longer_name]}\n"


def project(folder: Path, monitors: int) -> int:
    (folder / "monitors").mkdir(parents=True)
    (folder / "sqlmon.yml").write_text("results_schema: sqlmon\n")
    lines = ["sources:\n", "  - {name: events, table: main.events}\n", "monitors:\n"]
    lines += [ITEM % i for i in range(monitors)]
    path = folder / "monitors" / "monitors.yml"
    path.write_text("".join(lines))
    return path.stat().st_size


def measure(folder: Path) -> tuple[float, int]:
    done = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-m", "sqlmon", "validate", "--offline", "-p", str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = re.search(r"Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)", done.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    assert wall and rss, done.stderr
    hours, minutes, seconds = wall.groups()
    return (int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)), int(rss.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    args = parser.parse_args()
    print(f"{'monitors':>9}  {'bytes':>11}  {'median s':>8}  {'peak RSS MiB':>12}")
    for count in args.monitors:
        with tempfile.TemporaryDirectory() as tmp:
            size = project(Path(tmp), count)
            runs = [measure(Path(tmp)) for _ in range(3)]
        seconds = statistics.median(r[0] for r in runs)
        rss = max(r[1] for r in runs) / 1024
        print(f"{count:>9,}  {size:>11,}  {seconds:>8.2f}  {rss:>12.0f}")


if __name__ == "__main__":
    main()
