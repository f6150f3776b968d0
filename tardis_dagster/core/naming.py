"""Every name the platform derives from a product: layers, tables, asset key paths, side tables, checks.

One module owns these rules so the catalog, the Dagster UI, dbt and the Spark jobs agree: the asset
key of a table is `[layer, table]`, the same as its catalog name `layer.table`. Pure strings (no
Dagster, no Spark): `lib.attributes.table_key` turns a path into a Dagster `AssetKey`.
"""

from __future__ import annotations

# One namespace (database) per layer.
RAW = "raw"
STD = "std"
STG = "stg"
VAULT = "vault"
MART = "mart"
COST = "cost"
# Layers where an asset's table is named after its product (`<layer>.<product>[__<suffix>]`).
PRODUCT_LAYERS = (RAW, STD, STG, MART)

# Side tables beside a product's own table.
QUARANTINE_SUFFIX = "__quarantine"  # raw: records or files that could not be decoded
REJECTS_SUFFIX = "__rejects"  # std: rows that could not be typed or miss a required value
CHANGES_SUFFIX = "__changes"  # std: every typed, PII-safe version of an upsert product, in load order
SUFFIXES = (QUARANTINE_SUFFIX, REJECTS_SUFFIX, CHANGES_SUFFIX)

# Check names the jobs report and the definitions declare.
AUDITS_CHECK = "audits"  # std: write-audit-publish, one blocking check listing every audit
QUARANTINE_CHECK = "quarantine_share"  # raw (Kafka): the share of a run's records quarantined

# Prefixes of the Data Vault tables generated from the global data model.
VAULT_PREFIXES = {"hub": "hub_", "link": "link_", "satellite": "sat_", "esat": "esat_", "pit": "pit_"}

# The platform's own report asset.
COST_REPORT = "cost_report"

# Spark job tags of a step start with this (telemetry finds the step's Spark jobs by it).
SPARK_JOB_TAG_PREFIX = "tardis"


def qualified(layer: str, table: str, prefix: str = "") -> str:
    """`layer.table`, the name in the catalog (the layer is the namespace).

    `prefix` (settings' `namespace_prefix`, empty but for `tardis test`) moves the table into the
    namespace `<prefix><layer>`: same table, same asset key, an isolated copy of the layer.
    """
    return f"{prefix}{layer}.{table}"


def asset_path(layer: str, table: str) -> list[str]:
    """The asset key path of a table: `[layer, table]`."""
    return [layer, table]


def asset_string(layer: str, table: str) -> str:
    """The asset key as Dagster prints it (`layer/table`), as Pipes jobs report it."""
    return "/".join(asset_path(layer, table))


def raw_table(product: str, prefix: str = "") -> str:
    """`raw.<product>`: what landing appends."""
    return qualified(RAW, product, prefix)


def quarantine_table(product: str, prefix: str = "") -> str:
    """`raw.<product>__quarantine`."""
    return qualified(RAW, product + QUARANTINE_SUFFIX, prefix)


def std_table(product: str, prefix: str = "") -> str:
    """`std.<product>`: the published standardized table."""
    return qualified(STD, product, prefix)


def rejects_table(product: str, prefix: str = "") -> str:
    """`std.<product>__rejects`."""
    return qualified(STD, product + REJECTS_SUFFIX, prefix)


def has_change_stream(load_type: str) -> bool:
    """Whether standardization appends every version of a batch to `std.<product>__changes`.

    Only upsert: its std table keeps the latest version of each key. An scd2 table keeps every version
    itself, an append table every record; a full load has no history to keep.
    """
    return load_type == "upsert"


def changes_table(product: str, load_type: str, prefix: str = "") -> str | None:
    """`std.<product>__changes` for an upsert product (the vault stages it), else None."""
    return qualified(STD, product + CHANGES_SUFFIX, prefix) if has_change_stream(load_type) else None


def published_layer(source_kind: str) -> str:
    """The layer of a product's published table: `mart` for SQL products, `std` for landed ones."""
    return MART if source_kind == "sql" else STD


def published_table(product: str, source_kind: str, prefix: str = "") -> str:
    """`std.<name>` or `mart.<name>`: the table `{{ product('<name>') }}` and the quality rules read."""
    return qualified(published_layer(source_kind), product, prefix)


def product_of(table: str) -> str:
    """The product a table belongs to: `x__changes`, `x__rejects`, `x__quarantine` and `x` -> `x`."""
    for suffix in SUFFIXES:
        if table.endswith(suffix):
            return table.removesuffix(suffix)
    return table


def std_table_of(table: str) -> str:
    """The published std table a std table belongs to: `x__changes` -> `x`, `x` -> `x`."""
    return table.removesuffix(CHANGES_SUFFIX)


def vault_table(kind: str, name: str) -> str:
    """The Data Vault table of a hub, link, satellite, effectivity satellite or PIT: `hub_<name>`, ..."""
    return VAULT_PREFIXES[kind] + name


def audit_names(load_type: str, has_key: bool) -> list[str]:
    """The audits of a load: schema, key not null and unique where a key is declared, reject share.

    Keys are unique in upsert and scd2 tables (per version), and in a full load that declares one.
    """
    names = ["contract_schema"]
    if has_key:
        names.append("key_not_null")
        if load_type in ("upsert", "scd2", "full"):
            names.append("key_unique")
    return [*names, "reject_share"]


def spark_job_tag(run_id: str, step_key: str) -> str:
    """The Spark job tag a step sets so its jobs can be found in the Spark UI (no commas allowed)."""
    return f"{SPARK_JOB_TAG_PREFIX}-{run_id}-{step_key}".replace(",", "_")
