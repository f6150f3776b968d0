"""What the spec tree already holds, offered as choices: tribes, squads, contacts, hubs and products.

Read once per `tardis new` through the same loader as `tardis validate` (`load_catalog`), so a
product the validator would refuse is not offered either.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tardis_dagster.core.naming import published_table
from tardis_dagster.core.specs import DataProduct, load_catalog
from tardis_dagster.core.specs.catalog import MODEL_FILE_NAMES, SPEC_SUFFIXES

# Folders of a tribe that hold side files, not tribes.
_NOT_TRIBES = frozenset({"schemas"})


@dataclass(frozen=True)
class ExistingProduct:
    """A valid product a SQL product may read: its name, published table and contract."""

    name: str
    table: str
    product: DataProduct


@dataclass
class Existing:
    """The spec tree at `root` as `tardis new` sees it."""

    root: Path
    tribes: list[str]
    squads: dict[str, list[str]]  # tribe -> squads seen in its specs and in the model's hub owners
    contacts: dict[tuple[str, str], str]  # (tribe, squad) -> the contact its products use most
    hubs: dict[str, list[str]]  # hub -> business key columns
    products: dict[str, ExistingProduct]
    names: set[str] = field(default_factory=set)  # every `name:` in the tree, valid or not
    topics: dict[str, str] = field(default_factory=dict)  # Kafka topic -> product landing it

    def spec_path(self, tribe: str, name: str) -> Path:
        """Where the new product's spec goes: product_specs/<tribe>/<name>.yaml."""
        return self.root / tribe / f"{name}.yaml"

    def file_taken(self, tribe: str, name: str) -> Path | None:
        """An existing spec file with this name in the tribe's folder (any suffix), if any."""
        for suffix in SPEC_SUFFIXES:
            path = self.root / tribe / f"{name}{suffix}"
            if path.exists():
                return path
        return None


def read_existing(root: Path) -> Existing:
    """Load the spec tree at ``root`` (a product_specs/ folder holding `_model.yaml`)."""
    catalog = load_catalog([root])
    tribes = sorted(
        {
            entry.name
            for entry in os.scandir(root)
            if entry.is_dir() and not entry.name.startswith((".", "_")) and entry.name not in _NOT_TRIBES
        }
        | {product.owner.tribe for product in catalog.products}
    )
    squads: dict[str, set[str]] = {tribe: set() for tribe in tribes}
    contact_counts: dict[tuple[str, str], dict[str, int]] = {}
    for product in catalog.products:
        owner = product.owner
        squads.setdefault(owner.tribe, set()).add(owner.squad)
        counts = contact_counts.setdefault((owner.tribe, owner.squad), {})
        counts[owner.contact] = counts.get(owner.contact, 0) + 1
    hubs: dict[str, list[str]] = {}
    if catalog.model is not None:
        for hub in catalog.model.hubs:
            hubs[hub.name] = list(hub.business_key)
            squads.setdefault(hub.owner.tribe, set()).add(hub.owner.squad)
    contacts = {key: max(counts, key=lambda c: (counts[c], c)) for key, counts in contact_counts.items()}
    products = {
        product.name: ExistingProduct(
            product.name, published_table(product.name, product.source.kind), product
        )
        for product in catalog.products
    }
    topics = {
        product.source.kafka.topic: product.name
        for product in catalog.products
        if product.source.kafka is not None
    }
    return Existing(
        root=root,
        tribes=tribes,
        squads={tribe: sorted(names) for tribe, names in squads.items()},
        contacts=contacts,
        hubs=hubs,
        products=products,
        names=_all_names(root) | set(products),
        topics=topics,
    )


def _all_names(root: Path) -> set[str]:
    """Every product name written in the tree, also in specs that do not validate (a name clash
    with a broken spec is still a clash once it is fixed)."""
    import yaml

    names = set()
    for parent, folders, files in os.walk(root):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for file_name in files:
            if not file_name.endswith(SPEC_SUFFIXES) or file_name in MODEL_FILE_NAMES:
                continue
            try:
                data = yaml.safe_load(Path(parent, file_name).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue
            if isinstance(data, dict) and isinstance(data.get("name"), str):
                names.add(data["name"])
    return names
