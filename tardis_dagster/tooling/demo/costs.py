"""A realistic, deterministic AWS bill for the demo company, in the four cost products' own formats.

One seed gives one bill: CUR 2.0 line items (EKS, EMR Serverless, the Spark cluster, S3, MSK, data
transfer; a savings plan and a reservation with its upfront fee; tax, credit, refund; untagged
resources; two line items alike in all but their id), the same bill as a FOCUS 1.2 export (plus the
company's small Azure bill: a multi-provider FOCUS file), OpenCost allocations for both EKS clusters
and the platform's own telemetry for every step and query that ran on the shared compute. Tags
(tribe, squad, data_product) come from the demo specs, so costs land on the products people see in
Dagster.

Records are built with the contract's column names (what `std.<product>` holds); the writers rename
them to what each export really calls them (FOCUS `BilledCost`, OpenCost `cpuCoreHours`) and deliver
them as AWS Data Exports do: CUR 2.0 as Parquet, FOCUS as gzip CSV, each billing period in
`data/BILLING_PERIOD=YYYY-MM/<delivery>/`, the open month delivered twice (an early delivery, then
the one that replaces it).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import random
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tardis_dagster.core.specs import DataProduct

PRODUCTS = ("aws_cur", "focus_costs", "k8s_allocations", "platform_telemetry")
DEMO_MONTH = date(2026, 10, 1)
PAYER = "111122223333"
ACCOUNT_DATA, ACCOUNT_APPS, ACCOUNT_SHARED = "210000000001", "210000000002", "210000000003"
REGION = "us-east-1"
SP_ARN = f"arn:aws:savingsplans::{ACCOUNT_DATA}:savingsplan/3f1c0a52-demo-compute-sp"
SP2_ARN = f"arn:aws:savingsplans::{ACCOUNT_DATA}:savingsplan/7a9e4d10-demo-compute-sp-2"
RI_ARN = f"arn:aws:ec2:{REGION}:{ACCOUNT_APPS}:reserved-instances/ri-0b7demo0000000001"
EMR_APP = "00fq1emrapp0001"
SPARK_CLUSTER = "i-0spark0000000001"
PROD_CLUSTER, BATCH_CLUSTER = "tardis-prod", "tardis-batch"
# OpenCost's default list prices (per vCPU-hour and per GiB-hour of RAM).
OPENCOST_CPU_HOUR, OPENCOST_RAM_GIB_HOUR = 0.031611, 0.004237
CENT = Decimal("0.0000000001")


@dataclass(frozen=True)
class Owner:
    """Who a resource or a job is charged to."""

    tribe: str
    squad: str
    product: str | None = None


@dataclass(frozen=True)
class Job:
    """A data product's pipeline step that runs on shared compute every day."""

    owner: Owner
    step: str  # land, standardize or dbt
    asset_key: str
    compute: str  # EMR_APP or SPARK_CLUSTER
    runs_per_day: int
    cpu_seconds: float  # per run, before growth and weekday effects
    gb_per_core: float


@dataclass
class CostDemo:
    """The generated bill: contract-named records per product, plus the generator's own truth."""

    start: date
    end: date  # exclusive
    cur: list[dict[str, Any]] = field(default_factory=list)
    focus: list[dict[str, Any]] = field(default_factory=list)
    allocations: list[dict[str, Any]] = field(default_factory=list)
    telemetry: list[dict[str, Any]] = field(default_factory=list)

    def effective_total(self, day: date | None = None, provider: str | None = None) -> Decimal:
        """The bill's total amortized cost (FOCUS EffectiveCost), for one day or the whole period, of
        one provider (`AWS`: what the CUR holds too) or of all."""
        return sum(
            (
                r["effective_cost"]
                for r in self.focus
                if (day is None or r["charge_period_start"].date() == day)
                and (provider is None or r["provider_name"] == provider)
            ),
            Decimal(0),
        )


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_EVEN)


def _at(day: date, hours: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hours)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def owners_from_specs(products: Iterable[DataProduct]) -> list[Owner]:
    """One owner per data product of the specs (the platform's own cost products included)."""
    return sorted(
        (Owner(p.owner.tribe, p.owner.squad, p.name) for p in products), key=lambda o: o.product or ""
    )


def jobs_for(products: Iterable[DataProduct], rng: random.Random) -> list[Job]:
    """The steps each product runs daily: landing and standardizing on EMR, dbt on the Spark cluster."""
    jobs = []
    for p in sorted(products, key=lambda p: p.name):
        owner = Owner(p.owner.tribe, p.owner.squad, p.name)
        if p.source.kind == "sql":
            jobs.append(
                Job(
                    owner, "dbt", f"mart/{p.name}", SPARK_CLUSTER, 2, rng.uniform(120, 900), rng.uniform(2, 6)
                )
            )
            continue
        runs = 6 if p.source.kind == "kafka" else 1
        for step, layer in (("land", "raw"), ("standardize", "std")):
            jobs.append(
                Job(owner, step, f"{layer}/{p.name}", EMR_APP, runs, rng.uniform(30, 400), rng.uniform(2, 8))
            )
    return jobs


class _Bill:
    """Builds the line items of one bill; ids are stable for the same seed."""

    def __init__(self, demo: CostDemo) -> None:
        self.demo = demo
        self.count = 0

    def line(
        self,
        day: date,
        account: str,
        item_type: str,
        product_code: str,
        usage_type: str,
        operation: str,
        resource_id: str | None,
        amount: float,
        unblended: Decimal,
        effective: Decimal,
        *,
        tags: dict[str, str] | None = None,
        service: str | None = None,
        public: Decimal | None = None,
        description: str = "",
        whole_month: bool = False,
        **columns: Any,
    ) -> dict[str, Any]:
        """Append one CUR line item; `effective` is the truth FOCUS reports as EffectiveCost."""
        self.count += 1
        start = _at(_month_start(day) if whole_month else day)
        end = _at(_next_month(day)) if whole_month else start + timedelta(days=1)
        key = f"{day}|{item_type}|{resource_id}|{usage_type}|{self.count}"
        period = _month_start(day)
        row: dict[str, Any] = {
            "identity_line_item_id": hashlib.sha256(key.encode()).hexdigest()[:52],
            "identity_time_interval": f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}",
            "bill_billing_period_start_date": _at(period),
            "bill_billing_period_end_date": _at(_next_month(period)),
            "bill_payer_account_id": PAYER,
            "line_item_usage_account_id": account,
            "line_item_line_item_type": item_type,
            "line_item_usage_start_date": start,
            "line_item_usage_end_date": end,
            "line_item_product_code": product_code,
            "line_item_usage_type": usage_type,
            "line_item_operation": operation,
            "line_item_resource_id": resource_id,
            "line_item_line_item_description": description or f"{item_type} {usage_type}",
            "line_item_usage_amount": round(amount, 6),
            "line_item_currency_code": "USD",
            "line_item_unblended_rate": _money(unblended / Decimal(str(amount))) if amount else None,
            "line_item_unblended_cost": unblended,
            "line_item_net_unblended_cost": unblended,
            "pricing_public_on_demand_cost": public if public is not None else max(unblended, Decimal(0)),
            "pricing_term": "Reserved" if item_type in ("DiscountedUsage", "RIFee") else "OnDemand",
            "product_servicecode": service or product_code,
            "product_region_code": REGION,
            "resource_tags": dict(tags or {}),
            **columns,
        }
        row["_effective"] = effective
        self.demo.cur.append(row)
        return row


def _tags(owner: Owner | None = None, **extra: str) -> dict[str, str]:
    tags = {f"user_{k}": v for k, v in extra.items()}
    if owner is not None:
        tags |= {"user_tribe": owner.tribe, "user_squad": owner.squad}
        if owner.product:
            tags["user_data_product"] = owner.product
    return tags


def _growth(day: date, start: date) -> float:
    """About 2.5% more work every month: the platform grows."""
    return 1.025 ** ((day - start).days / 30.4)


def _weekday(day: date) -> float:
    return 0.65 if day.weekday() >= 5 else 1.0


def _month_end(day: date) -> float:
    """Month-end close: the finance products work harder on the last three days of a month."""
    return 1.2 if (_next_month(day) - day).days <= 3 else 1.0


def _telemetry(demo: CostDemo, day: date, jobs: list[Job], rng: random.Random, start: date) -> None:
    for job in jobs:
        if job.compute == SPARK_CLUSTER and day.day == 13:
            continue  # the Spark cluster's maintenance day: it idles, its cost stays shared
        for run in range(job.runs_per_day):
            run_id = str(uuid.UUID(int=rng.getrandbits(128)))
            started = _at(day, hours=int(24 * run / job.runs_per_day)) + timedelta(minutes=rng.randint(0, 40))
            queries = rng.randint(1, 3)
            cpu_total = (
                job.cpu_seconds * _growth(day, start) * _weekday(day) * _month_end(day) * rng.gauss(1, 0.08)
            )
            for q in range(queries):
                cpu = max(1.0, cpu_total / queries * rng.uniform(0.6, 1.4))
                duration = cpu / rng.uniform(2, 8)
                ended = started + timedelta(seconds=duration)
                demo.telemetry.append(
                    {
                        "record_id": f"{run_id}/{job.step}_{job.owner.product}/q{q}",
                        "run_id": run_id,
                        "step_key": f"{job.step}_{job.owner.product}",
                        "query_id": f"q{q}",
                        "asset_key": job.asset_key,
                        "data_product": job.owner.product,
                        "tribe": job.owner.tribe,
                        "squad": job.owner.squad,
                        "compute_resource_id": job.compute,
                        "engine": "dbt" if job.step == "dbt" else "spark",
                        "started_at": started,
                        "ended_at": ended,
                        "duration_seconds": round(duration, 3),
                        "executor_cpu_seconds": round(cpu, 3),
                        "executor_run_seconds": round(cpu * 1.15, 3),
                        "memory_gb_seconds": round(cpu * job.gb_per_core, 3),
                        "bytes_read": int(cpu * rng.uniform(2e6, 2e7)),
                        "bytes_written": int(cpu * rng.uniform(2e5, 5e6)),
                        "metrics_source": "demo",
                    }
                )
                started = ended


@dataclass(frozen=True)
class _Pod:
    name: str
    namespace: str
    labels: dict[str, str]
    cpu: float  # cores requested
    ram_gib: float


def _pods(owners: list[Owner]) -> tuple[list[_Pod], list[_Pod]]:
    """Pods of the prod cluster (streaming and services) and the batch cluster (dbt and reports)."""
    prod, batch = [], []
    for i, o in enumerate(owners):
        labels = {"tribe": o.tribe, "squad": o.squad, "data_product": o.product or ""}
        if o.squad == "menu":
            labels = {}  # this squad never labelled its pods: the namespace says whose they are
        pod = _Pod(f"{o.product}-{i:02d}", o.squad, labels, 0.5 + (i % 4) * 0.5, 2.0 + (i % 3) * 2)
        (batch if o.tribe == "platform" or i % 3 == 0 else prod).append(pod)
    prod.append(_Pod("coredns-7d9", "kube-system", {"cost_pool": "shared"}, 0.5, 1.0))
    prod.append(_Pod("notebook-scratch", "sandbox", {}, 1.0, 4.0))
    return prod, batch


def _eks_cluster(
    bill: _Bill,
    demo: CostDemo,
    day: date,
    cluster: str,
    nodes: list[tuple[str, Decimal, Decimal, str]],
    pods: list[_Pod],
    rng: random.Random,
    *,
    split_rows: bool,
) -> None:
    """OpenCost allocations for the cluster's pods, and (prod) the CUR split cost allocation rows.

    `nodes` are (instance id, effective cost of the day, unblended cost of the day, account). Split costs
    follow the OpenCost shares and the unused part is the idle share, so both inputs agree.
    """
    cpu_cap, ram_cap = 8.0, 32.0
    placed: dict[str, list[_Pod]] = defaultdict(list)
    for i, pod in enumerate(pods):
        placed[nodes[i % len(nodes)][0]].append(pod)
    for instance, effective, _unblended, account in nodes:
        node_total = cpu_cap * 24 * OPENCOST_CPU_HOUR + ram_cap * 24 * OPENCOST_RAM_GIB_HOUR
        pod_costs = []
        for pod in placed[instance]:
            load = rng.uniform(0.7, 1.1) * _weekday(day)
            cpu_h, ram_h = pod.cpu * 24 * load, pod.ram_gib * 24 * load
            cpu_cost, ram_cost = cpu_h * OPENCOST_CPU_HOUR, ram_h * OPENCOST_RAM_GIB_HOUR
            total = round(cpu_cost + ram_cost, 6)
            pod_costs.append((pod, total))
            demo.allocations.append(
                _allocation(cluster, instance, day, pod, cpu_h, ram_h, cpu_cost, ram_cost, total)
            )
        idle = round(node_total - sum(c for _, c in pod_costs), 6)
        demo.allocations.append(
            _allocation(cluster, instance, day, None, 0.0, 0.0, 0.0, 0.0, idle, name="__idle__")
        )
        if not split_rows:
            continue
        denominator = Decimal(str(round(sum(c for _, c in pod_costs) + idle, 6)))
        used = sum((Decimal(str(c)) for _, c in pod_costs), Decimal(0))
        for pod, cost in pod_costs:
            share = Decimal(str(cost)) / denominator
            split = _money(effective * share)
            unused = _money(effective * (Decimal(str(idle)) / denominator) * Decimal(str(cost)) / used)
            tags = {
                "aws_eks_cluster_name": cluster,
                "aws_eks_namespace": pod.namespace,
                "aws_eks_workload_name": pod.name.rsplit("-", 1)[0],
                **{f"user_{k}": v for k, v in pod.labels.items() if v},
            }
            bill.line(
                day,
                account,
                "Usage",
                "AmazonEKS",
                "USE1-EKS-EC2-vCPU-Hours",
                "EKSPod-EC2",
                f"arn:aws:eks:{REGION}:{account}:pod/{cluster}/{pod.namespace}/{pod.name}",
                pod.cpu * 24,
                Decimal(0),
                Decimal(0),
                tags=tags,
                public=Decimal(0),
                split_line_item_parent_resource_id=instance,
                split_line_item_split_usage_ratio=float(share),
                split_line_item_split_cost=split,
                split_line_item_unused_cost=unused,
                split_line_item_public_on_demand_split_cost=split,
                split_line_item_public_on_demand_unused_cost=unused,
            )


def _allocation(
    cluster: str,
    instance: str,
    day: date,
    pod: _Pod | None,
    cpu_h: float,
    ram_h: float,
    cpu_cost: float,
    ram_cost: float,
    total: float,
    name: str | None = None,
) -> dict[str, Any]:
    return {
        "name": name or f"{cluster}/{pod.namespace}/{pod.name}",  # type: ignore[union-attr]
        "window_start": _at(day),
        "window_end": _at(day + timedelta(days=1)),
        "cluster": cluster,
        "node": f"ip-10-0-{int(hashlib.sha256(instance.encode()).hexdigest()[:4], 16) % 250}-17.ec2.internal",
        "provider_id": instance,
        "namespace": pod.namespace if pod else None,
        "controller_kind": "deployment" if pod else None,
        "controller": pod.name.rsplit("-", 1)[0] if pod else None,
        "pod": pod.name if pod else None,
        "labels": dict(pod.labels) if pod else {},
        "cpu_core_hours": round(cpu_h, 6),
        "cpu_core_request_average": (pod.cpu if pod else 0.0),
        "cpu_core_usage_average": round(cpu_h / 24, 6),
        "ram_byte_hours": round(ram_h * 2**30, 1),
        "ram_bytes_usage_average": round(ram_h / 24 * 2**30, 1),
        "cpu_cost": round(cpu_cost, 6),
        "gpu_cost": 0.0,
        "ram_cost": round(ram_cost, 6),
        "pv_cost": 0.0,
        "network_cost": 0.0,
        "load_balancer_cost": 0.0,
        "shared_cost": 0.0,
        "total_cost": total,
        "total_efficiency": round(rng_free_efficiency(cpu_h, ram_h, pod), 4),
    }


def rng_free_efficiency(cpu_h: float, ram_h: float, pod: _Pod | None) -> float:
    """Usage over request (OpenCost's totalEfficiency), derived without randomness."""
    if pod is None or pod.cpu == 0:
        return 0.0
    return min(1.0, (cpu_h / 24) / pod.cpu * 0.8 + (ram_h / 24) / pod.ram_gib * 0.2)


def _day_of_bill(
    bill: _Bill, demo: CostDemo, day: date, owners: list[Owner], rng: random.Random, start: date
) -> None:
    growth = _growth(day, start)
    prod_pods, batch_pods = _pods(owners)

    # EKS prod: four m6i.2xlarge nodes (three at weekends), all covered by the compute savings plan.
    od_rate, sp_rate = Decimal("0.384"), Decimal("0.27648")
    prod_nodes = []
    node_count = 3 if day.weekday() >= 5 else 4
    for n in range(node_count):
        instance = f"i-0prod00000000000{n}"
        node_tags = _tags(cost_pool="eks_node", eks_cluster=PROD_CLUSTER)
        unblended, effective = od_rate * 24, sp_rate * 24
        bill.line(
            day, ACCOUNT_DATA, "SavingsPlanCoveredUsage", "AmazonEC2", "USE1-BoxUsage:m6i.2xlarge",
            "RunInstances", instance, 24, unblended, effective, tags=node_tags,
            savings_plan_savings_plan_a_r_n=SP_ARN, savings_plan_savings_plan_effective_cost=effective,
        )  # fmt: skip
        bill.line(
            day, ACCOUNT_DATA, "SavingsPlanNegation", "AmazonEC2", "USE1-BoxUsage:m6i.2xlarge",
            "RunInstances", instance, 24, -unblended, Decimal(0), tags=node_tags,
            savings_plan_savings_plan_a_r_n=SP_ARN,
        )  # fmt: skip
        transfer_gb = round(rng.uniform(20, 60) * growth, 3)
        transfer = _money(transfer_gb * 0.01)
        bill.line(
            day, ACCOUNT_DATA, "Usage", "AmazonEC2", "USE1-DataTransfer-Regional-Bytes", "InterZone-In",
            instance, transfer_gb, transfer, transfer, tags=node_tags, service="AWSDataTransfer",
        )  # fmt: skip
        prod_nodes.append((instance, effective + transfer, unblended + transfer, ACCOUNT_DATA))
    _eks_cluster(bill, demo, day, PROD_CLUSTER, prod_nodes, prod_pods, rng, split_rows=True)

    # Savings plan: the hourly commitment is paid whether used or not; the unused part is its effective cost.
    commitment = Decimal("1.20") * 24
    used = sp_rate * 24 * node_count
    bill.line(
        day, ACCOUNT_DATA, "SavingsPlanRecurringFee", "ComputeSavingsPlans", "ComputeSP:1yrNoUpfront",
        "", SP_ARN, 24, commitment, commitment - used, public=Decimal(0),
        savings_plan_savings_plan_a_r_n=SP_ARN, savings_plan_total_commitment_to_date=commitment,
        savings_plan_used_commitment=used, savings_plan_recurring_commitment_for_billing_period=commitment,
    )  # fmt: skip

    # EKS batch: one reserved r6i.xlarge (half the hours at weekends) and one on-demand node on weekdays.
    ri_rate = Decimal("0.160")
    ri_hours = 12 if day.weekday() >= 5 else 24
    batch_tags = _tags(cost_pool="eks_node", eks_cluster=BATCH_CLUSTER)
    reserved = "i-0batch0000000001"
    bill.line(
        day, ACCOUNT_APPS, "DiscountedUsage", "AmazonEC2", "USE1-BoxUsage:r6i.xlarge", "RunInstances",
        reserved, ri_hours, Decimal(0), ri_rate * ri_hours, tags=batch_tags,
        public=Decimal("0.252") * ri_hours, reservation_reservation_a_r_n=RI_ARN,
        reservation_effective_cost=ri_rate * ri_hours,
    )  # fmt: skip
    batch_nodes = [(reserved, ri_rate * ri_hours, Decimal(0), ACCOUNT_APPS)]
    if day.weekday() < 5:
        on_demand = Decimal("0.252") * 24
        bill.line(
            day, ACCOUNT_APPS, "Usage", "AmazonEC2", "USE1-BoxUsage:r6i.xlarge", "RunInstances",
            "i-0batch0000000002", 24, on_demand, on_demand, tags=batch_tags,
        )  # fmt: skip
        batch_nodes.append(("i-0batch0000000002", on_demand, on_demand, ACCOUNT_APPS))
    _eks_cluster(bill, demo, day, BATCH_CLUSTER, batch_nodes, batch_pods, rng, split_rows=False)

    # EKS control planes: shared platform cost.
    for cluster in (PROD_CLUSTER, BATCH_CLUSTER):
        fee = Decimal("0.10") * 24
        bill.line(
            day, ACCOUNT_SHARED, "Usage", "AmazonEKS", "USE1-AmazonEKS-Hours:perCluster", "CreateOperation",
            f"arn:aws:eks:{REGION}:{ACCOUNT_SHARED}:cluster/{cluster}", 24, fee, fee,
            tags=_tags(cost_pool="shared"),
        )  # fmt: skip


def _shared_compute(bill: _Bill, demo: CostDemo, day: date, first_record: int) -> None:
    """EMR Serverless usage follows the day's telemetry; the Spark cluster instance runs all day."""
    cpu = sum(
        r["executor_cpu_seconds"]
        for r in demo.telemetry[first_record:]
        if r["compute_resource_id"] == EMR_APP
    )
    mem = sum(
        r["memory_gb_seconds"] for r in demo.telemetry[first_record:] if r["compute_resource_id"] == EMR_APP
    )
    vcpu_hours, gb_hours = cpu * 1.3 / 3600, mem * 1.3 / 3600  # executors hold capacity beyond task time
    tags = _tags(cost_pool="shared_compute")
    arn = f"arn:aws:emr-serverless:{REGION}:{ACCOUNT_DATA}:/applications/{EMR_APP}"
    for usage_type, amount, rate in (
        ("USE1-EMR-SERVERLESS-vCPUHours", vcpu_hours, Decimal("0.052624")),
        ("USE1-EMR-SERVERLESS-MemoryGBHours", gb_hours, Decimal("0.0057785")),
    ):
        cost = _money(Decimal(str(round(amount, 6))) * rate)
        bill.line(
            day, ACCOUNT_DATA, "Usage", "ElasticMapReduce", usage_type, "Worker", EMR_APP, amount, cost, cost,
            tags=tags, description=f"EMR Serverless application {arn}",
        )  # fmt: skip
    spark = Decimal("0.768") * 24
    bill.line(
        day, ACCOUNT_DATA, "Usage", "AmazonEC2", "USE1-BoxUsage:m6i.4xlarge", "RunInstances", SPARK_CLUSTER,
        24, spark, spark, tags=tags,
    )  # fmt: skip


def _storage_and_network(
    bill: _Bill, day: date, owners: list[Owner], rng: random.Random, start: date
) -> None:
    growth = _growth(day, start)
    squads = sorted({(o.tribe, o.squad) for o in owners})
    for i, (tribe, squad) in enumerate(squads):
        gb = (800 + 450 * i) * growth
        storage = _money(gb * 0.023 / 30)
        bucket = f"tardis-lake-{squad}"
        tags = _tags(Owner(tribe, squad))
        bill.line(
            day, ACCOUNT_DATA, "Usage", "AmazonS3", "USE1-TimedStorage-ByteHrs", "StandardStorage", bucket,
            gb / 30, storage, storage, tags=tags,
        )  # fmt: skip
        requests = rng.randint(20_000, 120_000) * _weekday(day) * growth
        cost = _money(requests / 1000 * 0.005)
        bill.line(
            day, ACCOUNT_DATA, "Usage", "AmazonS3", "USE1-Requests-Tier1", "PutObject", bucket, requests,
            cost, cost, tags=tags,
        )  # fmt: skip
    scratch = _money(1500 * growth * 0.023 / 30)
    bill.line(
        day,
        ACCOUNT_APPS,
        "Usage",
        "AmazonS3",
        "USE1-TimedStorage-ByteHrs",
        "StandardStorage",
        "tardis-tmp-exports",
        50,
        scratch,
        scratch,
    )  # fmt: skip  (untagged: nobody claims this bucket)
    legacy = Decimal("0.0832") * 24
    bill.line(
        day,
        ACCOUNT_APPS,
        "Usage",
        "AmazonEC2",
        "USE1-BoxUsage:t3.large",
        "RunInstances",
        "i-0legacy0000000001",
        24,
        legacy,
        legacy,
    )  # fmt: skip  (untagged instance)
    msk_arn = f"arn:aws:kafka:{REGION}:{ACCOUNT_SHARED}:cluster/tardis-events/5c1e0d"
    brokers = _money(Decimal("0.21") * 24 * 3)
    msk_storage = _money(Decimal(str(round(2000 * growth / 30, 3))) * Decimal("0.10"))
    for usage_type, amount, cost in (
        ("USE1-Kafka.m5.large", 72, brokers),
        ("USE1-Kafka.Storage.GP2", 2000 * growth / 30, msk_storage),
    ):
        bill.line(
            day, ACCOUNT_SHARED, "Usage", "AmazonMSK", usage_type, "CreateCluster", msk_arn, amount, cost,
            cost, tags=_tags(cost_pool="shared"),
        )  # fmt: skip
    out_gb = rng.uniform(40, 90) * growth * _weekday(day)
    egress = _money(out_gb * 0.09)
    bill.line(
        day,
        ACCOUNT_APPS,
        "Usage",
        "AWSDataTransfer",
        "USE1-DataTransfer-Out-Bytes",
        "",
        None,
        out_gb,
        egress,
        egress,
        service="AWSDataTransfer",
    )  # fmt: skip  (egress of the whole account: no resource, no tags)


def _monthly_charges(bill: _Bill, demo: CostDemo, month: date, month_rows: list[dict[str, Any]]) -> None:
    """Charges AWS books once per billing period: RI fee, tax, a credit, a refund, an upfront fee."""
    hours = (_next_month(month) - month).days * 24
    used_hours = sum(
        r["line_item_usage_amount"] for r in month_rows if r["line_item_line_item_type"] == "DiscountedUsage"
    )
    unused = Decimal(str(hours - used_hours))
    recurring, upfront = Decimal("0.08"), Decimal("0.08")
    bill.line(
        month, ACCOUNT_APPS, "RIFee", "AmazonEC2", "USE1-HeavyUsage:r6i.xlarge", "RunInstances", RI_ARN,
        hours, recurring * hours, (recurring + upfront) * unused, public=Decimal(0), whole_month=True,
        reservation_reservation_a_r_n=RI_ARN, reservation_unused_recurring_fee=recurring * unused,
        reservation_unused_amortized_upfront_fee_for_billing_period=upfront * unused,
    )  # fmt: skip
    for account in (ACCOUNT_DATA, ACCOUNT_APPS, ACCOUNT_SHARED):
        base = sum(
            (
                r["line_item_unblended_cost"]
                for r in month_rows
                if r["line_item_usage_account_id"] == account and r["line_item_line_item_type"] == "Usage"
            ),
            Decimal(0),
        )
        tax = _money(base * Decimal("0.05"))
        bill.line(
            month, account, "Tax", "AmazonEC2", "Tax", "", None, 0, tax, tax, public=Decimal(0),
            whole_month=True, description="Sales tax",
        )  # fmt: skip
    credit = Decimal("-150.00")
    bill.line(
        month, ACCOUNT_APPS, "Credit", "AmazonEC2", "Credit", "", None, 0, credit, credit, public=Decimal(0),
        whole_month=True, description="AWS promotional credit",
    )  # fmt: skip
    refund_day = month + timedelta(days=9)
    refund = Decimal("-25.00")
    bill.line(
        refund_day, ACCOUNT_DATA, "Refund", "AmazonS3", "Refund", "", None, 0, refund, refund,
        public=Decimal(0), description="Refund for a duplicated S3 charge",
    )  # fmt: skip
    if month == demo.start:
        # The reservation's partial upfront fee, paid when it was bought: amortized into the
        # DiscountedUsage lines, so its effective cost is 0 (AWS CUR query library).
        bill.line(
            month, ACCOUNT_APPS, "Fee", "AmazonEC2", "USE1-HeavyUsage:r6i.xlarge", "RunInstances", RI_ARN, 1,
            upfront * 8760, Decimal(0), public=Decimal(0), reservation_reservation_a_r_n=RI_ARN,
            description="Sign up charge for subscription: 1 yr partial upfront r6i.xlarge reserved instance",
        )  # fmt: skip
    # Two line items alike in every column but their id (AWS bills some transfer so): FOCUS has no
    # line-item id, so its export holds two identical rows, and both are cost.
    for _ in range(2):
        bill.line(
            month + timedelta(days=14), ACCOUNT_SHARED, "Usage", "AWSDataTransfer", "USE1-USW2-AWS-Out-Bytes",
            "InterRegion", None, 12.5, Decimal("0.25"), Decimal("0.25"), service="AWSDataTransfer",
            description="$0.02 per GB - US East (N. Virginia) data transfer to US West (Oregon)",
        )  # fmt: skip
    if month == DEMO_MONTH:
        fee = Decimal("500.00")
        bill.line(
            month + timedelta(days=14), ACCOUNT_DATA, "SavingsPlanUpfrontFee", "ComputeSavingsPlans",
            "ComputeSP:1yrPartialUpfront", "", SP2_ARN, 1, fee, Decimal(0), public=Decimal(0),
            savings_plan_savings_plan_a_r_n=SP2_ARN,
        )  # fmt: skip


def generate(
    products: Iterable[DataProduct], *, month: date = DEMO_MONTH, months: int = 1, seed: int = 7
) -> CostDemo:
    """The bill for `months` months ending with `month`, for the given (demo) products; deterministic.

    The platform's own cost products take part like any other product (their steps cost too).
    """
    products = list(products)
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    first = _month_start(month)
    for _ in range(months - 1):
        first = _month_start(first - timedelta(days=1))
    end = _next_month(_month_start(month))
    demo = CostDemo(start=first, end=end)
    owners = owners_from_specs(products)
    jobs = jobs_for(products, rng)
    bill = _Bill(demo)
    current = first
    while current < end:
        month_first_row = len(demo.cur)
        day = current
        while day < _next_month(current):
            first_record = len(demo.telemetry)
            _telemetry(demo, day, jobs, rng, first)
            _shared_compute(bill, demo, day, first_record)
            _day_of_bill(bill, demo, day, owners, rng, first)
            _storage_and_network(bill, day, owners, rng, first)
            day += timedelta(days=1)
        _monthly_charges(bill, demo, current, demo.cur[month_first_row:])
        current = _next_month(current)
    _fill_cur_columns(demo.cur)
    demo.focus = [row for cur in demo.cur for row in focus_rows(cur)]
    # Its own generator, so the AWS bill of a seed stays what it was.
    demo.focus += azure_rows(demo, owners, random.Random(seed + 1))  # noqa: S311 - demo data
    return demo


AZURE_SUBSCRIPTION = "4d1e0c6a-7b2f-4c3e-9a51-demo00000001"


def azure_rows(demo: CostDemo, owners: list[Owner], rng: random.Random) -> list[dict[str, Any]]:
    """The company's small Azure bill as FOCUS rows (a FOCUS export may hold several providers): an
    Azure OpenAI deployment one squad pays for, and untagged blob storage, every day."""
    owner = next((o for o in owners if o.tribe == "marketing"), owners[0])
    rows = []
    day = demo.start
    while day < demo.end:
        period = _month_start(day)
        common = {
            "billing_account_id": "azure-ea-0001",
            "sub_account_id": AZURE_SUBSCRIPTION,
            "billing_period_start": _at(period),
            "billing_period_end": _at(_next_month(period)),
            "charge_period_start": _at(day),
            "charge_period_end": _at(day + timedelta(days=1)),
            "charge_category": "Usage",
            "charge_class": None,
            "charge_frequency": "Usage-Based",
            "billing_currency": "USD",
            "commitment_discount_id": None,
            "commitment_discount_type": None,
            "commitment_discount_status": None,
            "provider_name": "Microsoft",
            "region_id": "westeurope",
            "sku_id": None,
            "x_service_code": None,
            "x_operation": None,
        }
        tokens = round(rng.uniform(2.0, 3.5), 3)  # millions of tokens
        openai = _money(tokens * 15)
        storage = _money(rng.uniform(3.0, 3.4))
        for service, category, resource, quantity, unit, cost, tags in (
            ("Azure OpenAI", "AI and Machine Learning", "oai-menu-suggestions", tokens, "1M Tokens", openai,
             {"tribe": owner.tribe, "squad": owner.squad}),
            ("Storage", "Storage", "stmarketingexports", 1024.0, "GB/Month", storage, {}),
        ):  # fmt: skip
            rows.append(
                common
                | {
                    "charge_description": f"{service} usage",
                    "billed_cost": cost,
                    "effective_cost": cost,
                    "list_cost": cost,
                    "contracted_cost": cost,
                    "consumed_quantity": quantity,
                    "consumed_unit": unit,
                    "service_name": service,
                    "service_category": category,
                    "resource_id": f"/subscriptions/{AZURE_SUBSCRIPTION}/resourceGroups/marketing/{resource}",
                    "resource_type": None,
                    "tags": tags,
                    "x_usage_type": None,
                }
            )
        day += timedelta(days=1)
    return rows


_CUR_OPTIONAL = (
    "savings_plan_savings_plan_a_r_n",
    "savings_plan_savings_plan_effective_cost",
    "savings_plan_total_commitment_to_date",
    "savings_plan_used_commitment",
    "savings_plan_amortized_upfront_commitment_for_billing_period",
    "savings_plan_recurring_commitment_for_billing_period",
    "reservation_reservation_a_r_n",
    "reservation_effective_cost",
    "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee",
    "split_line_item_parent_resource_id",
    "split_line_item_split_usage_ratio",
    "split_line_item_split_cost",
    "split_line_item_unused_cost",
    "split_line_item_public_on_demand_split_cost",
    "split_line_item_public_on_demand_unused_cost",
)


def _fill_cur_columns(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        for name in _CUR_OPTIONAL:
            row.setdefault(name, None)


_CATEGORY = {
    "Usage": "Usage",
    "SavingsPlanCoveredUsage": "Usage",
    "DiscountedUsage": "Usage",
    "SavingsPlanRecurringFee": "Purchase",
    "SavingsPlanUpfrontFee": "Purchase",
    "RIFee": "Purchase",
    "Tax": "Tax",
    "Credit": "Credit",
    "Refund": "Adjustment",
    "Fee": "Purchase",
}
_SERVICE = {
    "AmazonEC2": ("Amazon Elastic Compute Cloud", "Compute"),
    "AmazonEKS": ("Amazon Elastic Kubernetes Service", "Compute"),
    "ElasticMapReduce": ("Amazon EMR", "Analytics"),
    "AmazonS3": ("Amazon Simple Storage Service", "Storage"),
    "AmazonMSK": ("Amazon Managed Streaming for Apache Kafka", "Analytics"),
    "AWSDataTransfer": ("AWS Data Transfer", "Networking"),
    "ComputeSavingsPlans": ("Savings Plans for AWS Compute usage", "Compute"),
}


def focus_rows(cur: dict[str, Any]) -> list[dict[str, Any]]:
    """The FOCUS 1.2 rows AWS exports for one CUR line item (none for negations and pod split rows).

    A commitment fee becomes a Purchase row (effective cost 0) plus, when part of the commitment went
    unused, a Usage row with CommitmentDiscountStatus Unused that carries that effective cost.
    """
    item_type = cur["line_item_line_item_type"]
    if item_type == "SavingsPlanNegation" or cur["split_line_item_parent_resource_id"] is not None:
        return []
    tags = {k.removeprefix("user_"): v for k, v in cur["resource_tags"].items() if k.startswith("user_")}
    service = cur["product_servicecode"]
    name, category = _SERVICE.get(service, _SERVICE.get(cur["line_item_product_code"], (service, "Other")))
    commitment = cur.get("savings_plan_savings_plan_a_r_n") or cur.get("reservation_reservation_a_r_n")
    base = {
        "billing_account_id": PAYER,
        "sub_account_id": cur["line_item_usage_account_id"],
        "billing_period_start": cur["bill_billing_period_start_date"],
        "billing_period_end": cur["bill_billing_period_end_date"],
        "charge_period_start": cur["line_item_usage_start_date"],
        "charge_period_end": cur["line_item_usage_end_date"],
        "charge_category": _CATEGORY.get(item_type, "Usage"),
        "charge_class": None,
        "charge_description": cur["line_item_line_item_description"],
        "charge_frequency": (
            "One-Time"
            if item_type in ("Fee", "SavingsPlanUpfrontFee")
            else "Recurring"
            if item_type.endswith("Fee")
            else "Usage-Based"
        ),
        "billed_cost": cur["line_item_unblended_cost"],
        "effective_cost": cur["_effective"],
        "list_cost": cur["pricing_public_on_demand_cost"],
        "contracted_cost": cur["_effective"],
        "billing_currency": "USD",
        "commitment_discount_id": commitment,
        "commitment_discount_type": (
            "Savings Plan"
            if cur.get("savings_plan_savings_plan_a_r_n")
            else "Reserved"
            if commitment
            else None
        ),
        "commitment_discount_status": "Used" if commitment and item_type.endswith("Usage") else None,
        "consumed_quantity": cur["line_item_usage_amount"],
        "consumed_unit": "Hours" if "Hours" in (cur["line_item_usage_type"] or "") else None,
        "provider_name": "AWS",
        "service_name": name,
        "service_category": category,
        "region_id": cur["product_region_code"],
        "resource_id": cur["line_item_resource_id"],
        "resource_type": None,
        "sku_id": None,
        "tags": tags,
        "x_service_code": service,
        "x_usage_type": cur["line_item_usage_type"],
        "x_operation": cur["line_item_operation"],
    }
    if item_type in ("SavingsPlanRecurringFee", "RIFee"):
        purchase = base | {"effective_cost": Decimal(0), "contracted_cost": Decimal(0)}
        rows = [purchase]
        if cur["_effective"] != 0:
            rows.append(
                base
                | {
                    "charge_category": "Usage",
                    "charge_frequency": "Usage-Based",
                    "billed_cost": Decimal(0),
                    "list_cost": Decimal(0),
                    "commitment_discount_status": "Unused",
                    "charge_description": f"Unused commitment of {commitment}",
                }
            )
        return rows
    return [base]


# --- files ------------------------------------------------------------------------------------------

# FOCUS and OpenCost name their columns their own way; CUR 2.0 and telemetry already use ours.
_FOCUS_NAMES = {
    "x_service_code": "x_ServiceCode",
    "x_usage_type": "x_UsageType",
    "x_operation": "x_Operation",
}
_OPENCOST_NAMES = {
    "window_start": "windowStart",
    "window_end": "windowEnd",
    "provider_id": "providerID",
}


def _pascal(name: str) -> str:
    return _FOCUS_NAMES.get(name) or "".join(part.capitalize() for part in name.split("_"))


def _camel(name: str) -> str:
    if name in _OPENCOST_NAMES:
        return _OPENCOST_NAMES[name]
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _arrow_type(kind: str) -> pa.DataType:
    if kind.startswith("decimal"):
        return pa.float64()  # AWS exports amounts as doubles; the contract's decimal(24,10) is std's cast
    if kind.startswith("map"):
        return pa.map_(pa.string(), pa.string())
    return {
        "string": pa.string(),
        "double": pa.float64(),
        "bigint": pa.int64(),
        "int": pa.int32(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "boolean": pa.bool_(),
        "date": pa.date32(),
    }[kind]


def _parquet(product: DataProduct, rows: list[dict[str, Any]], rename, path: Path) -> Path:
    columns = [(c.name, c.type) for c in product.schema_]
    schema = pa.schema([(rename(name), _arrow_type(kind)) for name, kind in columns])
    data = {
        rename(name): [
            (float(r[name]) if isinstance(r.get(name), Decimal) else r.get(name))
            if not kind.startswith("map")
            else list((r.get(name) or {}).items())
            for r in rows
        ]
        for name, kind in columns
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(data, schema=schema), path)
    return path


def _json_lines(rows: list[dict[str, Any]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for r in rows:
            out.write(
                json.dumps(
                    {
                        k: v.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if isinstance(v, datetime) else v
                        for k, v in r.items()
                    }
                )
                + "\n"
            )
    return path


def _by_month(rows: list[dict[str, Any]], column: str) -> dict[str, list[dict[str, Any]]]:
    months: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        months[f"{r[column]:%Y-%m}"].append(r)
    return dict(sorted(months.items()))


def _focus_csv(product: DataProduct, rows: list[dict[str, Any]], path: Path) -> Path:
    """FOCUS as AWS exports it in CSV: gzip, PascalCase headers, tags as JSON text, NULL for no value."""
    names = [c.name for c in product.schema_]
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")  # doubles inner quotes
    writer.writerow([_pascal(n) for n in names])
    for r in rows:
        writer.writerow([_csv_value(r.get(n)) for n in names])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.getvalue().encode(), mtime=0))
    return path


def _csv_value(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


# When each billing period's deliveries were made: the day after the month closed, 06:00 UTC; the
# open month's early delivery on its 16th. Folder names and file times both follow it.
def _delivered_at(month: str, early: bool) -> datetime:
    first = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    if early:
        return first + timedelta(days=15, hours=6)
    return _at(_next_month(first.date()), 6)


def _deliver(path: Path, at: datetime) -> Path:
    """Give the delivered file its delivery time (the landing orders deliveries by it)."""
    os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def write_files(demo: CostDemo, products: dict[str, DataProduct]) -> dict[str, list[Path]]:
    """Write each cost product's files where its spec expects them (those of `products` only).

    The two bills as AWS Data Exports deliver them: `data/BILLING_PERIOD=YYYY-MM/<delivery>/` per
    billing period, CUR 2.0 as Parquet, FOCUS as gzip CSV; the last (open) month is delivered twice,
    first early (its first 15 days, with a charge the final delivery drops), then in full: the
    landing keeps both, std the latest. OpenCost and telemetry files are one per month. A second run
    with the same seed rewrites the same files (the same bill delivered again), so nothing counts twice.
    """
    written: dict[str, list[Path]] = defaultdict(list)
    exports = (
        ("aws_cur", demo.cur, "bill_billing_period_start_date", "line_item_usage_start_date"),
        ("focus_costs", demo.focus, "billing_period_start", "charge_period_start"),
    )
    for name, rows, period, start in exports:
        if name not in products:
            continue
        product = products[name]
        folder = Path(product.files_location()) / "data"
        months = _by_month(rows, period)
        for month, month_rows in months.items():
            deliveries = [(False, month_rows)]
            if month == max(months):
                early = [r for r in month_rows if r[start].day <= 15]
                deliveries.insert(0, (True, [*early, _estimate(early[0], name)]))
            for is_early, delivered in deliveries:
                at = _delivered_at(month, is_early)
                target = folder / f"BILLING_PERIOD={month}" / f"{at:%Y%m%dT%H%M%SZ}"
                if name == "aws_cur":
                    path = _parquet(product, delivered, lambda n: n, target / f"{name}-00001.snappy.parquet")
                else:
                    path = _focus_csv(product, delivered, target / f"{name}-00001.csv.gz")
                written[name].append(_deliver(path, at))
    others = (
        ("k8s_allocations", demo.allocations, "window_start", _camel),
        ("platform_telemetry", demo.telemetry, "started_at", None),
    )
    for name, rows, column, rename in others:
        if name not in products:
            continue
        product = products[name]
        folder = Path(product.files_location())
        for month, month_rows in _by_month(rows, column).items():
            if rename is None:
                path = _json_lines(month_rows, folder / f"{name}-{month}.json")
            else:
                path = _parquet(product, month_rows, rename, folder / f"{name}-{month}.parquet")
            written[name].append(path)
    return dict(written)


def _estimate(like: dict[str, Any], name: str) -> dict[str, Any]:
    """A charge an early delivery holds and the final one no longer does (AWS re-rates an open month)."""
    cost = Decimal("42.00")
    if name == "aws_cur":
        return like | {
            "identity_line_item_id": "estimated-0000000000000000000000000000000000000000",
            "line_item_line_item_type": "Usage",
            "line_item_unblended_cost": cost,
            "line_item_net_unblended_cost": cost,
            "line_item_line_item_description": "Estimated usage, re-rated in the final delivery",
        }
    return like | {
        "charge_category": "Usage",
        "billed_cost": cost,
        "effective_cost": cost,
        "charge_description": "Estimated usage, re-rated in the final delivery",
    }
