"""The README's quick start is what CI runs: the two commands stay true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_the_quick_start_has_exactly_two_commands_demo_and_tests():
    demo, tests = quick_start_commands()
    assert demo.endswith("sqlmon demo")
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command_word_for_word():
    _, tests = quick_start_commands()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in ci
