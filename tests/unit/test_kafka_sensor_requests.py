"""The Kafka sensor's bookkeeping without a broker: landed offsets in one storage query, one run per squad."""

from __future__ import annotations

import dagster as dg

from tardis_dagster.core.jobs_io import KafkaLandingResult
from tardis_dagster.defs.landing.kafka import SQUAD_TAG, landed_end_offsets, run_requests_by_squad

A, B, C = (dg.AssetKey(["raw", name]) for name in ("a", "b", "c"))


def test_landed_offsets_come_from_each_asset_s_latest_materialization() -> None:
    instance = dg.DagsterInstance.ephemeral()
    for offsets in ({"0": 3}, {"0": 7, "1": 2}):  # the later one counts
        instance.report_runless_asset_event(
            dg.AssetMaterialization(
                A, metadata={KafkaLandingResult.END_OFFSETS: dg.MetadataValue.json(offsets)}
            )
        )
    instance.report_runless_asset_event(dg.AssetMaterialization(B, metadata={"other": 1}))
    assert landed_end_offsets(instance, [A, B, C]) == {A: {"0": 7, "1": 2}, B: {}, C: {}}


def test_one_run_per_squad_tagged_with_it_and_keyed_by_its_offsets() -> None:
    new = {"t.a": {"0": 5}, "t.b": {"0": 2}, "t.c": {"0": 9, "1": 1}}
    keys = {"t.a": A, "t.b": B, "t.c": C}
    squads = {"t.a": "consumer.checkout", "t.b": "operations.logistics", "t.c": "consumer.checkout"}
    requests = run_requests_by_squad(new, keys, squads)
    assert [(r.tags[SQUAD_TAG], r.asset_selection) for r in requests] == [
        ("consumer.checkout", [A, C]),
        ("operations.logistics", [B]),
    ]
    # same offsets, same keys (Dagster starts a run key once); new offsets of one squad change only its key
    again = run_requests_by_squad(new, keys, squads)
    assert [r.run_key for r in again] == [r.run_key for r in requests]
    moved = run_requests_by_squad({**new, "t.b": {"0": 3}}, keys, squads)
    assert moved[0].run_key == requests[0].run_key and moved[1].run_key != requests[1].run_key
    assert len({r.run_key for r in requests}) == 2
