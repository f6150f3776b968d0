"""What an alert says: the product, what broke (a check, a run, freshness), the failing value, who owns
it, and a link to the asset in the Dagster UI. Every channel renders this one message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from tardis_dagster.core.specs import DataProduct

AlertKind = Literal["failure", "recovery"]
Subject = Literal["check", "run", "freshness"]
MAX_VALUE_CHARS = 500


@dataclass(frozen=True)
class Alert:
    """One notification about one incident: it opened (`failure`) or it is over (`recovery`)."""

    kind: AlertKind
    incident: str
    subject: Subject
    product: str
    asset: str  # the asset key path, e.g. std/order_events
    owner: str
    stakeholders: tuple[str, ...]
    link: str
    check: str | None = None  # the check name, for subject `check`
    value: str | None = None  # the failing value (metadata of the check, error of the run)
    severity: str | None = None  # ERROR or WARN for checks
    run_link: str | None = None
    details: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def recipients(self) -> list[str]:
        """The owner's contact and every stakeholder, each once, owner first."""
        return list(dict.fromkeys([self.owner, *self.stakeholders]))

    @property
    def what(self) -> str:
        """The broken thing in words: `check not_null_order_id`, `run`, `freshness`."""
        return f"check {self.check}" if self.subject == "check" else self.subject

    @property
    def title(self) -> str:
        """One line, e.g. `[Tardis] FAILED order_events: check unique_order_id (std/order_events)`."""
        state = "FAILED" if self.kind == "failure" else "RECOVERED"
        if self.kind == "failure" and self.severity == "WARN":
            state = "WARNING"
        return f"[Tardis] {state} {self.product}: {self.what} ({self.asset})"

    def text(self) -> str:
        """The message body as plain text (email, log file, Slack fallback)."""
        lines = [self.title, ""]
        lines.append(f"Product: {self.product}")
        lines.append(f"Asset: {self.asset}")
        if self.check is not None:
            lines.append(f"Check: {self.check}" + (f" (severity {self.severity})" if self.severity else ""))
        if self.kind == "failure":
            lines.append(f"Failing value: {self.value or 'n/a'}")
        else:
            lines.append("Status: passing again")
        lines.extend(f"{name}: {value}" for name, value in self.details)
        lines.append(f"Owner: {self.owner}")
        lines.append(f"Stakeholders: {', '.join(self.stakeholders) or '-'}")
        lines.append(f"Open in Dagster: {self.link}")
        if self.run_link is not None:
            lines.append(f"Run: {self.run_link}")
        return "\n".join(lines) + "\n"

    def as_json(self) -> dict[str, Any]:
        """The alert as a JSON object (generic webhooks and the log file)."""
        return {
            "kind": self.kind,
            "incident": self.incident,
            "title": self.title,
            "product": self.product,
            "asset": self.asset,
            "subject": self.subject,
            "check": self.check,
            "severity": self.severity,
            "value": self.value,
            "details": dict(self.details),
            "owner": self.owner,
            "stakeholders": list(self.stakeholders),
            "recipients": self.recipients,
            "link": self.link,
            "run_link": self.run_link,
        }


def asset_link(base_url: str, asset_path: Sequence[str]) -> str:
    """The asset's page in the Dagster UI: `<base>/assets/<key path>`."""
    return f"{base_url.rstrip('/')}/assets/" + "/".join(quote(part, safe="") for part in asset_path)


def checks_link(base_url: str, asset_path: Sequence[str]) -> str:
    """The asset's checks tab in the Dagster UI."""
    return asset_link(base_url, asset_path) + "?view=checks"


def run_link(base_url: str, run_id: str) -> str:
    """A run's page in the Dagster UI."""
    return f"{base_url.rstrip('/')}/runs/{quote(run_id, safe='')}"


def make_alert(
    kind: AlertKind,
    incident: str,
    subject: Subject,
    product: DataProduct,
    asset_path: Sequence[str],
    link: str,
    **extra: Any,
) -> Alert:
    """An alert about `product`, addressed to its owner's contact and its stakeholders."""
    value = extra.pop("value", None)
    if value is not None and len(value) > MAX_VALUE_CHARS:
        value = value[: MAX_VALUE_CHARS - 1] + "…"
    return Alert(
        kind=kind,
        incident=incident,
        subject=subject,
        product=product.name,
        asset="/".join(asset_path),
        owner=product.owner.contact,
        stakeholders=tuple(product.stakeholders),
        link=link,
        value=value,
        **extra,
    )
