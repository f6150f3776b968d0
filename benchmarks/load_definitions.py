"""How long the code location takes to load N product specs (parse, validate, build Definitions).

Prints seconds per N for 100, 1,000 and 5,000 synthetic specs (a mix of files, kafka and sql
products over a small global model). Goal: 5,000 products in under 5 s.

    python benchmarks/load_definitions.py [N ...]     # 100, 1,000 and 5,000 specs
    python benchmarks/load_definitions.py --smoke     # 30 specs: checks it runs (CI)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tardis_dagster.assembly import build_definitions
from tardis_dagster.components.product_specs import collector_paused
from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import load_catalog

SMOKE = 30  # ten of each kind of product
SMOKE_SIZES = [SMOKE]
MODEL = """\
hubs:
  - {name: customer, business_key: [customer_id], description: A customer., owner: {tribe: t0, squad: s0}}
  - {name: order, business_key: [order_id], description: An order., owner: {tribe: t0, squad: s0}}
links:
  - {name: customer_order, hubs: [customer, order]}
"""

COMMON = """\
apiVersion: tardis/v1
kind: DataProduct
name: {name}
version: 1.0.0
description: Synthetic product {i} for the load benchmark.
owner: {{tribe: t{tribe}, squad: s{squad}, contact: "#s{squad}-data"}}
stakeholders: ["#finance"]
schedule: "{minute} * * * *"
load: {{type: upsert, key: [order_id], version_by: updated_at, partition_by: ["day(updated_at)"]}}
schema:
  - {{name: order_id, type: string, required: true, description: Order id.}}
  - {{name: customer_id, type: string}}
  - {{name: email, type: string, pii: true}}
  - {{name: amount, type: "decimal(10,2)"}}
  - {{name: status, type: string}}
  - {{name: updated_at, type: timestamp, required: true}}
quality:
  - row_count: {{min: 1}}
  - not_null: [order_id]
  - accepted_values: {{column: status, values: [new, paid]}}
"""

VAULT = """\
vault:
  hubs: [{{hub: order, key: [order_id]}}, {{hub: customer, key: [customer_id]}}]
  links: [{{link: customer_order, hubs: [customer, order]}}]
  satellites: [{{satellite: order_state_{i}, parent: order, columns: [status, amount]}}]
"""

SOURCES = {
    "files": "source:\n  files: {uri: ./drops/{name}/, format: parquet}\n",
    "kafka": "source:\n  kafka: {topic: synthetic.{name}, format: json, schema: order.json}\n",
    "sql": "source:\n  sql: \"select * from {{ product('p_{upstream}') }}\"\n",
}


def write_specs(folder: Path, n: int) -> None:
    """N specs: a third each of files, kafka and sql products (sql reading an earlier product)."""
    (folder / "_model.yaml").write_text(MODEL)
    (folder / "order.json").write_text('{"type": "object", "properties": {"order_id": {"type": "string"}}}')
    for i in range(n):
        kind = ("files", "kafka", "sql")[i % 3]
        name = f"p_{i}"
        text = COMMON.format(name=name, i=i, tribe=i % 7, squad=i % 41, minute=i % 60)
        text += SOURCES[kind].replace("{name}", name).replace("{upstream}", str(i - 1))
        if kind == "sql":
            # A SQL product is a dbt model: no version_by and no vault mapping (validate refuses both).
            text = text.replace(", version_by: updated_at", "")
        else:
            text += VAULT.format(i=i)
        (folder / f"{name}.yaml").write_text(text)


def measure(n: int) -> tuple[float, float, int]:
    """(seconds to load + validate the specs, seconds to build the Definitions, assets built)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_specs(folder, n)
        settings = get_settings()
        # As the component builds the code location (`build_code_location`), with the phases timed.
        with collector_paused():
            started = time.perf_counter()
            catalog = load_catalog([folder])
            loaded = time.perf_counter()
            if catalog.problems:
                raise SystemExit(
                    "synthetic specs do not validate:\n" + "\n".join(map(str, catalog.problems[:5]))
                )
            defs = build_definitions(catalog, settings)
            assets = len(defs.resolve_all_asset_keys())  # forces the whole definitions graph to resolve
            built = time.perf_counter()
    return loaded - started, built - loaded, assets


def main(sizes: list[int]) -> None:
    """Print one row per N."""
    header = ("specs", "assets", "load+validate s", "definitions s", "total s", "ms/spec")
    widths = (7, 7, 16, 14, 8, 8)
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, widths, strict=True)))
    for n in sizes:
        load_s, build_s, assets = measure(n)
        total = load_s + build_s
        print(f"{n:>7} {assets:>7} {load_s:>16.2f} {build_s:>14.2f} {total:>8.2f} {1000 * total / n:>8.2f}")


def arguments() -> argparse.Namespace:
    """The sizes: N specs per measurement, or `--smoke` (tiny, for CI)."""
    parser = argparse.ArgumentParser(description="Code location load time for N product specs.")
    parser.add_argument("sizes", nargs="*", type=int, help="numbers of specs (default 100 1000 5000)")
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE} specs: only checks it runs")
    args = parser.parse_args()
    args.sizes = SMOKE_SIZES if args.smoke else args.sizes or [100, 1000, 5000]
    if min(args.sizes) < 1:
        parser.error("each N must be at least 1")
    return args


if __name__ == "__main__":
    main(arguments().sizes)
