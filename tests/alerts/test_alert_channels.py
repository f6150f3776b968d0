"""Which channel gets which recipients; the log file records where an alert went and who had no channel.

Slack's Web API is a cloud service: the bot-token path is checked with a stand-in client.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tardis_dagster.core.specs import DataProduct
from tardis_dagster.defs.alerts import channels
from tardis_dagster.defs.alerts.message import make_alert
from tardis_dagster.defs.alerts.routing import AlertRouting, LogFileRoute, SlackRoute

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
