"""The UI points at the spec: each product's assets and checks carry code references to the lines of
its spec file (and of `_model.yaml` for hubs and links), the spec's contact is an owner, and the
platform's automation sensor runs by default over every asset."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from repo_root import PROJECT_ROOT

from tardis_dagster.assembly import build_definitions
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.defs.automation import SENSOR_NAME
from tardis_dagster.lib.attributes import contact_owner
from tardis_dagster.lib.spec_locations import scan

SPECS = PROJECT_ROOT / "product_specs"


@pytest.fixture(scope="module")
def demo() -> dg.Definitions:
    return build_definitions(load_catalog([SPECS]))


def _references(metadata) -> list[dg.LocalFileCodeReference]:
    value = metadata["dagster/code_references"]
    assert isinstance(value, dg.CodeReferencesMetadataValue)
    return list(value.code_references)


def _line(reference: dg.LocalFileCodeReference) -> str:
    assert reference.line_number is not None
    return Path(reference.file_path).read_text().splitlines()[reference.line_number - 1]


def _spec(defs: dg.Definitions, key: str) -> dg.AssetSpec:
    return next(s for s in defs.resolve_all_asset_specs() if s.key.to_user_string() == key)


def test_landing_and_std_open_the_spec_at_their_source_and_schema(demo: dg.Definitions) -> None:
    spec_file = SPECS / "operations" / "deliveries.yaml"
    raw, schema_file = _references(_spec(demo, "raw/deliveries").metadata)
    assert Path(raw.file_path) == spec_file and _line(raw).startswith("source:")
    assert Path(schema_file.file_path) == spec_file.parent / "schemas" / "delivery.avsc"
    (std,) = _references(_spec(demo, "std/deliveries").metadata)
    assert Path(std.file_path) == spec_file and _line(std).startswith("schema:")
    assert std.label == "deliveries.yaml: schema"


def test_checks_open_their_quality_rule_and_the_load_section(demo: dg.Definitions) -> None:
    graph = demo.resolve_asset_graph()
    key = dg.AssetKey(["std", "deliveries"])
    checks = {c.name: graph.get_check_spec(c) for c in graph.asset_check_keys if c.asset_key == key}
    (rule,) = _references(checks["slot_ends_after_start"].metadata)
    assert rule.label == "deliveries.yaml: quality[4]" and _line(rule).lstrip().startswith("- sql:")
    (unique,) = _references(checks["unique_delivery_event_id"].metadata)
    assert "unique: [delivery_event_id]" in _line(unique)
    (audits,) = _references(checks["audits"].metadata)
    assert _line(audits).startswith("load:")


def test_dbt_models_open_the_vault_mapping_the_satellite_the_sql_and_the_model_entry(
    demo: dg.Definitions,
) -> None:
    (stg,) = _references(_spec(demo, "stg/deliveries").metadata)
    assert Path(stg.file_path).name == "deliveries.yaml" and _line(stg).startswith("vault:")
    (sat,) = _references(_spec(demo, "vault/sat_delivery_status").metadata)
    assert "satellite: delivery_status" in _line(sat)
    (hub,) = _references(_spec(demo, "vault/hub_delivery").metadata)
    assert Path(hub.file_path) == SPECS / "_model.yaml" and "name: delivery" in _line(hub)
    (link,) = _references(_spec(demo, "vault/esat_order_delivery").metadata)
    assert "name: order_delivery" in _line(link)
    spec, sql = _references(_spec(demo, "mart/order_facts").metadata)
    assert _line(spec).startswith("source:") and Path(sql.file_path).name == "order_facts.sql"


def test_no_code_reference_is_a_python_file_or_a_component_yaml(demo: dg.Definitions) -> None:
    for spec in demo.resolve_all_asset_specs():
        if spec.key.path[0] not in ("raw", "std", "stg", "vault", "mart"):
            continue
        for reference in _references(spec.metadata):
            assert Path(reference.file_path).is_relative_to(SPECS), (spec.key, reference.file_path)
            assert reference.line_number and reference.line_number >= 1


def test_the_code_location_adds_no_reference_to_the_components_defs_yaml() -> None:
    import tardis_dagster.definitions as location

    defs = dg.load_from_defs_folder(path_within_project=Path(location.__file__).parent)
    (reference,) = _references(_spec(defs, "std/deliveries").metadata)
    assert Path(reference.file_path) == SPECS / "operations" / "deliveries.yaml"


def test_the_contact_is_an_owner_next_to_the_squad(demo: dg.Definitions) -> None:
    assert _spec(demo, "std/deliveries").owners == ["team:logistics", "team:#logistics-data"]
    email = "subscriptions-team@tardis-eats.example"
    assert _spec(demo, "std/subscriptions").owners == ["team:subscriptions", email]
    assert _spec(demo, "vault/sat_subscription_plan").owners == ["team:subscriptions", email]
    # A hub's contact in _model.yaml is optional: customer has one, order has none.
    assert _spec(demo, "vault/hub_customer").owners == ["team:accounts", "team:#accounts-data"]
    assert _spec(demo, "vault/hub_order").owners == ["team:checkout"]
    # An email Dagster would refuse as an owner stays a contact only, not a load failure.
    assert contact_owner("someone@example.c") is None


def test_the_platform_automation_sensor_runs_by_default_over_every_automated_asset(
    demo: dg.Definitions,
) -> None:
    repository = demo.get_repository_def()
    sensors = {s.name: s for s in repository.sensor_defs}
    assert "default_automation_condition_sensor" not in sensors  # Dagster's own starts STOPPED
    sensor = sensors[SENSOR_NAME]
    assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    graph = repository.asset_graph
    targeted = sensor.asset_selection.resolve(graph)
    automated = {k for k in graph.get_all_asset_keys() if graph.get(k).automation_condition is not None}
    layers = {k.path[0] for k in automated}
    assert {"std", "stg", "vault", "mart"} <= layers
    assert automated <= targeted


def test_std_staging_vault_and_marts_follow_their_inputs(demo: dg.Definitions) -> None:
    for key in ("std/deliveries", "stg/deliveries", "vault/hub_delivery", "vault/sat_delivery_status"):
        condition = _spec(demo, key).automation_condition
        assert condition is not None and condition.get_label() == "eager", key
    assert _spec(demo, "raw/deliveries").automation_condition is None  # the Kafka sensor lands raw


def test_a_sql_product_with_a_cron_schedule_is_built_on_that_cron(demo: dg.Definitions) -> None:
    # customer_360's spec says `schedule: "0 5 * * *"`; order_facts says `on_upstream`.
    scheduled = _spec(demo, "mart/customer_360").automation_condition
    assert scheduled is not None and scheduled.get_label() == "on_cron(0 5 * * *, UTC)"
    following = _spec(demo, "mart/order_facts").automation_condition
    assert following is not None and following.get_label() == "eager"


SCANNED = """\
# a comment
apiVersion: tardis/v1
name: x
source:
  kafka: {topic: t,
    format: json}
quality:
- row_count: {min: 1}
- sql: |
    select 1
    - not an item
    vault: not a key
  name: sql_rule
-   not_null:
      - a
      - b
vault:
    hubs:
      - {hub: h, key: [a]}
      - hub: g
        key: [b]
    satellites:
      - {satellite: s, parent: h, columns: [c]}
"""


def test_the_scan_places_items_at_the_keys_column_block_scalars_and_flow_values() -> None:
    found = scan(SCANNED)
    assert found.line(("source",)) == 4 and found.line(("source", "kafka")) == 5
    assert [found.line(("quality", i)) for i in range(3)] == [8, 9, 14]
    assert found.line(("vault",)) == 17  # not the `vault:` inside the SQL text
    assert [found.line(("vault", "hubs", i)) for i in range(2)] == [19, 20]
    assert found.line(("vault", "satellites", 0)) == 23
    assert found.line(("quality", 7)) == 7  # unknown parts fall back to the enclosing one
    assert found.line(("missing",)) == 1
    assert scan(SCANNED.replace("\n", "\r\n")).lines == found.lines
