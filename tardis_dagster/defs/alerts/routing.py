"""Alert routing: which channels exist and how to reach them, configured once for the platform.

The file named by `TARDIS_ALERTS_CONFIG` (YAML) says how to reach Slack, email, generic webhooks and a
log file; specs only name recipients (`owner.contact`, `stakeholders`). Secrets are never written in
the file: a token, webhook URL or password is an environment variable reference such as
`${SLACK_WEBHOOK_URL}`, read when an alert is sent. Without a config file, alerts go to a log file
under TARDIS_HOME (local development).

    slack:
      webhook_url: ${SLACK_WEBHOOK_URL}   # or bot_token: ${SLACK_BOT_TOKEN} (posts to each #channel)
    email:
      host: smtp.example.com
      port: 587
      starttls: true
      username: ${SMTP_USER}
      password: ${SMTP_PASSWORD}
      sender: tardis@example.com
    webhooks:
      - url: https://alerts.example.com/tardis
        headers: {Authorization: "${ALERTS_WEBHOOK_AUTH}"}
    log_file:
      path: alerts.log                    # relative to this file
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from tardis_dagster.core.settings import Settings, environment_secret
from tardis_dagster.core.specs.problems import Problem
from tardis_dagster.core.specs.specfile import field_name
from tardis_dagster.core.specs.yaml_source import YamlSyntaxError, parse_yaml

ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
DEFAULT_LOG_NAME = Path("alerts") / "alerts.log"


def _env_reference(value: str) -> str:
    if ENV_REF.fullmatch(value) is None:
        raise ValueError(
            "secrets are not written in the routing file: put it in an environment variable "
            "and write ${NAME}, e.g. ${SLACK_WEBHOOK_URL}"
        )
    return value


# A value that must come from the environment (tokens, passwords, webhook URLs that embed a secret).
SecretRef = Annotated[str, AfterValidator(_env_reference)]


class MissingSecretError(RuntimeError):
    """An environment variable named in the routing file is not set."""


def resolve(value: str) -> str:
    """Replace every `${NAME}` in `value` by the environment variable NAME (read now, never stored)."""

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        value = environment_secret(name)
        if value is None:
            raise MissingSecretError(f"environment variable {name} is not set (named in the alert routing)")
        return value

    return ENV_REF.sub(lookup, value)


class RoutingModel(BaseModel):
    """Base of the routing sections: unknown keys are errors (a typo must not silence a channel)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SlackRoute(RoutingModel):
    """Slack: an incoming webhook (one channel, fixed by the webhook) or a bot token (any #channel)."""

    webhook_url: SecretRef | None = Field(None, description="${VAR} holding the incoming webhook URL.")
    bot_token: SecretRef | None = Field(None, description="${VAR} holding a bot token (chat:write).")

    @model_validator(mode="after")
    def _one_way(self) -> SlackRoute:
        if (self.webhook_url is None) == (self.bot_token is None):
            raise ValueError("set exactly one of webhook_url or bot_token")
        return self


class EmailRoute(RoutingModel):
    """An SMTP server that sends the alerts to the email recipients."""

    host: str = Field(description="SMTP host.")
    port: int = Field(25, ge=1, le=65535, description="SMTP port (25, 465 with ssl, 587 with starttls).")
    sender: str = Field(description="From address.")
    username: str | None = Field(None, description="Login user (may be ${VAR}).")
    password: SecretRef | None = Field(None, description="${VAR} holding the password.")
    starttls: bool = Field(False, description="Upgrade the connection with STARTTLS.")
    ssl: bool = Field(False, description="Connect with TLS from the start (port 465).")
    timeout_seconds: float = Field(10, gt=0, description="Network timeout.")


class WebhookRoute(RoutingModel):
    """A generic HTTP endpoint that receives every alert as a JSON POST."""

    url: str = Field(description="Endpoint URL (may be or contain ${VAR}).")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers; put secrets in ${VAR}.")
    timeout_seconds: float = Field(10, gt=0, description="Network timeout.")

    @model_validator(mode="after")
    def _secret_headers(self) -> WebhookRoute:
        for name, value in self.headers.items():
            if name.lower() in ("authorization", "x-api-key") and not ENV_REF.search(value):
                raise ValueError(f"header {name} holds a secret: write it as ${{NAME}}")
        return self


class LogFileRoute(RoutingModel):
    """A local file that receives every alert as one JSON line (development, audit)."""

    path: Path = Field(description="The log file; relative paths resolve against the routing file.")


class AlertRouting(RoutingModel):
    """Every channel alerts may go to. Slack recipients (#channel) go to Slack, email addresses to
    email; webhooks and the log file receive every alert with all its recipients."""

    slack: SlackRoute | None = None
    email: EmailRoute | None = None
    webhooks: list[WebhookRoute] = Field(default_factory=list)
    log_file: LogFileRoute | None = None


class RoutingConfigError(ValueError):
    """The routing file is unreadable or invalid; `problems` name its line and field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("invalid alert routing:\n" + "\n".join(str(p) for p in problems))
        self.problems = problems


def default_routing(settings: Settings) -> AlertRouting:
    """No routing file: every alert goes to `<TARDIS_HOME>/alerts/alerts.log`."""
    return AlertRouting(log_file=LogFileRoute(path=settings.home / DEFAULT_LOG_NAME))


def load_routing(settings: Settings) -> AlertRouting:
    """The routing of `settings.alerts_config` (read once per process), or the default log file."""
    if settings.alerts_config is None:
        return default_routing(settings)
    return read_routing(settings.alerts_config)


@cache
def read_routing(path: Path) -> AlertRouting:
    """Parse and check one routing file; raises RoutingConfigError naming file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        problem = Problem(
            path,
            1,
            1,
            "file",
            f"cannot read the alert routing: {error.strerror}",
            "check TARDIS_ALERTS_CONFIG",
        )
        raise RoutingConfigError([problem]) from None
    try:
        document = parse_yaml(text)
    except YamlSyntaxError as error:
        raise RoutingConfigError(
            [Problem(path, error.line, error.col, "yaml", error.message, "fix the YAML")]
        ) from None
    try:
        routing = AlertRouting.model_validate(document.data or {})
    except ValidationError as error:
        problems = []
        for detail in error.errors():
            loc = tuple(detail["loc"])
            line, col = document.locate(loc, at_key=detail["type"] == "extra_forbidden")
            message = detail["msg"].removeprefix("Value error, ")
            problems.append(
                Problem(
                    path, line, col, field_name(loc), message, "see tardis_dagster/defs/alerts/routing.py"
                )
            )
        raise RoutingConfigError(problems) from None
    if routing.log_file is not None and not routing.log_file.path.is_absolute():
        routing = routing.model_copy(
            update={"log_file": LogFileRoute(path=path.parent / routing.log_file.path)}
        )
    return routing
