"""Print a `tardis check` result: rich tables for people, JSON for machines, `file:line:` lines for CI."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from tardis_dagster.tooling.contracts.preflight import CheckResult, ProductResult

_STYLE = {"breaking": "bold red", "additive": "green", "cosmetic": "dim"}


def annotation_lines(result: CheckResult) -> list[str]:
    """One `file:line: severity: message` line per finding (invalid specs: the validator's lines)."""
    if result.problems:
        return [str(problem) for problem in result.problems]
    return [finding.annotation() for finding in result.findings]


def print_text(result: CheckResult, console: Console) -> None:
    """Tables per product (changes, version, schema, consumers), then the annotation lines and a summary."""
    if result.problems:
        for line in annotation_lines(result):
            console.print(line, markup=False, highlight=False)
        return
    if not result.products:
        console.print(f"no contract changes against {result.base} ({result.unchanged} products unchanged)")
        return
    for product in result.products:
        _print_product(product, console)
    console.print()
    for line in annotation_lines(result):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(_summary(result))


def _print_product(product: ProductResult, console: Console) -> None:
    versions = f"{product.old_version or '-'} -> {product.new_version or '-'}"
    verdict = "[bold red]BLOCKED[/]" if product.blocking else "[green]ok[/]"
    console.print()
    console.rule(f"[bold]{product.name}[/] ({product.status}, {versions}) {verdict}", align="left")
    console.print(f"spec: {product.path}", markup=False, highlight=False)
    if product.changes:
        table = _table("change", "class", "bump", "line", "what")
        for change in product.changes:
            style = _STYLE[change.classification]
            table.add_row(
                change.kind,
                f"[{style}]{change.classification}[/]",
                change.bump,
                str(change.line),
                change.message,
            )
        console.print(table)
    if product.bump is not None:
        mark = "[green]ok[/]" if product.bump.ok else _blocking_mark(product.bump.blocking)
        console.print(f"version: needs {product.bump.required}, got {product.bump.given}: {mark}")
        if not product.bump.ok:
            console.print(f"  {product.bump.message}", markup=False, highlight=False)
    if product.schema is not None:
        schema = product.schema
        verdict = "[green]compatible[/]" if schema.compatible else "[bold red]incompatible[/]"
        against = ", ".join(schema.against)
        console.print(
            f"kafka schema ({schema.format}, {schema.mode}, via {schema.source} against {against}): {verdict}"
        )
        for problem in schema.problems:
            console.print(f"  - {problem}", markup=False, highlight=False)
    if product.consumers:
        title = f"{len(product.consumers)} downstream consumers"
        table = _table("consumer", "kind", "owner", "via", title=title)
        for consumer in product.consumers:
            table.add_row(consumer.name, consumer.kind, consumer.owner, consumer.via)
        console.print(table)
    elif product.status != "added":
        console.print("downstream consumers: none known")


def _table(*columns: str, title: str | None = None) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")  # names and owners are read whole, never cut
    return table


def _blocking_mark(blocking: bool) -> str:
    return "[bold red]blocks[/]" if blocking else "[yellow]warning[/]"


def _summary(result: CheckResult) -> str:
    blocked = [product.name for product in result.products if product.blocking]
    head = f"{len(result.products)} product(s) with contract changes against {result.base}"
    if blocked:
        return f"[bold red]{head}; blocked: {', '.join(blocked)}[/]"
    return f"[green]{head}; nothing blocks[/]"


def as_json(result: CheckResult) -> dict[str, Any]:
    """The result as plain JSON data (the `--format json` output)."""
    return {
        "base": result.base,
        "ok": not result.blocking,
        "unchanged": result.unchanged,
        "problems": [
            {
                "path": str(p.path),
                "line": p.line,
                "col": p.col,
                "field": p.field,
                "message": p.message,
                "fix": p.fix,
            }
            for p in result.problems
        ],
        "products": [_product_json(product) for product in result.products],
    }


def _product_json(product: ProductResult) -> dict[str, Any]:
    bump = product.bump
    schema = product.schema
    return {
        "name": product.name,
        "path": product.path,
        "status": product.status,
        "old_version": product.old_version,
        "new_version": product.new_version,
        "blocking": product.blocking,
        "required_bump": product.required,
        "version_check": None
        if bump is None
        else {"required": bump.required, "given": bump.given, "ok": bump.ok, "message": bump.message},
        "changes": [
            {
                "kind": change.kind,
                "path": change.path,
                "classification": change.classification,
                "breaking": change.breaking,
                "bump": change.bump,
                "line": change.line,
                "message": change.message,
            }
            for change in product.changes
        ],
        "schema_compatibility": None
        if schema is None
        else {
            "format": schema.format,
            "mode": schema.mode,
            "source": schema.source,
            "against": schema.against,
            "compatible": schema.compatible,
            "problems": schema.problems,
        },
        "consumers": [consumer.as_dict() for consumer in product.consumers],
        "findings": [
            {"path": f.path, "line": f.line, "severity": f.severity, "message": f.message}
            for f in product.findings
        ],
    }


def json_text(result: CheckResult) -> str:
    """`as_json` as indented text."""
    return json.dumps(as_json(result), indent=2)
