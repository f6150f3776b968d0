"""The cost models on the real Spark server: amortization, reconciliation, attribution, FOCUS = CUR."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from cost_build import model_bill

pytestmark = pytest.mark.platform

DAY = datetime(2026, 10, 2, tzinfo=UTC)
PERIOD = datetime(2026, 10, 1, tzinfo=UTC)
CENT = Decimal("0.005")
HAND_SRC, HAND_OUT = "cost_test_hand_src", "cost_test_hand"

# A hand-checked bill: one line per line item type, and what its amortized cost must be.
HAND_BILL: list[tuple[str, dict[str, Any], Decimal]] = [
    ("Usage", {"line_item_unblended_cost": Decimal("10.00")}, Decimal("10.00")),
    (
        "SavingsPlanCoveredUsage",
        {
            "line_item_unblended_cost": Decimal("10.00"),
            "savings_plan_savings_plan_effective_cost": Decimal("7.20"),
        },
        Decimal("7.20"),
    ),
    ("SavingsPlanNegation", {"line_item_unblended_cost": Decimal("-10.00")}, Decimal("0")),
    (
        "DiscountedUsage",
        {"line_item_unblended_cost": Decimal("0"), "reservation_effective_cost": Decimal("6.40")},
        Decimal("6.40"),
    ),
    (
        "RIFee",
        {
            "line_item_unblended_cost": Decimal("100.00"),
            "reservation_unused_amortized_upfront_fee_for_billing_period": Decimal("3.00"),
            "reservation_unused_recurring_fee": Decimal("2.00"),
        },
        Decimal("5.00"),
    ),
    (
        "SavingsPlanRecurringFee",
        {
            "line_item_unblended_cost": Decimal("28.80"),
            "savings_plan_total_commitment_to_date": Decimal("28.80"),
            "savings_plan_used_commitment": Decimal("21.60"),
        },
        Decimal("7.20"),
    ),
    ("SavingsPlanUpfrontFee", {"line_item_unblended_cost": Decimal("500.00")}, Decimal("0")),
    ("Tax", {"line_item_unblended_cost": Decimal("4.32")}, Decimal("4.32")),
    ("Credit", {"line_item_unblended_cost": Decimal("-50.00")}, Decimal("-50.00")),
    ("Refund", {"line_item_unblended_cost": Decimal("-5.00")}, Decimal("-5.00")),
    # A reservation's upfront fee (a `Fee` line with its ARN) is amortized into DiscountedUsage: 0 here
    # (AWS CUR query library, amortized_cost_by_charge_type: "Fee AND reservation_reservation_a_r_n").
    (
        "Fee",
        {
            "line_item_unblended_cost": Decimal("1200.00"),
            "reservation_reservation_a_r_n": "arn:aws:ec2:eu-west-1:111122223333:reserved-instances/ri-1",
        },
        Decimal("0"),
    ),
    # Any other fee (e.g. AWS Premium Support) costs what it bills (same source: the ELSE branch).
    ("Fee", {"line_item_unblended_cost": Decimal("15.00")}, Decimal("15.00")),
    # A discount line (negative) is its unblended cost; the CUR exports found in the field carry it.
    ("Discount", {"line_item_unblended_cost": Decimal("-1.00")}, Decimal("-1.00")),
    # Bundled and Enterprise Discount Program discounts likewise (the query library's ELSE branch): a
    # discount is what it takes off the bill, once.
    ("BundledDiscount", {"line_item_unblended_cost": Decimal("-0.50")}, Decimal("-0.50")),
    ("EdpDiscount", {"line_item_unblended_cost": Decimal("-2.00")}, Decimal("-2.00")),
]
POOL_COST = Decimal("90.00")  # EMR pool whose steps report CPU-seconds only
BLEND_POOL_COST = Decimal("40.00")  # a second pool whose steps report CPU- and memory-seconds
CPU_WEIGHT = Decimal("0.5")  # dbt var compute_cpu_weight (default): weight of the CPU-second share
# (product, tribe, squad, CPU-seconds, memory GB-seconds) of the two steps on the blend pool: the CPU
# shares (1/4, 3/4) and the memory shares (9/10, 1/10) differ, so only the blend gives 23.00 / 17.00.
BLEND_STEPS = [
    ("customers", "consumer", "accounts", 100.0, 900.0),
    ("deliveries", "operations", "logistics", 300.0, 100.0),
]


def _cur(n: int, item_type: str, resource: str | None = None, tags: dict | None = None, **cols) -> dict:
    return {
        "identity_line_item_id": f"hand-{n:03d}",
        "identity_time_interval": "2026-10-02T00:00:00Z/2026-10-03T00:00:00Z",
        "bill_billing_period_start_date": PERIOD,
        "bill_billing_period_end_date": datetime(2026, 11, 1, tzinfo=UTC),
        "bill_payer_account_id": "111122223333",
        "line_item_usage_account_id": "210000000001",
        "line_item_line_item_type": item_type,
        "line_item_usage_start_date": DAY,
        "line_item_usage_end_date": datetime(2026, 10, 3, tzinfo=UTC),
        "line_item_product_code": "AmazonEC2",
        "line_item_resource_id": resource,
        "line_item_currency_code": "USD",
        "resource_tags": tags or {},
        **cols,
    }


def _pool(n: int, resource: str, cost: Decimal) -> dict:
    """A day of a shared compute pool (EMR application) on the bill."""
    return _cur(
        n,
        "Usage",
        resource=resource,
        tags={"user_cost_pool": "shared_compute"},
        identity_line_item_id=f"pool-{n:03d}",
        line_item_product_code="ElasticMapReduce",
        line_item_unblended_cost=cost,
    )


def _telemetry(
    record: str,
    product: str,
    tribe: str,
    squad: str,
    cpu: float,
    memory: float | None = None,  # None: not measured, the pool is split by CPU-seconds alone
    resource: str = "emr-app-test",
) -> dict:
    return {
        "record_id": record,
        "run_id": f"run-{product}",
        "step_key": f"standardize_{product}",
        "query_id": "q0",
        "asset_key": f"std/{product}",
        "data_product": product,
        "tribe": tribe,
        "squad": squad,
        "compute_resource_id": resource,
        "engine": "spark",
        "started_at": DAY,
        "ended_at": DAY,
        "duration_seconds": cpu / 4,
        "executor_cpu_seconds": cpu,
        "memory_gb_seconds": memory,
        "metrics_source": "test",
    }


@pytest.fixture(scope="module")
def hand_tables(spark, cost_products, tmp_path_factory) -> str:
    cur = [_cur(n, item_type, **cols) for n, (item_type, cols, _) in enumerate(HAND_BILL)]
    cur += [_pool(98, "emr-app-test", POOL_COST), _pool(99, "emr-app-blend", BLEND_POOL_COST)]
    telemetry = [
        _telemetry("a", "order_events", "consumer", "checkout", 300.0),
        _telemetry("b", "recipes", "operations", "menu", 100.0),
        *(_telemetry(f"blend-{p}", p, t, s, cpu, mem, "emr-app-blend") for p, t, s, cpu, mem in BLEND_STEPS),
    ]
    return model_bill(
        spark,
        cost_products,
        tmp_path_factory.mktemp("dbt_hand"),
        HAND_SRC,
        HAND_OUT,
        ["cur"],
        aws_cur=cur,
        platform_telemetry=telemetry,
    )


def test_amortized_cost_follows_the_line_item_type_rules(spark, hand_tables) -> None:
    rows = spark.sql(
        f"select line_item_id, line_item_type, effective_cost from {hand_tables}.cost_line_items "
        "where line_item_id like 'hand-%'"
    ).collect()
    got = {r["line_item_id"]: (r["line_item_type"], r["effective_cost"]) for r in rows}
    assert got == {
        f"hand-{n:03d}": (item_type, expected) for n, (item_type, _, expected) in enumerate(HAND_BILL)
    }


def test_shared_compute_is_split_by_cpu_seconds(spark, hand_tables) -> None:
    rows = spark.sql(
        f"select data_product, cpu_seconds, effective_cost from {hand_tables}.cost_query "
        "where compute_resource_id = 'emr-app-test'"
    ).collect()
    got = {r["data_product"]: (r["cpu_seconds"], r["effective_cost"]) for r in rows}
    assert got == {"order_events": (300.0, Decimal("67.5")), "recipes": (100.0, Decimal("22.5"))}
    # ... and the products and squads carry that cost.
    products = spark.sql(
        f"select data_product, squad, effective_cost from {hand_tables}.cost_product_daily "
        "where data_product in ('order_events', 'recipes')"
    ).collect()
    assert {(r["data_product"], r["squad"], r["effective_cost"]) for r in products} == {
        ("order_events", "checkout", Decimal("67.5")),
        ("recipes", "menu", Decimal("22.5")),
    }


def test_shared_compute_blends_cpu_and_memory_seconds(spark, hand_tables) -> None:
    """Share = w * CPU-second share + (1 - w) * memory-second share (cost_allocation.sql), w = 0.5."""
    cpu_total = sum(Decimal(cpu) for *_, cpu, _ in BLEND_STEPS)
    memory_total = sum(Decimal(memory) for *_, memory in BLEND_STEPS)
    expected = {
        product: (
            cpu,
            memory,
            BLEND_POOL_COST
            * (CPU_WEIGHT * Decimal(cpu) / cpu_total + (1 - CPU_WEIGHT) * Decimal(memory) / memory_total),
        )
        for product, _, _, cpu, memory in BLEND_STEPS
    }
    assert {p: e for p, (_, _, e) in expected.items()} == {
        "customers": Decimal("23"),
        "deliveries": Decimal("17"),
    }
    rows = spark.sql(
        f"select data_product, cpu_seconds, memory_gb_seconds, effective_cost from {hand_tables}.cost_query "
        "where compute_resource_id = 'emr-app-blend'"
    ).collect()
    got = {r["data_product"]: (r["cpu_seconds"], r["memory_gb_seconds"], r["effective_cost"]) for r in rows}
    assert got == expected


def test_hand_bill_reconciles(spark, hand_tables) -> None:
    (row,) = spark.sql(f"select * from {hand_tables}.cost_reconciliation").collect()
    expected = sum((e for _, _, e in HAND_BILL), Decimal(0)) + POOL_COST + BLEND_POOL_COST
    assert row["bill_effective_cost"] == expected
    assert row["allocated_cost"] == POOL_COST + BLEND_POOL_COST  # the pools, handed to their jobs
    assert row["shared_cost"] == Decimal("-26.98")  # RI/SP unused, tax, credit, refund, fees, discounts
    assert row["unallocated_cost"] == Decimal("23.60")  # untagged usage
    assert row["difference"] == 0


def test_demo_bill_reconciles_to_the_cent_every_day(spark, demo_cost_tables, demo_bill) -> None:
    rows = spark.sql(f"select * from {demo_cost_tables}.cost_reconciliation").collect()
    days = {r["usage_date"] for r in rows if r["cost_input"] == "cur"}
    assert len(days) == (demo_bill.end - demo_bill.start).days
    # The FOCUS file also holds the company's Azure bill: reconciled on its own, every day.
    assert {(r["cost_input"], r["provider"]) for r in rows} == {
        ("cur", "AWS"),
        ("focus", "AWS"),
        ("focus", "Microsoft"),
    }
    for r in rows:
        assert abs(r["difference"]) < CENT, r
        # The CUR rules reproduce what the bill says its amortized cost is (FOCUS EffectiveCost).
        expected = demo_bill.effective_total(r["usage_date"], r["provider"])
        assert abs(r["bill_effective_cost"] - expected) < CENT, r
        assert r["allocated_cost"] > 0 and r["unallocated_cost"] > 0, r
        assert r["shared_cost"] != 0 or r["provider"] == "Microsoft", r  # tax and credits: AWS's


def test_every_route_is_used_on_the_demo_bill(spark, demo_cost_tables) -> None:
    methods = {
        (r["cost_input"], r["method"])
        for r in spark.sql(
            f"select distinct cost_input, method from {demo_cost_tables}.cost_allocation"
        ).collect()
    }
    assert {
        "tag",
        "eks_split",
        "opencost",
        "compute_share",
        "idle_compute",
        "cost_pool",
        "account_level",
    } <= {m for i, m in methods if i == "cur"}
    assert "eks_split" not in {m for i, m in methods if i == "focus"}  # FOCUS has no split rows: OpenCost


def test_focus_and_cur_give_the_same_totals_per_tribe(spark, demo_cost_tables) -> None:
    rows = spark.sql(f"select * from {demo_cost_tables}.cost_input_comparison").collect()
    aws = [r for r in rows if r["provider"] == "AWS"]
    tribes = {r["tribe"] for r in aws}
    assert {"consumer", "marketing", "operations", "platform", "(shared)", "(unallocated)"} <= tribes
    for r in aws:
        assert r["cur_cost"] is not None and r["focus_cost"] is not None, r
        assert abs(r["cur_cost"] - r["focus_cost"]) < CENT, r
    # Azure is only in the FOCUS file: nothing to compare with, and not a difference.
    azure = {r["tribe"] for r in rows if r["provider"] == "Microsoft" and r["cur_cost"] is None}
    assert azure == {"marketing", "(unallocated)"}


def test_pods_without_labels_go_to_the_squad_of_their_namespace(spark, demo_cost_tables) -> None:
    rows = spark.sql(
        f"select distinct method, tribe, squad, data_product from {demo_cost_tables}.cost_allocation "
        "where method in ('eks_split', 'opencost') and squad = 'menu'"
    ).collect()
    assert rows and all(r["tribe"] == "operations" and r["data_product"] is None for r in rows)


def _focus(n: int, provider: str, category: str, cost: str, tags: dict | None = None) -> dict:
    """One FOCUS 1.2 charge of one provider's bill (the columns a multi-cloud FOCUS export fills)."""
    return {
        "billing_account_id": f"{provider}-billing",
        "sub_account_id": f"{provider}-sub",
        "billing_period_start": PERIOD,
        "billing_period_end": datetime(2026, 11, 1, tzinfo=UTC),
        "charge_period_start": DAY,
        "charge_period_end": datetime(2026, 10, 3, tzinfo=UTC),
        "charge_category": category,
        "billed_cost": Decimal(cost),
        "effective_cost": Decimal(cost),
        "billing_currency": "USD",
        "provider_name": provider,
        "service_name": f"{provider} compute",
        "resource_id": f"{provider}-res-{n}",
        "tags": tags or {},
    }


@pytest.fixture(scope="module")
def multi_cloud_tables(spark, cost_products, tmp_path_factory) -> str:
    source, out = f"{HAND_SRC}_multi", f"{HAND_OUT}_multi"
    focus = [
        _focus(1, "AWS", "Usage", "10.00", {"tribe": "consumer", "squad": "checkout"}),
        _focus(2, "AWS", "Tax", "1.00"),
        _focus(3, "Microsoft", "Usage", "7.50", {"tribe": "operations", "squad": "menu"}),
        _focus(4, "Oracle", "Usage", "2.25"),  # untagged
    ]
    # The company's CUR holds the same AWS charges (the FOCUS file's other providers are not in it).
    cur = [
        _cur(
            1,
            "Usage",
            tags={"user_tribe": "consumer", "user_squad": "checkout"},
            line_item_unblended_cost=Decimal("10.00"),
        ),
        _cur(2, "Tax", line_item_unblended_cost=Decimal("1.00")),
    ]
    # FOCUS first: the reports read the first input.
    return model_bill(
        spark,
        cost_products,
        tmp_path_factory.mktemp("dbt_multi"),
        source,
        out,
        ["focus", "cur"],
        aws_cur=cur,
        focus_costs=focus,
    )


def test_a_multi_cloud_focus_file_reconciles_per_provider(spark, multi_cloud_tables) -> None:
    # A FOCUS export holding AWS, Azure and OCI charges is three bills, each reconciled on its own.
    rows = spark.sql(f"select * from {multi_cloud_tables}.cost_reconciliation").collect()
    got = {
        (r["cost_input"], r["provider"]): (r["bill_effective_cost"], r["allocated_cost"], r["difference"])
        for r in rows
    }
    assert got == {
        ("focus", "AWS"): (Decimal("11.00"), Decimal("10.00"), 0),
        ("focus", "Microsoft"): (Decimal("7.50"), Decimal("7.50"), 0),
        ("focus", "Oracle"): (Decimal("2.25"), Decimal("0"), 0),
        ("cur", "AWS"): (Decimal("11.00"), Decimal("10.00"), 0),
    }
    # CUR against FOCUS per provider: AWS agrees to the cent; the others have no CUR to compare with.
    compared = spark.sql(f"select * from {multi_cloud_tables}.cost_input_comparison").collect()
    assert {(r["provider"], r["tribe"], r["cur_cost"], r["focus_cost"]) for r in compared} == {
        ("AWS", "consumer", Decimal("10.00"), Decimal("10.00")),
        ("AWS", "(shared)", Decimal("1.00"), Decimal("1.00")),
        ("Microsoft", "operations", None, Decimal("7.50")),
        ("Oracle", "(unallocated)", None, Decimal("2.25")),
    }
    daily = spark.sql(
        f"select provider, squad, sum(effective_cost) as cost from {multi_cloud_tables}.cost_daily "
        "group by provider, squad"
    ).collect()
    assert {(r["provider"], r["squad"], r["cost"]) for r in daily} == {
        ("AWS", "checkout", Decimal("10.00")),
        ("AWS", "(shared)", Decimal("1.00")),
        ("Microsoft", "menu", Decimal("7.50")),
        ("Oracle", "(unallocated)", Decimal("2.25")),
    }
