"""Shared by the spec tests: base specs to break one thing at a time, and the CLI on a small Typer app.

A module of its own (not conftest) so tests can import it by a name no other conftest shadows.
"""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner, Result

from tardis_dagster.tooling.cli import specs as specs_cli

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "specs"

MODEL = """\
hubs:
  - name: customer
    business_key: [customer_id]
    description: A customer.
    owner: {tribe: consumer, squad: accounts}
  - {name: order, business_key: [order_id], description: An order., owner: {tribe: consumer, squad: checkout}}
links:
  - {name: customer_order, hubs: [customer, order]}
"""

# A valid kafka product touching most of the spec; tests break one thing at a time in it.
ORDERS = """\
apiVersion: tardis/v1
kind: DataProduct
name: orders
version: 1.0.0
description: Orders placed by customers.
owner:
  tribe: consumer
  squad: checkout
  contact: "#checkout-data"
stakeholders: ["#finance", finance@example.com]
source:
  kafka:
    topic: checkout.order.v1
    format: json
    schema: schemas/order.json
schedule: "0 * * * *"
load:
  type: upsert
  key: [order_id]
  version_by: updated_at
  partition_by: [day(placed_at)]
schema:
  - {name: order_id, type: string, required: true}
  - {name: customer_id, type: string, required: true}
  - {name: status, type: string}
  - {name: total_amount, type: "decimal(10,2)"}
  - {name: email, type: string, pii: true}
  - {name: placed_at, type: timestamp, required: true}
  - {name: updated_at, type: timestamp}
quality:
  - row_count: {min: 1}
  - freshness: {column: placed_at, max_age: 2h}
  - not_null: [order_id]
  - unique: [order_id]
  - accepted_values: {column: status, values: [placed, paid]}
  - range: {column: total_amount, min: 0}
  - sql: "select count(*) from {{ this }} where total_amount > 10000"
    severity: warn
vault:
  hubs:
    - {hub: order, key: [order_id]}
    - {hub: customer, key: [customer_id]}
  links:
    - {link: customer_order, hubs: [customer, order]}
  satellites:
    - {satellite: order_state, parent: order, columns: [status, total_amount]}
"""

INLINE_SQL = """\
  sql: |
    select customer_id, count(*) as orders
    from {{ product('orders') }}
    group by customer_id
"""

ORDER_FACTS = f"""\
apiVersion: tardis/v1
kind: DataProduct
name: order_facts
version: 1.0.0
description: Orders per customer.
owner: {{tribe: consumer, squad: checkout, contact: team@example.com}}
source:
{INLINE_SQL}schedule: on_upstream
load: {{type: full}}
schema:
  - {{name: customer_id, type: string}}
  - {{name: orders, type: bigint}}
"""


def with_sql_file(path: str) -> str:
    """ORDER_FACTS reading its SQL from ``path`` instead of inline."""
    return ORDER_FACTS.replace(INLINE_SQL, f"  sql_file: {path}\n")


def invoke(*args: str) -> Result:
    """Run `validate` or `schema` the way the `tardis` app wires them."""
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("validate")(specs_cli.validate)
    app.command("schema")(specs_cli.schema)
    return CliRunner().invoke(app, list(args))


def problem_lines(result: Result) -> list[str]:
    """The problem lines a validate run printed (stdout only; the summary goes to stderr)."""
    return [line for line in result.stdout.splitlines() if line.strip()]
