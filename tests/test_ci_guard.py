"""CI forbids skips, so a missing engine cannot pass as a green run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def test_a_skip_fails_when_engines_are_required(tmp_path):
    (tmp_path / "test_skip.py").write_text(
        textwrap.dedent("""
        import pytest

        def test_needs_an_engine():
            pytest.skip("engine unavailable: postgres")
    """)
    )
    (tmp_path / "conftest.py").write_text((Path(__file__).parent / "conftest.py").read_text())
    env = {**os.environ, "SQLMON_REQUIRE_ENGINES": "1"}
    strict = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    env["SQLMON_REQUIRE_ENGINES"] = "0"
    lenient = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert strict.returncode == 1 and "1 failed" in strict.stdout
    assert lenient.returncode == 0 and "1 skipped" in lenient.stdout
