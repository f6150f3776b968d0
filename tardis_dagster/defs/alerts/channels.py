"""Alert channels: Slack, email (SMTP), generic JSON webhooks and a local log file.

`deliver` sends one alert everywhere the routing says: Slack recipients (`#channel`) to Slack, email
addresses by SMTP, every alert to each webhook and the log file. One failing channel never stops the
others; each attempt comes back as a `Delivery`.
"""

from __future__ import annotations

import ipaddress
import json
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path

import requests
from dagster_slack import SlackResource
from slack_sdk.webhook import WebhookClient

from tardis_dagster.defs.alerts.message import Alert
from tardis_dagster.defs.alerts.routing import AlertRouting, EmailRoute, SlackRoute, WebhookRoute, resolve


class ChannelError(RuntimeError):
    """A channel refused or could not take an alert."""


@dataclass(frozen=True)
class Delivery:
    """One attempt to send an alert through one channel."""

    channel: str
    recipients: tuple[str, ...]
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the channel took the alert."""
        return self.error is None


def slack_recipients(alert: Alert) -> list[str]:
    """The alert's Slack channels (`#...`)."""
    return [r for r in alert.recipients if r.startswith("#")]


def email_recipients(alert: Alert) -> list[str]:
    """The alert's email addresses."""
    return [r for r in alert.recipients if not r.startswith("#")]


def deliver(alert: Alert, routing: AlertRouting) -> list[Delivery]:
    """Send `alert` through every channel the routing has for its recipients; never raises."""
    deliveries: list[Delivery] = []
    slack, emails = slack_recipients(alert), email_recipients(alert)
    if routing.slack is not None and slack:
        route = routing.slack
        deliveries.append(_attempt("slack", slack, lambda: send_slack(alert, route, slack)))
    if routing.email is not None and emails:
        email_route = routing.email
        deliveries.append(_attempt("email", emails, lambda: send_email(alert, email_route, emails)))
    for index, hook in enumerate(routing.webhooks):
        # The URL may embed a secret: name the webhook by its position only.
        deliveries.append(
            _attempt(f"webhooks[{index}]", alert.recipients, lambda hook=hook: send_webhook(alert, hook))
        )
    if routing.log_file is not None:
        path = routing.log_file.path
        unrouted = [
            r
            for r in alert.recipients
            if (r.startswith("#") and routing.slack is None)
            or (not r.startswith("#") and routing.email is None)
        ]
        sent = list(deliveries)
        deliveries.append(
            _attempt("log_file", alert.recipients, lambda: write_log(alert, path, sent, unrouted))
        )
    return deliveries


def _attempt(channel: str, recipients: list[str], send: Callable[[], None]) -> Delivery:
    try:
        send()
    except Exception as error:  # a broken channel is reported, the others still get the alert
        return Delivery(channel, tuple(recipients), f"{type(error).__name__}: {error}")
    return Delivery(channel, tuple(recipients))


def send_slack(alert: Alert, route: SlackRoute, channels: list[str]) -> None:
    """Post to Slack: with a bot token to each channel, with a webhook once (its channel is fixed)."""
    if route.bot_token is not None:
        client = SlackResource(token=resolve(route.bot_token)).get_client()
        for channel in channels:
            client.chat_postMessage(channel=channel, text=slack_text(alert))
        return
    assert route.webhook_url is not None
    response = WebhookClient(resolve(route.webhook_url)).send(
        text=f"For {', '.join(channels)}\n{slack_text(alert)}"
    )
    if response.status_code != 200:
        raise ChannelError(f"Slack webhook answered {response.status_code}: {response.body[:200]}")


def slack_text(alert: Alert) -> str:
    """The alert in Slack's mrkdwn: a bold title with the link, then the plain text lines."""
    body = alert.text().split("\n", 2)[2]
    return f"*<{alert.link}|{alert.title}>*\n{body}"


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine's loopback: `localhost` or a loopback IP literal.

    Other names are not resolved to decide: what a name resolves to can change.
    """
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_tls(route: EmailRoute) -> None:
    """Refuse, before connecting, to send mail (and a login) in clear to a host beyond loopback."""
    if not (route.ssl or route.starttls or is_loopback(route.host)):
        raise ChannelError(
            f"email: refusing to send to {route.host}:{route.port} without TLS; set `starttls: true` "
            "(port 587) or `ssl: true` (port 465) in the email route. Only a loopback host "
            "(localhost, 127.0.0.1, ::1) may be used in clear."
        )


def send_email(alert: Alert, route: EmailRoute, to: list[str]) -> None:
    """Send one email to every address among the recipients, over TLS unless the host is loopback.

    TLS verifies the server's certificate and host name (the system's trusted CAs, or SSL_CERT_FILE);
    if STARTTLS is asked for and the server does not offer it, nothing is sent.
    """
    require_tls(route)
    # Long subjects stay on one line (folded ones arrive with a leading space in some clients).
    message = EmailMessage(policy=SMTP_POLICY.clone(max_line_length=998))
    message["Subject"] = alert.title
    message["From"] = route.sender
    message["To"] = ", ".join(to)
    message.set_content(alert.text())
    # smtplib's own default context verifies nothing: a verifying one is passed explicitly.
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if route.ssl:
        smtp = smtplib.SMTP_SSL(route.host, route.port, timeout=route.timeout_seconds, context=context)
    else:
        smtp = smtplib.SMTP(route.host, route.port, timeout=route.timeout_seconds)
    with smtp:
        if route.starttls and not route.ssl:
            smtp.starttls(context=context)  # raises if the server offers no STARTTLS: no clear fallback
        if route.username is not None and route.password is not None:
            smtp.login(resolve(route.username), resolve(route.password))
        smtp.send_message(message)


def send_webhook(alert: Alert, route: WebhookRoute) -> None:
    """POST the alert as JSON."""
    headers = {name: resolve(value) for name, value in route.headers.items()}
    response = requests.post(
        resolve(route.url), json=alert.as_json(), headers=headers, timeout=route.timeout_seconds
    )
    if response.status_code >= 300:
        raise ChannelError(f"webhook answered {response.status_code}: {response.text[:200]}")


def write_log(alert: Alert, path: Path, deliveries: list[Delivery], unrouted: list[str]) -> None:
    """Append the alert as one JSON line, with where else it went and which recipients had no channel."""
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        **alert.as_json(),
        "deliveries": [
            {"channel": d.channel, "recipients": list(d.recipients), "error": d.error} for d in deliveries
        ],
        "unrouted": unrouted,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry, ensure_ascii=False) + "\n")
