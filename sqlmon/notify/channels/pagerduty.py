"""PagerDuty: Events API v2. Each alert key is its own event with a stable dedup key, so a page opens once, is
updated when the severity changes, and is resolved when the key clears (https://developer.pagerduty.com/docs/events-api-v2/overview/)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import Field, field_validator

from sqlmon.notify.channels.base import Channel, ChannelSpec, http_url
from sqlmon.notify.message import AlertKey, Item, Message

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SEVERITIES = {"warn": "warning", "error": "error"}
SUMMARY_LIMIT = 1024


class PagerDutySpec(ChannelSpec):
    secret_fields = ("routing_key",)
    type: Literal["pagerduty"] = "pagerduty"
    routing_key: str = Field(description="the service integration's key; write `${ENV_VAR}`, it is a secret")
    events_url: str = Field(default=EVENTS_URL, description="the Events API endpoint (EU: events.eu.pagerduty.com)")

    @field_validator("events_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)


def dedup_key(project: str, key: AlertKey) -> str:
    """The same for a key on every run, so PagerDuty folds repeats into one alert and the resolve finds it."""
    text = json.dumps([project, *key])
    return "sqlmon-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def event(spec: PagerDutySpec, message: Message, item: Item) -> dict[str, Any]:
    key = dedup_key(message.project, item.key)
    if item.event == "resolved":
        return {"routing_key": spec.routing_key, "event_action": "resolve", "dedup_key": key}
    details: dict[str, Any] = {label: text for label, text in item.facts()}
    details.update({"monitor": item.monitor, "metric": item.metric, "message": item.message, "run_id": message.run_id})
    if item.owner:
        details["owner"] = item.owner
    if item.tags:
        details["tags"] = list(item.tags)
    if item.query:
        details["query"] = item.query
    document: dict[str, Any] = {
        "routing_key": spec.routing_key,
        "event_action": "trigger",
        "dedup_key": key,
        "payload": {
            "summary": item.headline[:SUMMARY_LIMIT],
            "source": message.target or message.project,
            "severity": SEVERITIES.get(item.severity, "error"),
            "timestamp": message.as_of.isoformat() + "Z",
            "component": item.monitor,
            "group": item.source or message.project,
            "class": item.metric,
            "custom_details": details,
        },
        "client": "sqlmon",
    }
    link = item.link or message.report_url
    if link:
        document["links"] = [{"href": link, "text": "sqlmon report"}]
    return document


class PagerDuty(Channel):
    type = "pagerduty"
    spec_class = PagerDutySpec

    def send(self, message: Message) -> None:
        # every item, whatever `max_alerts` says: each is its own PagerDuty alert, and a resolve must reach its key
        from sqlmon.notify.http import post

        spec = self.spec
        assert isinstance(spec, PagerDutySpec)
        for item in message.items:
            body = json.dumps(event(spec, message, item)).encode()
            post(spec.events_url, body, {}, self.policy, self.secrets())

    def send_test(self, message: Message) -> None:
        """A test opens an info-level alert and resolves it at once, so nobody stays paged."""
        from sqlmon.notify.http import post

        spec = self.spec
        assert isinstance(spec, PagerDutySpec)
        key = f"sqlmon-test-{hashlib.sha256(message.project.encode()).hexdigest()[:16]}"
        trigger = {
            "routing_key": spec.routing_key,
            "event_action": "trigger",
            "dedup_key": key,
            "payload": {"summary": message.title, "source": message.project, "severity": "info"},
            "client": "sqlmon",
        }
        resolve = {"routing_key": spec.routing_key, "event_action": "resolve", "dedup_key": key}
        for document in (trigger, resolve):
            post(spec.events_url, json.dumps(document).encode(), {}, self.policy, self.secrets())
