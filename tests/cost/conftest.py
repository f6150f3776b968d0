"""Fixtures for the cost tests: std-shaped source tables on the real Spark server, dbt run once each."""

from __future__ import annotations

from datetime import date

import pytest
from cost_build import model_bill
from repo_root import PROJECT_ROOT

from tardis_dagster.core.specs import DataProduct
from tardis_dagster.core.specs.catalog import load_catalog
from tardis_dagster.tooling.demo import costs as cost_demo

DEMO_SRC, DEMO_OUT = "cost_test_demo_src", "cost_test_demo"


@pytest.fixture(scope="session")
def catalog():
    return load_catalog([PROJECT_ROOT / "product_specs"])


@pytest.fixture(scope="session")
def cost_products(catalog) -> dict[str, DataProduct]:
    return {name: catalog.by_name(name) for name in cost_demo.PRODUCTS}


@pytest.fixture(scope="session")
def demo_bill(catalog) -> cost_demo.CostDemo:
    """Two months of the demo bill (September and October 2026)."""
    return cost_demo.generate(catalog.products, month=date(2026, 10, 1), months=2, seed=11)


@pytest.fixture(scope="session")
def demo_cost_tables(spark, demo_bill, cost_products, tmp_path_factory) -> str:
    """The demo bill in std-shaped tables, modelled by dbt from both inputs; returns the output schema."""
    return model_bill(
        spark,
        cost_products,
        tmp_path_factory.mktemp("dbt_demo"),
        DEMO_SRC,
        DEMO_OUT,
        ["cur", "focus"],
        aws_cur=demo_bill.cur,
        focus_costs=demo_bill.focus,
        k8s_allocations=demo_bill.allocations,
        platform_telemetry=demo_bill.telemetry,
    )
