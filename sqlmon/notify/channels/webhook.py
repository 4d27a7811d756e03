"""A generic webhook: the message as JSON (or a body of your own from a Jinja template), POSTed, signed with
HMAC-SHA256 when a `secret` is given."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from typing import Any, Literal

from pydantic import Field, field_validator

from sqlmon.notify.channels.base import Channel, ChannelSpec, http_url
from sqlmon.notify.message import Item, Message

PAYLOAD_VERSION = 1
SIGNATURE_HEADER = "X-Sqlmon-Signature"
TIMESTAMP_HEADER = "X-Sqlmon-Timestamp"
DELIVERY_HEADER = "X-Sqlmon-Delivery"


class WebhookSpec(ChannelSpec):
    secret_fields = ("secret",)
    type: Literal["webhook"] = "webhook"
    url: str = Field(description="where to POST")
    secret: str | None = Field(default=None, description="signs each request (HMAC-SHA256); write `${ENV_VAR}`")
    headers: dict[str, str] = Field(default_factory=dict, description="extra request headers, e.g. Authorization")
    body_template: str | None = Field(
        default=None, description="a Jinja template of the body; `payload` is the JSON document sqlmon would send"
    )
    content_type: str = Field(default="application/json", description="the body's Content-Type")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)

    @field_validator("body_template")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None:
            from jinja2 import TemplateSyntaxError

            try:
                _environment().parse(value)
            except TemplateSyntaxError as exc:
                raise ValueError(f"the template does not parse: {exc.message} (line {exc.lineno})") from None
        return value


def _environment() -> Any:
    from jinja2.sandbox import SandboxedEnvironment

    # a sandbox: the template is configuration, but it must not reach Python objects beyond the payload
    return SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)


def _item(item: Item) -> dict[str, Any]:
    return {
        "event": item.event,
        "monitor": item.monitor,
        "source": item.source,
        "column": item.column,
        "segment": item.segment,
        "metric": item.metric,
        "severity": item.severity,
        "previous_severity": item.previous_severity,
        "value": item.value if item.value is not None and math.isfinite(item.value) else None,
        "rule": item.rule,
        "message": item.message,
        "window_start": item.window_start.isoformat() if item.window_start else None,
        "owner": item.owner,
        "tags": list(item.tags),
        "query": item.query,
        "report_url": item.link,
    }


def payload(message: Message) -> dict[str, Any]:
    """The JSON document: every item (machines want all of them, so `max_alerts` does not cut it)."""
    return {
        "version": PAYLOAD_VERSION,
        "kind": "test" if message.test else "notification",
        "project": message.project,
        "channel": message.channel,
        "run_id": message.run_id,
        "as_of": message.as_of.isoformat(),
        "target": message.target,
        "title": message.title,
        "worst_severity": message.worst,
        "alerts": [_item(i) for i in message.alerts],
        "resolved": [_item(i) for i in message.resolved],
        "query": message.query,
        "report_url": message.report_url,
    }


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>`: the timestamp is signed too, so a receiver can
    refuse an old request replayed."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class Webhook(Channel):
    type = "webhook"
    spec_class = WebhookSpec

    def body(self, message: Message) -> bytes:
        spec = self.spec
        assert isinstance(spec, WebhookSpec)
        document = payload(message)
        if spec.body_template is None:
            return json.dumps(document, allow_nan=False).encode()
        environment = _environment()
        environment.filters["tojson"] = lambda value: json.dumps(value, allow_nan=False)
        rendered: str = environment.from_string(spec.body_template).render(payload=document, **document)
        return rendered.encode()

    def send(self, message: Message) -> None:
        from sqlmon.notify.http import post

        spec = self.spec
        assert isinstance(spec, WebhookSpec)
        body = self.body(message)
        headers = {**spec.headers, "Content-Type": spec.content_type, DELIVERY_HEADER: f"{message.run_id}:{spec.name}"}
        if spec.secret:
            # one timestamp for every retry of this delivery: the signature stays valid, the receiver dedups by
            # the delivery id
            stamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = stamp
            headers[SIGNATURE_HEADER] = signature(spec.secret, stamp, body)
        post(spec.url, body, headers, self.policy, self.secrets() + list(spec.headers.values()))
