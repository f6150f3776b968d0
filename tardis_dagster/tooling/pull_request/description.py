"""The pull request description of a product: what it creates, the check and test reports, its owners."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tardis_dagster.core import naming
from tardis_dagster.core.specs import DataProduct
from tardis_dagster.tooling.scaffold.schedule_preview import schedule_in_words

# `{{ config(materialized='view', schema='stg', alias='x') }}` in a generated model.
_CONFIG_SCHEMA = re.compile(r"schema\s*=\s*'(?P<schema>[a-z_]+)'")
_CONFIG_ALIAS = re.compile(r"alias\s*=\s*'(?P<alias>[a-z0-9_]+)'")


@dataclass(frozen=True)
class ProductFiles:
    """The files a product's pull request commits."""

    spec: Path
    side_files: list[Path]  # the schema file or sql_file
    generated: list[Path]  # dbt models and macros `tardis generate` wrote or changed

    @property
    def all(self) -> list[Path]:
        """Every file, spec first."""
        return [self.spec, *self.side_files, *self.generated]


def product_tables(product: DataProduct, generated: list[Path]) -> list[str]:
    """The tables the product creates: its landing and std tables (or its mart), then the dbt models
    its generated files build (`schema.alias` from their config)."""
    name = product.name
    if product.source.kind == "sql":
        tables = [naming.published_table(name, "sql")]
    else:
        tables = [naming.raw_table(name), naming.quarantine_table(name), naming.std_table(name)]
        tables.append(naming.rejects_table(name))
        changes = naming.changes_table(name, product.load.type)
        tables += [changes] if changes else []
    for path in generated:
        if path.suffix != ".sql" or "models" not in path.parts:
            continue
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        schema, alias = _CONFIG_SCHEMA.search(text), _CONFIG_ALIAS.search(text)
        if schema is not None:
            table = naming.qualified(schema["schema"], alias["alias"] if alias else path.stem)
            if table not in tables:
                tables.append(table)
    return tables


def product_checks(product: DataProduct) -> list[str]:
    """The asset checks of the product: landing and std audits, and each quality rule."""
    checks = []
    if product.source.kind == "kafka":
        checks.append(f"raw/{product.name} {naming.QUARANTINE_CHECK} (non-blocking)")
    if product.source.kind != "sql":
        checks.append(f"std/{product.name} {naming.AUDITS_CHECK} (blocking: write-audit-publish)")
    layer = naming.published_layer(product.source.kind)
    checks += [f"{layer}/{product.name} {rule.check_name} ({rule.severity})" for rule in product.quality]
    return checks


def owners_to_review(product: DataProduct) -> list[str]:
    """Who reviews: the owning squad (tribe) and its contact; stakeholders are told."""
    owner = product.owner
    return [f"squad `{owner.squad}` of tribe `{owner.tribe}`", f"contact {owner.contact}"]


def describe(
    product: DataProduct,
    files: ProductFiles,
    root: Path,
    check_report: str,
    test_report: str | None,
    branch: str,
    base: str,
) -> str:
    """The Markdown description of the product's pull request."""
    schedule = product.schedule
    words = schedule_in_words(schedule)
    tables = product_tables(product, files.generated)
    lines = [
        f"## New data product `{product.name}` ({product.version})",
        "",
        product.description,
        "",
        f"Branch `{branch}` into `{base}`, made by `tardis pr`.",
        "",
        "### What it creates",
        "",
        "| what | |",
        "|---|---|",
        "| tables | " + ", ".join(f"`{t}`" for t in tables) + " |",
        # Side tables (quarantine, rejects, the change stream) are written by their product's asset.
        "| assets | "
        + ", ".join(f"`{t.replace('.', '/')}`" for t in tables if naming.product_of(t) == t)
        + " |",
        "| checks | " + "<br>".join(product_checks(product)) + " |",
        f"| schedule | `{schedule}`" + (f": {words}" if words else "") + " |",
        f"| load | {product.load.type}"
        + (f", key {', '.join(product.load.key)}" if product.load.key else "")
        + " |",
        "",
        "### Files",
        "",
        *[f"- `{path.relative_to(root)}`" for path in files.all],
        "",
        "### Owners to review",
        "",
        *[f"- {who}" for who in owners_to_review(product)],
        *([f"- stakeholders (told): {', '.join(product.stakeholders)}"] if product.stakeholders else []),
        "",
        f"### `tardis check --base {base}`",
        "",
        "```text",
        check_report.rstrip(),
        "```",
        "",
        "### `tardis test` (local platform, isolated namespaces)",
        "",
        test_report.rstrip()
        if test_report
        else f"Not run: run `tardis test {product.name}` before the review.",
        "",
    ]
    return "\n".join(lines)
