"""HTTP POST with the standard library (urllib): no client library to install, and none imported until a message
is sent."""

from __future__ import annotations

import email.utils
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmon.notify.delivery import DeliveryError, Policy, Transient, attempt

USER_AGENT = "sqlmon-notify"
# answers below 500 worth another attempt: a request timeout, too early, or a request to slow down
TRANSIENT_STATUS = {408, 425, 429}


@dataclass(frozen=True)
class Response:
    status: int
    body: str


def post(url: str, body: bytes, headers: dict[str, str], policy: Policy, secrets: list[str]) -> Response:
    """POST `body` to `url`; a 2xx answer is returned, anything else raises DeliveryError (after retries where
    they help). The URL never appears in an error: it often is the secret (a Slack or Teams webhook)."""
    request_headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers}

    def once() -> Response:
        request = urllib.request.Request(url, data=body, headers=request_headers, method="POST")
        try:
            with urllib.request.urlopen(
                request, timeout=policy.timeout
            ) as answer:  # http(s) only: checked by the settings
                return Response(answer.status, answer.read(65536).decode("utf-8", "replace"))
        except urllib.error.HTTPError as exc:
            text = _body(exc)
            reason = f"HTTP {exc.code} {exc.reason}" + (f": {text}" if text else "")
            if exc.code >= 500 or exc.code in TRANSIENT_STATUS:  # the server is overloaded or restarting
                raise Transient(reason, retry_after(exc.headers.get("Retry-After"))) from None
            raise DeliveryError(reason) from None
        except TimeoutError:
            raise Transient(f"no answer within {policy.timeout:g} s") from None
        except urllib.error.URLError as exc:
            cause = exc.reason
            if isinstance(cause, TimeoutError):
                raise Transient(f"no answer within {policy.timeout:g} s") from None
            raise Transient(f"cannot connect: {cause}") from None
        except (ConnectionError, OSError) as exc:  # reset or dropped mid-answer
            raise Transient(f"connection failed: {type(exc).__name__}: {exc}") from None

    return attempt(once, policy, secrets)


def _body(error: urllib.error.HTTPError) -> str:
    """The first line of an error answer (Slack says `invalid_payload`), short."""
    try:
        text = error.read(2048).decode("utf-8", "replace").strip()
    except OSError:
        return ""
    first = text.splitlines()[0] if text else ""
    return first[:200]


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date (RFC 9110); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
