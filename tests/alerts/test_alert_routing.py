"""Alert routing: read once from the file TARDIS_ALERTS_CONFIG names; secrets only as ${VAR}."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tardis_dagster.core.settings import get_settings
from tardis_dagster.defs.alerts import routing

FULL = """\
slack:
  webhook_url: ${SLACK_WEBHOOK_URL}
email:
  host: smtp.example.com
  port: 587
  starttls: true
  username: ${SMTP_USER}
  password: ${SMTP_PASSWORD}
  sender: tardis@example.com
webhooks:
  - url: https://alerts.example.com/tardis
    headers: {Authorization: "Bearer ${ALERT_TOKEN}", X-Team: data}
log_file:
  path: logs/alerts.log
"""


def _settings(config: Path | None, tmp_path: Path):
    return dataclasses.replace(get_settings(), alerts_config=config, home=tmp_path / "home")


def test_without_a_config_alerts_go_to_a_log_file_under_tardis_home(tmp_path: Path) -> None:
    loaded = routing.load_routing(_settings(None, tmp_path))

    assert loaded.log_file is not None
    assert loaded.log_file.path == tmp_path / "home" / "alerts" / "alerts.log"
    assert loaded.slack is None and loaded.email is None and loaded.webhooks == []


def test_a_full_config_loads_and_resolves_secrets_only_when_sent(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "alerts.yaml"
    path.write_text(FULL, encoding="utf-8")

    loaded = routing.load_routing(_settings(path, tmp_path))

    assert loaded.slack is not None and loaded.slack.webhook_url == "${SLACK_WEBHOOK_URL}"
    assert loaded.email is not None and loaded.email.port == 587 and loaded.email.starttls
    assert loaded.webhooks[0].headers["X-Team"] == "data"
    assert loaded.log_file is not None and loaded.log_file.path == tmp_path / "logs" / "alerts.log"
    monkeypatch.setenv("ALERT_TOKEN", "s3cret")
    assert routing.resolve(loaded.webhooks[0].headers["Authorization"]) == "Bearer s3cret"
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    with pytest.raises(routing.MissingSecretError, match="SLACK_WEBHOOK_URL is not set"):
        routing.resolve(loaded.slack.webhook_url)


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        (
            "slack:\n  webhook_url: https://hooks.slack.com/services/T0/B0/XYZ\n",
            2,
            "slack.webhook_url",
            "${NAME}",
        ),
        (
            "slack:\n  bot_token: ${T}\n  webhook_url: ${W}\n",
            2,
            "slack",
            "exactly one of webhook_url or bot_token",
        ),
        (
            "email:\n  host: smtp\n  sender: a@b.c\n  password: hunter2\n",
            4,
            "email.password",
            "secrets are not",
        ),
        (
            "webhooks:\n  - url: https://x\n    headers: {Authorization: Bearer abc}\n",
            2,
            "webhooks[0]",
            "holds a secret",
        ),
        ("slak:\n  webhook_url: ${W}\n", 1, "slak", "Extra inputs are not permitted"),
    ],
)
def test_bad_configs_name_the_line_and_field(
    tmp_path: Path, text: str, line: int, field: str, message: str
) -> None:
    path = tmp_path / "alerts.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(routing.RoutingConfigError) as caught:
        routing.read_routing(path)

    (problem,) = caught.value.problems
    assert (problem.path, problem.line, problem.field) == (path, line, field)
    assert message in problem.message


def test_a_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(routing.RoutingConfigError, match="cannot read the alert routing"):
        routing.read_routing(tmp_path / "nope.yaml")
