"""Microsoft Teams: a Workflows webhook ("When a Teams webhook request is received"), with an Adaptive Card
(https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, field_validator

from sqlmon.notify.channels.base import Channel, ChannelSpec, http_url
from sqlmon.notify.message import Item, Message

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
COLORS = {"error": "Attention", "warn": "Warning", "resolved": "Good"}


class TeamsSpec(ChannelSpec):
    secret_fields = ("webhook_url",)
    type: Literal["teams"] = "teams"
    webhook_url: str = Field(description="the workflow's webhook URL; write `${ENV_VAR}`, it is a secret")

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)


def _item(item: Item) -> list[dict[str, Any]]:
    color = COLORS["resolved"] if item.event == "resolved" else COLORS.get(item.severity, "Default")
    elements: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": item.headline, "wrap": True, "weight": "Bolder", "color": color},
        {"type": "FactSet", "facts": [{"title": label, "value": text} for label, text in item.facts()]},
    ]
    if item.query and item.event != "resolved":
        elements.append(
            {"type": "TextBlock", "text": item.query, "wrap": True, "fontType": "Monospace", "size": "Small"}
        )
    if item.link:
        elements.append({"type": "TextBlock", "text": f"[Open in the report]({item.link})", "wrap": True})
    return [{"type": "Container", "separator": True, "items": elements}]


def card(message: Message) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": message.title, "wrap": True, "size": "Medium", "weight": "Bolder"}
    ]
    if message.test:
        body.append({"type": "TextBlock", "text": "This channel is configured correctly.", "wrap": True})
    else:
        for item in message.shown:
            body += _item(item)
        more = message.summary_of_omitted()
        if more:
            body.append({"type": "TextBlock", "text": more, "wrap": True, "isSubtle": True})
        footer = f"run {message.run_id[:12]} as of {message.as_of:%Y-%m-%d %H:%M}"
        body.append({"type": "TextBlock", "text": footer, "wrap": True, "isSubtle": True, "size": "Small"})
    content: dict[str, Any] = {"$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": "1.4", "body": body}
    if message.report_url:
        content["actions"] = [{"type": "Action.OpenUrl", "title": "Open the report", "url": message.report_url}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": content}
        ],
    }


class Teams(Channel):
    type = "teams"
    spec_class = TeamsSpec

    def send(self, message: Message) -> None:
        from sqlmon.notify.http import post

        spec = self.spec
        assert isinstance(spec, TeamsSpec)
        post(spec.webhook_url, json.dumps(card(message)).encode(), {}, self.policy, self.secrets())
