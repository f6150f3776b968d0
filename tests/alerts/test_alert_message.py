"""The alert message names the product, the check, the failing value, the owner, the stakeholders,
and links to the asset in the Dagster UI."""

from __future__ import annotations

from tardis_dagster.core.specs import DataProduct
from tardis_dagster.defs.alerts.message import asset_link, checks_link, make_alert, run_link

PRODUCT = DataProduct.model_validate(
    {
        "apiVersion": "tardis/v1",
        "kind": "DataProduct",
        "name": "orders",
        "version": "1.0.0",
        "description": "Orders.",
        "owner": {"tribe": "consumer", "squad": "checkout", "contact": "#checkout-data"},
        "stakeholders": ["#finance-analytics", "finance@example.com", "#checkout-data"],
        "source": {"kafka": {"topic": "checkout.order.v1", "format": "json"}},
        "load": {"type": "append"},
        "schema": [{"name": "order_id", "type": "string"}],
    }
)
BASE = "http://dagster.example:3000/"


def test_failure_message_says_what_broke_and_who_owns_it() -> None:
    alert = make_alert(
        "failure",
        "check:std/orders:unique_order_id",
        "check",
        PRODUCT,
        ["std", "orders"],
        checks_link(BASE, ["std", "orders"]),
        check="unique_order_id",
        severity="ERROR",
        value="failing_rows=3",
        run_link=run_link(BASE, "abc-123"),
    )

    text = alert.text()
    assert alert.title == "[Tardis] FAILED orders: check unique_order_id (std/orders)"
    assert "Product: orders" in text
    assert "Check: unique_order_id (severity ERROR)" in text
    assert "Failing value: failing_rows=3" in text
    assert "Owner: #checkout-data" in text
    assert "Stakeholders: #finance-analytics, finance@example.com, #checkout-data" in text
    assert "Open in Dagster: http://dagster.example:3000/assets/std/orders?view=checks" in text
    assert "Run: http://dagster.example:3000/runs/abc-123" in text
    # the owner once, even when also listed as a stakeholder
    assert alert.recipients == ["#checkout-data", "#finance-analytics", "finance@example.com"]
    payload = alert.as_json()
    assert payload["product"] == "orders"
    assert payload["check"] == "unique_order_id"
    assert payload["value"] == "failing_rows=3"
    assert payload["owner"] == "#checkout-data"
    assert payload["link"].endswith("/assets/std/orders?view=checks")


def test_warn_checks_and_recoveries_have_their_own_titles() -> None:
    link = asset_link(BASE, ["std", "orders"])
    warn = make_alert("failure", "i", "check", PRODUCT, ["std", "orders"], link, check="c", severity="WARN")
    recovery = make_alert("recovery", "i", "run", PRODUCT, ["raw", "orders"], link)

    assert warn.title.startswith("[Tardis] WARNING orders")
    assert recovery.title == "[Tardis] RECOVERED orders: run (raw/orders)"
    assert "Status: passing again" in recovery.text()


def test_long_values_are_cut_and_key_parts_are_quoted() -> None:
    alert = make_alert("failure", "i", "run", PRODUCT, ["std", "orders"], "x", value="e" * 2000)

    assert alert.value is not None and len(alert.value) == 500
    assert asset_link("http://h/", ["std", "a b"]) == "http://h/assets/std/a%20b"
