"""The vault under producer re-sends and out-of-order versions, on the real platform.

A delivery-status product (Kafka JSON, upsert by `revision`) goes Kafka -> landing (the Dagster asset
and its Spark job) -> the standardize job (std and its change stream) -> dbt (staging, hubs, link,
effectivity satellite, satellite, PIT, and the generated latest-equals-std test). One scenario, four
rounds of produce + land + standardize + dbt:

1. D1 packed -> out_for_delivery -> delivered; D2 packed -> out -> packed (A -> B -> A in one batch);
   D3 revision 2 only; D5 revision 1; D6 revisions 1 and 3, both packed (3 is not stored: equal);
   D7 and D8 carry order ' o7 ' and 'O7'.
2. D3's late revision 1; D5 revision 2; D6's late revision 2 (out), which splits 1 -> 3.
3. D5 revision 3 (A -> B -> A across batches).
4. Every event of rounds 1-3 re-sent: the same key and value bytes, at new offsets.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

import dagster as dg
import pytest
from confluent_kafka.admin import AdminClient, NewTopic
from kafka_helpers import produce
from vault_scenario import (
    drop_schemas,
    kafka_product_yaml,
    make_project,
    run_dbt,
    table_rows,
    write_specs,
)

from tardis_dagster.core.settings import get_settings
from tardis_dagster.defs.landing.kafka import kafka_landing_assets
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.defs.standardize.assets import standardize_input
from tardis_dagster.jobs.standardize import standardize
from tardis_dagster.tooling.codegen.hashing import business_key_hash

pytestmark = pytest.mark.platform

PREFIX = "vault_resend_"
SCHEMA = json.dumps(
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "required": ["delivery_id", "status", "revision"],
        "properties": {
            "delivery_id": {"type": "string"},
            "order_id": {"type": "string"},
            "status": {"type": "string"},
            "revision": {"type": "integer"},
        },
    }
)
BODY = """\
load: {type: upsert, key: [delivery_id], version_by: revision}
schema:
  - {name: delivery_id, type: string, required: true}
  - {name: order_id, type: string}
  - {name: status, type: string}
  - {name: revision, type: int, required: true}
vault:
  hubs:
    - {hub: delivery, key: [delivery_id]}
    - {hub: order, key: [order_id]}
  links:
    - {link: order_delivery, hubs: [order, delivery]}
  satellites:
    - {satellite: delivery_state, parent: delivery, columns: [status]}
"""
PACKED, OUT, DELIVERED = "packed", "out_for_delivery", "delivered"
ROUNDS = [
    [
        ("D1", "O1", PACKED, 1),
        ("D1", "O1", OUT, 2),
        ("D1", "O1", DELIVERED, 3),
        ("D2", "O2", PACKED, 1),
        ("D2", "O2", OUT, 2),
        ("D2", "O2", PACKED, 3),
        ("D3", "O3", OUT, 2),
        ("D5", "O5", PACKED, 1),
        ("D6", "O6", PACKED, 1),
        ("D6", "O6", PACKED, 3),
        ("D7", " o7 ", PACKED, 1),
        ("D8", "O7", PACKED, 1),
    ],
    [("D3", "O3", PACKED, 1), ("D5", "O5", OUT, 2), ("D6", "O6", OUT, 2)],
    [("D5", "O5", PACKED, 3)],
]
VAULT_TABLES = [
    "hub_delivery",
    "hub_order",
    "link_order_delivery",
    "esat_order_delivery",
    "sat_delivery_state",
    "pit_delivery",
]


def _records(events: list[tuple[str, str, str, int]]) -> list[tuple[bytes, bytes]]:
    """Kafka (key, value) records; the same event always gives the same bytes."""
    return [
        (d.encode(), json.dumps({"delivery_id": d, "order_id": o, "status": s, "revision": r}).encode())
        for d, o, s, r in events
    ]


def hk(*values: str) -> str | None:
    """The expected hash key (the Python twin of the macro)."""
    return business_key_hash(list(values))


@pytest.fixture(scope="module")
def scenario(spark, tmp_path_factory):
    """Run the four rounds; return the dbt runs, each round's table states and change-stream counts."""
    root = tmp_path_factory.mktemp("vault_resends")
    suffix = uuid.uuid4().hex[:8]
    name, topic = f"it_deliveries_{suffix}", f"it.deliveries.{suffix}"
    catalog = write_specs(
        root / "specs", {name: kafka_product_yaml(name, topic, BODY)}, {f"{name}.json": SCHEMA}
    )
    product = catalog.by_name(name)
    project = make_project(catalog, root / "project")
    drop_schemas(spark, [f"{PREFIX}{layer}" for layer in ("std", "stg", "vault")])
    admin = AdminClient({"bootstrap.servers": get_settings().kafka_bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(timeout=30)
    std = f"{PREFIX}std.{name}"
    job = replace(
        standardize_input(product),
        table=std,
        rejects_table=f"{std}__rejects",
        changes_table=f"{std}__changes",
    )
    landing = kafka_landing_assets([product], get_settings())
    resources = {"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)}

    def snapshot() -> dict[str, list[tuple]]:
        state = {t: table_rows(spark, f"{PREFIX}vault.{t}") for t in VAULT_TABLES}
        state["std"] = table_rows(spark, std)
        state["changes"] = table_rows(spark, job.changes_table)
        state["raw"] = table_rows(spark, f"raw.{name}")
        return state

    resent = [event for events in ROUNDS for event in events]
    commands = [["run"], ["build"], ["run"], ["build"]]
    runs, states, appended = [], [], []
    for number, (events, command) in enumerate(zip([*ROUNDS, resent], commands, strict=True), start=1):
        produce(topic, _records(events))
        assert dg.materialize(landing, resources=resources).success
        outcome = standardize(spark, job, uuid.uuid4().hex, b"scenario-key")
        assert outcome.published, outcome.audits
        appended.append(outcome.changes_appended)
        runs.append(run_dbt(project, command, PREFIX, root / f"target{number}"))
        assert runs[-1].returncode == 0, runs[-1].output[-4000:]
        states.append(snapshot())
    return {"runs": runs, "states": states, "appended": appended, "resent": len(resent)}


def _history(state: dict[str, list[tuple]]) -> dict[str, list[tuple[int, str]]]:
    """The satellite as each delivery's (revision, status) in the satellite's order."""
    rows = sorted(
        state["sat_delivery_state"], key=lambda r: (r[0], r[3], r[4])
    )  # hk, revision, load_datetime
    names = {hk(f"D{i}"): f"D{i}" for i in range(1, 9)}
    history: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        history.setdefault(names[row[0]], []).append((row[3], row[2]))
    return history


def test_resent_events_at_new_offsets_change_neither_the_change_stream_nor_the_vault(scenario) -> None:
    before, after = scenario["states"][2], scenario["states"][3]
    # The copies did reach the pipeline: each landed at a new offset.
    assert len(after["raw"]) == len(before["raw"]) + scenario["resent"]
    assert scenario["appended"][3] == 0
    for table in ["std", "changes", *VAULT_TABLES]:
        assert after[table] == before[table], table


def test_a_to_b_to_a_keeps_three_states_within_one_batch_and_across_batches(scenario) -> None:
    history = _history(scenario["states"][3])
    assert history["D2"] == [(1, PACKED), (2, OUT), (3, PACKED)]  # one batch
    assert history["D5"] == [(1, PACKED), (2, OUT), (3, PACKED)]  # three batches
    assert history["D1"] == [(1, PACKED), (2, OUT), (3, DELIVERED)]


def test_a_late_older_revision_is_placed_before_the_newer_one(scenario) -> None:
    first, second = scenario["states"][0], scenario["states"][1]
    assert _history(first)["D3"] == [(2, OUT)]
    assert _history(second)["D3"] == [(1, PACKED), (2, OUT)]
    # The late revision 2 of D6 splits 1 -> 3 (both packed, 3 not stored): revision 3 comes back.
    assert _history(first)["D6"] == [(1, PACKED)]
    assert _history(second)["D6"] == [(1, PACKED), (2, OUT), (3, PACKED)]
    # The latest row per key is std's row (std refused the late revision 1).
    std = {row[0]: (row[3], row[2]) for row in second["std"]}
    assert std["D3"] == (2, OUT) and std["D6"] == (3, PACKED)
    assert {d: states[-1] for d, states in _history(second).items()} == std


def test_the_generated_latest_equals_std_test_passes(scenario) -> None:
    for run in (scenario["runs"][1], scenario["runs"][3]):
        statuses = {
            uid: r["status"]
            for uid, r in run.results.items()
            if uid.split(".")[2] == "sat_delivery_state_latest_equals_std"
        }
        assert list(statuses.values()) == ["pass"], statuses


def test_a_key_with_spaces_and_another_case_is_one_hub_row_holding_the_normalized_key(scenario) -> None:
    state = scenario["states"][3]
    orders = {row[1]: row[0] for row in state["hub_order"]}
    assert orders == {f"O{i}": hk(f"O{i}") for i in (1, 2, 3, 5, 6, 7)}
    deliveries = {row[1] for row in state["hub_delivery"]}
    assert deliveries == {f"D{i}" for i in (1, 2, 3, 5, 6, 7, 8)}


def test_record_position_orders_offsets_numerically_in_std_and_in_the_vault(spark) -> None:
    """std's pick (`loads.record_position`) and the vault's order (`tardis_record_position`) agree."""
    import jinja2
    from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention
    from repo_root import PROJECT_ROOT

    from tardis_dagster.jobs.std.loads import record_position

    macro = (PROJECT_ROOT / "dbt_project" / "macros" / "vault" / "ordering.sql").read_text()
    sql = jinja2.Environment().from_string(macro + "{{ tardis_record_position('id') }}").render()
    ids = ["t.a/0/10", "t.a/0/9", "t.a/1/0", "t.a/0/100", "drops/b.csv#ab12", "drops/a.csv#ff00"]
    df = spark.createDataFrame([(i,) for i in ids], "id string")
    by_python = [r[0] for r in df.orderBy(record_position(F.col("id"))).collect()]
    by_dbt = [r[0] for r in df.orderBy(F.expr(sql.strip())).collect()]
    # A batch holds one source kind; padded Kafka positions happen to sort before file ids.
    expected = ["t.a/0/9", "t.a/0/10", "t.a/0/100", "t.a/1/0", "drops/a.csv#ff00", "drops/b.csv#ab12"]
    assert by_python == by_dbt == expected
