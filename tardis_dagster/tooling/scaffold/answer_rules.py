"""Rules an answer must meet against what exists, asked of each answer as soon as it is given.

The interactive prompts re-ask with the finding's message and fix; an answers file gets one line per
finding. Rules in two steps: those that need only the answers and the spec tree (before anything is
sampled), and those that need the inferred columns (key, version column, partitions, hubs, PII).
Everything the spec validator checks again on the generated spec is checked here first only where
asking early saves a wasted sample or an unhelpful message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from tardis_dagster.core.specs.partitioning import parse_partition
from tardis_dagster.core.specs.problems import suggestion
from tardis_dagster.core.specs.templating import query_issues
from tardis_dagster.core.sql.template import scan
from tardis_dagster.tooling.scaffold.answers import FILES_FORMATS, KAFKA_FORMATS, SOURCE_FIELDS, Answers
from tardis_dagster.tooling.scaffold.existing import Existing
from tardis_dagster.tooling.scaffold.inferred_schema import InferredSchema

Loc = tuple[str | int, ...]
_ORDERABLE = ("timestamp", "date", "int", "bigint", "double", "float", "decimal", "string")
_COMPLEX = ("array", "map", "struct")


@dataclass(frozen=True)
class Finding:
    """A bad answer at ``loc``; ``offset`` is a character inside a text answer (SQL)."""

    loc: Loc
    message: str
    fix: str
    offset: int | None = None


def tribe_finding(tribe: str, existing: Existing) -> Finding | None:
    """The tribe must be a folder of the spec tree (a new tribe is a folder made on purpose)."""
    if tribe in existing.tribes:
        return None
    return Finding(
        ("tribe",),
        f"unknown tribe '{tribe}'",
        suggestion(tribe, existing.tribes, what="tribes")
        + f" A new tribe starts as a folder {os.path.relpath(existing.root / tribe)}/",
    )


def name_finding(name: str, tribe: str | None, existing: Existing) -> Finding | None:
    """The product name must be new across the whole tree (it becomes the table name)."""
    if name in existing.names:
        where = existing.products.get(name)
        shown = f" ({os.path.relpath(where.product.spec_path)})" if where is not None else ""
        return Finding(
            ("name",),
            f"a data product named '{name}' already exists{shown}",
            "pick another name; names are unique across all tribes",
        )
    if tribe is not None:
        taken = existing.file_taken(tribe, name)
        schemas = existing.root / tribe / "schemas"
        if taken is not None or any(schemas.glob(f"{name}.*")):
            return Finding(
                ("name",),
                f"a file for '{name}' already exists in {os.path.relpath(existing.root / tribe)}/",
                "pick another name",
            )
    return None


def topic_finding(topic: str, existing: Existing) -> Finding | None:
    """A topic landed by another product is read through that product, not landed twice."""
    owner = existing.topics.get(topic)
    if owner is None:
        return None
    return Finding(
        ("topic",),
        f"topic '{topic}' is already landed by the product '{owner}'",
        f"build on it instead: a sql product reading {{{{ product('{owner}') }}}}",
    )


def sql_findings(sql: str, existing: Existing) -> list[Finding]:
    """The read-only guard of spec SQL, and every `{{ product('x') }}` naming an existing product."""
    found = [
        Finding(("sql",), issue.message, issue.fix, issue.offset)
        for issue in query_issues(sql, product_sql=True)
    ]
    for ref in scan(sql, product_sql=True).refs:
        if ref.name not in existing.products:
            found.append(
                Finding(
                    ("sql",),
                    f"no data product named '{ref.name}'",
                    suggestion(ref.name, existing.products, what="products"),
                    ref.offset,
                )
            )
    return found


def schedule_finding(schedule: str, source: str) -> Finding | None:
    """`streaming` lands a topic continuously; `on_upstream` needs products upstream (SQL)."""
    if schedule == "streaming" and source != "kafka":
        return Finding(("schedule",), "streaming is only for kafka sources", 'use a cron such as "0 * * * *"')
    if schedule == "on_upstream" and source != "sql":
        return Finding(
            ("schedule",),
            f"on_upstream runs a product when its inputs change; a {source} product has none",
            'use a cron such as "0 * * * *"' + (" or streaming" if source == "kafka" else ""),
        )
    return None


def before_inference(answers: Answers, existing: Existing) -> list[Finding]:
    """Every rule that needs only the answers and the spec tree."""
    found: list[Finding] = []
    for finding in (
        tribe_finding(answers.tribe, existing),
        name_finding(answers.name, answers.tribe if answers.tribe in existing.tribes else None, existing),
        schedule_finding(answers.schedule, answers.source),
    ):
        if finding is not None:
            found.append(finding)
    for kind, names in SOURCE_FIELDS.items():
        if kind == answers.source:
            continue
        for name in names:
            if getattr(answers, name) is not None:
                found.append(
                    Finding(
                        (name,),
                        f"{name} is only used with source: {kind}",
                        f"remove {name}: or set source: {kind}",
                    )
                )
    allowed = {"kafka": KAFKA_FORMATS, "files": FILES_FORMATS, "sql": ()}[answers.source]
    if answers.format is not None and answers.format not in allowed:
        fix = f"use one of: {', '.join(allowed)}" if allowed else "remove format: (SQL products have none)"
        found.append(Finding(("format",), f"format {answers.format} is not a {answers.source} format", fix))
    if answers.source == "kafka":
        if answers.topic is None:
            found.append(
                Finding(("topic",), "a kafka product needs its topic", "add topic: <the topic name>")
            )
        else:
            finding = topic_finding(answers.topic, existing)
            if finding is not None:
                found.append(finding)
        if answers.sample_file is not None and answers.schema_file is not None:
            found.append(
                Finding(
                    ("sample_file",), "give a sample_file or a schema_file, not both", "remove one of them"
                )
            )
    elif answers.source == "files" and answers.uri is None:
        found.append(
            Finding(
                ("uri",),
                "a files product needs the folder its files arrive in",
                "add uri: s3://bucket/prefix/ or a local folder",
            )
        )
    elif answers.source == "sql":
        if answers.sql is None:
            found.append(
                Finding(
                    ("sql",),
                    "a sql product needs its query",
                    "add sql: select ... from {{ product('name') }}",
                )
            )
        else:
            found += sql_findings(answers.sql, existing)
    if answers.load_type in ("upsert", "scd2") and not answers.key:
        found.append(
            Finding(
                ("load_type",),  # the answer that asks for a key: the key itself is not there to point at
                f"load type {answers.load_type} needs a key",
                "add key: [<column>] naming the column(s) that identify a record",
            )
        )
    found += _load_findings(answers)
    if answers.hubs and answers.source == "sql":
        found.append(
            Finding(
                ("hubs",),
                "a sql product does not feed hubs: only kafka and files products are staged into the vault",
                "remove hubs:; map the products this SQL reads onto the hubs instead",
            )
        )
    for index, hub in enumerate(answers.hubs if answers.source != "sql" else []):
        if hub not in existing.hubs:
            found.append(
                Finding(
                    ("hubs", index),
                    f"hub '{hub}' is not in the global model",
                    suggestion(hub, existing.hubs, what="hubs") + "; new hubs are added to _model.yaml",
                )
            )
    return found


def _load_findings(answers: Answers) -> list[Finding]:
    """What a load type allows: SQL products are dbt models (no scd2, no version_by); elsewhere
    version_by decides which version of a key wins, or orders a satellite's history."""
    found = []
    if answers.source == "sql" and answers.load_type == "scd2":
        found.append(
            Finding(
                ("load_type",),
                "load type scd2 is not built for SQL products (only append, full and upsert are)",
                "use upsert with key: for the latest row per key, or append and keep the history in your SQL",
            )
        )
    if answers.version_by is None:
        return found
    if answers.source == "sql":
        found.append(
            Finding(
                ("version_by",),
                "version_by is not applied to SQL products: an upsert keeps each key's row from the "
                "latest run",
                "remove version_by and pick the winning row in the SQL (row_number() over (...) = 1)",
            )
        )
    elif answers.load_type in ("append", "full") and not answers.hubs:
        found.append(
            Finding(
                ("version_by",),
                f"version_by is only used with upsert or scd2 (or to order a hub's history), "
                f"not with {answers.load_type}",
                "remove version_by:",
            )
        )
    return found


def key_findings(key: list[str], schema: InferredSchema) -> list[Finding]:
    """Key columns exist and are simple values."""
    found = []
    for index, name in enumerate(key):
        column = schema.column(name)
        if column is None:
            found.append(_not_a_column(("key", index), name, schema))
        elif column.type.startswith(_COMPLEX):
            found.append(
                Finding(
                    ("key", index),
                    f"key column '{name}' is {column.type}",
                    "keys must be simple types (string, int, ...)",
                )
            )
    return found


def version_finding(version_by: str | None, schema: InferredSchema) -> Finding | None:
    """The version column exists and can order versions."""
    if version_by is None:
        return None
    column = schema.column(version_by)
    if column is None:
        return _not_a_column(("version_by",), version_by, schema)
    if not column.type.startswith(_ORDERABLE):
        return Finding(
            ("version_by",),
            f"version column '{version_by}' is {column.type} and cannot order versions",
            "use a timestamp, date or number column",
        )
    return None


def partition_findings(partition_by: list[str], schema: InferredSchema) -> list[Finding]:
    """Partition entries name existing columns of a fitting type (the validator says the details)."""
    found = []
    for index, entry in enumerate(partition_by):
        partition = parse_partition(entry)
        column = schema.column(partition.column)
        if column is None:
            found.append(_not_a_column(("partition_by", index), partition.column, schema))
        elif partition.transform in ("year", "month", "day", "hour") and not column.type.startswith(
            ("date", "timestamp")
        ):
            found.append(
                Finding(
                    ("partition_by", index),
                    f"{partition.transform}() needs a date or timestamp, '{column.name}' is {column.type}",
                    f"partition by {column.name} itself or pick a date/timestamp column",
                )
            )
    return found


def hub_findings(hubs: list[str], schema: InferredSchema, existing: Existing) -> list[Finding]:
    """A hub is fed through its business key columns, which the product must have."""
    found = []
    for index, hub in enumerate(hubs):
        missing = [name for name in existing.hubs.get(hub, []) if schema.column(name) is None]
        if missing:
            found.append(
                Finding(
                    ("hubs", index),
                    f"hub '{hub}' is keyed by {', '.join(existing.hubs[hub])}, "
                    f"and the product has no column {missing[0]}",
                    "map the hub in the spec's vault: block by hand, or leave it out",
                )
            )
    return found


def pii_findings(pii: list[str], schema: InferredSchema) -> list[Finding]:
    """PII columns exist."""
    return [
        _not_a_column(("pii", index), name, schema)
        for index, name in enumerate(pii)
        if schema.column(name) is None
    ]


def after_inference(answers: Answers, schema: InferredSchema, existing: Existing) -> list[Finding]:
    """Every rule that needs the inferred columns."""
    found = key_findings(answers.key, schema)
    version = version_finding(answers.version_by, schema)
    if version is not None:
        found.append(version)
    found += partition_findings(answers.partition_by, schema)
    found += hub_findings(answers.hubs, schema, existing)
    found += pii_findings(answers.pii, schema)
    return found


def _not_a_column(loc: Loc, name: str, schema: InferredSchema) -> Finding:
    return Finding(
        loc, f"column '{name}' is not in the inferred schema", suggestion(name, schema.names, what="columns")
    )
