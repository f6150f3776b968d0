"""The generated vault and SQL products run by dbt on the real Spark Connect server.

One scenario project (two products feeding hub customer, a link customer_order, two satellites, two
SQL products), loaded in four dbt invocations: a first batch, a second batch, the same second batch
again (idempotence), and a third batch holding late-arriving rows. Both products are upserts: each
batch is written as standardization writes it, every version to the change stream
`std.<product>__changes` (what staging reads) and the latest per key to `std.<product>` (what
`{{ product() }}` reads). Every table is compared with its exact expected rows. A last test runs the
standardize job itself on raw rows (A -> B -> A in one batch) and dbt on what it wrote.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention
from pyspark.sql.window import Window
from vault_scenario import make_project, product_yaml, run_dbt, write_specs

from tardis_dagster.defs.standardize.assets import standardize_input
from tardis_dagster.jobs.standardize import standardize
from tardis_dagster.tooling.codegen.hashing import business_key_hash

pytestmark = pytest.mark.platform

PREFIX = "vault_test_"
STD = f"{PREFIX}std"
VAULT = f"{PREFIX}vault"
MART = f"{PREFIX}mart"
T1 = datetime(2024, 1, 1, 10, 0, 0)
T2 = T1 + timedelta(hours=1)
T3 = T1 + timedelta(hours=2)
LATE = T1 + timedelta(minutes=30)  # loaded after T2 but stamped before it (a late standardized batch)
US = timedelta(microseconds=1)

ACCOUNTS = product_yaml(
    "accounts",
    """\
load: {type: upsert, key: [customer_id], version_by: updated_at}
schema:
  - {name: customer_id, type: string}
  - {name: city, type: string}
  - {name: tier, type: string}
  - {name: updated_at, type: timestamp}
vault:
  hubs:
    - {hub: customer, key: [customer_id]}
  satellites:
    - {satellite: customer_profile, parent: customer, columns: [tier, city]}
""",
)
ORDERS = product_yaml(
    "orders",
    """\
load: {type: upsert, key: [order_id], version_by: updated_at}
schema:
  - {name: order_id, type: string, required: true}
  - {name: customer_id, type: string}
  - {name: status, type: string}
  - {name: updated_at, type: timestamp}
vault:
  hubs:
    - {hub: order, key: [order_id]}
    - {hub: customer, key: [customer_id]}
  links:
    - {link: customer_order, hubs: [customer, order]}
  satellites:
    - {satellite: order_status, parent: order, columns: [status]}
""",
    squad="checkout",
)
ORDER_COUNTS = """\
apiVersion: tardis/v1
kind: DataProduct
name: order_counts
version: 1.0.0
description: Orders per customer (upsert by customer).
owner: {tribe: consumer, squad: checkout, contact: '#checkout'}
source:
  sql: |
    select upper(trim(customer_id)) as customer_id, count(distinct order_id) as orders
    from {{ product('orders') }}
    where customer_id is not null
    group by upper(trim(customer_id))
load: {type: upsert, key: [customer_id]}
schema:
  - {name: customer_id, type: string, required: true}
  - {name: orders, type: bigint, required: true}
"""
BAD_CONTRACT = """\
apiVersion: tardis/v1
kind: DataProduct
name: bad_contract
version: 1.0.0
description: Promises an int tier but selects a string.
owner: {tribe: consumer, squad: accounts, contact: '#accounts'}
source:
  sql: "select customer_id, tier as tier_rank from {{ product('accounts') }}"
load: {type: full}
schema:
  - {name: customer_id, type: string}
  - {name: tier_rank, type: int}
"""

BATCH_1 = {
    "accounts": [
        ("C1", "Amsterdam", "gold", T1, T1),
        ("C2", "Berlin", "silver", T1, T1),
        ("C2", "Berlin", "silver", T1, T1),  # exact duplicate: ignored
        ("C3", "Paris", "bronze", T1, T1),  # three changes of one key in one batch, A -> B -> A
        ("C3", "Rome", "bronze", T1 + timedelta(seconds=1), T1),
        ("C3", "Paris", "bronze", T1 + timedelta(seconds=2), T1),
        (None, "Nowhere", "none", T1, T1),  # null business key: not loaded, counted
        ("  ", "Nowhere", "none", T1, T1),  # empty business key: not loaded, counted
    ],
    "orders": [
        ("O1", " c1 ", "placed", T1, T1),  # same customer as C1 once trimmed and upper-cased
        ("O2", "C2", "placed", T1, T1),
        ("O3", None, "placed", T1, T1),  # no customer: an order hub row, no link
        ("O4", "C9", "placed", T1, T1),  # a customer only orders knows: hub_customer gets it from orders
    ],
}
BATCH_2 = {
    "accounts": [
        ("C1", "Amsterdam", "platinum", T2, T2),
        ("C2", "Hamburg", "silver", T2, T2),
        ("C3", "Paris", "bronze", T2, T2),  # unchanged: no new satellite row
    ],
    "orders": [
        ("O1", "C1", "paid", T2, T2),
        ("O2", "C3", "placed", T2, T2),  # the order moves to another customer: effectivity changes
    ],
}
BATCH_3 = {
    "accounts": [
        ("C1", "Amsterdam", "gold", T3, T3),  # back to A: A -> B -> A keeps the final A
        ("C2", "Utrecht", "silver", LATE, LATE),  # late: between T1 (Berlin) and T2 (Hamburg)
        ("C4", "Oslo", "gold", LATE, LATE),  # late and new
    ],
    "orders": [
        ("O1", "C1", "placed", LATE, LATE),  # late but equal to the row before it (T1): not inserted
    ],
}


def _load_std(spark, batch: dict[str, list[tuple]]) -> None:
    """Write a batch as standardization does for an upsert: every version to the change stream, the
    latest version of each key to std (a late older version does not replace a newer one)."""
    for table, rows in batch.items():
        df = spark.createDataFrame(
            [(*row[:3], row[3], f"{table}-{i}-{row[4].isoformat()}", row[4]) for i, row in enumerate(rows)],
            _STD_COLUMNS[table],
        )
        df.writeTo(f"{STD}.{table}__changes").append()
        key = _KEYS[table]
        latest = Window.partitionBy(key).orderBy(F.col("updated_at").desc(), F.col("_source_id").desc())
        df.withColumn("_n", F.row_number().over(latest)).where("_n = 1").drop("_n").createOrReplaceTempView(
            "vault_scenario_batch"
        )
        spark.sql(
            f"merge into {STD}.{table} t using vault_scenario_batch s on t.{key} = s.{key} "
            "when matched and s.updated_at > t.updated_at then update set * when not matched then insert *"
        )


_KEYS = {"accounts": "customer_id", "orders": "order_id"}
_STD_COLUMNS = {
    "accounts": "customer_id string, city string, tier string, updated_at timestamp, "
    "_source_id string, _loaded_at timestamp",
    "orders": "order_id string, customer_id string, status string, updated_at timestamp, "
    "_source_id string, _loaded_at timestamp",
}


def _drop_all(spark, schemas: list[str]) -> None:
    """Empty the schemas (created if missing): drop every table and view in them."""
    for schema in schemas:
        spark.sql(f"create namespace if not exists {schema}")
        for table in spark.catalog.listTables(schema):
            kind = "view" if table.tableType == "VIEW" else "table"
            spark.sql(f"drop {kind} if exists {schema}.{table.name}")


def _reset(spark) -> None:
    _drop_all(spark, [STD, f"{PREFIX}stg", VAULT, MART])
    for table, columns in _STD_COLUMNS.items():
        spark.sql(f"create table {STD}.{table} ({columns}) using iceberg")
        spark.sql(f"create table {STD}.{table}__changes ({columns}) using iceberg")


def _rows(spark, sql: str) -> list[tuple]:
    return sorted(tuple(r) for r in spark.sql(sql).collect())


def hk(*values: str | None) -> str | None:
    """The expected hash key (the Python twin of the macro)."""
    return business_key_hash(list(values))


@pytest.fixture(scope="module")
def scenario(spark, tmp_path_factory):
    """Run the four loads; yield a snapshot of every table after each of them."""
    root = tmp_path_factory.mktemp("vault_scenario")
    catalog = write_specs(
        root / "specs",
        {"accounts": ACCOUNTS, "orders": ORDERS, "order_counts": ORDER_COUNTS, "bad_contract": BAD_CONTRACT},
    )
    project = make_project(catalog, root / "project")
    _reset(spark)
    tables = [
        "hub_customer",
        "hub_order",
        "link_customer_order",
        "esat_customer_order",
        "sat_customer_profile",
        "sat_order_status",
        "pit_customer",
    ]

    def snapshot() -> dict[str, list[tuple]]:
        state = {t: _rows(spark, f"select * from {VAULT}.{t}") for t in tables}
        state["order_counts"] = _rows(spark, f"select * from {MART}.order_counts")
        return state

    runs, states = {}, {}
    _load_std(spark, BATCH_1)
    runs["first"] = run_dbt(project, ["build"], PREFIX, root / "target1")
    states["first"] = snapshot()
    _load_std(spark, BATCH_2)
    runs["second"] = run_dbt(project, ["run", "--exclude", "bad_contract"], PREFIX, root / "target2")
    states["second"] = snapshot()
    runs["rerun"] = run_dbt(project, ["run", "--exclude", "bad_contract"], PREFIX, root / "target3")
    states["rerun"] = snapshot()
    _load_std(spark, BATCH_3)
    runs["late"] = run_dbt(project, ["build", "--exclude", "bad_contract"], PREFIX, root / "target4")
    states["late"] = snapshot()
    return runs, states


def test_every_model_and_test_passes_except_the_broken_contract(scenario) -> None:
    runs, _ = scenario
    first = runs["first"]
    failed = {
        uid: r["status"] for uid, r in first.results.items() if r["status"] not in ("success", "pass", "warn")
    }
    assert failed == {"model.tardis.bad_contract": "error"}, first.output[-4000:]
    for name in ("second", "rerun", "late"):
        assert runs[name].returncode == 0, runs[name].output[-4000:]


def test_a_contract_violation_fails_with_dbt_s_message(scenario) -> None:
    runs, _ = scenario
    message = runs["first"].results["model.tardis.bad_contract"]["message"]
    assert "contract" in message.lower() and "tier_rank" in message, message


def test_null_and_empty_business_keys_are_counted_by_a_warn_test(scenario) -> None:
    runs, _ = scenario
    warned = {
        uid.split(".")[2]: r["failures"]
        for uid, r in runs["first"].results.items()
        if uid.startswith("test.") and r["status"] == "warn"
    }
    # O3 has no customer: neither a customer key nor a customer_order link is loaded for it.
    assert warned == {
        "not_null_stg_accounts_customer_hk": 2,
        "not_null_stg_orders_customer_hk": 1,
        "not_null_stg_orders_customer_order_hk": 1,
    }


def test_hub_fed_by_two_products_has_one_row_per_key(scenario) -> None:
    _, states = scenario
    # C1 comes from both products (first by record_source at the same load_datetime); C9 only from orders.
    assert states["first"]["hub_customer"] == sorted(
        [
            (hk("C1"), "C1", T1, "accounts"),
            (hk("C2"), "C2", T1, "accounts"),
            (hk("C3"), "C3", T1, "accounts"),
            (hk("C9"), "C9", T1, "orders"),
        ]
    )
    assert states["first"]["hub_order"] == sorted([(hk(f"O{i}"), f"O{i}", T1, "orders") for i in range(1, 5)])
    # Repeated keys add nothing; a late new key is loaded with its own load_datetime.
    assert states["second"]["hub_customer"] == states["first"]["hub_customer"]
    assert states["late"]["hub_customer"] == sorted(
        [*states["first"]["hub_customer"], (hk("C4"), "C4", LATE, "accounts")]
    )


def test_link_between_two_hubs(scenario) -> None:
    _, states = scenario
    c1o1, c2o2, c3o2, c9o4 = hk("C1", "O1"), hk("C2", "O2"), hk("C3", "O2"), hk("C9", "O4")
    assert states["first"]["link_customer_order"] == sorted(
        [
            (c1o1, hk("C1"), hk("O1"), T1, "orders"),
            (c2o2, hk("C2"), hk("O2"), T1, "orders"),
            (c9o4, hk("C9"), hk("O4"), T1, "orders"),
        ]
    )
    assert states["second"]["link_customer_order"] == sorted(
        [*states["first"]["link_customer_order"], (c3o2, hk("C3"), hk("O2"), T2, "orders")]
    )
    # The order drives: O2 moving from C2 to C3 ends C2-O2 and starts C3-O2 at T2.
    assert states["second"]["esat_customer_order"] == sorted(
        [
            (c1o1, hk("O1"), T1, True, "orders"),
            (c2o2, hk("O2"), T1, True, "orders"),
            (c2o2, hk("O2"), T2, False, "orders"),
            (c3o2, hk("O2"), T2, True, "orders"),
            (c9o4, hk("O4"), T1, True, "orders"),
        ]
    )


def test_satellite_changes_duplicates_and_a_to_b_to_a(scenario) -> None:
    _, states = scenario
    # Columns: hash key, hashdiff, tier, city, updated_at (the version), load_datetime, record_source.
    profile = {(row[0], row[5]): (row[2], row[3]) for row in states["late"]["sat_customer_profile"]}
    assert profile == {
        (hk("C1"), T1): ("gold", "Amsterdam"),
        (hk("C1"), T2): ("platinum", "Amsterdam"),
        (hk("C1"), T3): ("gold", "Amsterdam"),  # A -> B -> A keeps the final A
        (hk("C2"), T1): ("silver", "Berlin"),
        (hk("C2"), LATE): ("silver", "Utrecht"),  # late row placed by its version (updated_at)
        (hk("C2"), T2): ("silver", "Hamburg"),
        (hk("C3"), T1): ("bronze", "Paris"),  # three changes in one batch (from the change stream), in order
        (hk("C3"), T1 + US): ("bronze", "Rome"),
        (hk("C3"), T1 + 2 * US): ("bronze", "Paris"),
        (hk("C4"), LATE): ("gold", "Oslo"),
    }
    status = {(row[0], row[4]): row[2] for row in states["late"]["sat_order_status"]}
    assert status == {
        (hk("O1"), T1): "placed",
        (hk("O1"), T2): "paid",  # the late 'placed' equals the row before it: not inserted
        (hk("O2"), T1): "placed",
        (hk("O3"), T1): "placed",
        (hk("O4"), T1): "placed",
    }


def test_staging_reads_the_change_stream_not_the_collapsed_upsert_table(scenario, spark) -> None:
    # std.accounts holds C3's latest version only; its three versions reached the satellite (above)
    # through std.accounts__changes.
    assert spark.table(f"{STD}.accounts").where("customer_id = 'C3'").count() == 1
    assert spark.table(f"{STD}.accounts__changes").where("customer_id = 'C3'").count() == 4


def test_reruns_are_idempotent(scenario) -> None:
    _, states = scenario
    assert states["rerun"] == states["second"]


def test_hashdiff_uses_the_documented_order_and_tokens(scenario) -> None:
    from tardis_dagster.tooling.codegen.hashing import hashdiff

    _, states = scenario
    row = next(r for r in states["first"]["sat_customer_profile"] if r[0] == hk("C1"))
    assert row[1] == hashdiff(["Amsterdam", "gold"])  # city before tier: sorted by column name


def test_pit_has_one_row_per_change(scenario) -> None:
    _, states = scenario
    pit = states["late"]["pit_customer"]
    assert len(pit) == 10
    assert (hk("C2"), T2, T2) in pit
    assert (hk("C2"), LATE, LATE) in pit


def test_sql_product_upserts_incrementally(scenario) -> None:
    runs, states = scenario
    assert states["first"]["order_counts"] == [("C1", 1), ("C2", 1), ("C9", 1)]
    # From std.orders (the latest version per order: O2 is now C3's); the upsert keeps C2's earlier row.
    assert states["second"]["order_counts"] == [("C1", 1), ("C2", 1), ("C3", 1), ("C9", 1)]
    merge = runs["second"].executed_sql("order_counts").lower()
    assert "merge into" in merge and "customer_id" in merge.split("on", 1)[1], merge


E2E = "vault_e2e_"


@pytest.mark.cluster
def test_standardized_a_to_b_to_a_in_one_batch_reaches_the_satellite(spark, tmp_path) -> None:
    """End to end: raw rows -> the standardize job (std and its change stream) -> dbt staging -> vault."""
    catalog = write_specs(tmp_path / "specs", {"accounts": ACCOUNTS})
    project = make_project(catalog, tmp_path / "project")
    _drop_all(spark, [f"{E2E}{layer}" for layer in ("raw", "std", "stg", "vault")])
    raw = f"{E2E}raw.accounts"
    spark.sql(
        f"create table {raw} (customer_id string, city string, tier string, updated_at string, "
        "_source_file string, _ingested_at timestamp) using iceberg"
    )
    spark.sql(
        f"insert into {raw} values "
        "('C3', 'Paris', 'bronze', '2024-01-01T10:00:00Z', 'a.csv', current_timestamp()), "
        "('C3', 'Rome', 'bronze', '2024-01-01T10:00:01Z', 'a.csv', current_timestamp()), "
        "('C3', 'Rome', 'bronze', '2024-01-01T10:00:01Z', 'a.csv', current_timestamp()), "  # exact duplicate
        "('C3', 'Paris', 'bronze', '2024-01-01T10:00:02Z', 'a.csv', current_timestamp()), "
        "('C1', 'Oslo', 'gold', '2024-01-01T10:00:00Z', 'a.csv', current_timestamp())"
    )
    job = replace(
        standardize_input(catalog.by_name("accounts")),
        raw_table=raw,
        **{name: f"{E2E}std.accounts{suffix}" for name, suffix in _STD_TABLES.items()},
    )
    outcome = standardize(spark, job, uuid.uuid4().hex, b"scenario-key")
    assert outcome.published and outcome.changes_appended == 4
    assert spark.table(f"{E2E}std.accounts").count() == 2  # the upsert: the latest version per key

    run = run_dbt(project, ["run"], E2E, tmp_path / "target")
    assert run.returncode == 0, run.output[-4000:]
    (loaded,) = spark.table(f"{E2E}std.accounts__changes").select("_loaded_at").distinct().collect()
    at = loaded[0]
    profile = {
        (row[0], row[5]): (row[2], row[3])
        for row in spark.table(f"{E2E}vault.sat_customer_profile").collect()
    }
    assert profile == {
        (hk("C1"), at): ("gold", "Oslo"),
        (hk("C3"), at): ("bronze", "Paris"),
        (hk("C3"), at + US): ("bronze", "Rome"),
        (hk("C3"), at + 2 * US): ("bronze", "Paris"),
    }


_STD_TABLES = {"table": "", "rejects_table": "__rejects", "changes_table": "__changes"}
