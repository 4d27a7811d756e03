"""Where the files that ship beside the code live: templates, example monitors, the demo warehouse generator.

In a source checkout they sit at the top of the repository; an installed wheel carries them in `sqlmon/_bundled/`.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """`macros`, `monitors` or `example_warehouse`."""
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"sqlmon cannot find its `{name}` folder; reinstall the package")
