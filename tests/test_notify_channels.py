"""Each notification channel against a real local server: the HTTP server of tests/notify_server.py on 127.0.0.1,
and an SMTP server (aiosmtpd). Payload shapes, the webhook's signature, retries, Retry-After, timeouts, and errors
that never show a secret."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime

import pytest

from sqlmon.notify.channels.base import CHANNELS, ChannelSpec
from sqlmon.notify.delivery import DeliveryError, Policy
from sqlmon.notify.http import retry_after
from sqlmon.notify.message import Item, Message, probe
from tests.notify_server import Answer, Recorder

AS_OF = datetime(2026, 10, 21)
WINDOW = datetime(2026, 10, 20)
SECRET_PATH = "/hooks/T000/B000/s3cr3t-token"


def item(event="opened", severity="error", monitor="input_drift", column="country", metric="psi", **more) -> Item:
    fields = dict(
        value=2.026,
        message=f"{metric} of {column} = 2.026 ({severity}: > 0.25); new: BR",
        rule="threshold > 0.25",
        window_start=WINDOW,
        source="predictions",
        owner="ml-team",
        tags=("tier1",),
        query=f"SELECT window_start, value FROM sqlmon.sqlmon_metrics WHERE monitor = '{monitor}'",
        link=f"https://reports.example/report.html#monitor-{monitor}",
    )
    fields.update(more)
    return Item(event, monitor, column, None, metric, severity, **fields)


def message(items: list[Item], max_alerts: int = 10) -> Message:
    return Message(
        "demo",
        "oncall",
        "0123456789abcdef0123456789abcdef",
        AS_OF,
        "default (duckdb)",
        items,
        max_alerts,
        query="SELECT * FROM sqlmon.sqlmon_open_alerts WHERE monitor IN ('input_drift')",
        report_url="https://reports.example/report.html",
    )


class Sleeps(list[float]):
    """A Policy's sleep that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def channel(settings: dict, sleeps: Sleeps | None = None, **policy):
    spec: ChannelSpec = CHANNELS.get(settings["type"]).spec_class.model_validate({"name": "oncall", **settings})
    defaults = {"timeout": 5.0, "retries": 3}
    return CHANNELS.get(spec.type)(
        spec, Policy(**{**defaults, **policy}, sleep=sleeps if sleeps is not None else Sleeps())
    )


@pytest.fixture
def server():
    with Recorder() as recorder:
        yield recorder


# --- payloads ------------------------------------------------------------------------------------------------------


def test_slack_posts_one_block_kit_message_worst_first_with_a_summary_beyond_max_alerts(server):
    items = [
        item(severity="warn", monitor="score_distribution", column="score"),
        item(),
        *[item(monitor=f"m{i}", severity="warn") for i in range(4)],
        item("resolved", monitor="prediction_nulls", column="account_age_days", metric="null_rate"),
    ]
    channel({"type": "slack", "webhook_url": server.url + SECRET_PATH}).send(message(items, max_alerts=3))
    [request] = server.requests
    assert request.path == SECRET_PATH
    assert request.headers["Content-Type"] == "application/json"
    body = request.json()
    assert body["text"] == "sqlmon demo: 6 alerts (1 error, 5 warn), 1 resolved"
    blocks = body["blocks"]
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": body["text"]}}
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(sections) == 4  # three alerts, then the summary of the rest
    assert sections[0].startswith(":red_circle: *ERROR* `input_drift`: psi of country = 2.026 (error: &gt; 0.25)")
    assert "window 2026-10-20 00:00 · column country · rule threshold &gt; 0.25 · value 2.026" in sections[0]
    assert "<https://reports.example/report.html#monitor-input_drift|open in the report>" in sections[0]
    assert "`SELECT window_start, value FROM sqlmon.sqlmon_metrics WHERE monitor = 'input_drift'`" in sections[0]
    assert sections[1].startswith(":large_yellow_circle: *WARN* `m0`")  # warnings by monitor name
    assert sections[3] == "…and 4 more (3 warn, 1 resolved) in m2, m3, prediction_nulls, score_distribution"
    context = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert (
        context[0]
        == "run `0123456789ab` as of 2026-10-21 00:00 · default (duckdb) · <https://reports.example/report.html|report>"
    )
    assert "sqlmon_open_alerts" in context[1]


def test_slack_resolutions_alone_are_a_short_message(server):
    resolved = item("resolved", severity="error", monitor="prediction_nulls", column="account_age_days")
    channel({"type": "slack", "webhook_url": server.url + "/s"}).send(message([resolved]))
    body = server.requests[0].json()
    assert body["text"] == "sqlmon demo: 1 resolved"
    [block] = body["blocks"]
    assert block["text"]["text"] == (
        ":white_check_mark: *Resolved* `prediction_nulls: psi of account_age_days` "
        "(was error: psi of account_age_days = 2.026 (error: &gt; 0.25); new: BR)"
    )


def test_teams_posts_an_adaptive_card(server):
    channel({"type": "teams", "webhook_url": server.url + "/teams"}).send(
        message([item(), item("resolved", monitor="x")])
    )
    body = server.requests[0].json()
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"], card["$schema"]) == (
        "AdaptiveCard",
        "1.4",
        "http://adaptivecards.io/schemas/adaptive-card.json",
    )
    assert card["body"][0]["text"] == "sqlmon demo: 1 alert (1 error), 1 resolved"
    first = card["body"][1]["items"]
    assert first[0]["text"].startswith("ERROR input_drift: psi of country") and first[0]["color"] == "Attention"
    assert {"title": "rule", "value": "threshold > 0.25"} in first[1]["facts"]
    assert card["body"][2]["items"][0]["text"].startswith("RESOLVED x: psi of country")
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open the report", "url": "https://reports.example/report.html"}
    ]


def test_webhook_sends_every_item_as_json_signed_with_hmac_sha256(server):
    secret = "whsec-do-not-print"
    hook = channel({"type": "webhook", "url": server.url + "/sqlmon", "secret": secret, "headers": {"X-Team": "ml"}})
    items = [item(monitor=f"m{i}") for i in range(12)] + [item("resolved", monitor="gone")]
    hook.send(message(items, max_alerts=3))
    [request] = server.requests
    body = request.json()
    assert (body["version"], body["kind"], body["project"], body["channel"]) == (1, "notification", "demo", "oncall")
    assert len(body["alerts"]) == 12 and len(body["resolved"]) == 1  # machines get every item
    assert body["alerts"][0] == {
        "event": "opened",
        "monitor": "m0",
        "source": "predictions",
        "column": "country",
        "segment": None,
        "metric": "psi",
        "severity": "error",
        "previous_severity": None,
        "value": 2.026,
        "rule": "threshold > 0.25",
        "message": "psi of country = 2.026 (error: > 0.25); new: BR",
        "window_start": "2026-10-20T00:00:00",
        "owner": "ml-team",
        "tags": ["tier1"],
        "query": "SELECT window_start, value FROM sqlmon.sqlmon_metrics WHERE monitor = 'm0'",
        "report_url": "https://reports.example/report.html#monitor-m0",
    }
    assert body["worst_severity"] == "error"
    assert request.headers["X-Team"] == "ml"
    assert request.headers["X-Sqlmon-Delivery"] == "0123456789abcdef0123456789abcdef:oncall"
    stamp = request.headers["X-Sqlmon-Timestamp"]
    assert abs(int(stamp) - time.time()) < 60
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Sqlmon-Signature"] == f"sha256={expected}"
    assert secret not in request.body.decode()


def test_webhook_body_template_shapes_the_body(server):
    template = (
        '{"summary": {{ title | tojson }}, "count": {{ alerts | length }}, "first": {{ alerts[0].monitor | tojson }}}'
    )
    hook = channel(
        {"type": "webhook", "url": server.url + "/t", "body_template": template, "content_type": "application/json"}
    )
    hook.send(message([item(), item(monitor="b", severity="warn")]))
    request = server.requests[0]
    assert request.json() == {"summary": "sqlmon demo: 2 alerts (1 error, 1 warn)", "count": 2, "first": "input_drift"}
    assert "X-Sqlmon-Signature" not in request.headers  # no secret, no signature


def test_pagerduty_triggers_each_key_with_a_stable_dedup_key_and_resolves_it(server):
    pager = channel({"type": "pagerduty", "routing_key": "R0UT1NGKEY", "events_url": server.url + "/v2/enqueue"})
    server.queue(*[Answer(202, body=b'{"status":"success"}')] * 3)
    pager.send(message([item(), item(severity="warn", monitor="score_distribution", column="score")]))
    pager.send(message([item("resolved")]))
    first, second, resolve = (r.json() for r in server.requests)
    assert first["event_action"] == "trigger" and first["routing_key"] == "R0UT1NGKEY"
    assert first["payload"]["severity"] == "error" and second["payload"]["severity"] == "warning"
    assert first["payload"]["summary"] == "ERROR input_drift: psi of country = 2.026 (error: > 0.25); new: BR"
    assert (first["payload"]["component"], first["payload"]["group"], first["payload"]["class"]) == (
        "input_drift",
        "predictions",
        "psi",
    )
    assert first["payload"]["custom_details"]["owner"] == "ml-team"
    assert first["links"] == [
        {"href": "https://reports.example/report.html#monitor-input_drift", "text": "sqlmon report"}
    ]
    assert first["dedup_key"].startswith("sqlmon-") and first["dedup_key"] != second["dedup_key"]
    assert resolve == {"routing_key": "R0UT1NGKEY", "event_action": "resolve", "dedup_key": first["dedup_key"]}


def test_pagerduty_test_message_triggers_and_resolves_at_once(server):
    pager = channel({"type": "pagerduty", "routing_key": "k", "events_url": server.url + "/e"})
    pager.send_test(probe("demo", "oncall", AS_OF))
    trigger, resolve = (r.json() for r in server.requests)
    assert (trigger["event_action"], trigger["payload"]["severity"]) == ("trigger", "info")
    assert (resolve["event_action"], resolve["dedup_key"]) == ("resolve", trigger["dedup_key"])


# --- delivery: retries, Retry-After, timeouts, errors ---------------------------------------------------------------


def test_a_503_is_retried_with_exponential_backoff_until_a_200(server):
    server.queue(Answer(503), Answer(503), Answer(200))
    sleeps = Sleeps()
    channel({"type": "slack", "webhook_url": server.url + "/s"}, sleeps, backoff=0.5).send(message([item()]))
    assert len(server.requests) == 3
    assert server.requests[0].body == server.requests[2].body  # the same message each time
    assert sleeps == [0.5, 1.0]


def test_a_429_waits_what_retry_after_asks_capped(server):
    server.queue(Answer(429, {"Retry-After": "7"}), Answer(429, {"Retry-After": "3600"}), Answer(200))
    sleeps = Sleeps()
    channel({"type": "slack", "webhook_url": server.url + "/s"}, sleeps, max_wait=30.0).send(message([item()]))
    assert len(server.requests) == 3
    assert sleeps == [7.0, 30.0]


def test_retry_after_as_an_http_date():
    now = datetime(2026, 10, 21, 12, 0, 0).astimezone()
    assert retry_after("Wed, 21 Oct 2026 12:00:05 GMT", now.replace(tzinfo=None).astimezone()) is not None
    from datetime import UTC

    assert retry_after("Wed, 21 Oct 2026 12:00:05 GMT", datetime(2026, 10, 21, 12, tzinfo=UTC)) == 5.0
    assert retry_after("soon") is None and retry_after(None) is None


def test_retries_spent_fail_with_the_last_cause_and_never_the_url(server):
    server.queue(*[Answer(502, body=b"bad gateway")] * 3)
    slack = channel({"type": "slack", "webhook_url": server.url + SECRET_PATH}, retries=2)
    with pytest.raises(DeliveryError) as caught:
        slack.send(message([item()]))
    assert str(caught.value) == "HTTP 502 Bad Gateway: bad gateway (3 attempts)"
    assert len(server.requests) == 3


def test_a_4xx_is_not_retried(server):
    server.queue(Answer(400, body=b"invalid_payload"), Answer(200))
    with pytest.raises(DeliveryError, match=r"^HTTP 400 Bad Request: invalid_payload$"):
        channel({"type": "slack", "webhook_url": server.url + "/s"}).send(message([item()]))
    assert len(server.requests) == 1


def test_a_server_that_never_answers_times_out_and_is_retried(server):
    server.queue(Answer(hang=30), Answer(hang=30))
    slack = channel({"type": "slack", "webhook_url": server.url + SECRET_PATH}, timeout=0.3, retries=1)
    started = time.perf_counter()
    with pytest.raises(DeliveryError) as caught:
        slack.send(message([item()]))
    assert time.perf_counter() - started < 5
    assert str(caught.value) == "no answer within 0.3 s (2 attempts)"
    assert len(server.requests) == 2


def free_port() -> int:
    """A port nothing listens on (the socket that found it is closed)."""
    import socket

    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return int(probe_socket.getsockname()[1])


def test_a_refused_connection_is_retried_and_reported():
    port = free_port()
    sleeps = Sleeps()
    slack = channel({"type": "slack", "webhook_url": f"http://127.0.0.1:{port}{SECRET_PATH}"}, sleeps, retries=2)
    with pytest.raises(DeliveryError) as caught:
        slack.send(message([item()]))
    assert str(caught.value).startswith("cannot connect: [Errno 111] Connection refused")
    assert SECRET_PATH not in str(caught.value) and len(sleeps) == 2


# --- email over a real SMTP server -----------------------------------------------------------------------------------


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as MessageHandler

    received = []

    class Keep(MessageHandler):
        def handle_message(self, message):
            received.append(message)

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def test_email_is_sent_over_smtp_to_every_recipient(smtp_server):
    port, received = smtp_server
    mail = channel(
        {
            "type": "email",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "security": "none",
            "from": "sqlmon@example.com",
            "to": ["ml-team@example.com", "oncall@example.com"],
        }
    )
    mail.send(message([item(), item("resolved", monitor="prediction_nulls")]))
    [mailed] = received
    assert mailed["Subject"] == "[sqlmon] demo: 1 alert (1 error), 1 resolved"
    assert mailed["From"] == "sqlmon@example.com"
    assert mailed["To"] == "ml-team@example.com, oncall@example.com"
    assert mailed["X-RcptTo"] == "ml-team@example.com, oncall@example.com"
    text = mailed.get_payload(decode=True).decode()
    assert "ERROR input_drift: psi of country = 2.026 (error: > 0.25); new: BR" in text
    assert "  window 2026-10-20 00:00, column country, rule threshold > 0.25, value 2.026" in text
    assert "  report: https://reports.example/report.html#monitor-input_drift" in text
    assert "RESOLVED prediction_nulls: psi of country" in text


def test_email_to_a_server_that_is_down_fails_after_its_retries():
    port = free_port()
    mail = channel(
        {
            "type": "email",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "security": "none",
            "username": "sqlmon",
            "password": "smtp-pa55word",
            "from": "sqlmon@example.com",
            "to": ["a@example.com"],
        },
        retries=1,
    )
    with pytest.raises(DeliveryError) as caught:
        mail.send(message([item()]))
    assert str(caught.value).startswith(f"cannot reach 127.0.0.1:{port}: ConnectionRefusedError")
    assert "smtp-pa55word" not in str(caught.value)


@pytest.fixture
def tls_smtp_server(tmp_path, monkeypatch):
    """An SMTP server that requires STARTTLS before AUTH, with a certificate for 127.0.0.1 that the client is made
    to trust (SSL_CERT_FILE, which ssl.create_default_context reads)."""
    import ssl
    import subprocess

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as MessageHandler
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    received, logins = [], []

    class Keep(MessageHandler):
        def handle_message(self, message):
            received.append(message)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"smtp-pa55word"
        logins.append((mechanism, auth_data.login if isinstance(auth_data, LoginPassword) else None, ok))
        return AuthResult(success=ok, handled=False)  # unhandled: aiosmtpd answers 535 itself

    port = free_port()
    controller = Controller(
        Keep(),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield port, received, logins
    finally:
        controller.stop()


def test_email_by_default_upgrades_with_starttls_and_logs_in(tls_smtp_server):
    port, received, logins = tls_smtp_server
    settings = {
        "type": "email",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "username": "sqlmon",
        "password": "smtp-pa55word",
        "from": "sqlmon@example.com",
        "to": ["ml-team@example.com"],
    }
    channel(settings).send(message([item()]))
    assert [m["Subject"] for m in received] == ["[sqlmon] demo: 1 alert (1 error)"]
    assert logins == [("PLAIN", b"sqlmon", True)] or logins == [("LOGIN", b"sqlmon", True)]
    with pytest.raises(DeliveryError) as caught:  # a wrong password is refused for good: no retry
        channel({**settings, "password": "wrong-pa55word"}).send(message([item()]))
    assert str(caught.value).startswith("SMTP 535 ")
    assert "wrong-pa55word" not in str(caught.value) and len(received) == 1


def test_the_verification_code_in_the_docs_accepts_a_real_request_and_refuses_a_forged_one(server):
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "notifications.md").read_text()
    code = text.split("#### Webhook signature", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(code, namespace)
    verify = namespace["verify"]
    channel({"type": "webhook", "url": server.url + "/h", "secret": "s3cret"}).send(message([item()]))
    [request] = server.requests
    assert verify(b"s3cret", request.headers, request.body)
    assert not verify(b"s3cret", request.headers, request.body.replace(b"input_drift", b"other_drift"))
    assert not verify(b"guess", request.headers, request.body)
