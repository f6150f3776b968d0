"""Parity: the core's cron check (no Dagster import) agrees with Dagster 1.13 on every cron.

"Dagster accepts" means what a spec needs to keep the code location loading and its schedule
ticking as written: `ScheduleDefinition` builds it (the factory's way: `execution_timezone="UTC"`),
Dagster's own `cron_string_iterator` finds its first tick (a cron that never fires, `0 0 31 4 *`,
builds and then fails every tick with "failed to find prev date"), and Dagster does not warn that a
step is larger than its field (`*/90 * * * *` fires hourly: `has_out_of_range_cron_interval`).
Runs a hand-made corpus of edge cases and ~1,500 generated crons (derandomized, so CI is
reproducible): about 5 s.
"""

from __future__ import annotations

import time
import warnings

import dagster as dg
import pytest
from dagster._utils.schedules import cron_string_iterator, has_out_of_range_cron_interval
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tardis_dagster.core.specs import DataProduct
from tardis_dagster.core.specs.cron import cron_problem, normalize_cron
from tardis_dagster.defs import schedules

START = 1767225600.0  # 2026-01-01T00:00:00Z, the core check's fixed start too

CORPUS = [
    # plain, steps, ranges, lists, names
    "0 * * * *",
    "*/15 * * * *",
    "*/90 * * * *",
    "0-59/100 * * * *",
    "*/59 * * * *",
    "0 */24 * * *",
    "0 0 */31 * *",
    "0 0 1/32 * *",
    "0 0 * */13 *",
    "0 0 * * */8",
    "0 0 L/40 * *",
    "5-1 * * * *",
    "1,2,3 * * * *",
    "0 9-17 * * 1-5",
    "0 0 * jan mon",
    "0 0 * JAN-MAR MON-FRI",
    "0 0 * * 7",
    "0 0 ? * *",
    "0 0 * * ?",
    "R * * * *",
    # February and other days that do not exist
    "0 0 31 2 *",
    "0 0 30 2 *",
    "0 0 29 2 *",
    "0 0 30 2 1",
    "0 0 31 02 *",
    "0 0 31 feb *",
    "0 0 31 2-2 *",
    "0 0 30,31 2 *",
    "0 0 30-31 2 *",
    "0 0 31 2,4 *",
    "0 0 31 4 *",
    "0 0 31 4,6,9,11 *",
    "0 0 1-31/31 2 *",
    "0 0 31 * *",
    # aliases
    "@daily",
    "@hourly",
    "@weekly",
    "@monthly",
    "@yearly",
    "@annually",
    "@midnight",
    "@reboot",
    " @daily",
    "@daily extra",
    # field counts
    "* * * *",
    "* * * * * *",
    "0 0 * * * 0",
    "* * * * * * *",
    "0 0 1 1 * 2030",
    "",
    "*",
    # L, W, #
    "0 0 L * *",
    "0 0 L 2 *",
    "0 0 15W * *",
    "0 0 LW * *",
    "0 0 * * 5L",
    "0 0 * * 1#2",
    "0 0 * * sun#1",
    "0 0 * * 1#5",
    "0 0 * * 0#5",
    "0 0 * * 0#6",
    # out of bounds, negative, huge, zero steps
    "60 * * * *",
    "0 24 * * *",
    "0 0 32 * *",
    "0 0 0 * *",
    "0 0 * 13 *",
    "0 0 * 0 *",
    "0 0 * * 8",
    "-1 * * * *",
    "*/0 * * * *",
    "99999999999999 * * * *",
    "0 0 1 1 " + "9" * 500,
    # whitespace
    " 0 0 * * *",
    "0 0 * * * ",
    "0  0 * * *",
    "0\t0 * * * *",
    "0\t0 * * *",
    "0 0 * * *\n",
    "0 0 31 2 * ",
    # hash and oddities
    "H * * * *",
    "H(0-29) * * * *",
    "? * * * *",
    "0 0 * * MON-SUN",
    "0 0 */2 */3 */4",
    "0,30 */4 1,15 * *",
]


def _dagster_accepts(cron: str) -> bool:
    """ScheduleDefinition builds it and Dagster's iterator finds a first tick."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the */90-style warning is checked below, by Dagster's own function
        try:
            dg.ScheduleDefinition(
                name="parity", cron_schedule=cron, job_name="parity_job", execution_timezone="UTC"
            )
        except dg.DagsterInvalidDefinitionError:
            return False
        try:
            next(cron_string_iterator(START, cron, "UTC"))
        except Exception:  # CroniterBadDateError and the like: the schedule would fail every tick
            return False
    return not has_out_of_range_cron_interval(cron)


def _assert_parity(cron: str) -> None:
    ours = cron_problem(cron) is None
    theirs = _dagster_accepts(cron)
    assert ours == theirs, f"{cron!r}: core says {ours}, Dagster says {theirs} ({cron_problem(cron)})"
    if ours:
        # The spec keeps the normalised form; Dagster must take that form just the same.
        assert _dagster_accepts(normalize_cron(cron)), normalize_cron(cron)


@pytest.mark.parametrize("cron", CORPUS)
def test_the_corpus_agrees_with_dagster(cron: str) -> None:
    _assert_parity(cron)


_NUMBER = st.integers(min_value=-2, max_value=70).map(str) | st.sampled_from(["99999", "007", "1_0"])
_ATOM = st.one_of(
    st.just("*"),
    _NUMBER,
    st.tuples(_NUMBER, _NUMBER).map("-".join),
    st.tuples(st.sampled_from(["*", "0", "5", "1-20"]), _NUMBER).map("/".join),
    st.sampled_from(
        ["L", "15W", "LW", "?", "R", "H", "jan", "feb", "mon", "fri", "1#2", "5#5", "0#6", "5L", "x"]
    ),
)
_FIELD = st.lists(_ATOM, min_size=1, max_size=3).map(",".join)
_CRON = st.one_of(
    st.lists(_FIELD, min_size=4, max_size=7).map(" ".join),
    st.tuples(st.sampled_from(["0", "*/5"]), st.sampled_from(["0", "*"]), _FIELD, _FIELD, _FIELD).map(
        " ".join
    ),
    st.sampled_from(["@daily", "@hourly", "@weekly", "@monthly", "@yearly", "@every", "@"]),
)


def test_generated_crons_agree_with_dagster() -> None:
    started = time.perf_counter()

    @settings(
        max_examples=1500,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(_CRON)
    def check(cron: str) -> None:
        _assert_parity(cron)

    check()
    print(f"generated cron parity: {time.perf_counter() - started:.1f} s")


def test_accepted_crons_build_through_the_schedule_factory() -> None:
    accepted = [cron for cron in CORPUS if cron_problem(cron) is None]
    products = []
    for index, cron in enumerate(accepted):
        products.append(
            DataProduct.model_validate(
                {
                    "apiVersion": "tardis/v1",
                    "kind": "DataProduct",
                    "name": f"p{index}",
                    "version": "1.0.0",
                    "description": "Parity.",
                    "owner": {"tribe": "t", "squad": "s", "contact": "a@example.com"},
                    "source": {"files": {"uri": "s3://bucket/p/", "format": "parquet"}},
                    "schedule": cron,
                    "load": {"type": "full"},
                    "schema": [{"name": "a", "type": "string"}],
                }
            )
        )
    keys = {product.name: dg.AssetKey(["raw", product.name]) for product in products}
    built = schedules.build(products, keys)

    # Stand-ins for the landing assets the schedules select.
    landed = [dg.asset(key=key)(lambda: None) for key in keys.values()]
    defs = dg.Definitions(assets=landed, schedules=built)
    dg.Definitions.validate_loadable(defs)
    assert {schedule.cron_schedule for schedule in built} == {normalize_cron(cron) for cron in accepted}
