"""sqlmon: monitors for ML models and data pipelines, compiled to SQL that runs inside the warehouse.

The Python API (docs/api.md): `sqlmon.Project.load(path).run(start=…, end=…)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sqlmon.api import Project, Rows, Run, RunFailed
    from sqlmon.errors import ConfigError, EngineError, SqlmonError

__all__ = ["ConfigError", "EngineError", "Project", "Rows", "Run", "RunFailed", "SqlmonError", "__version__"]
_API = {"Project", "Rows", "Run", "RunFailed"}
_ERRORS = {"ConfigError", "EngineError", "SqlmonError"}


def __getattr__(name: str) -> Any:
    # Loaded on first use: every module of the package imports this one (for __version__), and the API sits at the
    # top of the pipeline, above the runner (tests/test_architecture.py).
    if name in _API:
        from sqlmon import api

        return getattr(api, name)
    if name in _ERRORS:
        from sqlmon import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'sqlmon' has no attribute {name!r}")
