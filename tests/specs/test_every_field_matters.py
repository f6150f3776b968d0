"""No spec field is silently ignored: every field of the spec model (SPEC.md, the JSON Schema in
product_specs/.schema) changes what the platform builds from the specs, or is refused.

"What the platform builds" is everything generated from the catalog without running anything: the
Dagster asset specs, checks and schedules (owners, tags, descriptions and metadata included), the typed
inputs each Spark job is handed, the generated dbt project (staging, vault, SQL products) with the
owners the dbt translator gives its models, and the pre-flight gate's verdict on a schema change. For
each field one mutation of a valid spec tree is applied; the tree must still validate and the built
outputs must differ, or the tree must be refused. The list of fields comes from the pydantic models,
so a field added without a mutation here fails `test_every_field_has_a_mutation`.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from pydantic import BaseModel
from spec_helpers import REPO

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import DataProduct, SpecCatalog, load_catalog
from tardis_dagster.core.specs.model import GlobalModel
from tardis_dagster.defs.dbt.assets import TRANSLATOR_SETTINGS, TardisDbtTranslator
from tardis_dagster.defs.landing import files as files_landing
from tardis_dagster.defs.landing import kafka as kafka_landing
from tardis_dagster.defs.landing import landing_definitions
from tardis_dagster.defs.quality.checks import quality_definitions, quality_input
from tardis_dagster.defs.schedules import schedule_definitions
from tardis_dagster.defs.standardize.assets import standardize_definitions, standardize_input
from tardis_dagster.tooling.codegen.generate import render
from tardis_dagster.tooling.contracts.compatibility.evolution import check_files

_LINE_NUMBER = re.compile(r"line_number=\d+")
Tree = dict[str, Any]  # file name under product_specs/ -> parsed YAML (dict) or text (str)

MODEL = {
    "hubs": [
        {
            "name": "customer",
            "business_key": ["customer_id"],
            "description": "A customer.",
            "owner": {"tribe": "consumer", "squad": "accounts", "contact": "#accounts"},
        },
        {
            "name": "order",
            "business_key": ["order_id"],
            "description": "An order.",
            "owner": {"tribe": "consumer", "squad": "checkout"},
        },
        {
            "name": "shop",
            "business_key": ["shop_id"],
            "description": "A shop.",
            "owner": {"tribe": "consumer", "squad": "shops"},
        },
        {
            "name": "supplier",
            "business_key": ["supplier_id"],
            "description": "A supplier.",
            "owner": {"tribe": "consumer", "squad": "shops"},
        },
    ],
    "links": [
        {"name": "customer_order", "hubs": ["customer", "order"], "description": "Who ordered what."},
        {"name": "order_placed_by", "hubs": ["customer", "order"]},
        {"name": "order_shop", "hubs": ["order", "shop"]},
    ],
}

OWNER = {"tribe": "consumer", "squad": "checkout", "contact": "#checkout-data"}

ORDERS = {
    "apiVersion": "tardis/v1",
    "kind": "DataProduct",
    "name": "orders",
    "version": "1.0.0",
    "description": "Orders placed by customers.",
    "owner": OWNER,
    "stakeholders": ["#finance"],
    "source": {"kafka": {"topic": "checkout.order.v1", "format": "json", "schema": "schemas/order.json"}},
    "schedule": "0 * * * *",
    "load": {
        "type": "upsert",
        "key": ["order_id"],
        "version_by": "updated_at",
        "partition_by": ["day(placed_at)"],
    },
    "schema": [
        {"name": "order_id", "type": "string", "required": True, "description": "Order identifier."},
        {"name": "customer_id", "type": "string", "required": True},
        {"name": "shop_id", "type": "string"},
        {"name": "status", "type": "string"},
        {"name": "note", "type": "string"},
        {"name": "quantity", "type": "int"},
        {"name": "total_amount", "type": "decimal(10,2)"},
        {"name": "email", "type": "string", "pii": True},
        {"name": "placed_at", "type": "timestamp", "required": True},
        {"name": "updated_at", "type": "timestamp"},
    ],
    "quality": [
        {"row_count": {"min": 1}},
        {"freshness": {"column": "placed_at", "max_age": "2h"}},
        {"not_null": ["order_id"]},
        {"unique": ["order_id"]},
        {"accepted_values": {"column": "status", "values": ["placed", "paid"]}},
        {"range": {"column": "total_amount", "min": 0}},
        {"sql": "select count(*) from {{ this }} where total_amount > 10000", "severity": "warn"},
    ],
    "vault": {
        "hubs": [
            {"hub": "order", "key": ["order_id"]},
            {"hub": "customer", "key": ["customer_id"]},
            {"hub": "shop", "key": ["shop_id"]},
        ],
        "links": [{"link": "customer_order", "hubs": ["customer", "order"]}],
        "satellites": [
            {"satellite": "order_state", "parent": "order", "columns": ["status", "total_amount"]}
        ],
    },
}

SUBSCRIPTIONS = {
    "apiVersion": "tardis/v1",
    "kind": "DataProduct",
    "name": "subscriptions",
    "version": "1.0.0",
    "description": "Subscriptions, as Protobuf events.",
    "owner": OWNER,
    "source": {
        "kafka": {
            "topic": "checkout.subscription.v1",
            "format": "protobuf",
            "schema": "schemas/subscription.proto",
            "message": "Subscription",
        }
    },
    "load": {"type": "append"},
    "schema": [{"name": "subscription_id", "type": "string", "required": True}],
}

DROPS = {
    "apiVersion": "tardis/v1",
    "kind": "DataProduct",
    "name": "partner_drops",
    "version": "1.0.0",
    "description": "Partner exports.",
    "owner": OWNER,
    "source": {"files": {"uri": "./drops/", "format": "csv", "pattern": "*.csv", "options": {"sep": ";"}}},
    "schedule": "0 6 * * *",
    "load": {"type": "full"},
    "schema": [{"name": "id", "type": "bigint", "required": True}, {"name": "label", "type": "string"}],
}

FACTS = {
    "apiVersion": "tardis/v1",
    "kind": "DataProduct",
    "name": "order_facts",
    "version": "1.0.0",
    "description": "Orders per customer.",
    "owner": OWNER,
    "source": {
        "sql": "select customer_id, count(*) as orders from {{ product('orders') }} group by customer_id"
    },
    "schedule": "on_upstream",
    "load": {"type": "full"},
    "schema": [{"name": "customer_id", "type": "string"}, {"name": "orders", "type": "bigint"}],
}

COUNTS = {
    **FACTS,
    "name": "shop_counts",
    "description": "Orders per shop.",
    "source": {"sql_file": "shop_counts.sql"},
    "schema": [{"name": "shop_id", "type": "string"}, {"name": "orders", "type": "bigint"}],
}

PROTO = """\
syntax = "proto3";
package shop.v1;
message Subscription { string subscription_id = 1; }
message SubscriptionV2 { string subscription_id = 1; string plan = 2; }
"""
# Open content model: order.json's string `order_id` against order_v0.json's integer one is a breaking
# type change under any mode but NONE.
ORDER_SCHEMA = (
    '{"type": "object", "properties": {"order_id": {"type": "string"}, '
    '"placed_at": {"type": "string", "format": "date-time"}}}\n'
)
BASE: Tree = {
    "_model.yaml": MODEL,
    "orders.yaml": ORDERS,
    "subscriptions.yaml": SUBSCRIPTIONS,
    "partner_drops.yaml": DROPS,
    "order_facts.yaml": FACTS,
    "shop_counts.yaml": COUNTS,
    "shop_counts.sql": "select shop_id, count(*) as orders from {{ product('orders') }} group by shop_id\n",
    "shop_counts_v2.sql": "select shop_id, count(1) as orders from {{ product('orders') }} group by 1\n",
    "schemas/order.json": ORDER_SCHEMA,
    "schemas/order_v2.json": ORDER_SCHEMA.replace('"placed_at"', '"updated_at"'),
    "schemas/order_v0.json": '{"type": "object", "properties": {"order_id": {"type": "integer"}}}\n',
    "schemas/order.avsc": (
        '{"type": "record", "name": "Order", "fields": [{"name": "order_id", "type": "string"}]}\n'
    ),
    "schemas/subscription.proto": PROTO,
}


# ---------------------------------------------------------------------------------------------
# Mutations: one per field path, each a function editing a copy of the tree


def _set(file: str, path: str, value: Any) -> Callable[[Tree], None]:
    """Set the value at a dotted path (list items by index: `quality.0.row_count.min`)."""

    def mutate(tree: Tree) -> None:
        *parents, last = path.split(".")
        node = tree[file]
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _all(*mutations: Callable[[Tree], None]) -> Callable[[Tree], None]:
    def mutate(tree: Tree) -> None:
        for mutation in mutations:
            mutation(tree)

    return mutate


def _drop(file: str, path: str, key: str) -> Callable[[Tree], None]:
    def mutate(tree: Tree) -> None:
        node = tree[file]
        for part in path.split("."):
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[key]

    return mutate


def _rename_hub(tree: Tree) -> None:
    tree["_model.yaml"]["hubs"][2]["name"] = "store"
    tree["_model.yaml"]["links"][2]["hubs"] = ["order", "store"]
    tree["orders.yaml"]["vault"]["hubs"][2]["hub"] = "store"


def _rename_link(tree: Tree) -> None:
    tree["_model.yaml"]["links"][0]["name"] = "order_customer"
    tree["orders.yaml"]["vault"]["links"][0]["link"] = "order_customer"


def _link_other_hubs(tree: Tree) -> None:
    tree["_model.yaml"]["links"][0]["hubs"] = ["order", "shop"]
    tree["orders.yaml"]["vault"]["links"][0]["hubs"] = ["order", "shop"]


ORD, SUB, DRP, FCT, CNT, MDL = (
    "orders.yaml",
    "subscriptions.yaml",
    "partner_drops.yaml",
    "order_facts.yaml",
    "shop_counts.yaml",
    "_model.yaml",
)

# field path -> (mutation, expected): "changes" = still valid and the built outputs differ; "refused" =
# the only other values the field can take are refused by `tardis validate`.
MUTATIONS: dict[str, tuple[Callable[[Tree], None], str]] = {
    "apiVersion": (_set(ORD, "apiVersion", "tardis/v2"), "refused"),
    "kind": (_set(ORD, "kind", "Dataset"), "refused"),
    "name": (_set(DRP, "name", "partner_exports"), "changes"),
    "version": (_set(ORD, "version", "1.1.0"), "changes"),
    "description": (_set(ORD, "description", "Every order placed."), "changes"),
    "owner.tribe": (_set(ORD, "owner", {**OWNER, "tribe": "commerce"}), "changes"),
    "owner.squad": (_set(ORD, "owner", {**OWNER, "squad": "payments"}), "changes"),
    "owner.contact": (_set(ORD, "owner", {**OWNER, "contact": "orders@example.com"}), "changes"),
    "stakeholders": (_set(ORD, "stakeholders", ["#finance", "bi@example.com"]), "changes"),
    "source.kafka.topic": (_set(ORD, "source.kafka.topic", "checkout.order.v2"), "changes"),
    "source.kafka.format": (
        _all(
            _set(ORD, "source.kafka.format", "avro"), _set(ORD, "source.kafka.schema", "schemas/order.avsc")
        ),
        "changes",
    ),
    "source.kafka.schema": (_set(ORD, "source.kafka.schema", "schemas/order_v2.json"), "changes"),
    "source.kafka.message": (_set(SUB, "source.kafka.message", "SubscriptionV2"), "changes"),
    "source.kafka.registry_subject": (
        _set(ORD, "source.kafka.registry_subject", "checkout.order.v1-value"),
        "changes",
    ),
    "source.kafka.compatibility": (_set(ORD, "source.kafka.compatibility", "NONE"), "changes"),
    "source.kafka.format_assertion": (_set(ORD, "source.kafka.format_assertion", False), "changes"),
    "source.kafka.quarantine_threshold": (_set(ORD, "source.kafka.quarantine_threshold", 0.05), "changes"),
    "source.files.uri": (_set(DRP, "source.files.uri", "./exports/"), "changes"),
    "source.files.format": (
        _all(_set(DRP, "source.files.format", "json"), _drop(DRP, "source.files", "options")),
        "changes",
    ),
    "source.files.pattern": (_set(DRP, "source.files.pattern", "export_*.csv"), "changes"),
    "source.files.options": (_set(DRP, "source.files.options", {"sep": "|"}), "changes"),
    "source.sql": (
        _set(
            FCT,
            "source.sql",
            "select customer_id, count(1) as orders from {{ product('orders') }} group by 1",
        ),
        "changes",
    ),
    "source.sql_file": (_set(CNT, "source.sql_file", "shop_counts_v2.sql"), "changes"),
    "schedule": (_set(ORD, "schedule", "30 * * * *"), "changes"),
    "load.type": (_set(ORD, "load.type", "scd2"), "changes"),
    "load.key": (_set(ORD, "load.key", ["order_id", "customer_id"]), "changes"),
    "load.version_by": (_set(ORD, "load.version_by", "placed_at"), "changes"),
    "load.partition_by": (_set(ORD, "load.partition_by", ["month(placed_at)"]), "changes"),
    "load.reject_threshold": (_set(ORD, "load.reject_threshold", 0.05), "changes"),
    "schema[].name": (_set(ORD, "schema.4.name", "comment"), "changes"),
    "schema[].type": (_set(ORD, "schema.5.type", "bigint"), "changes"),
    "schema[].required": (_set(ORD, "schema.4.required", True), "changes"),
    "schema[].description": (_set(ORD, "schema.4.description", "Free text from the buyer."), "changes"),
    "schema[].pii": (_set(ORD, "schema.4.pii", True), "changes"),
    "quality[].row_count.min": (_set(ORD, "quality.0.row_count.min", 5), "changes"),
    "quality[].row_count.max": (_set(ORD, "quality.0.row_count.max", 1000), "changes"),
    "quality[].freshness.column": (_set(ORD, "quality.1.freshness.column", "updated_at"), "changes"),
    "quality[].freshness.max_age": (_set(ORD, "quality.1.freshness.max_age", "3h"), "changes"),
    "quality[].not_null": (_set(ORD, "quality.2.not_null", ["order_id", "customer_id"]), "changes"),
    "quality[].unique": (_set(ORD, "quality.3.unique", ["order_id", "customer_id"]), "changes"),
    "quality[].accepted_values.column": (_set(ORD, "quality.4.accepted_values.column", "note"), "changes"),
    "quality[].accepted_values.values": (
        _set(ORD, "quality.4.accepted_values.values", ["placed", "paid", "shipped"]),
        "changes",
    ),
    "quality[].range.column": (_set(ORD, "quality.5.range.column", "quantity"), "changes"),
    "quality[].range.min": (_set(ORD, "quality.5.range.min", 1), "changes"),
    "quality[].range.max": (_set(ORD, "quality.5.range.max", 100000), "changes"),
    "quality[].sql": (
        _set(ORD, "quality.6.sql", "select count(*) from {{ this }} where quantity < 0"),
        "changes",
    ),
    "quality[].severity": (_set(ORD, "quality.6.severity", "error"), "changes"),
    "quality[].name": (_set(ORD, "quality.0.name", "has_rows"), "changes"),
    "quality[].description": (_set(ORD, "quality.0.description", "Orders arrive every hour."), "changes"),
    "vault.hubs[].hub": (
        _all(_set(ORD, "vault.hubs.2", {"hub": "supplier", "key": ["shop_id"]})),
        "changes",
    ),
    "vault.hubs[].key": (_set(ORD, "vault.hubs.2.key", ["note"]), "changes"),
    "vault.links[].link": (_set(ORD, "vault.links.0.link", "order_placed_by"), "changes"),
    # The mapping must list the model link's own hubs (in any order); other hubs are refused.
    "vault.links[].hubs": (_set(ORD, "vault.links.0.hubs", ["order", "shop"]), "refused"),
    "vault.satellites[].satellite": (_set(ORD, "vault.satellites.0.satellite", "order_status"), "changes"),
    "vault.satellites[].parent": (_set(ORD, "vault.satellites.0.parent", "customer"), "changes"),
    "vault.satellites[].columns": (
        _set(ORD, "vault.satellites.0.columns", ["status", "total_amount", "quantity"]),
        "changes",
    ),
    # The global model (_model.yaml).
    "model:hubs[].name": (_rename_hub, "changes"),
    "model:hubs[].business_key": (_set(MDL, "hubs.2.business_key", ["shop_code"]), "changes"),
    "model:hubs[].description": (_set(MDL, "hubs.2.description", "A shop selling boxes."), "changes"),
    "model:hubs[].owner.tribe": (_set(MDL, "hubs.2.owner.tribe", "retail"), "changes"),
    "model:hubs[].owner.squad": (_set(MDL, "hubs.2.owner.squad", "stores"), "changes"),
    "model:hubs[].owner.contact": (_set(MDL, "hubs.2.owner.contact", "shops@example.com"), "changes"),
    "model:links[].name": (_rename_link, "changes"),
    "model:links[].hubs": (_link_other_hubs, "changes"),
    "model:links[].description": (
        _set(MDL, "links.0.description", "Which customer placed an order."),
        "changes",
    ),
}


# Fields that only document: the new text must reach what people read in Dagster (an asset's or a
# check's description or metadata; a dbt model's description, owners and group as the translator gives
# them to Dagster).
DOCUMENTATION = {
    "description": ("Every order placed.", "asset "),
    "version": ("1.1.0", "asset "),
    "owner.contact": ("orders@example.com", "asset "),
    "stakeholders": ("bi@example.com", "asset "),
    "schema[].description": ("Free text from the buyer.", "asset "),
    "quality[].description": ("Orders arrive every hour.", "check "),
    "model:hubs[].description": ("A shop selling boxes.", "dbt asset "),
    "model:hubs[].owner.tribe": ("retail", "dbt asset "),
    "model:hubs[].owner.squad": ("stores", "dbt asset "),
    "model:hubs[].owner.contact": ("shops@example.com", "dbt asset "),
    "model:links[].description": ("Which customer placed an order.", "dbt asset "),
}


# ---------------------------------------------------------------------------------------------
# The fields of the spec model


def _submodel(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """(the spec model inside an annotation, whether it is a list of them)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            model, many = _submodel(arg)
            if model is not None:
                return model, many
        return None, False
    if origin is list:
        model, _ = _submodel(typing.get_args(annotation)[0])
        return model, model is not None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def field_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every leaf field of a spec model as a YAML path (`schema[].pii`, `source.kafka.topic`)."""
    paths = []
    for name, info in model.model_fields.items():
        path = prefix + (info.alias or name)
        sub, many = _submodel(info.annotation)
        if sub is None:
            paths.append(path)
        else:
            paths += field_paths(sub, path + ("[]" if many else "") + ".")
    return paths


def test_every_field_has_a_mutation() -> None:
    fields = set(field_paths(DataProduct)) | {f"model:{p}" for p in field_paths(GlobalModel)}
    assert fields == set(MUTATIONS), (
        f"fields without a mutation: {sorted(fields - set(MUTATIONS))}; "
        f"mutations of no field: {sorted(set(MUTATIONS) - fields)}"
    )


# ---------------------------------------------------------------------------------------------
# What the platform builds from a catalog


def _write(tree: Tree, root: Path) -> Path:
    specs = root / "product_specs"
    for name, content in tree.items():
        path = specs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False))
    return specs


def _definitions(catalog: SpecCatalog) -> dict[str, str]:
    settings = get_settings()
    layers = dg.Definitions.merge(
        landing_definitions(catalog, settings),
        standardize_definitions(catalog, settings),
        schedule_definitions(catalog),
    )
    published = {key for assets in layers.assets or [] for key in assets.keys}  # type: ignore[union-attr]
    quality = quality_definitions(catalog, published)
    built: dict[str, str] = {}
    for assets in [*(layers.assets or []), *(quality.asset_checks or [])]:
        for spec in getattr(assets, "specs", []):
            built[f"asset {spec.key.to_user_string()}"] = repr(spec)
        for check in assets.check_specs:
            built[f"check {check.asset_key.to_user_string()}:{check.name}"] = repr(check)
    for schedule in layers.schedules or []:
        built[f"schedule {schedule.name}"] = repr((schedule.cron_schedule, schedule.job.selection))
    for sensor in layers.sensors or []:
        built[f"sensor {sensor.name}"] = repr(sensor.description)
    return built


def _job_inputs(catalog: SpecCatalog) -> dict[str, str]:
    settings = get_settings()
    inputs: dict[str, Any] = {}
    for product in catalog.products:
        if product.source.kafka is not None:
            inputs[f"land_kafka {product.name}"] = kafka_landing.landing_input(product, settings)
        if product.source.files is not None:
            inputs[f"land_files {product.name}"] = files_landing.landing_input(product)
        if product.source.kind != "sql":
            inputs[f"standardize {product.name}"] = standardize_input(product)
        inputs[f"quality_checks {product.name}"] = quality_input(product, catalog)
    return {name: repr(dataclasses.asdict(value)) for name, value in inputs.items()}


def _dbt(catalog: SpecCatalog) -> dict[str, str]:
    """The generated dbt project, and what the dbt translator makes of each generated model."""
    files = {f"dbt {path}": text for path, text in render(catalog).items()}
    translator = TardisDbtTranslator(settings=TRANSLATOR_SETTINGS, catalog=catalog)
    for path, text in list(files.items()):
        if path.endswith(".yml"):
            for model in yaml.safe_load(text).get("models", []):
                props = {"resource_type": "model", "schema": "vault", **model}
                files[f"dbt asset {model['name']}"] = repr(
                    (
                        translator.get_description(props),
                        translator.get_group_name(props),
                        translator.get_owners(props),
                        translator.get_tags(props),
                    )
                )
    return files


def _gate(catalog: SpecCatalog) -> dict[str, str]:
    """The pre-flight gate's verdict on each Kafka product's schema against a fixed earlier one."""
    verdicts = {}
    for product in catalog.products:
        kafka = product.source.kafka
        if kafka is not None and kafka.format == "json" and kafka.schema_ is not None:
            earlier = product.resolve_path("schemas/order_v0.json")
            found = check_files("json", kafka.compatibility, product.resolve_path(kafka.schema_), [earlier])
            verdicts[f"gate {product.name}"] = repr([str(i) for i in found])
    return verdicts


def built(tree: Tree, root: Path) -> dict[str, str] | None:
    """Everything built from the tree written under `root` (paths shown relative), or None if refused."""
    specs = _write(tree, root)
    catalog = load_catalog([specs])
    if catalog.problems:
        return None
    outputs = {**_definitions(catalog), **_job_inputs(catalog), **_dbt(catalog), **_gate(catalog)}
    # Code references carry line numbers: a mutation that adds a line moves them, which is no change.
    return {
        name: _LINE_NUMBER.sub("line_number=_", text.replace(str(root), "<root>"))
        for name, text in outputs.items()
    }


@pytest.fixture(scope="module")
def base_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    outputs = built(BASE, tmp_path_factory.mktemp("base"))
    assert outputs is not None, [str(p) for p in load_catalog([tmp_path_factory.getbasetemp()]).problems]
    return outputs


def test_the_base_tree_builds_every_layer(base_outputs: dict[str, str]) -> None:
    kinds = {name.split(" ")[0] for name in base_outputs}
    assert kinds == {
        "asset",
        "check",
        "schedule",
        "sensor",
        "land_kafka",
        "land_files",
        "standardize",
        "quality_checks",
        "dbt",
        "gate",
    }
    assert any(name.startswith("dbt models/generated/vault/sat_order_state") for name in base_outputs)


@pytest.mark.parametrize("field", sorted(MUTATIONS))
def test_a_changed_field_changes_what_is_built_or_is_refused(
    field: str, base_outputs: dict[str, str], tmp_path: Path
) -> None:
    mutation, expected = MUTATIONS[field]
    tree = copy.deepcopy(BASE)
    mutation(tree)
    assert tree != BASE
    outputs = built(tree, tmp_path)
    if expected == "refused":
        assert outputs is None, f"{field}: the changed tree validates"
        return
    assert outputs is not None, [str(p) for p in load_catalog([tmp_path / "product_specs"]).problems]
    if field in DOCUMENTATION:
        text, where = DOCUMENTATION[field]
        shown = [name for name, value in outputs.items() if name.startswith(where) and text in value]
        assert shown, f"{field}: {text!r} reaches no {where.strip()} description or metadata"
    changed = sorted(
        name for name in outputs.keys() | base_outputs.keys() if outputs.get(name) != base_outputs.get(name)
    )
    assert changed, f"{field}: changing it changes nothing the platform builds"


def test_the_same_tree_elsewhere_builds_the_same(base_outputs: dict[str, str], tmp_path: Path) -> None:
    # Without this the comparison above could pass on any difference at all (a path, an id).
    assert built(copy.deepcopy(BASE), tmp_path) == base_outputs


def _schema_paths(root: dict[str, Any], node: dict[str, Any], prefix: str = "") -> set[str]:
    """Leaf fields of a JSON Schema document, spelled as `field_paths` spells them."""
    if "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    for option in node.get("anyOf", []):
        if option.get("type") != "null":
            return _schema_paths(root, option, prefix)
    items = node.get("items")
    if isinstance(items, dict) and ("$ref" in items or "properties" in items):
        return _schema_paths(root, items, prefix.removesuffix(".") + "[].")
    if "properties" not in node:
        return {prefix.removesuffix(".")}
    paths: set[str] = set()
    for name, child in node["properties"].items():
        paths |= _schema_paths(root, child, f"{prefix}{name}.")
    return paths


@pytest.mark.parametrize(
    ("file", "model"),
    [("data-product.schema.json", DataProduct), ("global-model.schema.json", GlobalModel)],
)
def test_the_published_json_schema_has_exactly_these_fields(file: str, model: type[BaseModel]) -> None:
    # Editors autocomplete from product_specs/.schema: it must offer no field the list above misses.
    schema = json.loads((REPO / "product_specs" / ".schema" / file).read_text())
    assert _schema_paths(schema, schema) == set(field_paths(model))
