"""Who consumes a data product downstream: SQL products, vault models and dbt models, with owners.

Walks three graphs, each as far as it goes:
- the spec catalog: SQL products reading the product through `{{ product('x') }}`, transitively;
- the global model: the hubs, links and satellites the product (or a SQL product downstream of it)
  maps onto, owned by the hub's owner in `_model.yaml` (satellites by the mapping product's owner);
- when a dbt manifest exists (`dbt_project/target/manifest.json`), its `child_map` from every node or
  source that is one of those tables: dbt models, snapshots and exposures, owned as dbt says
  (`meta.owner`, the group, or the exposure's owner).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tardis_dagster.core import naming
from tardis_dagster.core.quality import published_table
from tardis_dagster.core.specs.catalog import SpecCatalog
from tardis_dagster.core.specs.model import DataProduct, GlobalModel, ModelOwner, Owner

ConsumerKind = Literal["sql_product", "vault_model", "dbt_model", "dbt_exposure"]
_DBT_CONSUMER_TYPES = {"model", "snapshot", "seed", "exposure", "metric", "semantic_model", "saved_query"}


@dataclass(frozen=True)
class Consumer:
    """One downstream consumer: its kind, table or dbt name, owner, and the path from the product."""

    kind: ConsumerKind
    name: str
    owner: str
    via: str

    def as_dict(self) -> dict[str, str]:
        """Plain dict for JSON output."""
        return {"kind": self.kind, "name": self.name, "owner": self.owner, "via": self.via}


def owner_text(owner: Owner | ModelOwner | None) -> str:
    """`tribe/squad (contact)`, or `unknown` when there is no owner."""
    if owner is None:
        return "unknown"
    contact = f" ({owner.contact})" if owner.contact else ""
    return f"{owner.tribe}/{owner.squad}{contact}"


def downstream_products(catalog: SpecCatalog, name: str) -> list[tuple[DataProduct, str]]:
    """SQL products that read `name`, directly or through others, with the path (`a -> b -> c`), BFS order."""
    readers: dict[str, list[DataProduct]] = {}
    for product in catalog.products:
        for upstream in product.upstream:
            readers.setdefault(upstream, []).append(product)
    found: list[tuple[DataProduct, str]] = []
    seen = {name}
    queue = deque([(name, name)])
    while queue:
        current, path = queue.popleft()
        for reader in sorted(readers.get(current, []), key=lambda p: p.name):
            if reader.name in seen:
                continue
            seen.add(reader.name)
            via = f"{path} -> {reader.name}"
            found.append((reader, via))
            queue.append((reader.name, via))
    return found


def vault_models(product: DataProduct, model: GlobalModel | None, via: str) -> list[Consumer]:
    """The vault tables `product` feeds, owned as the global model says."""
    found: list[Consumer] = []
    for hub in product.vault.hubs:
        owner = model.hub(hub.hub).owner if model and model.hub(hub.hub) else None
        found.append(Consumer("vault_model", f"vault.hub_{hub.hub}", owner_text(owner), via))
    for link in product.vault.links:
        owners = sorted({owner_text(model.hub(h).owner) for h in link.hubs if model and model.hub(h)})
        found.append(Consumer("vault_model", f"vault.link_{link.link}", ", ".join(owners) or "unknown", via))
    for satellite in product.vault.satellites:
        found.append(
            Consumer("vault_model", f"vault.sat_{satellite.satellite}", owner_text(product.owner), via)
        )
    return found


def find_consumers(
    catalog: SpecCatalog, name: str, manifest_path: Path | None = None, *, product: DataProduct | None = None
) -> list[Consumer]:
    """Every downstream consumer of product `name`: SQL products, vault models, dbt models.

    `product` is the spec to start from when it is not (or no longer) in `catalog` (a removed one).
    """
    start = product
    if start is None:
        start = next((p for p in catalog.products if p.name == name), None)
    consumers: list[Consumer] = []
    affected: list[tuple[DataProduct, str]] = [(start, name)] if start is not None else []
    for reader, via in downstream_products(catalog, name):
        consumers.append(Consumer("sql_product", published_table(reader), owner_text(reader.owner), via))
        affected.append((reader, via))
    for affected_product, via in affected:
        consumers += vault_models(affected_product, catalog.model, via)
    consumers = _unique(consumers)
    if manifest_path is not None and manifest_path.is_file():
        tables = {published_table(start)} if start is not None else {naming.std_table(name)}
        tables |= {consumer.name for consumer in consumers}
        if start is not None and start.source.kind != "sql":
            tables.add(f"stg.{name}")
        known = {consumer.name for consumer in consumers}
        consumers += [c for c in dbt_consumers(load_manifest(manifest_path), tables) if c.name not in known]
    return _unique(consumers)


def _unique(consumers: Iterable[Consumer]) -> list[Consumer]:
    seen: set[tuple[str, str]] = set()
    found: list[Consumer] = []
    for consumer in consumers:
        if (consumer.kind, consumer.name) not in seen:
            seen.add((consumer.kind, consumer.name))
            found.append(consumer)
    return found


def load_manifest(path: Path) -> dict[str, Any]:
    """The dbt manifest as a dict; an unreadable manifest counts as none (ValueError names it)."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: cannot read the dbt manifest: {error}") from error
    if not isinstance(manifest, dict):
        raise ValueError(f"{path}: a dbt manifest is a JSON object")
    return manifest


def dbt_relation(node: dict[str, Any]) -> str:
    """`schema.identifier` of a dbt node or source (the table it is), lower-cased."""
    identifier = node.get("identifier") or node.get("alias") or node.get("name") or ""
    return f"{node.get('schema') or ''}.{identifier}".lower()


def dbt_consumers(manifest: dict[str, Any], tables: set[str]) -> list[Consumer]:
    """dbt models, snapshots and exposures downstream (`child_map`) of any node that is one of `tables`."""
    nodes: dict[str, dict[str, Any]] = {
        **manifest.get("sources", {}),
        **manifest.get("nodes", {}),
        **manifest.get("exposures", {}),
    }
    child_map: dict[str, list[str]] = manifest.get("child_map", {})
    wanted = {table.lower() for table in tables}
    starts = [
        uid
        for uid, node in nodes.items()
        if node.get("resource_type") in ("source", "model", "seed", "snapshot")
        and dbt_relation(node) in wanted
    ]
    found: list[Consumer] = []
    seen = set(starts)
    queue = deque((uid, dbt_relation(nodes[uid])) for uid in starts)
    while queue:
        uid, path = queue.popleft()
        for child in child_map.get(uid, []):
            node = nodes.get(child, {})
            resource = node.get("resource_type") or child.split(".", 1)[0]
            if child in seen or resource not in _DBT_CONSUMER_TYPES:
                continue
            seen.add(child)
            name = child if resource == "exposure" else dbt_relation(node) or child
            via = f"{path} -> {name}"
            kind: ConsumerKind = "dbt_exposure" if resource == "exposure" else "dbt_model"
            found.append(Consumer(kind, name, _dbt_owner(node), via))
            queue.append((child, via))
    return found


def _dbt_owner(node: dict[str, Any]) -> str:
    owner = node.get("owner")
    if isinstance(owner, dict) and (owner.get("name") or owner.get("email")):
        return " ".join(str(owner[k]) for k in ("name", "email") if owner.get(k))
    for meta in (node.get("meta") or {}, (node.get("config") or {}).get("meta") or {}):
        if meta.get("owner"):
            return str(meta["owner"])
    group = node.get("group") or (node.get("config") or {}).get("group")
    return f"group {group}" if group else "unknown"
