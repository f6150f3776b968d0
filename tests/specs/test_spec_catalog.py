"""The public API the rest of Tardis builds on: load_catalog, SpecCatalog and DataProduct helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from spec_helpers import ORDER_FACTS, ORDERS, REPO, with_sql_file
from synthetic_specs import write_synthetic_specs

from tardis_dagster.core.specs import (
    Column,
    DataProduct,
    GlobalModel,
    Owner,
    PartitionField,
    Problem,
    SpecCatalog,
    load_catalog,
    product_json_schema,
)

SpecTree = Callable[..., Path]


def test_catalog_of_the_demo_specs() -> None:
    catalog = load_catalog([REPO / "product_specs"])
    assert isinstance(catalog, SpecCatalog)
    assert catalog.ok and catalog.problems == []
    names = [product.name for product in catalog.products]
    assert names == sorted(names)
    assert isinstance(catalog.model, GlobalModel)
    assert catalog.summary() == "14 products, 5 hubs, 5 links"
    assert catalog.model.hub("customer") is not None
    assert catalog.model.link("order_recipe") is not None
    assert catalog.model.model_path == REPO / "product_specs" / "_model.yaml"


def test_product_fields_and_helpers(spec_tree: SpecTree) -> None:
    root = spec_tree({"orders.yaml": ORDERS, "order_facts.yaml": ORDER_FACTS})
    catalog = load_catalog([root])
    orders = catalog.by_name("orders")
    assert isinstance(orders, DataProduct)
    assert orders.spec_path == root / "orders.yaml"
    assert orders.spec_path.is_absolute()
    assert orders.resolve_path("schemas/order.json") == root / "schemas" / "order.json"
    assert orders.resolve_path("../x/y.csv") == root.parent / "x" / "y.csv"
    assert isinstance(orders.owner, Owner)
    assert (orders.owner.tribe, orders.owner.squad, orders.owner.contact) == (
        "consumer",
        "checkout",
        "#checkout-data",
    )
    assert orders.stakeholders == ["#finance", "finance@example.com"]
    assert orders.source.kind == "kafka"
    kafka = orders.source.kafka
    assert kafka is not None
    assert (kafka.topic, kafka.format, kafka.schema_, kafka.message) == (
        "checkout.order.v1",
        "json",
        "schemas/order.json",
        None,
    )
    assert (kafka.compatibility, kafka.quarantine_threshold, kafka.registry_subject) == (
        "BACKWARD",
        0.01,
        None,
    )
    assert orders.schedule == "0 * * * *"
    assert (orders.load.type, orders.load.key, orders.load.version_by) == (
        "upsert",
        ["order_id"],
        "updated_at",
    )
    assert orders.load.partitions == [PartitionField("day", "placed_at")]
    assert orders.load.reject_threshold == 0.01
    assert isinstance(orders.schema_[0], Column)
    assert orders.column("total_amount") is not None
    assert orders.column("total_amount").data_type.spark_ddl == "DECIMAL(10,2)"  # type: ignore[union-attr]
    assert orders.column("email").pii  # type: ignore[union-attr]
    assert orders.column_names[:2] == ["order_id", "customer_id"]
    assert [rule.kind for rule in orders.quality] == [
        "row_count",
        "freshness",
        "not_null",
        "unique",
        "accepted_values",
        "range",
        "sql",
    ]
    assert [rule.severity for rule in orders.quality][-2:] == ["error", "warn"]
    assert orders.quality[1].freshness.max_age_seconds == 7200  # type: ignore[union-attr]
    assert orders.quality[2].check_name == "not_null_order_id"
    assert orders.quality[6].check_name.startswith("sql_")
    assert orders.quality[4].columns == ["status"]
    assert [hub.hub for hub in orders.vault.hubs] == ["order", "customer"]
    assert orders.vault.links[0].hubs == ["customer", "order"]
    assert orders.vault.satellites[0].columns == ["status", "total_amount"]
    assert orders.upstream == [] and orders.sql_text is None

    facts = catalog.by_name("order_facts")
    assert facts.source.kind == "sql"
    assert facts.upstream == ["orders"]
    assert facts.vault.hubs == []
    with pytest.raises(KeyError, match="no valid data product named 'nope'"):
        catalog.by_name("nope")


def test_sql_file_products(spec_tree: SpecTree) -> None:
    facts = with_sql_file("sql/facts.sql")
    sql = "select customer_id, count(*) as orders from {{ product('orders') }} group by customer_id\n"
    catalog = load_catalog(
        [spec_tree({"orders.yaml": ORDERS, "order_facts.yaml": facts, "sql/facts.sql": sql})]
    )
    assert catalog.problems == []
    product = catalog.by_name("order_facts")
    assert product.source.kind == "sql"
    assert product.source.sql_file == "sql/facts.sql"
    assert product.sql_text == sql
    assert product.upstream == ["orders"]


def test_files_products(spec_tree: SpecTree) -> None:
    spec = """\
apiVersion: tardis/v1
kind: DataProduct
name: recipes
version: 1.0.0
description: Recipes.
owner: {tribe: operations, squad: menu, contact: menu@example.com}
source:
  files: {uri: ../files/recipes/, format: csv, options: {delimiter: ";", header: false, maxColumns: 50}}
load: {type: full}
schema:
  - {name: recipe_id, type: string}
"""
    root = spec_tree({"ops/recipes.yaml": spec})
    product = load_catalog([root]).by_name("recipes")
    files = product.source.files
    assert files is not None
    # The default pattern takes gzipped exports too; the default dialect is RFC 4180 ("" in a quote).
    assert (files.format, files.glob, files.is_remote) == ("csv", "*.{csv,csv.gz}", False)
    assert files.options == {"delimiter": ";", "header": "false", "maxColumns": "50"}
    assert files.reader_options == {"header": "false", "escape": '"', "delimiter": ";", "maxColumns": "50"}
    assert product.files_location() == str(root / "files" / "recipes")
    remote = spec.replace("../files/recipes/", "s3://bucket/recipes/").replace(
        ', options: {delimiter: ";", header: false, maxColumns: 50}', ""
    )
    product = load_catalog([spec_tree({"ops/recipes.yaml": remote})]).by_name("recipes")
    assert product.files_location() == "s3://bucket/recipes/"
    assert product.source.files.reader_options == {"header": "true", "escape": '"'}  # type: ignore[union-attr]


def test_products_validate_from_python_too() -> None:
    import yaml

    product = DataProduct.model_validate(yaml.safe_load(ORDERS))
    assert product.name == "orders"
    assert product.spec_path == Path("orders.yaml").absolute()
    dumped = product.model_dump(exclude_defaults=True)
    assert dumped["apiVersion"] == "tardis/v1" and "schema" in dumped
    assert DataProduct.model_validate(dumped) == product


def test_load_catalog_accepts_files_folders_and_strings(spec_tree: SpecTree) -> None:
    root = spec_tree({"orders.yaml": ORDERS, "order_facts.yaml": ORDER_FACTS})
    assert [p.name for p in load_catalog(str(root)).products] == ["order_facts", "orders"]
    single = load_catalog([root / "orders.yaml"])
    assert single.problems == []
    assert single.model is not None
    # The same file given twice is loaded once.
    assert load_catalog([root, root / "orders.yaml"]).problems == []


def test_problems_are_sorted_and_typed(spec_tree: SpecTree) -> None:
    root = spec_tree({"b.yaml": "", "a.yaml": "- x\n"})
    problems = load_catalog([root]).problems
    assert [problem.path.name for problem in problems] == ["a.yaml", "b.yaml"]
    assert all(isinstance(problem, Problem) for problem in problems)


def test_json_schema_describes_the_spec() -> None:
    schema = product_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert {"apiVersion", "kind", "name", "version", "owner", "source", "load", "schema"} <= set(
        schema["required"]
    )
    assert "schema" in schema["properties"] and "schema_" not in schema["properties"]
    kafka = schema["$defs"]["KafkaSource"]["properties"]
    assert "schema" in kafka and kafka["format"]["enum"] == ["json", "avro", "protobuf"]
    assert schema["$defs"]["Source"]["oneOf"] == [
        {"required": ["kafka"]},
        {"required": ["files"]},
        {"required": ["sql"]},
        {"required": ["sql_file"]},
    ]


def test_many_specs_load_clean(tmp_path: Path) -> None:
    root = write_synthetic_specs(tmp_path / "product_specs", 500)
    catalog = load_catalog([root])
    assert catalog.problems == []
    assert len(catalog.products) == 500
    assert catalog.by_name("sql_4").upstream == ["kafka_2"]
