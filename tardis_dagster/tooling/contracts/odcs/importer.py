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

from pydantic import ValidationError

from tardis_dagster.core.specs import DataProduct
from tardis_dagster.core.specs.fields import EMAIL_PATTERN, SLACK_CHANNEL_PATTERN
from tardis_dagster.core.specs.model import API_VERSION
from tardis_dagster.core.specs.problems import Problem
from tardis_dagster.core.specs.specfile import field_name
from tardis_dagster.tooling.contracts.odcs.answers import ImportAnswers, ProductAnswers
from tardis_dagster.tooling.contracts.odcs.checks import import_rule, latency_rules, sla_schedule
from tardis_dagster.tooling.contracts.odcs.columns import column_rules, import_column
from tardis_dagster.tooling.contracts.odcs.documents import (
    STANDARD_URL,
    ContractFileError,
    ContractText,
    dump_yaml,
    import_findings,
    read_contract,
)
from tardis_dagster.tooling.contracts.odcs.findings import (
    ContractError,
    ContractImportError,
    Loc,
    Missing,
    Note,
    custom_value,
    is_empty,
    node_get,
    node_list,
)
from tardis_dagster.tooling.contracts.odcs.mapping import (
    FREQUENCY,
    LATENCY_PROPERTIES,
    LEGACY_NAMES,
    LOAD_PROPERTY,
    OWNER_ROLE,
    SOURCE_PROPERTY,
    STAKEHOLDER_ROLE,
    VAULT_PROPERTY,
    tardis_name,
)
from tardis_dagster.tooling.contracts.odcs.servers import server_source

_SLACK = re.compile(SLACK_CHANNEL_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)
_SEMVER_SHORT = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?$")
# Top-level keys a spec carries (or that need no carrying: the contract's own bookkeeping).
_TOP_CARRIED = frozenset(
    {"apiVersion", "kind", "id", "name", "version", "status", "domain", "dataProduct", "description"}
    | {"team", "schema", "servers", "slaProperties", "customProperties", "support", "roles"}
    | {"slaDefaultElement"}
)
_OBJECT_CARRIED = frozenset(
    {"name", "physicalName", "physicalType", "logicalType", "description", "properties", "quality"}
)


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


def _is_contact(value: Any) -> bool:
    return isinstance(value, str) and (
        _SLACK.fullmatch(value) is not None or _EMAIL.fullmatch(value) is not None
    )


class _Importer:
    """One pass over one contract: collects specs, notes, errors and missing items."""

    def __init__(self, data: dict[str, Any], answers: ImportAnswers) -> None:
        self.data = data
        self.answers = answers
        self.errors: list[ContractError] = []
        self.missing: list[Missing] = []
        self.notes: list[Note] = []
        # which servers, roles and support channels some product used (the rest is noted once)
        self.used: set[Loc] = set()

    def run(self, schema_object: str | None) -> tuple[list[ImportResult], list[Note]]:
        """The products of the chosen schema objects (all by default) and the contract-wide notes."""
        objects = [
            (i, obj) for i, obj in enumerate(node_list(self.data.get("schema"))) if isinstance(obj, dict)
        ]
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
        self.schedule = sla_schedule(self.data, self.notes)
        specs = [(i, obj, self._spec(i, obj, owner, single)) for i, obj in objects]
        self._unused_notes(owner)
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
        leftovers = [k for k, v in self.data.items() if k not in _TOP_CARRIED and not is_empty(v)]
        for key in leftovers:
            self.notes.append(Note((key,), "not carried over (a spec has no place for it)"))
        described = self.data.get("description")
        if isinstance(described, dict):
            for key in ("authoritativeDefinitions", "customProperties"):
                if not is_empty(described.get(key)):
                    self.notes.append(Note(("description", key), "not carried over"))
        for i, prop in enumerate(node_list(self.data.get("customProperties"))):
            name = node_get(prop, "property")
            known = {SOURCE_PROPERTY, LOAD_PROPERTY, VAULT_PROPERTY, *LEGACY_NAMES.values()}
            if name not in known:
                self.notes.append(Note(("customProperties", i), f"custom property {name!r} not carried over"))
        for i, sla in enumerate(node_list(self.data.get("slaProperties"))):
            prop = node_get(sla, "property")
            if prop not in (FREQUENCY, *LATENCY_PROPERTIES):
                self.notes.append(Note(("slaProperties", i), f"SLA {prop!r} not carried over"))

    def _unused_notes(self, owner: dict[str, Any]) -> None:
        for i, server in enumerate(node_list(self.data.get("servers"))):
            lake = str(node_get(server, "format") or "").lower() == "iceberg"  # where Tardis publishes
            if ("servers", i) not in self.used and not lake:
                self.notes.append(Note(("servers", i), "not carried over: no product lands from this server"))
        for i, role in enumerate(node_list(self.data.get("roles"))):
            if ("roles", i) not in self.used:
                name = node_get(role, "role")
                self.notes.append(Note(("roles", i), f"access role {name!r} not carried over"))
        for i, support in enumerate(node_list(self.data.get("support"))):
            if ("support", i) not in self.used and node_get(support, "channel") != owner.get("contact"):
                self.notes.append(Note(("support", i), "support channel not carried over"))

    def _owner(self) -> dict[str, Any]:
        """tribe, squad, contact and stakeholders, from answers, domain, team, roles and support."""
        owner: dict[str, Any] = {}
        tribe = self.answers.tribe or self.data.get("domain")
        self._name_into(owner, "tribe", tribe, ("domain",), "the tribe (owner.tribe)", "--tribe", "tribe")
        team = self.data.get("team")
        members = team if isinstance(team, list) else node_list(node_get(team, "members"))
        members_loc: Loc = ("team",) if isinstance(team, list) else ("team", "members")
        squad = self.answers.squad or node_get(team, "name")
        self._name_into(owner, "squad", squad, ("team",), "the squad (owner.squad)", "--squad", "squad")
        if isinstance(team, dict):
            for key in ("description", "tags", "customProperties", "authoritativeDefinitions", "id"):
                if not is_empty(team.get(key)):
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
            key=lambda i: (_role(members[i]) != OWNER_ROLE, bool(node_get(members[i], "dateOut")), i),
        )
        for i in ranked:
            username = node_get(members[i], "username")
            if _is_contact(username):
                return username, {i}
        for i, role in enumerate(node_list(self.data.get("roles"))):
            if OWNER_ROLE in str(node_get(role, "role") or "").lower():
                for key in ("firstLevelApprovers", "secondLevelApprovers"):
                    if _is_contact(node_get(role, key)):
                        self.notes.append(Note(("roles", i, key), "used as the owner's contact"))
                        self.used.add(("roles", i))
                        return node_get(role, key), set(ranked[:1])
        for i, support in enumerate(node_list(self.data.get("support"))):
            for candidate in (
                node_get(support, "channel"),
                str(node_get(support, "url") or "").removeprefix("mailto:"),
            ):
                if _is_contact(candidate):
                    why = ""
                    if ranked:
                        username = node_get(members[ranked[0]], "username")
                        why = f" (the owner {username!r} is not a Slack channel or email address)"
                    self.notes.append(Note(("support", i), f"used as the owner's contact{why}"))
                    self.used.add(("support", i))
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
            if key not in _OBJECT_CARRIED and not is_empty(value):
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
        physical = obj.get("physicalName")
        topic = node_get(node_get(source, "kafka"), "topic")
        if (
            physical
            and physical not in (topic, spec["name"])
            and not str(physical).endswith(f".{spec['name']}")
        ):
            notes.append(
                Note((*base, "physicalName"), f"not carried over: the table is named {spec['name']!r}")
            )
        schedule = product_answers.schedule or self.answers.schedule or self.schedule
        if schedule is not None:
            spec["schedule"] = schedule
        properties = [(i, p) for i, p in enumerate(node_list(obj.get("properties"))) if isinstance(p, dict)]
        columns = []
        rules: list[tuple[dict[str, Any], Loc]] = []
        derived: list[tuple[dict[str, Any], Loc]] = []
        for i, prop in properties:
            loc = (*base, "properties", i)
            column = import_column(prop, loc, notes, self.errors)
            if column is None:
                continue
            origins[f"schema.{len(columns)}"] = loc
            columns.append(column)
            for j, entry in enumerate(node_list(prop.get("quality"))):
                rule = import_rule(entry, column["name"], obj, (*loc, "quality", j), notes)
                if rule is not None:
                    rules.append((rule, (*loc, "quality", j)))
            derived += column_rules(prop, column, loc, notes)
        spec["schema"] = columns
        spec["load"] = self._load(index, properties, columns, notes)
        for j, entry in enumerate(node_list(obj.get("quality"))):
            rule = import_rule(entry, None, obj, (*base, "quality", j), notes)
            if rule is not None:
                rules.append((rule, (*base, "quality", j)))
        derived += latency_rules(self.data, obj, columns, self.notes)
        spec["quality"] = []
        seen: set[str] = set()
        for rule, loc in rules + derived:
            key = json.dumps({k: v for k, v in rule.items() if k not in ("name", "severity", "description")})
            if key in seen:
                continue
            seen.add(key)
            origins[f"quality.{len(spec['quality'])}"] = loc
            spec["quality"].append(rule)
        found, vault = custom_value(self.data.get("customProperties"), VAULT_PROPERTY)
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
        found, source = custom_value(self.data.get("customProperties"), SOURCE_PROPERTY)
        if found:
            origins["source"] = ("customProperties",)
            return source
        reasons = []
        chosen: dict[str, Any] | None = None
        servers = list(enumerate(node_list(self.data.get("servers"))))
        # production servers first: that is where the data to land comes from
        servers.sort(
            key=lambda s: str(node_get(s[1], "environment") or "").lower() not in ("prod", "production")
        )
        for i, server in servers:
            if not isinstance(server, dict):
                continue
            if chosen is not None:
                continue
            source, reason = server_source(server, obj)
            if source is not None:
                chosen = source
                origins["source"] = ("servers", i)
                self.used.add(("servers", i))
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
                    if len(node_list(self.data.get("schema"))) == 1
                    else f"products.{object_name}.source",
                    {"kafka": {"topic": "<topic>", "format": "json", "schema": "schemas/<name>.json"}},
                )
            )
        return chosen

    def _load(
        self, index: int, properties: list[tuple[int, Any]], columns: list[dict[str, Any]], notes: list[Note]
    ) -> Any:
        found, load = custom_value(self.data.get("customProperties"), LOAD_PROPERTY)
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
    return str(node_get(member, "role") or "").strip().lower()


def _unique(items: list[Missing]) -> list[Missing]:
    seen, kept = set(), []
    for item in items:
        if item.answer not in seen:
            seen.add(item.answer)
            kept.append(item)
    return kept


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
