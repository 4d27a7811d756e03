"""What a user gets from `pip install`: a fast CLI and the files that ship beside the code."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_cli_imports_no_heavy_module():
    code = (
        "import sys, sqlmon.cli; print(sorted(m for m in ('pandas', 'scipy', 'duckdb', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_wheel_carries_the_templates_the_example_monitors_and_the_demo_generator(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("sqlmon-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in ROOT.glob("macros/**/*.sql"):
        assert f"sqlmon/_bundled/{path.relative_to(ROOT)}" in names
    assert "sqlmon/_bundled/monitors/predictions.yml" in names
    assert "sqlmon/_bundled/example_warehouse/generate.py" in names
    assert "sqlmon/_bundled/example_warehouse/ground_truth.json" in names
    assert "sqlmon/_bundled/example_warehouse/sqlmon.yml" in names
