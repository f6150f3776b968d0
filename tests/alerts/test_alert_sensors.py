"""The alert sensors end to end: real runs on a real (temporary) Dagster instance, real deliveries to a
local HTTP server (generic webhook and Slack incoming webhook) and a local SMTP server (aiosmtpd).

A check fails (one alert), fails again (no second alert), passes (one recovery); the same for runs
and for freshness. Every alert addresses the owner and the stakeholders.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from aiosmtpd.controller import Controller
from dagster._core.definitions.freshness import FreshnessState, FreshnessStateChange

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import DataProduct, SpecCatalog
from tardis_dagster.defs.alerts.sensors import alert_sensors

DAGSTER_URL = "http://dagster.test:3000"
OWNER = "orders-team@example.com"
STAKEHOLDERS = ["#finance-analytics", "finance@example.com"]
PRODUCT = DataProduct.model_validate(
    {
        "apiVersion": "tardis/v1",
        "kind": "DataProduct",
        "name": "alert_orders",
        "version": "1.0.0",
        "description": "Orders, for the alert tests.",
        "owner": {"tribe": "consumer", "squad": "checkout", "contact": OWNER},
        "stakeholders": STAKEHOLDERS,
        "source": {"kafka": {"topic": "checkout.order.v1", "format": "json"}},
        "load": {"type": "append"},
        "schema": [{"name": "order_id", "type": "string"}],
    }
)
RAW = dg.AssetKey(["raw", "alert_orders"])
STD = dg.AssetKey(["std", "alert_orders"])
# What the test's assets do on their next run.
BEHAVIOUR = {"check_passes": False, "landing_fails": True}


@dg.asset(key=RAW)
def raw_alert_orders() -> None:
    if BEHAVIOUR["landing_fails"]:
        raise RuntimeError("Kafka broker unreachable")


@dg.asset(key=STD)
def std_alert_orders() -> None:
    return None


@dg.asset_check(asset=STD, name="unique_order_id")
def unique_order_id() -> dg.AssetCheckResult:
    failing = 0 if BEHAVIOUR["check_passes"] else 3
    return dg.AssetCheckResult(
        passed=failing == 0,
        metadata={"failing_rows": failing},
        description="order_id is unique",
    )


class _Webhooks(BaseHTTPRequestHandler):
    received: list[tuple[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, json.loads(body)))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[tuple[str, Any]]]]:
    received: list[tuple[str, Any]] = []
    handler = type("Handler", (_Webhooks,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


@pytest.fixture
def setup(tmp_path: Path, http_server, smtp_server, monkeypatch) -> Iterator[dict[str, Any]]:
    base, received = http_server
    port, inbox = smtp_server
    monkeypatch.setenv("ALERT_TEST_SLACK_WEBHOOK", f"{base}/slack")
    config = tmp_path / "alerts.yaml"
    config.write_text(
        f"""\
slack:
  webhook_url: ${{ALERT_TEST_SLACK_WEBHOOK}}
email:
  host: 127.0.0.1
  port: {port}
  sender: tardis@example.com
webhooks:
  - url: {base}/hook
log_file:
  path: alerts.log
""",
        encoding="utf-8",
    )
    settings = dataclasses.replace(get_settings(), alerts_config=config, dagster_url=DAGSTER_URL)
    sensors = alert_sensors(SpecCatalog(products=[PRODUCT], model=None, problems=[]), settings)
    defs = dg.Definitions(
        assets=[raw_alert_orders, std_alert_orders],
        asset_checks=[unique_order_id],
        jobs=[
            dg.define_asset_job("land", selection=[RAW]),
            dg.define_asset_job("publish", selection=dg.AssetSelection.assets(STD)),
        ],
        sensors=sensors,
    )
    with dg.instance_for_test() as instance:
        yield {
            "defs": defs,
            "instance": instance,
            "received": received,
            "inbox": inbox,
            "log": tmp_path / "alerts.log",
        }
    BEHAVIOUR.update(check_passes=False, landing_fails=True)


class _Ticker:
    """Evaluates one sensor tick after tick, carrying its cursor like the daemon does."""

    def __init__(self, setup: dict[str, Any], name: str) -> None:
        self.sensor = setup["defs"].resolve_sensor_def(name)
        self.setup = setup
        self.cursor: str | None = None

    def tick(self) -> None:
        context = dg.build_sensor_context(
            instance=self.setup["instance"],
            cursor=self.cursor,
            repository_def=self.setup["defs"].get_repository_def(),
        )
        result = self.sensor.evaluate_tick(context)
        self.cursor = result.cursor


def _run(setup: dict[str, Any], job: str) -> None:
    setup["defs"].resolve_job_def(job).execute_in_process(instance=setup["instance"], raise_on_error=False)


def _counts(setup: dict[str, Any]) -> tuple[int, int, int, int]:
    received = setup["received"]
    slack = sum(1 for path, _ in received if path == "/slack")
    hook = sum(1 for path, _ in received if path == "/hook")
    log = len(setup["log"].read_text().splitlines()) if setup["log"].exists() else 0
    return slack, hook, len(setup["inbox"].messages), log


def _hook_payloads(setup: dict[str, Any]) -> list[dict[str, Any]]:
    return [body for path, body in setup["received"] if path == "/hook"]


def test_check_failure_alerts_once_then_recovers_once(setup: dict[str, Any]) -> None:
    ticker = _Ticker(setup, "tardis_alerts")
    ticker.tick()
    assert _counts(setup) == (0, 0, 0, 0)

    _run(setup, "publish")  # the check fails
    ticker.tick()
    assert _counts(setup) == (1, 1, 1, 1)

    _run(setup, "publish")  # fails again: same incident, no second alert
    ticker.tick()
    ticker.tick()
    assert _counts(setup) == (1, 1, 1, 1)

    BEHAVIOUR["check_passes"] = True
    _run(setup, "publish")
    ticker.tick()
    assert _counts(setup) == (2, 2, 2, 2)
    ticker.tick()
    assert _counts(setup) == (2, 2, 2, 2)

    failure, recovery = _hook_payloads(setup)
    assert failure["kind"] == "failure" and recovery["kind"] == "recovery"
    assert failure["product"] == "alert_orders"
    assert failure["check"] == "unique_order_id"
    assert "failing_rows=3" in failure["value"]
    assert failure["owner"] == OWNER
    assert failure["stakeholders"] == STAKEHOLDERS
    assert failure["link"] == f"{DAGSTER_URL}/assets/std/alert_orders?view=checks"
    assert failure["run_link"].startswith(f"{DAGSTER_URL}/runs/")

    # email: one message per alert, to the owner and the email stakeholder
    (to_failure, mail), (to_recovery, _) = setup["inbox"].messages
    assert sorted(to_failure) == sorted([OWNER, "finance@example.com"])
    assert sorted(to_recovery) == sorted([OWNER, "finance@example.com"])
    assert mail["Subject"] == "[Tardis] FAILED alert_orders: check unique_order_id (std/alert_orders)"
    body = mail.get_content()
    assert "Failing value: order_id is unique; failing_rows=3" in body
    assert f"Owner: {OWNER}" in body
    assert "Stakeholders: #finance-analytics, finance@example.com" in body
    assert f"{DAGSTER_URL}/assets/std/alert_orders?view=checks" in body

    # Slack: the webhook's message names the Slack stakeholder and links the asset
    slack_failure = next(body for path, body in setup["received"] if path == "/slack")
    assert slack_failure["text"].startswith("For #finance-analytics\n")
    assert f"<{DAGSTER_URL}/assets/std/alert_orders?view=checks|" in slack_failure["text"]

    logged = [json.loads(line) for line in setup["log"].read_text().splitlines()]
    assert [entry["kind"] for entry in logged] == ["failure", "recovery"]
    assert all(d["error"] is None for d in logged[0]["deliveries"])
    assert logged[0]["unrouted"] == []


def test_run_failure_alerts_once_then_recovers_once(setup: dict[str, Any]) -> None:
    failures = _Ticker(setup, "tardis_alerts_run_failure")
    recoveries = _Ticker(setup, "tardis_alerts_run_recovery")
    failures.tick()  # the first tick only places the cursor
    recoveries.tick()

    _run(setup, "land")  # the landing step raises
    failures.tick()
    recoveries.tick()
    assert _counts(setup) == (1, 1, 1, 1)

    _run(setup, "land")
    failures.tick()
    recoveries.tick()
    assert _counts(setup) == (1, 1, 1, 1)

    BEHAVIOUR["landing_fails"] = False
    _run(setup, "land")
    failures.tick()
    recoveries.tick()
    assert _counts(setup) == (2, 2, 2, 2)

    failure, recovery = _hook_payloads(setup)
    assert (failure["kind"], recovery["kind"]) == ("failure", "recovery")
    assert failure["subject"] == "run"
    assert failure["product"] == "alert_orders"
    assert "Kafka broker unreachable" in failure["value"]
    assert failure["recipients"] == [OWNER, *STAKEHOLDERS]
    assert failure["link"] == f"{DAGSTER_URL}/assets/raw/alert_orders"
    assert failure["details"] == {"Job": "land"}


def test_missed_freshness_alerts_once_then_recovers_once(setup: dict[str, Any]) -> None:
    ticker = _Ticker(setup, "tardis_alerts")
    instance = setup["instance"]

    def freshness(new: FreshnessState, previous: FreshnessState) -> None:
        # What Dagster's freshness daemon records when an asset's freshness state changes.
        instance._report_runless_asset_event(
            FreshnessStateChange(key=STD, new_state=new, previous_state=previous, state_change_timestamp=1.0)
        )

    freshness(FreshnessState.FAIL, FreshnessState.PASS)
    ticker.tick()
    ticker.tick()
    assert _counts(setup) == (1, 1, 1, 1)
    freshness(FreshnessState.PASS, FreshnessState.FAIL)
    ticker.tick()
    assert _counts(setup) == (2, 2, 2, 2)

    failure, recovery = _hook_payloads(setup)
    assert failure["subject"] == "freshness"
    assert failure["value"] == "freshness state FAIL"
    assert failure["link"] == f"{DAGSTER_URL}/assets/std/alert_orders"
    assert recovery["kind"] == "recovery"


def test_a_broken_channel_does_not_stop_the_others(setup: dict[str, Any], monkeypatch) -> None:
    monkeypatch.delenv("ALERT_TEST_SLACK_WEBHOOK")
    ticker = _Ticker(setup, "tardis_alerts")

    _run(setup, "publish")
    ticker.tick()

    assert _counts(setup) == (0, 1, 1, 1)
    (logged,) = [json.loads(line) for line in setup["log"].read_text().splitlines()]
    slack = next(d for d in logged["deliveries"] if d["channel"] == "slack")
    assert "ALERT_TEST_SLACK_WEBHOOK is not set" in slack["error"]
