"""`tardis validate` refuses what it would accept and the platform would then not build: each such
combination gives exactly one `path:line:col: field: message (fix)` line, at the field to change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from spec_helpers import ORDER_FACTS, ORDERS, invoke, problem_lines

SQL_LOAD = "load: {type: full}\n"

# name -> (spec file, text replaced, replacement, field reported, line, col, words of the message)
CASES = {
    "sql_scd2": (
        "order_facts.yaml",
        SQL_LOAD,
        "load:\n  type: scd2\n  key: [customer_id]\n",
        "load.type",
        (14, 9),
        "load type scd2 is not built for SQL products",
    ),
    "sql_version_by": (
        "order_facts.yaml",
        SQL_LOAD,
        "load:\n  type: upsert\n  key: [customer_id]\n  version_by: orders\n",
        "load.version_by",
        (16, 15),
        "version_by is not applied to SQL products",
    ),
    "sql_reject_threshold": (
        "order_facts.yaml",
        SQL_LOAD,
        "load:\n  type: full\n  reject_threshold: 0.1\n",
        "load.reject_threshold",
        (15, 21),
        "reject_threshold is only used by kafka and files products",
    ),
    "sql_vault": (
        "order_facts.yaml",
        SQL_LOAD,
        SQL_LOAD + "vault:\n  hubs: [{hub: customer, key: [customer_id]}]\n",
        "vault",
        (14, 1),
        "SQL products are not staged into the global model",
    ),
    "append_version_by_without_vault": (
        "orders.yaml",
        "  type: upsert\n",
        "  type: append\n",
        "load.version_by",
        (20, 15),
        "version_by is not used by load type append without a vault mapping",
    ),
}


def _orders(case: str) -> str:
    if case != "append_version_by_without_vault":
        return ORDERS
    return ORDERS[: ORDERS.index("vault:")]


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_unbuilt_combination_gives_one_precise_line(
    case: str, spec_tree: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    file, old, new, field, (line, col), words = CASES[case]
    specs = {"orders.yaml": _orders(case), "order_facts.yaml": ORDER_FACTS}
    assert specs[file].count(old) == 1
    specs[file] = specs[file].replace(old, new)
    root = spec_tree(specs)
    monkeypatch.chdir(root.parent)
    result = invoke("validate", "product_specs")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    (problem,) = problem_lines(result)
    assert problem.startswith(f"product_specs/{file}:{line}:{col}: {field}: {words}"), problem
    assert problem.endswith(")")  # the fix, in parentheses


def test_the_supported_combinations_still_validate(
    spec_tree: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    upsert_sql = ORDER_FACTS.replace(SQL_LOAD, "load: {type: upsert, key: [customer_id]}\n")
    root = spec_tree({"orders.yaml": ORDERS, "order_facts.yaml": upsert_sql})
    monkeypatch.chdir(root.parent)
    result = invoke("validate", "product_specs")
    assert result.exit_code == 0, result.output
