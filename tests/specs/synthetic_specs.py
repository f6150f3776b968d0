"""Synthetic spec trees for scale tests and the load-time benchmark: many small, valid products."""

from __future__ import annotations

from pathlib import Path

MODEL = """\
hubs:
  - {name: customer, business_key: [customer_id], description: A customer., owner: {tribe: t0, squad: s0}}
  - {name: order, business_key: [order_id], description: An order., owner: {tribe: t0, squad: s0}}
links:
  - {name: customer_order, hubs: [customer, order]}
"""

ORDER_SCHEMA = '{"type": "object", "properties": {"order_id": {"type": "string"}}}\n'

KAFKA = """\
# yaml-language-server: $schema=../.schema/data-product.schema.json
apiVersion: tardis/v1
kind: DataProduct
name: {name}
version: 1.0.{n}
description: Synthetic orders number {n}.
owner: {{tribe: t{tribe}, squad: s{squad}, contact: "#team-{squad}"}}
stakeholders: [analytics@example.com]
source:
  kafka: {{topic: orders.v{n}, format: json, schema: ../schemas/order.json}}
schedule: "0 * * * *"
load: {{type: upsert, key: [order_id], version_by: updated_at, partition_by: [day(placed_at)]}}
schema:
  - {{name: order_id, type: string, required: true, description: Order id.}}
  - {{name: customer_id, type: string, required: true}}
  - {{name: status, type: string}}
  - {{name: total_amount, type: "decimal(10,2)"}}
  - {{name: email, type: string, pii: true}}
  - {{name: placed_at, type: timestamp, required: true}}
  - {{name: updated_at, type: timestamp, required: true}}
quality:
  - row_count: {{min: 1}}
  - not_null: [order_id, placed_at]
  - unique: [order_id]
  - accepted_values: {{column: status, values: [placed, paid, shipped]}}
  - range: {{column: total_amount, min: 0}}
  - freshness: {{column: placed_at, max_age: 2h}}
vault:
  hubs:
    - {{hub: order, key: [order_id]}}
    - {{hub: customer, key: [customer_id]}}
  links:
    - {{link: customer_order, hubs: [customer, order]}}
  satellites:
    - {{satellite: sat_{name}, parent: order, columns: [status, total_amount]}}
"""

FILES = """\
apiVersion: tardis/v1
kind: DataProduct
name: {name}
version: 1.0.0
description: Synthetic export number {n}.
owner: {{tribe: t{tribe}, squad: s{squad}, contact: team@example.com}}
source:
  files: {{uri: "s3://bucket/exports/{name}/", format: csv, options: {{header: true}}}}
schedule: "0 6 * * *"
load: {{type: full}}
schema:
  - {{name: id, type: bigint, required: true}}
  - {{name: label, type: string}}
  - {{name: amount, type: double}}
  - {{name: day, type: date}}
quality:
  - unique: [id]
"""

SQL = """\
apiVersion: tardis/v1
kind: DataProduct
name: {name}
version: 2.1.0
description: Synthetic rollup number {n}.
owner: {{tribe: t{tribe}, squad: s{squad}, contact: "#team-{squad}"}}
source:
  sql: |
    select o.customer_id, count(*) as orders
    from {{{{ product('{upstream}') }}}} as o
    group by o.customer_id
schedule: on_upstream
load: {{type: full, key: [customer_id]}}
schema:
  - {{name: customer_id, type: string, required: true}}
  - {{name: orders, type: bigint}}
quality:
  - not_null: [customer_id]
"""


def write_synthetic_specs(root: Path, count: int) -> Path:
    """Write ``count`` valid specs (60% kafka, 20% files, 20% sql) plus a model under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "_model.yaml").write_text(MODEL, encoding="utf-8")
    (root / "schemas").mkdir(exist_ok=True)
    (root / "schemas" / "order.json").write_text(ORDER_SCHEMA, encoding="utf-8")
    last_kafka = "kafka_0"
    for n in range(count):
        tribe, squad = n % 7, n % 31
        folder = root / f"tribe_{tribe}"
        folder.mkdir(exist_ok=True)
        if n % 5 in (0, 1, 2):
            name = f"kafka_{n}"
            text = KAFKA.format(name=name, n=n, tribe=tribe, squad=squad)
            last_kafka = name
        elif n % 5 == 3:
            name = f"files_{n}"
            text = FILES.format(name=name, n=n, tribe=tribe, squad=squad)
        else:
            name = f"sql_{n}"
            text = SQL.format(name=name, n=n, tribe=tribe, squad=squad, upstream=last_kafka)
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root
