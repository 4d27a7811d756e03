"""The channel interface: a typed settings model selected by `type`, and one `send(message)`.

A channel module is imported when sqlmon.yml names its type, to validate its settings, so it imports nothing heavy
at module level: the HTTP and SMTP code is imported when a message is sent.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

from sqlmon.config.channels import GROUP, ChannelSpec, WhenSpec, http_url, secret_values
from sqlmon.plugins import Registry, subclass_of

if TYPE_CHECKING:
    from sqlmon.notify.delivery import Policy
    from sqlmon.notify.message import Message

__all__ = ["CHANNELS", "Channel", "ChannelSpec", "WhenSpec", "http_url", "secret_values"]


class Channel(ABC):
    """One configured channel. `send` delivers the whole message or raises `DeliveryError` (sqlmon.notify.delivery);
    it never prints, and its errors never contain the channel's secrets."""

    type: ClassVar[str]  # the entry-point name, which `type:` takes
    spec_class: ClassVar[builtins.type[ChannelSpec]]  # `type` is the attribute above, here
    # a test message goes through `send` as any other; a channel whose test needs more (PagerDuty resolves the
    # incident it opened) overrides `send_test`

    def __init__(self, spec: ChannelSpec, policy: Policy | None = None):
        from sqlmon.notify.delivery import Policy

        self.spec = spec
        self.policy = policy or Policy(timeout=spec.timeout, retries=spec.retries)

    @abstractmethod
    def send(self, message: Message) -> None:
        """Deliver the message (with the policy's timeouts and retries)."""

    def send_test(self, message: Message) -> None:
        self.send(message)

    def secrets(self) -> list[str]:
        return secret_values(self.spec)


def _check(name: str, loaded: object) -> type[Channel]:
    return subclass_of(Channel, "type")(name, loaded)  # type: ignore[type-abstract]  # an ABC, as mypy sees it


CHANNELS: Registry[type[Channel]] = Registry(GROUP, "notification channel", _check)
