"""Notifiers: where a run's outcome goes — the console as text or JSON, and any channel a plugin registers."""

from sqlmon.notify.base import Notifier, Report, get

__all__ = ["Notifier", "Report", "get"]
