"""Any ODCS v3 contract (v3.0.x, v3.1.0, v3.2.0, written by any tool) as Tardis specs: one per schema object.

What a spec needs but the contract lacks is derived where the contract says it another way (the name from
`name`/`id`, the source from `servers`, owner and squad from `team`, `roles` and `support`, the schedule
from the `frequency` SLA), or taken from the answers (flags or an answers file). What can be neither is
reported all at once, each item with the flag or answer that supplies it. What the contract says that a
spec has no place for is named, field by field, in notes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from pydantic import ValidationError
from sqlglot import exp

from tardis_dagster.core.quality import quote_identifier, sql_literal
from tardis_dagster.core.specs import DataProduct, QualityRule, parse_type
from tardis_dagster.core.specs.fields import EMAIL_PATTERN, SLACK_CHANNEL_PATTERN
from tardis_dagster.core.specs.identifiers import is_identifier
from tardis_dagster.core.specs.model import API_VERSION
from tardis_dagster.core.specs.problems import Problem
from tardis_dagster.core.specs.specfile import field_name
from tardis_dagster.core.specs.templating import query_issues
from tardis_dagster.tooling.contracts.odcs.answers import ImportAnswers, ProductAnswers
from tardis_dagster.tooling.contracts.odcs.documents import (
    STANDARD_URL,
    ContractFileError,
    ContractText,
    dump_yaml,
    import_findings,
    read_contract,
)
from tardis_dagster.tooling.contracts.odcs.mapping import (
    DECIMAL_NAMES,
    DURATION_UNITS,
    FOREIGN_TYPES,
    FREQUENCY,
    IMPORTED_SEVERITIES,
    LATENCY_PROPERTIES,
    LEGACY_NAMES,
    LEGACY_PII,
    LOAD_PROPERTY,
    OPERATORS,
    OWNER_ROLE,
    RANGE_OPERATORS,
    RULE_PROPERTY,
    SMALL_INTEGER_FORMATS,
    SOURCE_PROPERTY,
    STAKEHOLDER_ROLE,
    TEXT_TYPES,
    TYPE_FOR_LOGICAL,
    VAULT_PROPERTY,
    ZERO_VIOLATIONS,
    is_pii_classification,
    tardis_name,
)

Loc = tuple[str | int, ...]

_SLACK = re.compile(SLACK_CHANNEL_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)
_SEMVER_SHORT = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?$")
_KAFKA_FORMATS = ("json", "avro", "protobuf")
_FILE_FORMATS = ("parquet", "json", "csv")
_FILE_SERVERS = ("s3", "azure", "sftp", "local", "glue", "custom")
_GLOB = re.compile(r"[*?\[]")
_OBJECT_PLACEHOLDER = re.compile(r"\$\{(?:object|table|model)\}|\{(?:object|table|model)\}")
_COLUMN_PLACEHOLDER = re.compile(r"\$\{(?:property|column|field)\}|\{(?:property|column|field)\}")
_THIS = "__tardis_this__"
# Top-level keys a spec carries (or that need no carrying: the contract's own bookkeeping).
_TOP_CARRIED = frozenset(
    {"apiVersion", "kind", "id", "name", "version", "status", "domain", "dataProduct", "description"}
    | {"team", "schema", "servers", "slaProperties", "customProperties", "support", "roles"}
    | {"slaDefaultElement"}
)
_OBJECT_CARRIED = frozenset(
    {"name", "physicalName", "physicalType", "logicalType", "description", "properties", "quality"}
)
_PROPERTY_CARRIED = frozenset(
    {"name", "physicalType", "logicalType", "logicalTypeOptions", "required", "description", "primaryKey"}
    | {"primaryKeyPosition", "partitioned", "partitionKeyPosition", "classification", "unique", "enum"}
    | {"quality", "items", "properties", "customProperties", "tags"}
)
_QUALITY_CARRIED = frozenset(
    {"name", "description", "dimension", "severity", "type", "metric", "rule", "arguments", "query"}
    | {"unit", "customProperties", *OPERATORS, *RANGE_OPERATORS}
)


class ContractError(ValueError):
    """One thing in a contract that cannot become a spec: where (`loc` in the document), what, how to fix."""

    def __init__(self, loc: Loc, message: str, fix: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class Missing:
    """Something a spec needs that neither the contract nor the answers say; `answer` is its answers key."""

    loc: Loc
    what: str
    flag: str | None
    answer: str
    example: Any


class ContractImportError(Exception):
    """Everything that keeps a contract from becoming specs, found in one pass."""

    def __init__(self, errors: list[ContractError], missing: list[Missing]) -> None:
        super().__init__("; ".join([e.message for e in errors] + [m.what for m in missing]))
        self.errors = errors
        self.missing = missing


@dataclass(frozen=True)
class Note:
    """Something the contract says that the spec does not keep, or a value the import derived."""

    loc: Loc
    message: str

    def __str__(self) -> str:
        return f"{field_name(self.loc)}: {self.message}"


@dataclass
class ImportResult:
    """The spec made from one schema object of a contract, plus the notes about it."""

    product: DataProduct
    schema_object: str
    notes: list[Note] = field(default_factory=list)


@dataclass
class ContractImport:
    """All products of one contract file, with notes located in the file (contract-wide notes first)."""

    products: list[ImportResult]
    notes: list[Problem]

    @property
    def product(self) -> DataProduct:
        """The only product (raises ValueError when the contract made several)."""
        if len(self.products) != 1:
            raise ValueError(f"the contract made {len(self.products)} products")
        return self.products[0].product


# --- entry points -----------------------------------------------------------------------------------


def load_contract(
    path: Path, answers: ImportAnswers | None = None, schema_object: str | None = None
) -> ContractImport:
    """Read an ODCS YAML/JSON file and turn it into specs.

    Raises ContractFileError listing every problem as a `Problem` (file, line, column, field); when
    things are missing, `missing_answers` on the error says which answers would supply them.
    """
    text = read_contract(path)
    data = text.data
    if not isinstance(data, dict):
        raise ContractFileError(
            [text.problem((), "not an ODCS document (no mapping at the top)", "see " + STANDARD_URL)]
        )
    fix = f"make the document valid ODCS v3 ({STANDARD_URL})"
    found: dict[tuple[Loc, str], Problem] = {}
    for loc, message, at_key in import_findings(data):
        found.setdefault((loc, message), text.problem(loc, message, fix, at_key=at_key))
    if found:
        raise ContractFileError(sorted(found.values(), key=lambda p: (p.line, p.col, p.field)))
    try:
        results, notes = _Importer(data, answers or ImportAnswers()).run(schema_object)
    except ContractImportError as error:
        raise MissingAnswersError(text, error) from None
    return ContractImport(
        products=results,
        notes=[_located(text, note) for note in notes + [n for r in results for n in r.notes]],
    )


def import_contracts(
    data: dict[str, Any], answers: ImportAnswers | None = None, schema_object: str | None = None
) -> list[ImportResult]:
    """The specs described by an ODCS v3 document (plain data, already schema-valid), one per schema object.

    Raises ContractImportError with every problem and every missing item at once.
    """
    results, notes = _Importer(data, answers or ImportAnswers()).run(schema_object)
    if results:
        results[0].notes[:0] = notes  # contract-wide notes travel with the first product
    return results


def import_contract(data: dict[str, Any], answers: ImportAnswers | None = None) -> ImportResult:
    """The one spec of a single-object ODCS document (see `import_contracts`)."""
    results = import_contracts(data, answers)
    if len(results) != 1:
        raise ContractImportError(
            [ContractError(("schema",), f"the contract has {len(results)} schema objects", "choose one")], []
        )
    return results[0]


def product_yaml(product: DataProduct) -> str:
    """A spec as YAML text in the shape people write (defaults left out), ready for `tardis validate`."""
    data = product.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data = {"apiVersion": data.pop("apiVersion"), "kind": data.pop("kind"), **data}
    return dump_yaml(data)


class MissingAnswersError(ContractFileError):
    """A contract that cannot be imported as it is: its problems, and the answers file that would help."""

    def __init__(self, text: ContractText, error: ContractImportError) -> None:
        problems = [text.problem(e.loc, e.message, e.fix) for e in error.errors]
        for item in error.missing:
            how = f"pass {item.flag} or set" if item.flag else "set"
            fix = f"{how} `{item.answer}` in an answers file passed with --answers"
            problems.append(text.problem(item.loc, f"the contract does not say {item.what}", fix))
        super().__init__(problems)
        self.missing = error.missing

    def answers_template(self) -> str:
        """An answers file with every missing item as a placeholder to fill in."""
        data: dict[str, Any] = {}
        for item in self.missing:
            target = data
            *parents, last = item.answer.split(".")
            for part in parents:
                target = target.setdefault(part, {})
            target[last] = item.example
        return dump_yaml(data)


def _located(text: ContractText, note: Note) -> Problem:
    return text.problem(note.loc, note.message, "not carried over" if "not carried" in note.message else "")


# --- the import ---------------------------------------------------------------------------------------


def _get(node: Any, key: str) -> Any:
    return node.get(key) if isinstance(node, dict) else None


def _items(node: Any) -> list[Any]:
    return node if isinstance(node, list) else []


def _empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {} or value == -1


def _is_contact(value: Any) -> bool:
    return isinstance(value, str) and (
        _SLACK.fullmatch(value) is not None or _EMAIL.fullmatch(value) is not None
    )


def _custom_value(props: Any, name: str) -> tuple[bool, Any]:
    """(found, value) of custom property `name` (or the name exports before v3.1.0 used)."""
    names = (name, LEGACY_NAMES.get(name, name))
    for prop in _items(props):
        if _get(prop, "property") in names and _get(prop, "vendor") in (None, "tardis"):
            return True, prop.get("value")
    return False, None


class _Importer:
    """One pass over one contract: collects specs, notes, errors and missing items."""

    def __init__(self, data: dict[str, Any], answers: ImportAnswers) -> None:
        self.data = data
        self.answers = answers
        self.errors: list[ContractError] = []
        self.missing: list[Missing] = []
        self.notes: list[Note] = []

    def run(self, schema_object: str | None) -> tuple[list[ImportResult], list[Note]]:
        objects = [(i, obj) for i, obj in enumerate(_items(self.data.get("schema"))) if isinstance(obj, dict)]
        if schema_object is not None:
            names = [str(obj.get("name")) for _, obj in objects]
            objects = [(i, obj) for i, obj in objects if obj.get("name") == schema_object]
            if not objects:
                raise ContractImportError(
                    [
                        ContractError(
                            ("schema",),
                            f"no schema object named {schema_object!r}",
                            f"choose one of {', '.join(names) or '(none)'} with --schema-object",
                        )
                    ],
                    [],
                )
        if not objects:
            raise ContractImportError(
                [
                    ContractError(
                        ("schema",),
                        "the contract has no schema object, so there is no table to publish",
                        "add `schema: [{name: <table>, properties: [{name: <col>, logicalType: string}]}]`",
                    )
                ],
                [],
            )
        single = len(objects) == 1 and schema_object is None
        self._top_level_notes()
        owner = self._owner()
        self.schedule = self._schedule()
        specs = [(i, obj, self._spec(i, obj, owner, single)) for i, obj in objects]
        results = []
        if not self.errors and not self.missing:
            for index, obj, (spec, notes, origins) in specs:
                product = self._validated(spec, index, origins)
                if product is not None:
                    results.append(ImportResult(product, str(obj.get("name")), notes))
        if self.errors or self.missing:
            raise ContractImportError(self.errors, _unique(self.missing))
        return results, self.notes

    # --- contract-wide ---------------------------------------------------------------------------

    def _top_level_notes(self) -> None:
        leftovers = [k for k, v in self.data.items() if k not in _TOP_CARRIED and not _empty(v)]
        for key in leftovers:
            self.notes.append(Note((key,), "not carried over (a spec has no place for it)"))
        described = self.data.get("description")
        if isinstance(described, dict):
            for key in ("authoritativeDefinitions", "customProperties"):
                if not _empty(described.get(key)):
                    self.notes.append(Note(("description", key), "not carried over"))
        for i, prop in enumerate(_items(self.data.get("customProperties"))):
            name = _get(prop, "property")
            known = {SOURCE_PROPERTY, LOAD_PROPERTY, VAULT_PROPERTY, *LEGACY_NAMES.values()}
            if name not in known:
                self.notes.append(Note(("customProperties", i), f"custom property {name!r} not carried over"))
        for i, sla in enumerate(_items(self.data.get("slaProperties"))):
            prop = _get(sla, "property")
            if prop not in (FREQUENCY, *LATENCY_PROPERTIES):
                self.notes.append(Note(("slaProperties", i), f"SLA {prop!r} not carried over"))

    def _owner(self) -> dict[str, Any]:
        """tribe, squad, contact and stakeholders, from answers, domain, team, roles and support."""
        owner: dict[str, Any] = {}
        tribe = self.answers.tribe or self.data.get("domain")
        self._name_into(owner, "tribe", tribe, ("domain",), "the tribe (owner.tribe)", "--tribe", "tribe")
        team = self.data.get("team")
        members = team if isinstance(team, list) else _items(_get(team, "members"))
        members_loc: Loc = ("team",) if isinstance(team, list) else ("team", "members")
        squad = self.answers.squad or _get(team, "name")
        self._name_into(owner, "squad", squad, ("team",), "the squad (owner.squad)", "--squad", "squad")
        if isinstance(team, dict):
            for key in ("description", "tags", "customProperties", "authoritativeDefinitions", "id"):
                if not _empty(team.get(key)):
                    self.notes.append(Note(("team", key), "not carried over"))
        contact, used = self._contact(members, members_loc)
        if contact is None:
            self.missing.append(
                Missing(
                    ("team",), "the owner's contact (owner.contact)", "--contact", "contact", "#team-data"
                )
            )
        else:
            owner["contact"] = contact
        stakeholders = []
        for i, member in enumerate(members):
            if i in used or not isinstance(member, dict):
                continue
            role = str(member.get("role") or "").strip().lower()
            username = member.get("username")
            if role == STAKEHOLDER_ROLE and _is_contact(username) and not member.get("dateOut"):
                stakeholders.append(username)
            else:
                self.notes.append(
                    Note(
                        (*members_loc, i),
                        f"team member {username!r} (role {member.get('role')!r}) not carried over "
                        "(a spec keeps the owner's contact and stakeholders' Slack channels or emails)",
                    )
                )
        owner["stakeholders"] = stakeholders
        return owner

    def _name_into(
        self, target: dict[str, Any], key: str, value: Any, loc: Loc, what: str, flag: str, answer: str
    ) -> None:
        if value is None:
            self.missing.append(Missing(loc, what, flag, answer, f"<{key}>"))
            return
        name = tardis_name(value)
        if name is None:
            self.errors.append(
                ContractError(
                    loc, f"{value!r} cannot be made a snake_case {key} name", f"pass {flag} <{key}>"
                )
            )
            return
        if name != value:
            self.notes.append(Note(loc, f"{key} {value!r} imported as {name!r}"))
        target[key] = name

    def _contact(self, members: list[Any], members_loc: Loc) -> tuple[str | None, set[int]]:
        """The owner's contact and the team members used for it."""
        if self.answers.contact is not None:
            owners = {i for i, m in enumerate(members) if _role(m) == OWNER_ROLE}
            return self.answers.contact, owners
        # an exact `owner` role first, then any role naming an owner ("Data Product Owner")
        ranked = sorted(
            (i for i, m in enumerate(members) if OWNER_ROLE in _role(m)),
            key=lambda i: (_role(members[i]) != OWNER_ROLE, bool(_get(members[i], "dateOut")), i),
        )
        for i in ranked:
            username = _get(members[i], "username")
            if _is_contact(username):
                return username, {i}
        for i, role in enumerate(_items(self.data.get("roles"))):
            if OWNER_ROLE in str(_get(role, "role") or "").lower():
                for key in ("firstLevelApprovers", "secondLevelApprovers"):
                    if _is_contact(_get(role, key)):
                        self.notes.append(Note(("roles", i, key), "used as the owner's contact"))
                        return _get(role, key), set(ranked[:1])
        for i, support in enumerate(_items(self.data.get("support"))):
            for candidate in (
                _get(support, "channel"),
                str(_get(support, "url") or "").removeprefix("mailto:"),
            ):
                if _is_contact(candidate):
                    why = ""
                    if ranked:
                        username = _get(members[ranked[0]], "username")
                        why = f" (the owner {username!r} is not a Slack channel or email address)"
                    self.notes.append(Note(("support", i), f"used as the owner's contact{why}"))
                    return candidate, set(ranked[:1])
        return None, set(ranked[:1])

    # --- one schema object -----------------------------------------------------------------------

    def _spec(
        self, index: int, obj: dict[str, Any], owner: dict[str, Any], single: bool
    ) -> tuple[dict[str, Any], list[Note], dict[str, Loc]]:
        base: Loc = ("schema", index)
        notes: list[Note] = []
        origins: dict[str, Loc] = {}
        product_answers = self.answers.for_object(str(obj.get("name")))
        for key, value in obj.items():
            if key not in _OBJECT_CARRIED and not _empty(value):
                notes.append(Note((*base, key), "not carried over (a spec has no place for it)"))
        spec: dict[str, Any] = {"apiVersion": API_VERSION, "kind": "DataProduct"}
        spec["name"] = self._product_name(obj, base, product_answers, single, notes)
        spec["version"] = self._version(notes)
        spec["description"] = self._description(obj, spec["name"], notes)
        spec["owner"] = {k: owner[k] for k in ("tribe", "squad", "contact") if k in owner}
        spec["stakeholders"] = owner.get("stakeholders", [])
        source = self._source(obj, base, product_answers, notes, origins)
        if source is not None:
            spec["source"] = source
        schedule = product_answers.schedule or self.answers.schedule or self.schedule
        if schedule is not None:
            spec["schedule"] = schedule
        properties = [(i, p) for i, p in enumerate(_items(obj.get("properties"))) if isinstance(p, dict)]
        columns = []
        rules: list[tuple[dict[str, Any], Loc]] = []
        derived: list[tuple[dict[str, Any], Loc]] = []
        for i, prop in properties:
            loc = (*base, "properties", i)
            column = self._column(prop, loc, notes)
            if column is None:
                continue
            origins[f"schema.{len(columns)}"] = loc
            columns.append(column)
            for j, entry in enumerate(_items(prop.get("quality"))):
                rule = self._rule(entry, column["name"], obj, (*loc, "quality", j), notes)
                if rule is not None:
                    rules.append((rule, (*loc, "quality", j)))
            derived += self._column_rules(prop, column, loc, notes)
        spec["schema"] = columns
        spec["load"] = self._load(index, properties, columns, notes)
        for j, entry in enumerate(_items(obj.get("quality"))):
            rule = self._rule(entry, None, obj, (*base, "quality", j), notes)
            if rule is not None:
                rules.append((rule, (*base, "quality", j)))
        derived += self._latency_rules(obj, columns)
        spec["quality"] = []
        seen: set[str] = set()
        for rule, loc in rules + derived:
            key = json.dumps({k: v for k, v in rule.items() if k not in ("name", "severity", "description")})
            if key in seen:
                continue
            seen.add(key)
            origins[f"quality.{len(spec['quality'])}"] = loc
            spec["quality"].append(rule)
        found, vault = _custom_value(self.data.get("customProperties"), VAULT_PROPERTY)
        if found:
            spec["vault"] = vault
        return spec, notes, origins

    def _product_name(
        self, obj: dict[str, Any], base: Loc, answers: ProductAnswers, single: bool, notes: list[Note]
    ) -> str | None:
        given = answers.name or (self.answers.name if single else None)
        if given is not None:
            return given
        candidates: list[tuple[Loc, Any]] = [((*base, "name"), obj.get("name"))]
        if single:  # one table: the contract's own name names the product
            candidates = [(("name",), self.data.get("name")), (("id",), self.data.get("id")), *candidates]
            candidates.append((("dataProduct",), self.data.get("dataProduct")))
        for loc, value in candidates:
            name = tardis_name(value)
            if name is not None:
                if name != value:
                    notes.append(Note(loc, f"product name {value!r} imported as {name!r}"))
                return name
        object_name = str(obj.get("name"))
        flag = "--name" if single else None
        answer = "name" if single else f"products.{object_name}.name"
        self.missing.append(
            Missing(base, "a usable product name (snake_case)", flag, answer, "<product_name>")
        )
        return None

    def _version(self, notes: list[Note]) -> Any:
        version = self.data.get("version")
        if isinstance(version, str) and _SEMVER_SHORT.fullmatch(version):
            padded = version + ".0" * (2 - version.count("."))
            notes.append(Note(("version",), f"version {version!r} imported as {padded!r} (semver)"))
            return padded
        return version

    def _description(self, obj: dict[str, Any], name: str | None, notes: list[Note]) -> str:
        described = self.data.get("description")
        parts = []
        if isinstance(described, dict):
            if described.get("purpose"):
                parts.append(str(described["purpose"]))
            for key, label in (("usage", "Usage"), ("limitations", "Limitations")):
                if described.get(key):
                    parts.append(f"{label}: {described[key]}" if parts else str(described[key]))
        elif isinstance(described, str) and described.strip():
            parts.append(described)
        if not parts:
            for key in ("description", "businessName"):
                if obj.get(key):
                    return str(obj[key])
            notes.append(Note(("description",), "no description: a placeholder is written, replace it"))
            return f"{name or obj.get('name')}: imported from ODCS contract {self.data.get('id')}."
        return "\n\n".join(parts)

    def _source(
        self,
        obj: dict[str, Any],
        base: Loc,
        answers: ProductAnswers,
        notes: list[Note],
        origins: dict[str, Loc],
    ) -> dict[str, Any] | None:
        if answers.source is not None or self.answers.source is not None:
            return answers.source or self.answers.source
        found, source = _custom_value(self.data.get("customProperties"), SOURCE_PROPERTY)
        if found:
            origins["source"] = ("customProperties",)
            return source
        reasons = []
        chosen: dict[str, Any] | None = None
        servers = list(enumerate(_items(self.data.get("servers"))))
        # production servers first: that is where the data to land comes from
        servers.sort(key=lambda s: str(_get(s[1], "environment") or "").lower() not in ("prod", "production"))
        for i, server in servers:
            if not isinstance(server, dict):
                continue
            if chosen is not None:
                notes.append(Note(("servers", i), "not used: a product lands from one source"))
                continue
            source, reason = _server_source(server, obj)
            if source is not None:
                chosen = source
                origins["source"] = ("servers", i)
                notes.append(Note(("servers", i), f"source derived from this server: {json.dumps(source)}"))
            elif reason is not None:
                reasons.append(f"servers[{i}]: {reason}")
        if chosen is None:
            why = f" ({'; '.join(reasons)})" if reasons else ""
            object_name = str(obj.get("name"))
            self.missing.append(
                Missing(
                    ("servers",) if reasons else base,
                    f"where the data of {object_name!r} comes from (source){why}",
                    None,
                    "source"
                    if len(_items(self.data.get("schema"))) == 1
                    else f"products.{object_name}.source",
                    {"kafka": {"topic": "<topic>", "format": "json", "schema": "schemas/<name>.json"}},
                )
            )
        return chosen

    def _schedule(self) -> str | None:
        for i, sla in enumerate(_items(self.data.get("slaProperties"))):
            if _get(sla, "property") != FREQUENCY:
                continue
            if _get(sla, "schedule"):
                return str(sla["schedule"])
            value, unit = sla.get("value"), DURATION_UNITS.get(str(sla.get("unit") or "").lower())
            if _get(sla, "scheduler") == "tardis" or (isinstance(value, str) and " " in value.strip()):
                return str(value)
            cron = _cron_every(value, unit)
            if cron is None:
                self.notes.append(
                    Note(("slaProperties", i), "frequency has no cron equivalent: not carried over")
                )
                return None
            self.notes.append(Note(("slaProperties", i), f"frequency imported as the schedule {cron!r}"))
            return cron
        return None

    def _load(
        self, index: int, properties: list[tuple[int, Any]], columns: list[dict[str, Any]], notes: list[Note]
    ) -> Any:
        found, load = _custom_value(self.data.get("customProperties"), LOAD_PROPERTY)
        load = dict(load) if found and isinstance(load, dict) else {}
        names = {id(p): c["name"] for (_, p), c in zip(properties, columns, strict=False)}
        keyed = sorted(
            (p for _, p in properties if p.get("primaryKey") is True and id(p) in names),
            key=lambda p: (
                p.get("primaryKeyPosition") if (p.get("primaryKeyPosition") or -1) > 0 else 1_000_000
            ),
        )
        if keyed:
            load["key"] = [names[id(p)] for p in keyed]
        if "partition_by" not in load:
            partitioned = sorted(
                (p for _, p in properties if p.get("partitioned") is True and id(p) in names),
                key=lambda p: p.get("partitionKeyPosition") or 0,
            )
            if partitioned:
                load["partition_by"] = [names[id(p)] for p in partitioned]
        if "type" not in load:
            load["type"] = "upsert" if keyed else "append"
            if not found:
                how = "upsert: a later record replaces one with the same primary key" if keyed else "append"
                where = ("schema", index, "properties")
                notes.append(Note(where, f"load type {how} (derived; set tardisLoad to choose)"))
        return load

    def _column(self, prop: dict[str, Any], loc: Loc, notes: list[Note]) -> dict[str, Any] | None:
        raw = prop.get("name")
        name = tardis_name(raw)
        if name is None:
            self.errors.append(
                ContractError((*loc, "name"), f"{raw!r} cannot be made a snake_case column name", "rename it")
            )
            return None
        if name != raw:
            notes.append(Note((*loc, "name"), f"column {raw!r} imported as {name!r}"))
        for key, value in prop.items():
            if key not in _PROPERTY_CARRIED and not _empty(value):
                notes.append(Note((*loc, key), "not carried over (a spec has no place for it)"))
        column: dict[str, Any] = {"name": name, "type": self._type(prop, loc, notes)}
        if prop.get("required") is True:
            column["required"] = True
        if prop.get("description") is not None:
            column["description"] = str(prop["description"])
        tags = [str(t).lower() for t in _items(prop.get("tags"))]
        found, legacy = _custom_value(prop.get("customProperties"), LEGACY_PII)
        if is_pii_classification(prop.get("classification")) or "pii" in tags or (found and legacy is True):
            column["pii"] = True
        for i, custom in enumerate(_items(prop.get("customProperties"))):
            if _get(custom, "property") != LEGACY_PII:
                notes.append(Note((*loc, "customProperties", i), "custom property not carried over"))
        if tags and tags != ["pii"]:
            notes.append(Note((*loc, "tags"), "tags not carried over"))
        return column

    def _type(self, prop: dict[str, Any], loc: Loc, notes: list[Note]) -> str:
        """The Tardis type of a property: its physicalType when Tardis knows it, else from logicalType."""
        physical = prop.get("physicalType")
        logical = str(prop.get("logicalType") or "").lower()
        if isinstance(physical, str) and physical.strip():
            try:
                parsed = parse_type(physical)
                # a Tardis type written in the physicalType of a nested type still needs its parts checked
                if logical not in ("array", "object") or parsed.element or parsed.fields or parsed.key:
                    return str(parsed)
            except ValueError:
                pass
            foreign = _foreign_type(physical)
            if foreign is not None:
                return foreign
            text = TEXT_TYPES.get(physical.strip().lower())
            if text is not None and logical not in ("array",) and not prop.get("properties"):
                notes.append(Note((*loc, "physicalType"), f"{physical} has no Spark type: kept as {text}"))
                return "string"
        if logical == "integer":
            fmt = _get(prop.get("logicalTypeOptions"), "format")
            return "int" if fmt in SMALL_INTEGER_FORMATS else "bigint"
        if logical in TYPE_FOR_LOGICAL:
            return TYPE_FOR_LOGICAL[logical]
        if logical == "time":
            notes.append(Note((*loc, "logicalType"), "time has no Spark type: kept as text (HH:mm:ss)"))
            return "string"
        if logical == "array":
            items = prop.get("items")
            if not isinstance(items, dict):
                notes.append(Note((*loc, "items"), "an array without items: imported as array<string>"))
                return "array<string>"
            return f"array<{self._type(items, (*loc, 'items'), notes)}>"
        if logical == "object" or prop.get("properties"):
            fields = [(i, p) for i, p in enumerate(_items(prop.get("properties"))) if isinstance(p, dict)]
            if not fields:
                notes.append(Note((*loc, "logicalType"), "an object without properties: kept as JSON text"))
                return "string"
            parts = []
            for i, sub in fields:
                sub_loc = (*loc, "properties", i)
                sub_name = tardis_name(sub.get("name"))
                if sub_name is None:
                    self.errors.append(
                        ContractError(
                            (*sub_loc, "name"),
                            f"{sub.get('name')!r} cannot be a struct field name",
                            "rename it",
                        )
                    )
                    continue
                parts.append(f"{sub_name}:{self._type(sub, sub_loc, notes)}")
            return f"struct<{','.join(parts)}>"
        self.errors.append(
            ContractError(
                (*loc, "logicalType" if logical else "physicalType"),
                f"cannot tell the Tardis type of {prop.get('name')!r} (physicalType {physical!r}, "
                f"logicalType {prop.get('logicalType')!r})",
                "set logicalType (string, integer, number, boolean, date, timestamp, array, object) or a "
                "Tardis physicalType: string, int, bigint, double, decimal(p,s), array<..>, map<..>, "
                "struct<..>",
            )
        )
        return "string"

    def _column_rules(
        self, prop: dict[str, Any], column: dict[str, Any], loc: Loc, notes: list[Note]
    ) -> list[tuple[dict[str, Any], Loc]]:
        """Rules the property states as attributes: unique, enum, bounds in logicalTypeOptions."""
        name = column["name"]
        rules: list[tuple[dict[str, Any], Loc]] = []
        if prop.get("unique") is True:
            rules.append(({"unique": [name]}, (*loc, "unique")))
        enum = [e.get("value") if isinstance(e, dict) else e for e in _items(prop.get("enum"))]
        values = [v for v in enum if isinstance(v, str | int | float) and not isinstance(v, bool)]
        if values:
            rules.append(({"accepted_values": {"column": name, "values": values}}, (*loc, "enum")))
            if any(isinstance(e, dict) and set(e) - {"value"} for e in _items(prop.get("enum"))):
                notes.append(Note((*loc, "enum"), "enum labels and descriptions not carried over"))
        options = prop.get("logicalTypeOptions")
        if not isinstance(options, dict):
            return rules
        numeric = column["type"] in ("int", "bigint", "float", "double") or column["type"].startswith(
            "decimal"
        )
        integral = column["type"] in ("int", "bigint")
        bounds: dict[str, float] = {}
        quoted = quote_identifier(name)
        for key, value in options.items():
            where = (*loc, "logicalTypeOptions", key)
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if key in ("minimum", "maximum") and numeric and number:
                bounds["min" if key == "minimum" else "max"] = value
            elif (
                key in ("exclusiveMinimum", "exclusiveMaximum")
                and integral
                and number
                and float(value).is_integer()
            ):
                bounds["min" if key == "exclusiveMinimum" else "max"] = value + (
                    1 if key == "exclusiveMinimum" else -1
                )
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and numeric and number:
                op = "<=" if key == "exclusiveMinimum" else ">="
                sql = f"select count(*) from {{{{ this }}}} where {quoted} {op} {sql_literal(value)}"
                rules.append(({"sql": sql, "name": f"{name}_{_snake(key)}"}, where))
            elif key in ("minLength", "maxLength") and isinstance(value, int) and column["type"] == "string":
                op = "<" if key == "minLength" else ">"
                sql = f"select count(*) from {{{{ this }}}} where length({quoted}) {op} {value}"
                rules.append(({"sql": sql, "name": f"{name}_{_snake(key)}"}, where))
            elif key == "format" and (column["type"] in ("int", "bigint", "double", "float")):
                continue  # i32/i64/f32/f64: read into the column type
            else:
                notes.append(Note(where, "not carried over (no Tardis rule checks it)"))
        if bounds:
            rules.append(({"range": {"column": name, **bounds}}, (*loc, "logicalTypeOptions")))
        return rules

    def _latency_rules(
        self, obj: dict[str, Any], columns: list[dict[str, Any]]
    ) -> list[tuple[dict[str, Any], Loc]]:
        """Freshness rules from latency SLAs whose element is a column of this object."""
        names = {c["name"] for c in columns}
        object_names = {str(obj.get("name")), str(obj.get("physicalName"))}
        rules = []
        default = self.data.get("slaDefaultElement")
        for i, sla in enumerate(_items(self.data.get("slaProperties"))):
            if _get(sla, "property") not in LATENCY_PROPERTIES:
                continue
            element = str(sla.get("element") or default or "")
            table, _, column = element.rpartition(".")
            unit = DURATION_UNITS.get(str(sla.get("unit") or "").lower())
            value = sla.get("value")
            if (table and table not in object_names) or column not in names:
                continue
            if unit is None or not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                self.notes.append(
                    Note(("slaProperties", i), "latency without a whole s/m/h/d value: not carried")
                )
                continue
            rule: dict[str, Any] = {"freshness": {"column": column, "max_age": f"{value}{unit}"}}
            if sla.get("description"):
                rule["description"] = str(sla["description"])
            rules.append((rule, ("slaProperties", i)))
        return rules

    def _rule(
        self, entry: Any, column: str | None, obj: dict[str, Any], loc: Loc, notes: list[Note]
    ) -> dict[str, Any] | None:
        if not isinstance(entry, dict):
            return None
        what = f"quality check {entry.get('name') or field_name(loc)!r}"
        found, body = _custom_value(entry.get("customProperties"), RULE_PROPERTY)
        kind = entry.get("type") or "library"
        if kind not in ("library", "sql") and not found:
            notes.append(Note(loc, f"{what} of type {kind} is not kept (Tardis runs library and sql checks)"))
            return None
        for key, value in entry.items():
            if key not in _QUALITY_CARRIED and not _empty(value):
                notes.append(Note((*loc, key), "not carried over"))
        if found and isinstance(body, dict):
            rule = dict(body)
        elif kind == "library":
            rule = self._library_rule(entry, column, loc, what, notes)
        else:
            rule = self._sql_rule(entry, column, obj, loc, what, notes)
        if rule is None:
            return None
        severity = str(entry.get("severity") or "error").lower()
        if severity not in IMPORTED_SEVERITIES:
            notes.append(
                Note((*loc, "severity"), f"unknown severity {entry.get('severity')!r}: error is used")
            )
            severity = "error"
        if IMPORTED_SEVERITIES[severity] != "error":
            rule["severity"] = IMPORTED_SEVERITIES[severity]
        if entry.get("description") is not None:
            rule["description"] = str(entry["description"])
        name = entry.get("name")
        if name and name != _derived_name(rule):
            if is_identifier(name):
                rule["name"] = name
            else:
                notes.append(
                    Note((*loc, "name"), f"check name {name!r} is not snake_case; the derived name is used")
                )
        return rule

    def _library_rule(
        self, entry: dict[str, Any], column: str | None, loc: Loc, what: str, notes: list[Note]
    ) -> dict[str, Any] | None:
        metric = entry.get("metric") or entry.get("rule")
        arguments = entry.get("arguments") if isinstance(entry.get("arguments"), dict) else {}
        columns = [str(c) for c in _items(arguments.get("properties"))] or ([column] if column else [])
        if metric == "rowCount":
            bounds = _row_count_bounds(entry)
            if bounds is None:
                notes.append(
                    Note(loc, f"{what}: this rowCount operator has no Tardis rule; not carried over")
                )
                return None
            return {"row_count": bounds}
        if metric not in ("nullValues", "missingValues", "duplicateValues", "invalidValues"):
            notes.append(Note(loc, f"{what}: metric {metric!r} has no Tardis rule; not carried over"))
            return None
        if not columns:
            notes.append(Note(loc, f"{what}: {metric} names no property; not carried over"))
            return None
        missing_values = [v for v in _items(arguments.get("missingValues")) if v is not None]
        valid = arguments.get("validValues")
        if _is_zero_violations(entry) and entry.get("unit") != "percent":
            if metric == "nullValues" or (metric == "missingValues" and not missing_values):
                return {"not_null": columns}
            if metric == "duplicateValues":
                return {"unique": columns}
            if metric == "invalidValues" and isinstance(valid, list) and len(columns) == 1:
                values = [v for v in valid if v is not None]
                if values:
                    return {"accepted_values": {"column": columns[0], "values": values}}
        # a tolerance, or a metric without a Tardis rule of its own: the same check as a query
        count = _violations_sql(metric, columns, missing_values, valid)
        if count is None:
            notes.append(
                Note(loc, f"{what}: {metric} with these arguments has no Tardis rule; not carried over")
            )
            return None
        if entry.get("unit") == "percent":
            count = f"100.0 * {count} / GREATEST(COUNT(*), 1)"
        condition = _condition(entry)
        if condition is None:
            notes.append(Note(loc, f"{what}: no operator (mustBe, mustBeLessThan, ...); not carried over"))
            return None
        return {"sql": f"select case when {count} {condition} then 0 else 1 end from {{{{ this }}}}"}

    def _sql_rule(
        self,
        entry: dict[str, Any],
        column: str | None,
        obj: dict[str, Any],
        loc: Loc,
        what: str,
        notes: list[Note],
    ) -> dict[str, Any] | None:
        # the query as written (a Tardis export's SQL stays byte for byte), placeholders resolved
        query = _OBJECT_PLACEHOLDER.sub("{{ this }}", str(entry.get("query") or ""))
        if column is not None:
            query = _COLUMN_PLACEHOLDER.sub(lambda _: quote_identifier(column), query)
        if "{{ this }}" not in query:
            query = _this_table(query, obj)
        if not _is_zero_violations(entry):
            condition = _condition(entry)
            if condition is None:
                notes.append(
                    Note(loc, f"{what}: no operator (mustBe, mustBeLessThan, ...); not carried over")
                )
                return None
            query = f"select case when ({query.strip().rstrip(';')}) {condition} then 0 else 1 end"
        issues = query_issues(query, product_sql=False)
        if issues:
            notes.append(Note((*loc, "query"), f"{what}: not carried over: {issues[0].message}"))
            return None
        return {"sql": query}

    # --- validation -------------------------------------------------------------------------------

    def _validated(self, spec: dict[str, Any], index: int, origins: dict[str, Loc]) -> DataProduct | None:
        try:
            return DataProduct.model_validate(spec)
        except ValidationError as error:
            for found in error.errors():
                loc = tuple(found["loc"])
                ctx = found.get("ctx") or {}
                message = ctx["message"] if found["type"] == "tardis" else found["msg"]
                fix = ctx["fix"] if found["type"] == "tardis" else "correct it in the contract"
                where = _contract_loc(loc, index, origins)
                self.errors.append(ContractError(where, f"spec field {field_name(loc)}: {message}", fix))
            return None


# --- helpers ------------------------------------------------------------------------------------------


def _role(member: Any) -> str:
    return str(_get(member, "role") or "").strip().lower()


def _snake(key: str) -> str:
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", key).lower()


def _unique(items: list[Missing]) -> list[Missing]:
    seen, kept = set(), []
    for item in items:
        if item.answer not in seen:
            seen.add(item.answer)
            kept.append(item)
    return kept


def _foreign_type(physical: str) -> str | None:
    """Another engine's column type (VARCHAR(36), NUMBER(10,2), TIMESTAMP_NTZ) as a Tardis type."""
    text = physical.strip().lower()
    head = text.split("(")[0].strip()
    if head in DECIMAL_NAMES:
        digits = re.findall(r"\d+", text)
        if len(digits) == 2 and 0 < int(digits[0]) <= 38 and int(digits[1]) <= int(digits[0]):
            return f"decimal({digits[0]},{digits[1]})"
        if len(digits) == 1 and 0 < int(digits[0]) <= 38:
            return f"decimal({digits[0]},0)"
        return "double" if head == "number" and not digits else "decimal(38,9)"
    return FOREIGN_TYPES.get(head)


def _server_source(server: dict[str, Any], obj: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The spec source a server describes, or why it describes none (None when it is the lake itself)."""
    kind = str(server.get("type") or "").lower()
    fmt = str(server.get("format") or "").lower()
    object_name = str(obj.get("name"))
    if fmt == "iceberg":
        return None, None  # the lake Tardis publishes to (an export's own server)
    if kind == "kafka":
        topic = str(obj.get("physicalName") or object_name)
        fmt = fmt or "json"  # the standard's default for kafka servers
        if fmt not in _KAFKA_FORMATS:
            return None, f"kafka format {fmt!r} is not json, avro or protobuf"
        # Confluent's default TopicNameStrategy names the value subject <topic>-value
        kafka: dict[str, Any] = {"topic": topic, "format": fmt, "registry_subject": f"{topic}-value"}
        if fmt == "protobuf":
            kafka["message"] = object_name
        return {"kafka": kafka}, None
    if kind in _FILE_SERVERS:
        where = server.get("location") or server.get("path")
        if not where:
            return None, f"a {kind} server without location or path"
        if fmt not in _FILE_FORMATS:
            return None, f"file format {fmt or '(none)'!r} is not parquet, json or csv"
        uri = re.sub(r"\{(?:model|object|table)\}", object_name, str(where))
        files: dict[str, Any] = {"uri": uri, "format": fmt}
        head, _, last = uri.rpartition("/")
        if _GLOB.search(last):
            files = {"uri": head + "/", "format": fmt, "pattern": last}
        if fmt == "csv" and server.get("delimiter"):
            files["options"] = {"delimiter": str(server["delimiter"])}
        return {"files": files}, None
    return (
        None,
        f"server type {kind!r} is not a source Tardis lands from (kafka, or files on s3/azure/sftp/local)",
    )


def _cron_every(value: Any, unit: str | None) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return None
    if unit == "d" and value == 1:
        return "0 0 * * *"
    if unit == "h" and 24 % value == 0:
        return "0 * * * *" if value == 1 else f"0 */{value} * * *"
    if unit == "m" and 60 % value == 0:
        return "* * * * *" if value == 1 else f"*/{value} * * * *"
    return None


def _row_count_bounds(entry: dict[str, Any]) -> dict[str, int] | None:
    def number(key: str) -> float | None:
        value = entry.get(key)
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None

    if number("mustBe") is not None:
        return {"min": int(entry["mustBe"]), "max": int(entry["mustBe"])}
    between = entry.get("mustBeBetween")
    if isinstance(between, list) and len(between) == 2:
        return {"min": int(between[0]), "max": int(between[1])}
    if number("mustBeGreaterOrEqualTo") is not None:
        return {"min": int(entry["mustBeGreaterOrEqualTo"])}
    if number("mustBeGreaterThan") is not None:
        return {"min": int(entry["mustBeGreaterThan"]) + 1}
    if number("mustBeLessOrEqualTo") is not None:
        return {"max": int(entry["mustBeLessOrEqualTo"])}
    if number("mustBeLessThan") is not None:
        return {"max": int(entry["mustBeLessThan"]) - 1}
    return None


def _is_zero_violations(entry: dict[str, Any]) -> bool:
    return any(
        entry.get(op) == value and not isinstance(entry.get(op), bool) for op, value in ZERO_VIOLATIONS
    )


def _condition(entry: dict[str, Any]) -> str | None:
    """The entry's operator as a SQL comparison on the measured value (`<= 5`, `BETWEEN 1 AND 3`)."""
    for key, op in OPERATORS.items():
        value = entry.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{op} {sql_literal(value)}"
    for key in RANGE_OPERATORS:
        pair = entry.get(key)
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, int | float) for v in pair):
            negation = "NOT " if key == "mustNotBeBetween" else ""
            return f"{negation}BETWEEN {sql_literal(pair[0])} AND {sql_literal(pair[1])}"
    return None


def _violations_sql(metric: str, columns: list[str], missing: list[Any], valid: Any) -> str | None:
    quoted = [quote_identifier(c) for c in columns]
    if metric == "duplicateValues":
        return f"(COUNT(*) - COUNT(DISTINCT {', '.join(quoted)}))"
    if len(quoted) != 1:
        return None
    col = quoted[0]
    if metric == "nullValues":
        predicate = f"{col} IS NULL"
    elif metric == "missingValues":
        literals = ", ".join(sql_literal(v) for v in missing if isinstance(v, str | int | float))
        predicate = f"{col} IS NULL" + (f" OR {col} IN ({literals})" if literals else "")
    elif isinstance(valid, list) and any(v is not None for v in valid):
        literals = ", ".join(sql_literal(v) for v in valid if isinstance(v, str | int | float))
        predicate = f"{col} IS NOT NULL AND {col} NOT IN ({literals})"
    else:
        return None
    return f"COALESCE(SUM(CASE WHEN {predicate} THEN 1 ELSE 0 END), 0)"


def _this_table(query: str, obj: dict[str, Any]) -> str:
    """The query with the table the contract's object names (name or physicalName) as `{{ this }}`."""
    names = {str(obj.get("name") or "").lower(), str(obj.get("physicalName") or "").lower()} - {""}
    try:
        tree = sqlglot.parse_one(query, read="spark")
    except sqlglot.errors.ParseError:
        return query
    replaced = False
    for table in list(tree.find_all(exp.Table)):
        full = ".".join(part for part in (table.db, table.name) if part).lower()
        if table.name.lower() in names or full in names:
            table.replace(exp.to_table(_THIS).as_(table.alias) if table.alias else exp.to_table(_THIS))
            replaced = True
    return tree.sql(dialect="spark").replace(_THIS, "{{ this }}") if replaced else query


def _derived_name(rule: dict[str, Any]) -> str | None:
    try:
        return QualityRule.model_validate({k: v for k, v in rule.items() if k != "name"}).check_name
    except ValidationError:
        return None


def _contract_loc(spec_loc: Loc, obj_index: int, origins: dict[str, Loc]) -> Loc:
    """Where in the contract a spec field came from, for error positions."""
    head = spec_loc[0] if spec_loc else None
    if head in ("schema", "quality") and len(spec_loc) > 1:
        return origins.get(f"{head}.{spec_loc[1]}", ("schema", obj_index))
    if head in ("owner", "stakeholders"):
        return ("domain",) if spec_loc[1:2] == ("tribe",) else ("team",)
    if head == "source":
        return origins.get("source", ("customProperties",))
    if head in ("load", "vault"):
        return ("customProperties",)
    if head == "schedule":
        return ("slaProperties",)
    if head in ("name", "version", "description"):
        return (head,)
    return ()
