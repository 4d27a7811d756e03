"""Email over SMTP (smtplib): one plain-text message per run to every address in `to`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from sqlmon.notify.channels.base import Channel, ChannelSpec
from sqlmon.notify.message import Message

if TYPE_CHECKING:
    from email.message import EmailMessage

PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def _address(value: str) -> str:
    if value.count("@") != 1 or any(c in value for c in " \r\n<>,"):
        raise ValueError(f"`{value}` is not an email address (write name@example.com)")
    return value


class EmailSpec(ChannelSpec):
    secret_fields = ("password",)
    type: Literal["email"] = "email"
    smtp_host: str = Field(description="the SMTP server")
    smtp_port: int | None = Field(default=None, ge=1, le=65535, description="default: 587, 465 (ssl) or 25 (none)")
    security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", description="`starttls` (upgrade the connection), `ssl` (SMTPS) or `none`"
    )
    username: str | None = None
    password: str | None = Field(default=None, description="write `${ENV_VAR}`; never stored or printed")
    sender: str = Field(alias="from", description="the From address")
    to: list[str] = Field(min_length=1, description="the recipients")
    subject_prefix: str = Field(default="[sqlmon]", description="put before every subject")

    model_config = ConfigDict(**{**ChannelSpec.model_config, "populate_by_name": True})

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return _address(value)

    @field_validator("to")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        return [_address(v) for v in value]

    @model_validator(mode="after")
    def _login_pair(self) -> EmailSpec:
        if (self.username is None) != (self.password is None):
            raise ValueError("give `username` and `password` together, or neither")
        return self

    @property
    def port(self) -> int:
        return self.smtp_port or PORTS[self.security]


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


class Email(Channel):
    type = "email"
    spec_class = EmailSpec

    def compose(self, message: Message) -> EmailMessage:
        from email.message import EmailMessage
        from email.utils import formatdate, make_msgid

        spec = self.spec
        assert isinstance(spec, EmailSpec)
        mail = EmailMessage()
        title = message.title.removeprefix("sqlmon ")
        mail["Subject"] = f"{spec.subject_prefix} {title}".strip()
        mail["From"] = spec.sender
        mail["To"] = ", ".join(spec.to)
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = make_msgid(domain=spec.sender.split("@")[1])
        mail.set_content(message.text())
        return mail

    def send(self, message: Message) -> None:
        import smtplib
        import ssl

        from sqlmon.notify.delivery import DeliveryError, Transient, attempt

        spec = self.spec
        assert isinstance(spec, EmailSpec)
        mail = self.compose(message)

        def once() -> None:
            try:
                smtp: smtplib.SMTP
                if spec.security == "ssl":
                    smtp = smtplib.SMTP_SSL(
                        spec.smtp_host, spec.port, timeout=self.policy.timeout, context=ssl.create_default_context()
                    )
                else:
                    smtp = smtplib.SMTP(spec.smtp_host, spec.port, timeout=self.policy.timeout)
                with smtp:
                    if spec.security == "starttls":
                        smtp.starttls(context=ssl.create_default_context())
                    if spec.username is not None and spec.password is not None:
                        smtp.login(spec.username, spec.password)
                    smtp.send_message(mail)
            except smtplib.SMTPResponseException as exc:
                reason = f"SMTP {exc.smtp_code} {_text(exc.smtp_error)[:200]}"
                if 400 <= exc.smtp_code < 500:  # a temporary refusal: greylisting, a full queue
                    raise Transient(reason) from None
                raise DeliveryError(reason) from None
            except smtplib.SMTPRecipientsRefused as exc:
                raise DeliveryError(f"recipients refused: {', '.join(exc.recipients)}") from None
            except smtplib.SMTPNotSupportedError as exc:
                raise DeliveryError(f"the server does not support it: {exc}") from None
            except (TimeoutError, smtplib.SMTPServerDisconnected, ConnectionError, OSError) as exc:
                raise Transient(f"cannot reach {spec.smtp_host}:{spec.port}: {type(exc).__name__}: {exc}") from None

        attempt(once, self.policy, self.secrets())
