"""Paths of the demo schema files the format tests read."""

from __future__ import annotations

from pathlib import Path

import pytest
from repo_root import PROJECT_ROOT

SCHEMAS = PROJECT_ROOT / "product_specs"


@pytest.fixture(scope="session")
def order_schema_path() -> Path:
    return SCHEMAS / "consumer" / "schemas" / "order.json"


@pytest.fixture(scope="session")
def customer_avsc() -> Path:
    return SCHEMAS / "consumer" / "schemas" / "customer.avsc"


@pytest.fixture(scope="session")
def delivery_avsc() -> Path:
    return SCHEMAS / "operations" / "schemas" / "delivery.avsc"


@pytest.fixture(scope="session")
def subscription_proto() -> Path:
    return SCHEMAS / "consumer" / "schemas" / "subscription.proto"
