"""Map the product specs onto the global data model: staging views, hubs, links, satellites,
effectivity satellites and PIT tables, as plain descriptions the generator renders.

The catalog is validated by `tardis_dagster.core.specs` first (hubs and links exist in `_model.yaml`,
mapped columns exist, satellites are unique); this module only arranges what is valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tardis_dagster.core import naming
from tardis_dagster.core.naming import CHANGES_SUFFIX, has_change_stream
from tardis_dagster.core.specs import DataProduct, GlobalModel, Hub, Link, SpecCatalog
from tardis_dagster.tooling.codegen.hashing import hash_key_column, hashdiff_column, hashdiff_order

STAGING_LAYER = naming.STG
VAULT_LAYER = naming.VAULT


@dataclass(frozen=True)
class Owner:
    """Who owns a vault object: tribe and squad (Dagster group, owners and tags)."""

    tribe: str
    squad: str


@dataclass(frozen=True)
class StagedHash:
    """A hash column of a staging view: a hub key (one list of columns) or a link key (one per hub)."""

    column: str
    parts: tuple[tuple[str, ...], ...]

    @property
    def is_link(self) -> bool:
        """True for a link hash key (several hubs' business keys)."""
        return len(self.parts) > 1


@dataclass(frozen=True)
class StagedHashdiff:
    """A satellite's hashdiff column: (column, type) pairs in the fixed hashdiff order."""

    column: str
    columns: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Staging:
    """`stg.<product>`: the product's standardized rows plus hash keys, hashdiffs and load metadata."""

    product: DataProduct
    hash_keys: tuple[StagedHash, ...]
    hashdiffs: tuple[StagedHashdiff, ...]

    @property
    def model_name(self) -> str:
        """The dbt model name (`stg_<product>`; the table is `stg.<product>`)."""
        return f"stg_{self.product.name}"

    @property
    def source_table(self) -> str:
        """The std table staging reads: every version of each record, never only the latest.

        An upsert product's change stream `<product>__changes` (its std table holds the latest version
        of each key); any other product's std table (scd2 keeps every version, append every record).
        """
        name = self.product.name
        return name + CHANGES_SUFFIX if has_change_stream(self.product.load.type) else name

    @property
    def record_order(self) -> str | None:
        """The column ordering several versions of one key within one load (the spec's version_by)."""
        return self.product.load.version_by


@dataclass(frozen=True)
class HubSource:
    """One staging view feeding a hub: its hash key column and business key columns in hub order."""

    product: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class HubModel:
    """`vault.hub_<name>`: one row per business key, fed by every product mapping the hub."""

    hub: Hub
    sources: tuple[HubSource, ...]

    @property
    def model_name(self) -> str:
        """The dbt model and table name."""
        return naming.vault_table("hub", self.hub.name)

    @property
    def hash_key(self) -> str:
        """The hub's hash key column."""
        return hash_key_column(self.hub.name)

    @property
    def owner(self) -> Owner:
        """The hub's owner from the global model."""
        return Owner(self.hub.owner.tribe, self.hub.owner.squad)


@dataclass(frozen=True)
class LinkModel:
    """`vault.link_<name>` and `vault.esat_<name>`: a relationship between hubs, fed by products."""

    link: Link
    hubs: tuple[HubModel, ...]
    sources: tuple[str, ...]
    driving_hub: str | None

    @property
    def model_name(self) -> str:
        """The link's dbt model and table name."""
        return naming.vault_table("link", self.link.name)

    @property
    def esat_name(self) -> str:
        """The effectivity satellite's dbt model and table name."""
        return naming.vault_table("esat", self.link.name)

    @property
    def hash_key(self) -> str:
        """The link's hash key column."""
        return hash_key_column(self.link.name)

    @property
    def hub_keys(self) -> tuple[str, ...]:
        """The hash key columns of its hubs, in the global model's hub order."""
        return tuple(hub.hash_key for hub in self.hubs)

    @property
    def owner(self) -> Owner:
        """A link belongs to the owner of its first hub."""
        return self.hubs[0].owner


@dataclass(frozen=True)
class SatelliteModel:
    """`vault.sat_<name>`: descriptive columns of one hub from one product, over time."""

    name: str
    parent: HubModel
    product: DataProduct
    columns: tuple[str, ...]

    @property
    def model_name(self) -> str:
        """The dbt model and table name."""
        return naming.vault_table("satellite", self.name)

    @property
    def hashdiff(self) -> str:
        """The staging column holding this satellite's hashdiff."""
        return hashdiff_column(self.name)

    @property
    def owner(self) -> Owner:
        """The satellite belongs to the product's squad."""
        return Owner(self.product.owner.tribe, self.product.owner.squad)

    @property
    def version(self) -> str | None:
        """The column ordering the satellite's history (the product's `version_by`); None: load time."""
        return self.product.load.version_by

    @property
    def business_key(self) -> tuple[str, ...]:
        """The product's columns holding the parent hub's business key (its hub mapping)."""
        return next(tuple(m.key) for m in self.product.vault.hubs if m.hub == self.parent.hub.name)

    @property
    def mirrors_std(self) -> bool:
        """Whether std holds one current row per parent key, so the satellite's latest row must equal it:
        an upsert or scd2 product whose load key is the parent hub's business key."""
        load = self.product.load
        return load.type in ("upsert", "scd2") and sorted(self.business_key) == sorted(load.key)


@dataclass(frozen=True)
class PitModel:
    """`vault.pit_<hub>`: the satellite rows in effect at each change of a hub with satellites."""

    hub: HubModel
    satellites: tuple[SatelliteModel, ...]

    @property
    def model_name(self) -> str:
        """The dbt model and table name."""
        return naming.vault_table("pit", self.hub.hub.name)


@dataclass
class VaultModel:
    """Everything the generator writes for the vault, each list sorted by name."""

    staging: list[Staging] = field(default_factory=list)
    hubs: list[HubModel] = field(default_factory=list)
    links: list[LinkModel] = field(default_factory=list)
    satellites: list[SatelliteModel] = field(default_factory=list)
    pits: list[PitModel] = field(default_factory=list)


def stages(product: DataProduct) -> bool:
    """Products that get a staging view: landed ones (their std table) with a vault mapping."""
    vault = product.vault
    return product.source.kind in ("kafka", "files") and bool(vault.hubs or vault.links or vault.satellites)


def build_vault(catalog: SpecCatalog) -> VaultModel:
    """The vault objects of a valid catalog (SQL products' vault mappings are not staged yet)."""
    model = catalog.model or GlobalModel()
    products = sorted((p for p in catalog.products if stages(p)), key=lambda p: p.name)
    hub_sources: dict[str, list[HubSource]] = {}
    link_sources: dict[str, list[DataProduct]] = {}
    for product in products:
        for mapping in product.vault.hubs:
            hub_sources.setdefault(mapping.hub, []).append(HubSource(product.name, tuple(mapping.key)))
        for link_mapping in product.vault.links:
            link_sources.setdefault(link_mapping.link, []).append(product)
    hubs = {
        hub.name: HubModel(hub, tuple(hub_sources[hub.name])) for hub in model.hubs if hub.name in hub_sources
    }
    links = [
        LinkModel(
            link,
            tuple(hubs[name] for name in link.hubs),
            tuple(p.name for p in link_sources[link.name]),
            _driving_hub(link, link_sources[link.name]),
        )
        for link in model.links
        if link.name in link_sources and all(name in hubs for name in link.hubs)
    ]
    satellites = [
        SatelliteModel(mapping.satellite, hubs[mapping.parent], product, tuple(mapping.columns))
        for product in products
        for mapping in product.vault.satellites
        if mapping.parent in hubs
    ]
    vault = VaultModel(
        staging=[_staging(product, model) for product in products],
        hubs=sorted(hubs.values(), key=lambda h: h.hub.name),
        links=sorted(links, key=lambda link: link.link.name),
        satellites=sorted(satellites, key=lambda s: s.name),
    )
    vault.pits = [
        PitModel(hub, tuple(s for s in vault.satellites if s.parent is hub))
        for hub in vault.hubs
        if any(s.parent is hub for s in vault.satellites)
    ]
    return vault


def _staging(product: DataProduct, model: GlobalModel) -> Staging:
    keys = {mapping.hub: tuple(mapping.key) for mapping in product.vault.hubs}
    hash_keys = [StagedHash(hash_key_column(hub), (columns,)) for hub, columns in keys.items()]
    for mapping in product.vault.links:
        link = model.link(mapping.link)
        order = link.hubs if link is not None else mapping.hubs
        hash_keys.append(StagedHash(hash_key_column(mapping.link), tuple(keys[hub] for hub in order)))
    hashdiffs = []
    for satellite in product.vault.satellites:
        types = {c.name: str(c.data_type) for c in product.schema_}
        ordered = tuple((name, types[name]) for name in hashdiff_order(satellite.columns))
        hashdiffs.append(StagedHashdiff(hashdiff_column(satellite.satellite), ordered))
    return Staging(product, tuple(hash_keys), tuple(hashdiffs))


def _driving_hub(link: Link, products: list[DataProduct]) -> str | None:
    """The hub whose key every feeding product is keyed by (upsert/scd2), else None.

    An upsert product keyed by order_id holds one customer per order, so in customer_order the
    order drives: a new customer for the same order ends the previous link.
    """
    candidates = set()
    for product in products:
        if product.load.type not in ("upsert", "scd2"):
            return None
        keyed = [m.hub for m in product.vault.hubs if m.hub in link.hubs and list(m.key) == product.load.key]
        if len(keyed) != 1:
            return None
        candidates.add(keyed[0])
    return candidates.pop() if len(candidates) == 1 else None
