"""Notifiers: where a run's outcome goes — the console as text or JSON (`--format`), and the channels of `notify:`
(Slack, webhook, email, PagerDuty, Teams; sqlmon.notify.channels), which the run's notify stage messages
(sqlmon.notify.dispatch)."""

from sqlmon.notify.base import Notifier, Report, get

__all__ = ["Notifier", "Report", "get"]
