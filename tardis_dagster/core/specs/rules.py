"""The spec rules that look across fields and across files (SPEC.md, "Rules the validator enforces").

Each check takes parsed specs and records problems on them; nothing here raises on bad input.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from tardis_dagster.core.specs.file_reading import UnreadableFileError, read_capped
from tardis_dagster.core.specs.model import DataProduct, GlobalModel, QualityRule
from tardis_dagster.core.specs.partitioning import parse_partition
from tardis_dagster.core.specs.paths import path_problem
from tardis_dagster.core.specs.problems import did_you_mean, suggestion
from tardis_dagster.core.specs.reader_options import option_problem
from tardis_dagster.core.specs.schema_files import ProtoSchema, avro_issue, json_depth_issue, proto_schema
from tardis_dagster.core.specs.specfile import SpecFile
from tardis_dagster.core.specs.templating import query_issues, scan_sql

Loc = tuple[str | int, ...]

SCHEMA_EXTENSIONS = {"json": (".json",), "avro": (".avsc",), "protobuf": (".proto",)}
SCHEMA_KINDS = {"json": "a JSON Schema", "avro": "an Avro schema", "protobuf": "a Protobuf"}
_URI_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
SUPPORTED_SCHEMES = ("s3", "s3a", "s3n", "gs", "abfs", "abfss", "hdfs", "file")
_TRUNCATABLE = frozenset({"string", "int", "bigint", "decimal"})
MAX_SIDE_FILE_BYTES = 1_000_000


class TextFiles:
    """Reads side files (schemas, .sql) once per catalog load: many specs share a schema file.

    Regular files only, size-capped before reading (file_reading.py): a FIFO or a symlink to
    /dev/zero is refused, not read.
    """

    def __init__(self) -> None:
        self._texts: dict[str, str | None] = {}
        self._why: dict[str, str] = {}

    def read(self, path: Path) -> str | None:
        """The file's text, or None when it cannot be read (``why`` says what is wrong)."""
        key = str(path)  # str keys: hashing Path objects shows up when thousands of specs share a file
        if key not in self._texts:
            try:
                self._texts[key] = read_capped(path, MAX_SIDE_FILE_BYTES).decode("utf-8-sig")
            except UnreadableFileError as error:
                self._texts[key] = None
                self._why[key] = error.message
            except UnicodeDecodeError:
                self._texts[key] = None
                self._why[key] = "is not UTF-8 text"
        return self._texts[key]

    def why(self, path: Path) -> str:
        """Why ``read(path)`` gave None, as a verb phrase ("does not exist", "is a FIFO ...")."""
        return self._why.get(str(path), "cannot be read")


# ---------------------------------------------------------------------------------------------
# One product on its own


def check_product(spec: SpecFile, files: TextFiles) -> None:
    """Rules inside one product: columns, load, source, schedule, quality and vault shape."""
    product = spec.product
    if product is None:
        return
    columns = _check_columns(spec, product)
    _check_load(spec, product, columns)
    _check_built(spec, product)
    _check_source(spec, product, files)
    _check_schedule(spec, product)
    _check_quality(spec, product, columns)
    _check_vault_shape(spec, product, columns)


def _check_columns(spec: SpecFile, product: DataProduct) -> dict[str, str]:
    """Report repeated column names; return column name -> canonical type."""
    columns: dict[str, str] = {}
    for index, column in enumerate(product.schema_):
        if column.name in columns:
            spec.report(
                ("schema", index, "name"),
                f"column '{column.name}' appears twice",
                "rename or remove one of them",
            )
            continue
        columns[column.name] = column.type
    return columns


def _require_column(spec: SpecFile, loc: Loc, name: str, columns: dict[str, str]) -> bool:
    if name in columns:
        return True
    close = did_you_mean(name, columns)
    if close is not None:
        fix = f"did you mean '{close}'?"
    elif len(columns) <= 8:
        fix = f"add it under schema:, or use one of: {', '.join(columns)}"
    else:
        fix = "add it under schema:, or name a schema column"
    spec.report(loc, f"column '{name}' is not in schema", fix)
    return False


def _base_type(type_text: str) -> str:
    return type_text.split("(", 1)[0].split("<", 1)[0]


def _check_load(spec: SpecFile, product: DataProduct, columns: dict[str, str]) -> None:
    load = product.load
    if load.type in ("upsert", "scd2") and not load.key:
        spec.report(
            ("load", "key"),
            f"load type {load.type} needs a key",
            "add key: [<column>] naming the column(s) that identify a record",
        )
    if load.type == "replace" and not load.key:
        spec.report(
            ("load", "key"),
            "load type replace needs a key: the column(s) whose rows a new delivery replaces",
            "add key: [<column>], e.g. the billing period (key: [bill_billing_period_start_date])",
        )
    for index, name in enumerate(load.key):
        loc = ("load", "key", index)
        if _require_column(spec, loc, name, columns) and _base_type(columns[name]) in (
            "array",
            "map",
            "struct",
        ):
            spec.report(
                loc, f"key column '{name}' is {columns[name]}", "keys must be simple types (string, int, ...)"
            )
    if load.version_by is not None:
        loc = ("load", "version_by")
        name = load.version_by
        if _require_column(spec, loc, name, columns) and _base_type(columns[name]) in (
            "array",
            "map",
            "struct",
            "boolean",
        ):
            spec.report(
                loc,
                f"version_by column '{name}' is {columns[name]} and cannot order versions",
                "use a timestamp, date or number column",
            )
    for index, entry in enumerate(load.partition_by):
        loc = ("load", "partition_by", index)
        partition = parse_partition(entry)
        if not _require_column(spec, loc, partition.column, columns):
            continue
        base = _base_type(columns[partition.column])
        column_type = columns[partition.column]
        if partition.transform in ("year", "month", "day") and base not in ("date", "timestamp"):
            spec.report(
                loc,
                f"{partition.transform}() needs a date or timestamp, '{partition.column}' is {column_type}",
                f"partition by {partition.column} itself or pick a date/timestamp column",
            )
        elif partition.transform == "hour" and base != "timestamp":
            spec.report(
                loc,
                f"hour() needs a timestamp column, '{partition.column}' is {column_type}",
                "use day() for dates, or a timestamp column",
            )
        elif partition.transform == "truncate" and base not in _TRUNCATABLE:
            spec.report(
                loc,
                f"truncate() needs a string, int, bigint or decimal, '{partition.column}' is {column_type}",
                "use bucket() or another column",
            )
        elif base in ("array", "map", "struct", "float", "double") or (
            partition.transform == "bucket" and base == "boolean"
        ):
            spec.report(
                loc,
                f"cannot partition by '{partition.column}' ({column_type})",
                "partition by a string, number, date or timestamp column",
            )


def _check_built(spec: SpecFile, product: DataProduct) -> None:
    """Refuse the combinations the platform would accept and then not build (no field silently dropped)."""
    load, kind = product.load, product.source.kind
    if load.type == "replace" and kind != "files":
        spec.report(
            ("load", "type"),
            f"load type replace is built for files products only: a {kind} source has no deliveries "
            "that replace each other",
            "use upsert with key: (the latest version per key wins)",
        )
    if kind == "sql":
        # SQL products are dbt models (tooling/codegen/sql_products.py): no scd2 materialization, no
        # std step (so no rejects), a merge that keeps the latest run's row, no vault staging.
        if load.type == "scd2":
            spec.report(
                ("load", "type"),
                "load type scd2 is not built for SQL products (only append, full and upsert are)",
                "use upsert with key: for the latest row per key, or append and keep the history in your SQL",
            )
        if load.version_by is not None:
            spec.report(
                ("load", "version_by"),
                "version_by is not applied to SQL products: an upsert keeps each key's row from the "
                "latest run, whatever its version",
                "remove version_by and pick the winning row in the SQL "
                "(row_number() over (partition by <key> order by <column> desc) = 1)",
            )
        if "reject_threshold" in load.model_fields_set:
            spec.report(
                ("load", "reject_threshold"),
                "reject_threshold is only used by kafka and files products: a SQL product's rows are "
                "not standardized, so none are rejected",
                "remove reject_threshold (the model contract and quality rules check a SQL product)",
            )
        vault = product.vault
        if vault.hubs or vault.links or vault.satellites:
            spec.report(
                ("vault",),
                "SQL products are not staged into the global model: only kafka and files products "
                "feed hubs, links and satellites",
                "remove vault: and map the products this SQL reads instead",
                at_key=True,
            )
        return
    vault = product.vault
    if (
        load.version_by is not None
        and load.type in ("append", "full", "replace")
        and not (vault.hubs or vault.links or vault.satellites)
    ):
        spec.report(
            ("load", "version_by"),
            f"version_by is not used by load type {load.type} without a vault mapping: it decides "
            "which version of a key wins (upsert, scd2) or orders a satellite's history",
            "remove version_by, or use type: upsert/scd2 with a key",
        )


def _check_source(spec: SpecFile, product: DataProduct, files: TextFiles) -> None:
    source = product.source
    if source.kafka is not None:
        _check_kafka(spec, product, files)
    elif source.files is not None:
        _check_files(spec, product)
    elif source.sql is not None:
        _check_product_sql_text(spec, ("source", "sql"), source.sql)
    elif source.sql_file is not None:
        if not _confined(spec, ("source", "sql_file"), source.sql_file, _spec_tree(spec), "the spec folder"):
            return
        path = product.resolve_path(source.sql_file)
        text = files.read(path)
        if text is None:
            spec.report(
                ("source", "sql_file"),
                f"SQL file '{source.sql_file}' {_not_read(files, path)} at {_display(spec, source.sql_file)}",
                "the path is relative to this spec file",
            )
            return
        product._sql_text = text
        shown = _display_path(spec, source.sql_file)
        for issue in query_issues(text, product_sql=True):
            line, col = offset_position(text, issue.offset)
            spec.report_at(shown, line, col, ("source", "sql_file"), issue.message, issue.fix)


def _check_product_sql_text(spec: SpecFile, loc: Loc, sql: str, *, product_sql: bool = True) -> None:
    for issue in query_issues(sql, product_sql=product_sql):
        spec.report_in_text(loc, issue.offset, issue.message, issue.fix)


def _check_kafka(spec: SpecFile, product: DataProduct, files: TextFiles) -> None:
    kafka = product.source.kafka
    assert kafka is not None
    base: Loc = ("source", "kafka")
    if kafka.format != "protobuf" and kafka.message is not None:
        spec.report((*base, "message"), "message is only used with format: protobuf", "remove message:")
    if kafka.format != "json" and "format_assertion" in kafka.model_fields_set:
        spec.report(
            (*base, "format_assertion"),
            "format_assertion is only used with format: json (JSON Schema formats)",
            "remove format_assertion:",
        )
    if kafka.format == "protobuf" and kafka.message is None:
        spec.report(
            (*base, "message"),
            "format protobuf needs the message type",
            "add message: <MessageName> naming the message in the .proto file",
        )
    if kafka.schema_ is None:
        if kafka.registry_subject is None:
            extension = SCHEMA_EXTENSIONS[kafka.format][0]
            spec.report(
                (*base, "schema"),
                "a kafka source needs a schema file or a registry_subject",
                f"add schema: schemas/<name>{extension} (relative to this spec)",
            )
        return
    loc = (*base, "schema")
    extensions = SCHEMA_EXTENSIONS[kafka.format]
    if not kafka.schema_.lower().endswith(extensions):
        spec.report(
            loc,
            f"format {kafka.format} needs {SCHEMA_KINDS[kafka.format]} file ({'/'.join(extensions)})",
            "point schema: at the right file or change format:",
        )
        return
    if not _confined(spec, loc, kafka.schema_, _spec_tree(spec), "the spec folder"):
        return
    path = product.resolve_path(kafka.schema_)
    text = files.read(path)
    if text is None:
        spec.report(
            loc,
            f"schema file '{kafka.schema_}' {_not_read(files, path)} at {_display(spec, kafka.schema_)}",
            "the path is relative to this spec file",
        )
        return
    if kafka.format == "protobuf":
        _check_proto(spec, kafka.schema_, path, text, kafka.message)
        return
    deep = json_depth_issue(path, text)  # before any JSON parser: they recurse
    if deep is not None:
        shown = _display_path(spec, kafka.schema_)
        spec.report_at(shown, deep.line, deep.col, loc, f"schema file {deep.message}", deep.fix)
        return
    if kafka.format == "avro":
        issue = avro_issue(path, text)
        if issue is not None:
            spec.report_at(
                _display_path(spec, kafka.schema_),
                issue.line,
                issue.col,
                loc,
                f"schema file {issue.message}",
                issue.fix,
            )
        return
    try:
        json.loads(text)  # syntax first, at its line; product_schema_problems checks the meaning
    except json.JSONDecodeError as error:
        shown = _display_path(spec, kafka.schema_)
        spec.report_at(
            shown,
            error.lineno,
            error.colno,
            loc,
            f"schema file is not valid JSON: {error.msg}",
            "fix the JSON",
        )
        return
    if kafka.format == "json":  # Avro and Protobuf returned above, checked by their real parsers
        # Here, not at the top: the jsonschema package loads only for specs with a JSON Schema.
        from tardis_dagster.core.formats.jsonschema import product_schema_problems

        shown = _display_path(spec, kafka.schema_)
        for problem in product_schema_problems(text):
            spec.report_at(
                shown, problem.line, problem.col, loc, f"schema file: {problem.message}", problem.fix
            )


def _check_proto(spec: SpecFile, written: str, path: Path, text: str, message: str | None) -> None:
    """Compile the .proto with protoc (errors at protoc's file:line:col) and find the message in it."""
    base: Loc = ("source", "kafka")
    compiled = proto_schema(path, text, _spec_tree(spec))
    if not isinstance(compiled, ProtoSchema):
        shown = (
            _display_path(spec, written) if compiled.path == path else Path(os.path.relpath(compiled.path))
        )
        text = (
            compiled.message if compiled.message.startswith("import") else f"schema file {compiled.message}"
        )
        spec.report_at(shown, compiled.line, compiled.col, (*base, "schema"), text, compiled.fix)
        return
    if message is None:
        return
    names = compiled.messages
    bare = [name.rsplit(".", 1)[-1] for name in names]
    if message in names or (bare.count(message) == 1 and "." not in message):
        return
    if "." not in message and bare.count(message) > 1:
        matches = [name for name in names if name.rsplit(".", 1)[-1] == message]
        spec.report(
            (*base, "message"),
            f"message '{message}' is ambiguous in {written}",
            f"write the full name: {' or '.join(matches)}",
        )
        return
    wanted = message.rsplit(".", 1)[-1]
    if wanted in bare:
        full = [name for name in names if name.rsplit(".", 1)[-1] == wanted]
        spec.report(
            (*base, "message"),
            f"message '{message}' is not defined in {written}; its package differs",
            f"write message: {' or '.join(full)}",
        )
        return
    fix = suggestion(wanted, bare, what="messages") if names else "the file defines no message"
    spec.report((*base, "message"), f"message '{wanted}' is not defined in {written}", fix)


def _check_files(spec: SpecFile, product: DataProduct) -> None:
    """A files source: a supported scheme or a local folder inside the project; allowed reader options."""
    files = product.source.files
    assert files is not None
    base: Loc = ("source", "files")
    match = _URI_SCHEME.match(files.uri)
    if match is not None and match.group(1).lower() not in SUPPORTED_SCHEMES:
        spec.report(
            (*base, "uri"),
            f"unsupported URI scheme '{match.group(1)}'",
            "use s3://, gs://, abfss://, hdfs:// or a local folder relative to this spec",
        )
    elif not files.is_remote:
        tree = _spec_tree(spec)
        project = tree.parent
        _confined(
            spec,
            (*base, "uri"),
            files.uri.removeprefix("file://"),
            project,
            f"the project folder {_shown_folder(project)} (the folder holding the spec tree)",
        )
    for name in files.options:
        problem = option_problem(files.format, name)
        if problem is not None:
            spec.report((*base, "options", name), *problem, at_key=True)


def _spec_tree(spec: SpecFile) -> Path:
    return spec.root if spec.root is not None else Path(os.path.abspath(spec.path.parent))  # noqa: PTH100


def _shown_folder(folder: Path) -> str:
    relative = os.path.relpath(folder)
    return relative if not relative.startswith("..") else str(folder)


def _confined(spec: SpecFile, loc: Loc, written: str, root: Path, what: str) -> bool:
    """Report and return False when the path ``written`` in the spec leaves ``root`` (paths.py)."""
    if what == "the spec folder":
        what = f"the spec folder {_shown_folder(root)}"
    problem = path_problem(written, spec.path, root, what)
    if problem is not None:
        spec.report(loc, *problem)
        return False
    return True


def _not_read(files: TextFiles, path: Path) -> str:
    why = files.why(path)
    # Keep the long-standing wording for the common case.
    return "not found" if why == "does not exist" else why


def _check_schedule(spec: SpecFile, product: DataProduct) -> None:
    kind = product.source.kind
    if product.schedule == "streaming" and kind != "kafka":
        spec.report(
            ("schedule",),
            f"streaming is only for kafka sources, this is a {kind} product",
            'use a cron like "0 * * * *" or on_upstream',
        )
    if product.schedule == "on_upstream" and kind != "sql":
        spec.report(
            ("schedule",),
            f"on_upstream needs upstream products; a {kind} product has none",
            'use a cron like "0 * * * *"' + (" or streaming" if kind == "kafka" else ""),
        )


def _check_quality(spec: SpecFile, product: DataProduct, columns: dict[str, str]) -> None:
    names: dict[str, int] = {}
    for index, rule in enumerate(product.quality):
        _check_rule(spec, (("quality", index)), rule, columns)
        name = rule.check_name
        if name in names:
            spec.report(
                ("quality", index),
                f"this rule's check name '{name}' is already used by quality[{names[name]}]",
                "give one of them its own name: field",
            )
        else:
            names[name] = index


def _check_rule(spec: SpecFile, loc: Loc, rule: QualityRule, columns: dict[str, str]) -> None:
    kind = rule.kind
    if rule.not_null is not None or rule.unique is not None:
        for index, name in enumerate(rule.columns):
            _require_column(spec, (*loc, kind, index), name, columns)
    bounds = rule.row_count or rule.range
    if bounds is not None:
        if bounds.min is None and bounds.max is None:
            spec.report((*loc, kind), f"{kind} needs min, max or both", f"write e.g. {kind}: {{min: 1}}")
        elif bounds.min is not None and bounds.max is not None and bounds.min > bounds.max:
            spec.report((*loc, kind, "min"), f"min {bounds.min} is above max {bounds.max}", "swap them")
    if rule.freshness is not None:
        column_loc = (*loc, kind, "column")
        name = rule.freshness.column
        if _require_column(spec, column_loc, name, columns) and _base_type(columns[name]) not in (
            "date",
            "timestamp",
        ):
            spec.report(
                column_loc,
                f"freshness needs a date or timestamp column, '{name}' is {columns[name]}",
                "name a date or timestamp column",
            )
    if rule.accepted_values is not None:
        _require_column(spec, (*loc, kind, "column"), rule.accepted_values.column, columns)
    if rule.range is not None:
        column_loc = (*loc, kind, "column")
        name = rule.range.column
        if _require_column(spec, column_loc, name, columns) and _base_type(columns[name]) not in (
            "int",
            "bigint",
            "float",
            "double",
            "decimal",
        ):
            spec.report(
                column_loc,
                f"range needs a numeric column, '{name}' is {columns[name]}",
                "name a numeric column",
            )
    if rule.sql is not None:
        _check_product_sql_text(spec, (*loc, "sql"), rule.sql, product_sql=False)


def _check_vault_shape(spec: SpecFile, product: DataProduct, columns: dict[str, str]) -> None:
    vault = product.vault
    mapped: dict[str, int] = {}
    for index, hub in enumerate(vault.hubs):
        if hub.hub in mapped:
            spec.report(
                ("vault", "hubs", index, "hub"), f"hub '{hub.hub}' is mapped twice", "map each hub once"
            )
        mapped.setdefault(hub.hub, index)
        for key_index, name in enumerate(hub.key):
            _require_column(spec, ("vault", "hubs", index, "key", key_index), name, columns)
    links: set[str] = set()
    for index, link in enumerate(vault.links):
        if link.link in links:
            spec.report(
                ("vault", "links", index, "link"), f"link '{link.link}' is mapped twice", "map each link once"
            )
        links.add(link.link)
        for hub_index, hub_name in enumerate(link.hubs):
            if hub_name not in mapped:
                spec.report(
                    ("vault", "links", index, "hubs", hub_index),
                    f"hub '{hub_name}' is not mapped by this product",
                    f"add {{hub: {hub_name}, key: [...]}} under vault.hubs",
                )
    satellites: set[str] = set()
    for index, satellite in enumerate(vault.satellites):
        if satellite.satellite in satellites:
            spec.report(
                ("vault", "satellites", index, "satellite"),
                f"satellite '{satellite.satellite}' is defined twice",
                "give each satellite its own name",
            )
        satellites.add(satellite.satellite)
        if satellite.parent not in mapped:
            spec.report(
                ("vault", "satellites", index, "parent"),
                f"parent '{satellite.parent}' is not a hub mapped by this product",
                suggestion(satellite.parent, mapped, what="mapped hubs")
                if mapped
                else f"add {{hub: {satellite.parent}, key: [...]}} under vault.hubs",
            )
        for column_index, name in enumerate(satellite.columns):
            _require_column(spec, ("vault", "satellites", index, "columns", column_index), name, columns)


# ---------------------------------------------------------------------------------------------
# The global model


def check_model(spec: SpecFile) -> None:
    """Rules inside `_model.yaml`: unique hub and link names, links join defined hubs."""
    model = spec.model
    if model is None:
        return
    hubs: set[str] = set()
    for index, hub in enumerate(model.hubs):
        if hub.name in hubs:
            spec.report(("hubs", index, "name"), f"hub '{hub.name}' is defined twice", "keep one definition")
        hubs.add(hub.name)
    links: set[str] = set()
    for index, link in enumerate(model.links):
        if link.name in links:
            spec.report(
                ("links", index, "name"), f"link '{link.name}' is defined twice", "keep one definition"
            )
        links.add(link.name)
        seen: set[str] = set()
        for hub_index, hub_name in enumerate(link.hubs):
            loc = ("links", index, "hubs", hub_index)
            if hub_name not in hubs:
                close = did_you_mean(hub_name, hubs)
                spec.report(
                    loc,
                    f"hub '{hub_name}' is not defined",
                    f"did you mean '{close}'?" if close else "add it under hubs: in this file",
                )
            elif hub_name in seen:
                spec.report(loc, f"hub '{hub_name}' appears twice in this link", "list each hub once")
            seen.add(hub_name)


# ---------------------------------------------------------------------------------------------
# Across files


def check_catalog(specs: Sequence[SpecFile], model_spec: SpecFile | None, model_display: str) -> None:
    """Rules across specs: unique names, SQL references and cycles, vault vs model, dependencies."""
    _check_unique_names(specs)
    known = {name for spec in specs if (name := spec.raw_name) is not None}
    products = [spec for spec in specs if spec.product is not None]
    for spec in products:
        _check_references(spec, known)
    model = model_spec.model if model_spec is not None and model_spec.valid else None
    for spec in products:
        if model is not None:
            _check_vault_against_model(spec, model, model_display)
        elif model_spec is None:
            _report_missing_model(spec, model_display)
        elif _has_vault(spec):
            # The model itself is broken; its problems are always reported.
            spec.excluded_because = ("the global model has problems", f"fix {model_display}", None)
    _check_unique_satellites(products)
    _check_cycles(products)
    _exclude_dependents(products, {name: spec for spec in specs if (name := spec.raw_name) is not None})


def _has_vault(spec: SpecFile) -> bool:
    product = spec.product
    return product is not None and bool(product.vault.hubs or product.vault.links or product.vault.satellites)


def _check_unique_names(specs: Sequence[SpecFile]) -> None:
    first: dict[str, SpecFile] = {}
    for spec in specs:
        name = spec.raw_name
        if name is None:
            continue
        if name in first:
            spec.report(
                ("name",),
                f"name '{name}' is already used by {first[name].path}",
                "product names must be unique: rename one of them",
            )
        else:
            first[name] = spec


def _check_unique_satellites(products: Sequence[SpecFile]) -> None:
    first: dict[str, SpecFile] = {}
    for spec in products:
        assert spec.product is not None
        for index, satellite in enumerate(spec.product.vault.satellites):
            name = satellite.satellite
            if name in first and first[name] is not spec:
                spec.report(
                    ("vault", "satellites", index, "satellite"),
                    f"satellite '{name}' is already defined by {first[name].path}",
                    "each satellite belongs to one product: rename it",
                )
            first.setdefault(name, spec)


def _sql_refs(spec: SpecFile) -> Iterable[tuple[str, Loc, int, bool]]:
    """Every product reference: (name, loc of the SQL, offset, in sql_file)."""
    product = spec.product
    assert product is not None
    if product.source.sql is not None:
        for ref in scan_sql(product.source.sql, product_sql=True)[0]:
            yield ref.name, ("source", "sql"), ref.offset, False
    elif product.source.sql_file is not None and product._sql_text is not None:
        for ref in scan_sql(product._sql_text, product_sql=True)[0]:
            yield ref.name, ("source", "sql_file"), ref.offset, True
    for index, rule in enumerate(product.quality):
        if rule.sql is not None:
            for ref in scan_sql(rule.sql, product_sql=False)[0]:
                yield ref.name, ("quality", index, "sql"), ref.offset, False


def _report_ref(spec: SpecFile, loc: Loc, offset: int, in_file: bool, message: str, fix: str) -> None:
    product = spec.product
    assert product is not None
    if in_file and product.source.sql_file is not None and product._sql_text is not None:
        line, col = offset_position(product._sql_text, offset)
        spec.report_at(_display_path(spec, product.source.sql_file), line, col, loc, message, fix)
    else:
        spec.report_in_text(loc, offset, message, fix)


def _check_references(spec: SpecFile, known: set[str]) -> None:
    for name, loc, offset, in_file in _sql_refs(spec):
        if name in known:
            continue
        close = did_you_mean(name, known)
        fix = (
            f"did you mean '{close}'?"
            if close
            else f"no spec has name: {name}; fix the name or add that product"
        )
        _report_ref(spec, loc, offset, in_file, f"unknown product '{name}'", fix)


def _report_missing_model(spec: SpecFile, model_display: str) -> None:
    product = spec.product
    assert product is not None
    for index, hub in enumerate(product.vault.hubs):
        spec.report(
            ("vault", "hubs", index, "hub"),
            f"hub '{hub.hub}' is not in the global model (no _model.yaml found)",
            f"create {model_display} and add it under hubs:",
        )
    for index, link in enumerate(product.vault.links):
        spec.report(
            ("vault", "links", index, "link"),
            f"link '{link.link}' is not in the global model (no _model.yaml found)",
            f"create {model_display} and add it under links:",
        )


def _check_vault_against_model(spec: SpecFile, model: GlobalModel, model_display: str) -> None:
    product = spec.product
    assert product is not None
    hub_names = [hub.name for hub in model.hubs]
    link_names = [link.name for link in model.links]
    for index, mapping in enumerate(product.vault.hubs):
        hub = model.hub(mapping.hub)
        if hub is None:
            close = did_you_mean(mapping.hub, hub_names)
            spec.report(
                ("vault", "hubs", index, "hub"),
                f"hub '{mapping.hub}' is not in the global model",
                (f"did you mean '{close}'? or " if close else "") + f"add it under hubs: in {model_display}",
            )
        elif len(mapping.key) != len(hub.business_key):
            count = len(hub.business_key)
            spec.report(
                ("vault", "hubs", index, "key"),
                f"hub '{hub.name}' has a {count}-column business key ({', '.join(hub.business_key)}), "
                f"got {len(mapping.key)} column(s)",
                f"map exactly {count} column(s), in the order of its business_key",
            )
    for index, mapping in enumerate(product.vault.links):
        link = model.link(mapping.link)
        if link is None:
            close = did_you_mean(mapping.link, link_names)
            spec.report(
                ("vault", "links", index, "link"),
                f"link '{mapping.link}' is not in the global model",
                (f"did you mean '{close}'? or " if close else "") + f"add it under links: in {model_display}",
            )
        elif sorted(mapping.hubs) != sorted(link.hubs):
            spec.report(
                ("vault", "links", index, "hubs"),
                f"link '{link.name}' joins [{', '.join(link.hubs)}] in the global model, "
                f"not [{', '.join(mapping.hubs)}]",
                f"write hubs: [{', '.join(link.hubs)}]",
            )


def _check_cycles(products: Sequence[SpecFile]) -> None:
    by_name: dict[str, SpecFile] = {}
    for spec in products:
        assert spec.product is not None
        by_name.setdefault(spec.product.name, spec)
    graph = {
        name: [ref for ref, loc, _, _ in _sql_refs(spec) if loc[0] == "source" and ref in by_name]
        for name, spec in by_name.items()
    }
    for component in strongly_connected(graph):
        start = min(component)
        if len(component) == 1 and start not in graph[start]:
            continue
        path = _cycle_path(graph, start, set(component))
        spec = by_name[start]
        offset, loc, in_file = next(
            (offset, loc, in_file)
            for ref, loc, offset, in_file in _sql_refs(spec)
            if loc[0] == "source" and ref == path[1]
        )
        _report_ref(
            spec,
            loc,
            offset,
            in_file,
            f"cycle between SQL products: {' -> '.join(path)}",
            "a product cannot read itself, directly or through others: remove one of these references",
        )
        for name in component:
            if name != start:
                by_name[name].excluded_because = (
                    f"it is part of a cycle: {' -> '.join(path)}",
                    f"see the problem reported in {spec.path}",
                    spec,
                )


def strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (long chains must not hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, edge = work.pop()
            if edge == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = graph[node]
            if edge < len(successors):
                work.append((node, edge + 1))
                successor = successors[edge]
                if successor not in index:
                    work.append((successor, 0))
                elif successor in on_stack:
                    low[node] = min(low[node], index[successor])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _cycle_path(graph: dict[str, list[str]], start: str, members: set[str]) -> list[str]:
    """Shortest path start -> ... -> start inside one strongly connected component."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in graph[node]:
                if successor == start:
                    back = [node]
                    while back[-1] != start:
                        back.append(previous[back[-1]])
                    return [*reversed(back), start]
                if successor in members and successor not in previous:
                    previous[successor] = node
                    following.append(successor)
        frontier = following
    return [start, start]


def _exclude_dependents(products: Sequence[SpecFile], by_name: dict[str, SpecFile]) -> None:
    """A product that reads an invalid product cannot be built either; it adds no problem of its own."""
    changed = True
    while changed:
        valid = {spec.product.name for spec in products if spec.valid and spec.product is not None}
        changed = False
        for spec in products:
            if not spec.valid:
                continue
            broken = next((ref for ref, _, _, _ in _sql_refs(spec) if ref not in valid), None)
            if broken is not None:
                cause = by_name.get(broken)
                spec.excluded_because = (
                    f"it reads product '{broken}', which has problems",
                    f"fix {cause.path}" if cause else f"fix product '{broken}'",
                    cause,
                )
                changed = True


# ---------------------------------------------------------------------------------------------
# Positions and paths


def offset_position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, col) of character ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _display_path(spec: SpecFile, relative: str) -> Path:
    return Path(os.path.normpath(spec.path.parent / relative))


def _display(spec: SpecFile, relative: str) -> str:
    return str(_display_path(spec, relative))
