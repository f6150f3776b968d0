"""The dbt project in Dagster: one connected graph raw -> std -> stg -> vault, checks from dbt tests."""

from __future__ import annotations

import dagster as dg
import pytest
from repo_root import PROJECT_ROOT

from tardis_dagster.assembly import build_definitions
from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.defs.dbt.assets import TRANSLATOR, dbt_project, parse_project


@pytest.fixture(scope="module")
def graph():
    parse_project(
        dbt_project(get_settings())
    )  # the manifest of the committed models, as `dagster dev` prepares it
    defs = build_definitions(load_catalog([PROJECT_ROOT / "product_specs"]))
    return defs.resolve_asset_graph()


def _parents(graph, key: str) -> set[str]:
    return {k.to_user_string() for k in graph.get(dg.AssetKey.from_user_string(key)).parent_keys}


def test_one_graph_from_raw_to_the_vault(graph) -> None:
    assert _parents(graph, "std/order_events") == {"raw/order_events"}
    # staging of the upsert order_events reads std.order_events__changes: still the std/order_events asset
    assert _parents(graph, "stg/order_events") == {"std/order_events"}
    assert _parents(graph, "vault/hub_order") == {"stg/order_events", "stg/deliveries", "stg/menu_selections"}
    assert _parents(graph, "vault/link_customer_order") == {"stg/order_events"}
    assert _parents(graph, "vault/esat_customer_order") == {"stg/order_events"}
    assert _parents(graph, "vault/sat_order_state") == {"stg/order_events"}
    assert _parents(graph, "vault/pit_order") == {"vault/sat_order_state"}
    # {{ product('order_events') }} reads the published std.order_events
    assert _parents(graph, "mart/order_facts") == {"std/order_events", "std/deliveries"}
    # the std assets the dbt sources point at are the Spark-built ones, not stand-ins
    assert graph.get(dg.AssetKey(["std", "order_events"])).is_materializable


def test_vault_assets_carry_spec_ownership(graph) -> None:
    hub = graph.get(dg.AssetKey(["vault", "hub_order"]))
    assert hub.group_name == "consumer" and hub.owners == ["team:checkout"]
    assert hub.tags["layer"] == "vault" and hub.tags["squad"] == "checkout"
    sat = graph.get(dg.AssetKey(["vault", "sat_delivery_status"]))
    assert sat.owners == ["team:logistics", "team:#logistics-data"] and sat.group_name == "operations"
    stg = graph.get(dg.AssetKey(["stg", "order_events"]))
    assert stg.description.startswith("Staging of order_events")
    assert {"dbt", "spark", "iceberg"} <= set(stg.kinds)


def test_dbt_tests_are_asset_checks(graph) -> None:
    checks = {f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys}
    assert "vault/hub_order:unique_hub_order_order_hk" in checks
    assert "vault/hub_order:not_null_hub_order_order_hk" in checks
    assert any(c.startswith("vault/sat_order_state:tardis_unique_combination") for c in checks)
    assert any(
        c.startswith("vault/link_customer_order:relationships_link_customer_order_order_hk") for c in checks
    )
    assert "stg/order_events:not_null_stg_order_events_customer_hk" in checks


def test_any_source_in_schema_std_is_the_std_asset() -> None:
    props = {"resource_type": "source", "schema": "std", "name": "aws_cur", "source_name": "cost_inputs"}
    assert TRANSLATOR.get_asset_key(props) == dg.AssetKey(["std", "aws_cur"])
    # an upsert product's change stream (what its staging reads) is written by the same std asset
    changes = {
        "resource_type": "source",
        "schema": "std",
        "name": "order_events__changes",
        "source_name": "std",
    }
    assert TRANSLATOR.get_asset_key(changes) == dg.AssetKey(["std", "order_events"])
    model = {"resource_type": "model", "schema": "vault", "alias": "hub_order", "name": "hub_order"}
    assert TRANSLATOR.get_asset_key(model) == dg.AssetKey(["vault", "hub_order"])
