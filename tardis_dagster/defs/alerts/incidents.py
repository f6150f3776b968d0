"""Incidents: one alert when something starts failing, silence while it keeps failing, one recovery
message when it passes again.

The state is a plain dict `{incident id: {"opened_at": ..., "value": ...}}` of the open incidents,
kept by the sensors as JSON (in their cursor or the instance's key-value store), so these functions
are all there is to test.
"""

from __future__ import annotations

import json
from typing import Any

from tardis_dagster.defs.alerts.message import AlertKind

IncidentState = dict[str, dict[str, Any]]


def incident_id(subject: str, target: str, check: str | None = None) -> str:
    """A stable incident id: `check:<asset>:<check>`, `run:<product>` or `freshness:<asset>`."""
    return f"{subject}:{target}" + (f":{check}" if check is not None else "")


def observe(
    state: IncidentState, incident: str, *, failing: bool, now: float, value: str | None = None
) -> AlertKind | None:
    """Record one observation in `state` (changed in place).

    Returns `failure` when the incident opens, `recovery` when an open one passes again, and None
    when nothing changed (still failing, still passing).
    """
    if failing and incident not in state:
        state[incident] = {"opened_at": now, "value": value}
        return "failure"
    if not failing and incident in state:
        del state[incident]
        return "recovery"
    return None


def is_open(state: IncidentState, incident: str) -> bool:
    """True while the incident is open."""
    return incident in state


def dumps(state: IncidentState) -> str:
    """The state as compact JSON (sorted, so an unchanged state gives the same text)."""
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


def loads(text: str | None) -> IncidentState:
    """The state from `dumps` text; empty for None or text that is not such a state."""
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: value for key, value in data.items() if isinstance(key, str) and isinstance(value, dict)}
