"""Which channel gets which recipients; the log file records where an alert went and who had no channel;
email goes over verified TLS unless the server is on loopback (a real aiosmtpd server).

Slack's Web API is a cloud service: the bot-token path is checked with a stand-in client.
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from tardis_dagster.core.specs import DataProduct
from tardis_dagster.defs.alerts import channels
from tardis_dagster.defs.alerts.message import make_alert
from tardis_dagster.defs.alerts.routing import AlertRouting, EmailRoute, LogFileRoute, SlackRoute

PRODUCT = DataProduct.model_validate(
    {
        "apiVersion": "tardis/v1",
        "kind": "DataProduct",
        "name": "orders",
        "version": "1.0.0",
        "description": "Orders.",
        "owner": {"tribe": "consumer", "squad": "checkout", "contact": "#checkout-data"},
        "stakeholders": ["#finance-analytics", "finance@example.com"],
        "source": {"kafka": {"topic": "checkout.order.v1", "format": "json"}},
        "load": {"type": "append"},
        "schema": [{"name": "order_id", "type": "string"}],
    }
)
ALERT = make_alert(
    "failure",
    "check:std/orders:row_count",
    "check",
    PRODUCT,
    ["std", "orders"],
    "http://d/assets/std/orders",
    check="row_count",
    severity="ERROR",
    value="row_count=0",
)


def test_recipients_split_into_slack_channels_and_email_addresses() -> None:
    assert channels.slack_recipients(ALERT) == ["#checkout-data", "#finance-analytics"]
    assert channels.email_recipients(ALERT) == ["finance@example.com"]


def test_the_default_log_file_gets_every_alert_and_names_unrouted_recipients(tmp_path: Path) -> None:
    log = tmp_path / "alerts" / "alerts.log"

    deliveries = channels.deliver(ALERT, AlertRouting(log_file=LogFileRoute(path=log)))

    assert [(d.channel, d.ok) for d in deliveries] == [("log_file", True)]
    (entry,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert entry["title"] == ALERT.title
    assert entry["unrouted"] == ["#checkout-data", "#finance-analytics", "finance@example.com"]


def test_a_bot_token_posts_to_each_slack_channel(tmp_path: Path, monkeypatch) -> None:
    posted: list[dict[str, Any]] = []

    class Client:
        def chat_postMessage(self, **kwargs: Any) -> None:  # noqa: N802 - Slack's method name
            posted.append(kwargs)

    class Resource:
        def __init__(self, token: str) -> None:
            assert token == "xoxb-test"

        def get_client(self) -> Client:
            return Client()

    monkeypatch.setattr(channels, "SlackResource", Resource)
    monkeypatch.setenv("ALERT_TEST_SLACK_TOKEN", "xoxb-test")
    routing = AlertRouting(
        slack=SlackRoute(bot_token="${ALERT_TEST_SLACK_TOKEN}"),
        log_file=LogFileRoute(path=tmp_path / "a.log"),
    )

    deliveries = channels.deliver(ALERT, routing)

    assert [(d.channel, d.ok) for d in deliveries] == [("slack", True), ("log_file", True)]
    assert [p["channel"] for p in posted] == ["#checkout-data", "#finance-analytics"]
    assert posted[0]["text"].startswith(
        "*<http://d/assets/std/orders|[Tardis] FAILED orders: check row_count"
    )
    assert "Failing value: row_count=0" in posted[0]["text"]
    entry = json.loads((tmp_path / "a.log").read_text())
    assert entry["unrouted"] == ["finance@example.com"]


class _Inbox:
    """An aiosmtpd handler that keeps what it received and whether the session was under TLS."""

    def __init__(self) -> None:
        self.messages: list[tuple[bytes, bool]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.content, session.ssl is not None))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _smtp_server(tls_context: ssl.SSLContext | None = None) -> Iterator[tuple[int, _Inbox]]:
    """A real SMTP server on loopback; with `tls_context` it offers (and requires) STARTTLS."""
    inbox, port = _Inbox(), _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=tls_context,
        require_starttls=tls_context is not None,
    )
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def _self_signed_localhost(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for `localhost` (and its key), as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _email_routing(tmp_path: Path, host: str, port: int, **tls: bool) -> AlertRouting:
    return AlertRouting(
        email=EmailRoute(host=host, port=port, sender="tardis@example.com", timeout_seconds=5, **tls),
        log_file=LogFileRoute(path=tmp_path / "a.log"),
    )


def test_email_beyond_loopback_without_tls_is_refused_before_any_connection(
    tmp_path: Path, monkeypatch
) -> None:
    connections: list[Any] = []

    def no_network(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        connections.append(address)
        raise OSError("no connection expected")

    # Records any connection smtplib would open: none may be made, not even to look the host up.
    monkeypatch.setattr(smtplib.socket, "create_connection", no_network)

    deliveries = channels.deliver(ALERT, _email_routing(tmp_path, "smtp.example.com", 25))

    email = next(d for d in deliveries if d.channel == "email")
    assert not email.ok
    assert "refusing to send to smtp.example.com:25 without TLS" in (email.error or "")
    assert "starttls: true" in (email.error or "") and "ssl: true" in (email.error or "")
    assert connections == []
    assert channels.is_loopback("127.0.0.1") and channels.is_loopback("::1")
    assert channels.is_loopback("localhost") and not channels.is_loopback("localhost.example.com")


def test_starttls_asked_for_but_not_offered_sends_nothing(tmp_path: Path) -> None:
    with _smtp_server() as (port, inbox):
        deliveries = channels.deliver(ALERT, _email_routing(tmp_path, "127.0.0.1", port, starttls=True))

    email = next(d for d in deliveries if d.channel == "email")
    assert not email.ok and "STARTTLS" in (email.error or "")
    assert inbox.messages == []  # no fallback to clear text


def test_starttls_verifies_the_server_certificate(tmp_path: Path, monkeypatch) -> None:
    cert, key = _self_signed_localhost(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    with _smtp_server(server_tls) as (port, inbox):
        untrusted = channels.deliver(ALERT, _email_routing(tmp_path, "localhost", port, starttls=True))
        # Trusting the certificate (as a private CA would be) lets the same route deliver, under TLS.
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        trusted = channels.deliver(ALERT, _email_routing(tmp_path, "localhost", port, starttls=True))

    refused = next(d for d in untrusted if d.channel == "email")
    assert not refused.ok and "CERTIFICATE_VERIFY_FAILED" in (refused.error or "")
    assert next(d for d in trusted if d.channel == "email").ok
    assert len(inbox.messages) == 1 and inbox.messages[0][1] is True
