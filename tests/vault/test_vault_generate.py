"""The generator: deterministic files, the SQL it writes, and the committed files kept up to date."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from repo_root import PROJECT_ROOT

from tardis_dagster.core.specs import load_catalog
from tardis_dagster.tooling.codegen.generate import MODELS_DIR, render, stale, write
from tardis_dagster.tooling.codegen.hashing import business_key_hash, hashdiff
from tardis_dagster.tooling.codegen.model import build_vault
from tardis_dagster.tooling.codegen.sql_products import materialization, model_properties

SPECS = PROJECT_ROOT / "product_specs"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog([SPECS])


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_generator_runs_write_byte_identical_files(catalog, tmp_path: Path) -> None:
    write(catalog, tmp_path / "a")
    second = write(load_catalog([SPECS]), tmp_path / "b")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert second.written and not second.removed
    again = write(catalog, tmp_path / "a")
    assert again.written == [] and again.removed == []


def test_files_no_longer_produced_are_removed(catalog, tmp_path: Path) -> None:
    write(catalog, tmp_path)
    extra = tmp_path / MODELS_DIR / "vault" / "hub_gone.sql"
    extra.write_text("select 1\n")
    result = write(catalog, tmp_path)
    assert result.removed == [extra.relative_to(tmp_path)] and not extra.exists()


def test_committed_generated_models_match_the_specs(catalog) -> None:
    assert stale(catalog, PROJECT_ROOT / "dbt_project") == [], "run `tardis generate`"


def test_hub_fed_by_several_products_is_one_model(catalog) -> None:
    vault = build_vault(catalog)
    customer = next(h for h in vault.hubs if h.hub.name == "customer")
    assert [s.product for s in customer.sources] == [
        "customers",
        "loyalty_points",
        "order_events",
        "subscriptions",
    ]
    sql = render(catalog)[MODELS_DIR / "vault" / "hub_customer.sql"]
    assert sql.count("ref('stg_") == 4
    assert "incremental_strategy='append'" in sql


def test_staging_sql_has_hash_keys_hashdiff_in_sorted_order_and_load_columns(catalog) -> None:
    sql = render(catalog)[MODELS_DIR / "staging" / "stg_order_events.sql"]
    assert "{{ tardis_hash_key(['order_id']) }} as order_hk" in sql
    assert "{{ tardis_link_hash_key([['customer_id'], ['order_id']]) }} as customer_order_hk" in sql
    # spec lists status, box_size, total_amount, currency: the hashdiff sorts them by name
    assert (
        "tardis_hashdiff([['box_size', 'int'], ['currency', 'string'], ['status', 'string'], "
        "['total_amount', 'decimal(10,2)']])" in sql
    )
    assert "_loaded_at as load_datetime" in sql and "'order_events' as record_source" in sql
    assert "updated_at as record_order" in sql
    assert "schema='stg', alias='order_events'" in sql
    assert "qualify" not in sql.lower()


def test_upsert_staging_reads_the_change_stream_and_scd2_and_append_read_std(catalog) -> None:
    import yaml

    files = render(catalog)
    # order_events is an upsert: std holds the latest version per order, its change stream every one.
    assert (
        "from {{ source('std', 'order_events__changes') }}"
        in files[MODELS_DIR / "staging" / "stg_order_events.sql"]
    )
    assert (
        "from {{ source('std', 'customers') }}" in files[MODELS_DIR / "staging" / "stg_customers.sql"]
    )  # scd2
    assert (
        "from {{ source('std', 'deliveries') }}" in files[MODELS_DIR / "staging" / "stg_deliveries.sql"]
    )  # append
    (std,) = yaml.safe_load(files[MODELS_DIR / "sources.yml"])["sources"]
    tables = {t["name"]: t for t in std["tables"]}
    assert {"order_events", "order_events__changes"} <= set(tables) and "customers__changes" not in tables
    assert tables["order_events__changes"]["config"]["meta"]["tardis"]["product"] == "order_events"


def test_link_order_follows_the_global_model_and_driving_key_follows_the_product_key(catalog) -> None:
    vault = build_vault(catalog)
    links = {link.link.name: link for link in vault.links}
    assert links["customer_order"].hub_keys == ("customer_hk", "order_hk")
    assert links["customer_order"].driving_hub == "order"  # order_events is an upsert keyed by order_id
    assert links["customer_subscription"].driving_hub == "subscription"
    assert links["order_recipe"].driving_hub is None  # menu_selections is append: many-to-many
    assert "driving_key='order_hk'" in render(catalog)[MODELS_DIR / "vault" / "esat_customer_order.sql"]


def test_every_hub_with_satellites_gets_a_pit(catalog) -> None:
    vault = build_vault(catalog)
    assert sorted(p.model_name for p in vault.pits) == sorted(
        {f"pit_{s.parent.hub.name}" for s in vault.satellites}
    )


def test_no_generated_vault_sql_uses_qualify(catalog) -> None:
    macros = "".join(p.read_text() for p in (PROJECT_ROOT / "dbt_project" / "macros" / "vault").glob("*.sql"))
    assert "qualify" not in macros.lower()
    assert all("qualify" not in text.lower() for text in render(catalog).values())


def test_sql_product_load_maps_to_the_materialization(catalog) -> None:
    assert materialization(catalog.by_name("customer_360")) == {"materialized": "table", "schema": "mart"}
    assert materialization(catalog.by_name("order_facts")) == {
        "materialized": "incremental",
        "incremental_strategy": "merge",
        "unique_key": ["order_id"],
        "on_schema_change": "fail",
        "partition_by": ["months(placed_at)"],
        "schema": "mart",
    }
    files = render(catalog)
    properties = files[MODELS_DIR / "mart" / "_mart.yml"]
    assert "enforced: true" in properties and "data_type: decimal(10,2)" in properties
    assert "{{ product('menu_selections') }}" in files[MODELS_DIR / "mart" / "recipe_popularity.sql"]
    assert (
        "'customer_360', 'order_facts', 'recipe_popularity'"
        in files[Path("macros") / "generated" / "tardis_sql_products.sql"]
    )


def test_append_sql_product_is_an_incremental_append(tmp_path: Path) -> None:
    root = tmp_path / "specs"
    shutil.copytree(SPECS, root)
    path = root / "operations" / "recipe_popularity.yaml"
    path.write_text(path.read_text().replace("type: upsert", "type: append"))
    config = materialization(load_catalog([root]).by_name("recipe_popularity"))
    assert config["incremental_strategy"] == "append" and "unique_key" not in config


def test_a_sql_product_key_is_a_uniqueness_test_whatever_its_load(catalog) -> None:
    # customer_360 is a `full` product (no merge enforces its key); recipe_popularity has two key columns.
    tests = {
        name: model_properties(catalog.by_name(name)).get("data_tests")
        for name in ("customer_360", "recipe_popularity")
    }
    assert tests["customer_360"] == [
        {"tardis_unique_combination": {"arguments": {"columns": ["customer_id"]}}}
    ]
    assert tests["recipe_popularity"] == [
        {"tardis_unique_combination": {"arguments": {"columns": ["selection_date", "recipe_id"]}}}
    ]


def test_python_hashing_twin() -> None:
    assert business_key_hash([" c1 "]) == business_key_hash(["C1"])
    assert business_key_hash([None]) is None and business_key_hash(["  "]) is None
    assert business_key_hash(["a", None]) != business_key_hash(["a", "^^"])  # the token cannot be forged
    assert business_key_hash(["a|", "b"]) != business_key_hash(["a", "|b"])  # nor the delimiter
    assert len(business_key_hash(["C1"], "sha256") or "") == 64
    assert hashdiff(["a", None]) != hashdiff(["A", None])  # hashdiffs keep case


def test_satellites_order_by_the_version_and_keep_it(catalog) -> None:
    files = render(catalog)
    # order_events is upserted by updated_at: the satellite orders (and stores) by it.
    assert "    version='updated_at',\n" in files[MODELS_DIR / "vault" / "sat_order_state.sql"]
    # deliveries has no version_by: load time, then the record's position.
    assert "version=" not in files[MODELS_DIR / "vault" / "sat_delivery_status.sql"]
    assert (
        "{{ tardis_record_position('_source_id') }} as record_id"
        in files[MODELS_DIR / "staging" / "stg_deliveries.sql"]
    )
    pit = files[MODELS_DIR / "vault" / "pit_order.sql"]
    assert "'column': 'sat_order_state_load_datetime', 'version': 'updated_at'" in pit


def test_every_satellite_of_an_upsert_or_scd2_product_tests_its_latest_row_against_std(catalog) -> None:
    import yaml

    models = {
        m["name"]: m for m in yaml.safe_load(render(catalog)[MODELS_DIR / "vault" / "_vault.yml"])["models"]
    }
    latest = {
        name: next(
            t["tardis_latest_equals_std"]["arguments"]
            for t in m["data_tests"]
            if "tardis_latest_equals_std" in t
        )
        for name, m in models.items()
        if any("tardis_latest_equals_std" in t for t in m.get("data_tests", []) if isinstance(t, dict))
    }
    vault = build_vault(catalog)
    expected = {s.model_name for s in vault.satellites if s.product.load.type in ("upsert", "scd2")}
    assert set(latest) == expected == {"sat_customer_profile", "sat_order_state", "sat_subscription_plan"}
    assert latest["sat_order_state"] == {
        "hash_key": "order_hk",
        "std": "source('std', 'order_events')",
        "key_columns": ["order_id"],
        "columns": [
            ["box_size", "int"],
            ["currency", "string"],
            ["status", "string"],
            ["total_amount", "decimal(10,2)"],
        ],
        "version": "updated_at",
    }
    assert latest["sat_customer_profile"]["current_only"] is True  # customers is scd2: its current row
