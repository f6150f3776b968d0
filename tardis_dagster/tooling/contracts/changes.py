"""Classify the differences between two versions of one data product spec.

Every difference becomes a `Change` with the version bump it needs: `major` for a breaking change,
`minor` for an additive one, `patch` for a cosmetic one. The rules (docs/contracts.md has the table):

breaking (major): a column removed or renamed; a column added as required; a type narrowed or
changed; optional -> required and required -> optional; pii added or removed; load type, key,
version_by or partitioning changed; an error-severity quality rule added or tightened; a vault
mapping removed or changed.
additive (minor): a column added as optional; a type widened (int -> bigint, float -> double,
decimal precision up at the same scale, a struct field added: Iceberg's in-place promotions); a
quality rule removed or loosened; a vault mapping added.
cosmetic (patch): descriptions, owner, stakeholders, schedule, source details, SQL text,
warn-severity quality rules, reject threshold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tardis_dagster.core import naming
from tardis_dagster.core.specs.datatypes import DataType, TypeSyntaxError, parse_type
from tardis_dagster.core.specs.model import Column, DataProduct, QualityRule
from tardis_dagster.core.specs.yaml_source import YamlSyntaxError, parse_yaml
from tardis_dagster.tooling.contracts.versioning import BUMP_ORDER, Bump

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Change:
    """One classified difference: what kind, where (dotted spec path and YAML location), which bump."""

    kind: str
    path: str
    bump: Bump
    message: str
    loc: Loc = ()
    line: int = 1

    @property
    def breaking(self) -> bool:
        """True when the change breaks consumers (needs a major version bump)."""
        return self.bump == "major"

    @property
    def classification(self) -> str:
        """breaking, additive or cosmetic."""
        return {"major": "breaking", "minor": "additive"}.get(self.bump, "cosmetic")


def required_bump(changes: Iterable[Change]) -> Bump:
    """The largest bump any of `changes` needs (`none` when there are none)."""
    return max((change.bump for change in changes), key=BUMP_ORDER.__getitem__, default="none")


def diff_products(old: DataProduct, new: DataProduct, new_text: str | None = None) -> list[Change]:
    """Every contract-relevant difference from `old` to `new`, classified, with lines in `new`'s file.

    `new_text` is the YAML text of the new spec (read from its file when not given) for line numbers.
    """
    changes = [
        *_columns(old, new),
        *_load(old, new),
        *_quality(old, new),
        *_vault(old, new),
        *_cosmetic(old, new),
    ]
    return _with_lines(changes, new.spec_path if new_text is None else None, new_text)


# --- columns ---------------------------------------------------------------------------------------


def _columns(old: DataProduct, new: DataProduct) -> list[Change]:
    changes: list[Change] = []
    old_names, new_names = old.column_names, new.column_names
    removed = [name for name in old_names if name not in new_names]
    added = [name for name in new_names if name not in old_names]
    renamed: dict[str, str] = {}
    for name in removed:
        index = old_names.index(name)
        # A rename shows as removed + added at the same position with the same type.
        if index < len(new_names) and new_names[index] in added and new_names[index] not in renamed.values():
            candidate = new.schema_[index]
            if _type_text(candidate.type) == _type_text(old.schema_[index].type):
                renamed[name] = candidate.name
    for name in removed:
        if name in renamed:
            changes.append(
                Change(
                    "column_renamed",
                    f"schema.{name}",
                    "major",
                    f"column '{name}' renamed to '{renamed[name]}' (consumers still query '{name}')",
                    ("schema", new_names.index(renamed[name]), "name"),
                )
            )
        else:
            changes.append(
                Change("column_removed", f"schema.{name}", "major", f"column '{name}' removed", ("schema",))
            )
    for name in added:
        if name in renamed.values():
            continue
        column = new.schema_[new_names.index(name)]
        loc: Loc = ("schema", new_names.index(name))
        if column.required:
            changes.append(
                Change(
                    "required_column_added",
                    f"schema.{name}",
                    "major",
                    f"column '{name}' added as required (producers and existing rows lack it)",
                    loc,
                )
            )
        else:
            changes.append(
                Change("column_added", f"schema.{name}", "minor", f"optional column '{name}' added", loc)
            )
    for index, column in enumerate(new.schema_):
        before = old.column(column.name)
        if before is not None:
            changes += _column(before, column, ("schema", index))
    return changes


def _column(old: Column, new: Column, loc: Loc) -> list[Change]:
    changes: list[Change] = []
    name = new.name
    old_type, new_type = _type_text(old.type), _type_text(new.type)
    if old_type != new_type:
        kind, bump, how = _type_change(old.type, new.type)
        changes.append(
            Change(
                kind,
                f"schema.{name}.type",
                bump,
                f"column '{name}' type {how}: {old_type} -> {new_type}",
                (*loc, "type"),
            )
        )
    if old.required != new.required:
        if new.required:
            changes.append(
                Change(
                    "column_now_required",
                    f"schema.{name}.required",
                    "major",
                    f"column '{name}' changed from optional to required (rows with nulls are rejected)",
                    (*loc, "required"),
                )
            )
        else:
            changes.append(
                Change(
                    "column_now_optional",
                    f"schema.{name}.required",
                    "major",
                    f"column '{name}' changed from required to optional (consumers may now see nulls)",
                    (*loc, "required"),
                )
            )
    if old.pii != new.pii:
        if new.pii:
            message = f"column '{name}' marked pii: its values are published as HMAC hashes from now on"
            changes.append(Change("pii_added", f"schema.{name}.pii", "major", message, (*loc, "pii")))
        else:
            message = f"column '{name}' no longer pii: its values would be published in clear text"
            changes.append(Change("pii_removed", f"schema.{name}.pii", "major", message, (*loc, "pii")))
    if (old.description or "") != (new.description or ""):
        changes.append(
            Change(
                "description_changed",
                f"schema.{name}.description",
                "patch",
                f"column '{name}' description changed",
                (*loc, "description"),
            )
        )
    return changes


def _type_text(text: str) -> str:
    try:
        return str(parse_type(text))
    except TypeSyntaxError:
        return text.strip().lower()


def _type_change(old: str, new: str) -> tuple[str, Bump, str]:
    try:
        before, after = parse_type(old), parse_type(new)
    except TypeSyntaxError:
        return "type_changed", "major", "changed"
    if widens(before, after):
        return "type_widened", "minor", "widened"
    if widens(after, before):
        return "type_narrowed", "major", "narrowed"
    return "type_changed", "major", "changed"


_PROMOTIONS = {("int", "bigint"), ("float", "double")}


def widens(old: DataType, new: DataType) -> bool:
    """True when every `old` value fits `new` and an Iceberg table can promote the column in place.

    int -> bigint, float -> double, decimal(P,S) -> decimal(P',S) with P' >= P; element-wise for
    arrays and map values; for structs, every old field widened and new fields added.
    """
    if old == new:
        return True
    if (old.name, new.name) in _PROMOTIONS:
        return True
    if old.name != new.name:
        return False
    if old.name == "decimal":
        return old.scale == new.scale and (new.precision or 0) >= (old.precision or 0)
    if old.name == "array" and old.element is not None and new.element is not None:
        return widens(old.element, new.element)
    if old.name == "map" and old.value is not None and new.value is not None:
        return old.key == new.key and widens(old.value, new.value)
    if old.name == "struct":
        fields = dict(new.fields)
        return all(name in fields and widens(kind, fields[name]) for name, kind in old.fields)
    return False


# --- load ------------------------------------------------------------------------------------------


def _load(old: DataProduct, new: DataProduct) -> list[Change]:
    changes: list[Change] = []
    a, b = old.load, new.load
    if a.type != b.type:
        message = f"load type changed from {a.type} to {b.type} (what a row means changes)"
        changes.append(Change("load_type_changed", "load.type", "major", message, ("load", "type")))
    if list(a.key) != list(b.key):
        message = f"key changed from {_list(a.key)} to {_list(b.key)}"
        changes.append(Change("key_changed", "load.key", "major", message, ("load", "key")))
    if a.version_by != b.version_by:
        message = f"version_by changed from {a.version_by or 'none'} to {b.version_by or 'none'}"
        changes.append(
            Change("version_by_changed", "load.version_by", "major", message, ("load", "version_by"))
        )
    if [str(p) for p in a.partition_by] != [str(p) for p in b.partition_by]:
        message = f"partitioning changed from {_list(a.partition_by)} to {_list(b.partition_by)}"
        changes.append(
            Change("partitioning_changed", "load.partition_by", "major", message, ("load", "partition_by"))
        )
    if a.reject_threshold != b.reject_threshold:
        message = f"reject_threshold changed from {a.reject_threshold} to {b.reject_threshold}"
        changes.append(
            Change(
                "reject_threshold_changed",
                "load.reject_threshold",
                "patch",
                message,
                ("load", "reject_threshold"),
            )
        )
    return changes


def _list(values: Iterable[Any]) -> str:
    items = [str(value) for value in values]
    return "[" + ", ".join(items) + "]" if items else "none"


# --- quality ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Constraint:
    """One guarantee a quality rule makes, normalised so that two spec versions compare."""

    key: tuple[str, ...]
    value: Any
    blocking: bool
    index: int

    @property
    def label(self) -> str:
        kind, *rest = self.key
        return f"{kind}({', '.join(rest)})" if rest else kind


def _constraints(rules: list[QualityRule]) -> dict[tuple[str, ...], _Constraint]:
    found: dict[tuple[str, ...], _Constraint] = {}
    for index, rule in enumerate(rules):
        blocking = rule.severity == "error"
        entries: list[tuple[tuple[str, ...], Any]] = []
        if rule.row_count is not None:
            entries.append((("row_count",), (rule.row_count.min, rule.row_count.max)))
        elif rule.freshness is not None:
            entries.append((("freshness", rule.freshness.column), rule.freshness.max_age_seconds))
        elif rule.not_null is not None:
            entries += [(("not_null", column), True) for column in rule.not_null]
        elif rule.unique is not None:
            entries.append((("unique", *sorted(rule.unique)), True))
        elif rule.accepted_values is not None:
            entries.append(
                (
                    ("accepted_values", rule.accepted_values.column),
                    frozenset(map(str, rule.accepted_values.values)),
                )
            )
        elif rule.range is not None:
            entries.append((("range", rule.range.column), (rule.range.min, rule.range.max)))
        elif rule.sql is not None:
            entries.append((("sql", rule.check_name), " ".join(rule.sql.split())))
        for key, value in entries:
            found[key] = _Constraint(key, value, blocking, index)
    return found


def _tighter(kind: str, old: Any, new: Any) -> tuple[bool, bool]:
    """(tightened, loosened) for one constraint kind's values."""
    if kind in ("row_count", "range"):
        (old_min, old_max), (new_min, new_max) = old, new
        tight = _raised(old_min, new_min) or _lowered(old_max, new_max)
        loose = _raised(new_min, old_min) or _lowered(new_max, old_max)
        return tight, loose
    if kind == "freshness":
        return new < old, new > old
    if kind == "accepted_values":
        return bool(old - new), bool(new - old)
    if kind == "sql":
        return old != new, False  # a changed query may reject more: cannot prove otherwise
    return False, False


def _raised(old: float | None, new: float | None) -> bool:
    """A lower bound got stricter: added, or raised."""
    return new is not None and (old is None or new > old)


def _lowered(old: float | None, new: float | None) -> bool:
    """An upper bound got stricter: added, or lowered."""
    return new is not None and (old is None or new < old)


def _quality(old: DataProduct, new: DataProduct) -> list[Change]:
    changes: list[Change] = []
    before, after = _constraints(old.quality), _constraints(new.quality)
    for key, rule in after.items():
        loc: Loc = ("quality", rule.index)
        previous = before.get(key)
        if previous is None:
            if rule.blocking:
                message = (
                    f"quality rule {rule.label} added (tightened: existing data or producers may fail it)"
                )
                changes.append(Change("quality_rule_added", f"quality.{rule.label}", "major", message, loc))
            else:
                message = f"warning-only quality rule {rule.label} added"
                changes.append(
                    Change("quality_warning_added", f"quality.{rule.label}", "patch", message, loc)
                )
            continue
        tight, loose = _tighter(key[0], previous.value, rule.value)
        if rule.blocking and not previous.blocking:
            tight = True
        if previous.blocking and not rule.blocking:
            loose = True
        if tight and rule.blocking:
            message = f"quality rule {rule.label} tightened"
            changes.append(Change("quality_rule_tightened", f"quality.{rule.label}", "major", message, loc))
        elif tight:
            message = f"warning-only quality rule {rule.label} tightened"
            changes.append(
                Change("quality_warning_tightened", f"quality.{rule.label}", "patch", message, loc)
            )
        elif loose:
            message = f"quality rule {rule.label} loosened (consumers lose part of a guarantee)"
            changes.append(Change("quality_rule_loosened", f"quality.{rule.label}", "minor", message, loc))
    for key, rule in before.items():
        if key not in after:
            bump: Bump = "minor" if rule.blocking else "patch"
            message = f"quality rule {rule.label} removed (consumers lose a guarantee)"
            changes.append(
                Change("quality_rule_removed", f"quality.{rule.label}", bump, message, ("quality",))
            )
    return changes


# --- vault -----------------------------------------------------------------------------------------


def _vault(old: DataProduct, new: DataProduct) -> list[Change]:
    changes: list[Change] = []
    sections = (
        ("hubs", "hub", lambda m: m.hub, lambda m: tuple(m.key)),
        ("links", "link", lambda m: m.link, lambda m: tuple(m.hubs)),
        ("satellites", "satellite", lambda m: m.satellite, lambda m: (m.parent, tuple(m.columns))),
    )
    for section, what, name_of, shape_of in sections:
        before = {name_of(m): m for m in getattr(old.vault, section)}
        after_list = getattr(new.vault, section)
        after = {name_of(m): m for m in after_list}
        for index, mapping in enumerate(after_list):
            name = name_of(mapping)
            loc: Loc = ("vault", section, index)
            path = f"vault.{section}.{name}"
            if name not in before:
                message = f"vault {what} mapping '{name}' added"
                changes.append(Change("vault_mapping_added", path, "minor", message, loc))
            elif shape_of(before[name]) != shape_of(mapping):
                if section == "satellites" and _only_added_columns(before[name], mapping):
                    extra = sorted(set(mapping.columns) - set(before[name].columns))
                    message = f"satellite '{name}' tracks more columns: {extra}"
                    changes.append(Change("satellite_columns_added", path, "minor", message, loc))
                else:
                    message = (
                        f"vault {what} mapping '{name}' changed (the vault model it feeds changes meaning)"
                    )
                    changes.append(Change("vault_mapping_changed", path, "major", message, loc))
        for name in before:
            if name not in after:
                message = (
                    f"vault {what} mapping '{name}' removed (vault.{_table(what, name)} loses this feed)"
                )
                changes.append(
                    Change(
                        "vault_mapping_removed",
                        f"vault.{section}.{name}",
                        "major",
                        message,
                        ("vault", section),
                    )
                )
    return changes


def _only_added_columns(old: Any, new: Any) -> bool:
    return old.parent == new.parent and set(old.columns) < set(new.columns)


def _table(what: str, name: str) -> str:
    return naming.vault_table(what, name)


# --- cosmetic --------------------------------------------------------------------------------------


def _cosmetic(old: DataProduct, new: DataProduct) -> list[Change]:
    changes: list[Change] = []
    simple = (
        ("description", "description changed", old.description, new.description, ("description",)),
        ("owner", "owner changed", old.owner.model_dump(), new.owner.model_dump(), ("owner",)),
        ("stakeholders", "stakeholders changed", old.stakeholders, new.stakeholders, ("stakeholders",)),
        (
            "schedule",
            f"schedule changed from {old.schedule} to {new.schedule}",
            old.schedule,
            new.schedule,
            ("schedule",),
        ),
    )
    for path, message, before, after, loc in simple:
        if before != after:
            changes.append(Change(f"{path}_changed", path, "patch", message, loc))
    if old.source.kind != new.source.kind:
        message = f"source changed from {old.source.kind} to {new.source.kind}"
        changes.append(Change("source_changed", "source", "patch", message, ("source",)))
    elif old.source.kafka is not None and new.source.kafka is not None:
        for field in ("topic", "format", "message", "registry_subject", "compatibility", "schema_"):
            a, b = getattr(old.source.kafka, field), getattr(new.source.kafka, field)
            name = field.rstrip("_")
            if a != b:
                message = f"kafka {name} changed from {a} to {b}"
                changes.append(
                    Change(
                        "source_changed", f"source.kafka.{name}", "patch", message, ("source", "kafka", name)
                    )
                )
    elif old.source.files is not None and new.source.files is not None:
        if old.source.files.model_dump() != new.source.files.model_dump():
            changes.append(
                Change("source_changed", "source.files", "patch", "files source changed", ("source", "files"))
            )
    elif _sql(old) != _sql(new):
        changes.append(
            Change("sql_changed", "source.sql", "patch", "SQL changed (same published schema)", ("source",))
        )
    return changes


def _sql(product: DataProduct) -> str | None:
    try:
        text = product.sql_text
    except OSError:
        return None
    return " ".join(text.split()) if text is not None else None


# --- lines -----------------------------------------------------------------------------------------


def _with_lines(changes: list[Change], path: Path | None, text: str | None) -> list[Change]:
    if text is None and path is not None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError:
            return changes
    if text is None:
        return changes
    try:
        doc = parse_yaml(text)
    except YamlSyntaxError:
        return changes
    return [replace(change, line=doc.locate(change.loc, at_key=True)[0]) for change in changes]
