"""Incident state: one alert when a failure starts, none while it lasts, one recovery when it ends."""

from __future__ import annotations

from tardis_dagster.defs.alerts import incidents


def test_one_failure_then_silence_then_one_recovery() -> None:
    state: incidents.IncidentState = {}
    check = incidents.incident_id("check", "std/orders", "unique_order_id")

    seen = [
        incidents.observe(state, check, failing=True, now=1.0, value="failing_rows=3"),
        incidents.observe(state, check, failing=True, now=2.0, value="failing_rows=4"),
        incidents.observe(state, check, failing=False, now=3.0),
        incidents.observe(state, check, failing=False, now=4.0),
        incidents.observe(state, check, failing=True, now=5.0),
    ]

    assert seen == ["failure", None, "recovery", None, "failure"]
    assert state[check]["opened_at"] == 5.0


def test_passing_without_an_open_incident_says_nothing() -> None:
    state: incidents.IncidentState = {}

    assert incidents.observe(state, "run:orders", failing=False, now=1.0) is None
    assert state == {}


def test_incidents_are_independent() -> None:
    state: incidents.IncidentState = {}
    a = incidents.incident_id("check", "std/orders", "row_count")
    b = incidents.incident_id("freshness", "std/orders")

    assert incidents.observe(state, a, failing=True, now=1.0) == "failure"
    assert incidents.observe(state, b, failing=True, now=1.0) == "failure"
    assert incidents.observe(state, a, failing=False, now=2.0) == "recovery"
    assert incidents.is_open(state, b)
    assert not incidents.is_open(state, a)


def test_ids_name_subject_target_and_check() -> None:
    assert (
        incidents.incident_id("check", "std/orders", "unique_order_id") == "check:std/orders:unique_order_id"
    )
    assert incidents.incident_id("run", "orders") == "run:orders"


def test_state_survives_a_json_round_trip_and_bad_text_is_empty() -> None:
    state: incidents.IncidentState = {}
    incidents.observe(state, "run:orders", failing=True, now=1.5, value="boom")

    assert incidents.loads(incidents.dumps(state)) == state
    assert incidents.loads(None) == {}
    assert incidents.loads("") == {}
    assert incidents.loads("not json") == {}
    assert incidents.loads("[1, 2]") == {}
