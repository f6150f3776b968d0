"""The isolated copy a `tardis test` run works in: a namespace prefix, the product's own catalog and a
throwaway dbt project generated from it.

Isolation is one settings switch, `namespace_prefix`: every table of the run (raw, quarantine, std,
rejects, the change stream, staging, vault, marts) lives in `<prefix><layer>`, while asset keys stay
`[layer, table]`, so the run goes through the code location's own definitions. The Kafka landing's
checkpoint and ledger live beside its (prefixed) raw table, so the shared landing's offsets never move;
Spark's Kafka source reads without committing to a consumer group.
"""

from __future__ import annotations

import dataclasses
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from tardis_dagster.core import naming
from tardis_dagster.core.settings import Settings
from tardis_dagster.core.specs import DataProduct, SpecCatalog
from tardis_dagster.tooling.codegen.generate import write

# The layers a run may write; each becomes the namespace `<prefix><layer>`.
LAYERS = (naming.RAW, naming.STD, naming.STG, naming.VAULT, naming.MART)
PREFIX_STEM = "tardis_test_"


@dataclass(frozen=True)
class Workspace:
    """One run's isolation: its prefix, settings, catalog (the product and what it reads) and folder."""

    product: DataProduct
    prefix: str
    settings: Settings
    catalog: SpecCatalog
    folder: Path  # dbt project, synthetic files, the run's Dagster instance

    def namespace(self, layer: str) -> str:
        """The run's namespace for `layer`."""
        return self.prefix + layer

    @property
    def namespaces(self) -> list[str]:
        """Every namespace the run may create."""
        return [self.namespace(layer) for layer in LAYERS]

    def table(self, layer: str, table: str) -> str:
        """`<prefix><layer>.<table>`."""
        return naming.qualified(layer, table, self.prefix)


def new_prefix() -> str:
    """A fresh namespace prefix, `tardis_test_<8 hex>_` (a valid identifier, unique per run)."""
    return f"{PREFIX_STEM}{uuid.uuid4().hex[:8]}_"


def with_upstream(catalog: SpecCatalog, product: DataProduct) -> list[DataProduct]:
    """`product` and every product its SQL reads, transitively (a SQL product needs their tables)."""
    chosen: dict[str, DataProduct] = {}
    pending = [product.name]
    while pending:
        name = pending.pop()
        if name in chosen:
            continue
        chosen[name] = catalog.by_name(name)
        pending.extend(chosen[name].upstream)
    return sorted(chosen.values(), key=lambda p: p.name)


def make_workspace(
    catalog: SpecCatalog, product: DataProduct, settings: Settings, folder: Path, products: list[DataProduct]
) -> Workspace:
    """The run's workspace: a catalog of `products` (copies, so their sources can be pointed at test
    data), a dbt project generated from it under `folder`, and settings with a fresh prefix."""
    folder.mkdir(parents=True, exist_ok=True)
    prefix = new_prefix()
    sub = SpecCatalog(products=products, model=catalog.model, problems=[])
    project = make_dbt_project(sub, settings.dbt_project_dir, folder / "dbt_project")
    isolated = dataclasses.replace(settings, namespace_prefix=prefix, dbt_project_override=project)
    return Workspace(sub.by_name(product.name), prefix, isolated, sub, folder)


def make_dbt_project(catalog: SpecCatalog, platform_project: Path, folder: Path) -> Path:
    """A dbt project in `folder`: the platform's project file, profile and macros, and the models
    `tardis generate` writes for `catalog` alone (a hub's model then reads only these products)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(platform_project / name, folder / name)
    shutil.copytree(
        platform_project / "macros",
        folder / "macros",
        ignore=shutil.ignore_patterns("generated"),
        dirs_exist_ok=True,
    )
    write(catalog, folder)
    return folder
