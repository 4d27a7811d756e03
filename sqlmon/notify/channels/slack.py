"""Slack: an incoming webhook, with a Block Kit message (https://api.slack.com/messaging/webhooks)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, field_validator

from sqlmon.notify.channels.base import Channel, ChannelSpec, http_url
from sqlmon.notify.message import Item, Message

SECTION_LIMIT = 3000  # characters of a section's text
HEADER_LIMIT = 150
ICONS = {"error": ":red_circle:", "warn": ":large_yellow_circle:", "resolved": ":white_check_mark:"}


class SlackSpec(ChannelSpec):
    secret_fields = ("webhook_url",)
    type: Literal["slack"] = "slack"
    webhook_url: str = Field(description="the incoming webhook's URL; write `${ENV_VAR}`, it is a secret")

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    # Slack's mrkdwn reads <, > and & as markup (links, mentions)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _item_text(item: Item) -> str:
    if item.event == "resolved":
        return (
            f"{ICONS['resolved']} *Resolved* `{_escape(item.subject)}` (was {item.severity}: {_escape(item.message)})"
        )
    change = f" (was {item.previous_severity})" if item.event == "changed" and item.previous_severity else ""
    still = " (still open)" if item.event == "repeated" else ""
    icon = ICONS.get(item.severity, "")
    lines = [f"{icon} *{item.severity.upper()}*{change}{still} `{item.monitor}`: {_escape(item.message)}"]
    lines.append(" · ".join(f"{label} {_escape(text)}" for label, text in item.facts()))
    if item.link:
        lines.append(f"<{item.link}|open in the report>")
    if item.query:
        lines.append(f"`{_escape(item.query)}`")
    return "\n".join(lines)


def blocks(message: Message) -> dict[str, Any]:
    """The webhook's JSON: `text` (the notification's and a fallback's line) and the blocks."""
    header: dict[str, Any] = {
        "type": "header",
        "text": {"type": "plain_text", "text": _clip(message.title, HEADER_LIMIT)},
    }
    if message.test:
        fine = {"type": "section", "text": {"type": "mrkdwn", "text": "This channel is configured correctly."}}
        return {"text": message.title, "blocks": [header, fine]}
    if not message.alerts:  # only resolutions: a short message
        lines = [_item_text(item) for item in message.shown]
        more = message.summary_of_omitted()
        text = "\n".join([*lines, *([more] if more else [])])
        return {
            "text": message.title,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, SECTION_LIMIT)}}],
        }
    body: list[dict[str, Any]] = [header]
    for item in message.shown:
        body.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(_item_text(item), SECTION_LIMIT)}})
    more = message.summary_of_omitted()
    if more:
        body.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(_escape(more), SECTION_LIMIT)}})
    context = [f"run `{message.run_id[:12]}` as of {message.as_of:%Y-%m-%d %H:%M}"]
    if message.target:
        context.append(_escape(message.target))
    if message.report_url:
        context.append(f"<{message.report_url}|report>")
    body.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]})
    if message.query:
        text = f"Every open alert of these monitors: `{_escape(message.query)}`"
        body.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text, SECTION_LIMIT)}]})
    return {"text": message.title, "blocks": body}


class Slack(Channel):
    type = "slack"
    spec_class = SlackSpec

    def send(self, message: Message) -> None:
        from sqlmon.notify.http import post

        spec = self.spec
        assert isinstance(spec, SlackSpec)
        body = json.dumps(blocks(message)).encode()
        post(spec.webhook_url, body, {}, self.policy, self.secrets())
