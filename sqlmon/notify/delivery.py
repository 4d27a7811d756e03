"""Delivery shared by every channel: timeouts, retries with exponential backoff, and errors without secrets.

A transient failure (a 5xx or 429 answer, a timeout, a refused or dropped connection, an SMTP 4xx reply) is retried
`retries` times, waiting `backoff`, 2×, 4× … seconds, or what the server's Retry-After asks, never more than
`max_wait` per wait; anything else fails at once. The run that sends never fails because of it: the caller stores
and prints the failure (sqlmon.notify.dispatch).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlmon.errors import SqlmonError, redact

T = TypeVar("T")


class DeliveryError(SqlmonError):
    """A message that could not be delivered; its text names the cause, never a secret."""


class Transient(Exception):
    """A failure worth another attempt; `wait` is the server's own Retry-After, in seconds, when it gave one."""

    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


@dataclass(frozen=True)
class Policy:
    timeout: float = 10.0  # seconds per attempt
    retries: int = 3
    backoff: float = 1.0  # the first wait; each next one doubles
    max_wait: float = 30.0  # a Retry-After of an hour must not hold a nightly run for an hour
    sleep: Callable[[float], None] = time.sleep

    def wait_before(self, attempt: int, asked: float | None) -> float:
        """The wait before attempt `attempt` + 1 (attempts count from 1)."""
        wait = asked if asked is not None else self.backoff * 2 ** (attempt - 1)
        return max(0.0, min(wait, self.max_wait))


def attempt(call: Callable[[], T], policy: Policy, secrets: list[str]) -> T:
    """`call()`, again after each `Transient` failure until the retries are spent; then a DeliveryError with the last
    cause and the number of attempts."""
    tries = policy.retries + 1
    for number in range(1, tries + 1):
        try:
            return call()
        except Transient as exc:
            if number == tries:
                plural = "s" if tries != 1 else ""
                raise DeliveryError(redact(f"{exc.reason} ({tries} attempt{plural})", secrets)) from None
            policy.sleep(policy.wait_before(number, exc.wait))
        except DeliveryError as exc:
            raise DeliveryError(redact(str(exc), secrets)) from None
    raise AssertionError("unreachable")  # the loop returns or raises
