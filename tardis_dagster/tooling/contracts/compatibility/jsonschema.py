"""JSON Schema compatibility as Confluent Schema Registry decides it, with Tardis's safety additions.

A port of the registry's JSON Schema diff (`json-schema-provider/.../json/diff/`: `SchemaDiff`,
`ObjectSchemaDiff`, `ArraySchemaDiff`, `CombinedSchemaDiff`, `NumberSchemaDiff`, `StringSchemaDiff`,
`EnumSchemaDiff`, `ConstSchemaDiff`, `NotSchemaDiff`) on the schema tree of `jsonschema_model`. The
registry compares the earlier schema (`original`, the writer) with the new one (`update`, the
reader) and lists `Difference`s; the change is compatible when every difference is in its
`SchemaDiff.COMPATIBLE_CHANGES` (COMPATIBLE below, copied type for type).

Where the registry's answer lets data through that the new schema rejects, Tardis keeps the safe
answer and adds a difference of its own (TARDIS_INCOMPATIBLE, each with its reason in
docs/contracts.md "Deliberate differences"): a newly required property the registry does not see
(not in `properties` of both versions) or one with a `default` (the landing fills no defaults);
adding a property to a model that is open beside its `patternProperties`; `patternProperties`,
`propertyNames`, `unevaluatedProperties`, `unevaluatedItems`, `contains`, `minContains`,
`maxContains`, `format` and `if`/`then`/`else` (the registry's diff does not compare them); a draft-04
boolean `exclusiveMinimum` becomes an exclusive limit. Anything the model cannot analyse is
"cannot decide, treated as breaking" naming the keyword.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from tardis_dagster.tooling.contracts.compatibility import jsonschema_model as model
from tardis_dagster.tooling.contracts.compatibility.jsonschema_model import Node

Schema = dict[str, Any] | bool

# SchemaDiff.COMPATIBLE_CHANGES of confluentinc/schema-registry, then the types its Difference.Type
# names for 2019-09/2020-12 keywords whose error messages (Difference.error) mark the others breaking.
COMPATIBLE = frozenset(
    {
        "ID_CHANGED",
        "DESCRIPTION_CHANGED",
        "TITLE_CHANGED",
        "DEFAULT_CHANGED",
        "SCHEMA_REMOVED",
        "TYPE_EXTENDED",
        "MAX_LENGTH_INCREASED",
        "MAX_LENGTH_REMOVED",
        "MIN_LENGTH_DECREASED",
        "MIN_LENGTH_REMOVED",
        "PATTERN_REMOVED",
        "MAXIMUM_INCREASED",
        "MAXIMUM_REMOVED",
        "MINIMUM_DECREASED",
        "MINIMUM_REMOVED",
        "EXCLUSIVE_MAXIMUM_INCREASED",
        "EXCLUSIVE_MAXIMUM_REMOVED",
        "EXCLUSIVE_MINIMUM_DECREASED",
        "EXCLUSIVE_MINIMUM_REMOVED",
        "MULTIPLE_OF_REDUCED",
        "MULTIPLE_OF_REMOVED",
        "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
        "REQUIRED_ATTRIBUTE_REMOVED",
        "DEPENDENCY_ARRAY_NARROWED",
        "DEPENDENCY_ARRAY_REMOVED",
        "DEPENDENCY_SCHEMA_REMOVED",
        "MAX_PROPERTIES_INCREASED",
        "MAX_PROPERTIES_REMOVED",
        "MIN_PROPERTIES_DECREASED",
        "MIN_PROPERTIES_REMOVED",
        "ADDITIONAL_PROPERTIES_ADDED",
        "ADDITIONAL_PROPERTIES_EXTENDED",
        "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
        "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
        "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
        "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
        "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "MAX_ITEMS_INCREASED",
        "MAX_ITEMS_REMOVED",
        "MIN_ITEMS_DECREASED",
        "MIN_ITEMS_REMOVED",
        "UNIQUE_ITEMS_REMOVED",
        "ADDITIONAL_ITEMS_ADDED",
        "ADDITIONAL_ITEMS_EXTENDED",
        "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
        "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
        "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
        "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "ENUM_ARRAY_EXTENDED",
        "COMBINED_TYPE_EXTENDED",
        "PRODUCT_TYPE_NARROWED",
        "SUM_TYPE_EXTENDED",
        "NOT_TYPE_NARROWED",
        # 2019-09 / 2020-12 keywords (reasoning: like ADDITIONAL_*; Difference.error lists the rest)
        "UNEVALUATED_PROPERTIES_ADDED",
        "UNEVALUATED_PROPERTIES_EXTENDED",
        "UNEVALUATED_ITEMS_ADDED",
        "UNEVALUATED_ITEMS_EXTENDED",
        "MIN_CONTAINS_DECREASED",
        "MIN_CONTAINS_REMOVED",
        "MAX_CONTAINS_INCREASED",
        "MAX_CONTAINS_REMOVED",
        "CONTAINS_REMOVED",
        "PROPERTY_NAMES_REMOVED",
        "FORMAT_REMOVED",
        "PATTERN_PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
    }
)
# Differences only Tardis reports: the registry calls these changes compatible, data says otherwise.
TARDIS_INCOMPATIBLE = {
    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED": "required now; a default does not help, the landing fills none",
    "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL": "required; the landing fills no defaults",
    "PATTERN_PROPERTY_ADDED": "old data may hold names matching the new pattern with other values",
    "PATTERN_PROPERTY_REMOVED": "old data under the pattern now meets additionalProperties",
    "PROPERTY_NAMES_ADDED": "old data may hold property names the new propertyNames rejects",
    "CONTAINS_ADDED": "old arrays may hold no item matching the new contains",
    "FORMAT_ADDED": "the landing asserts formats; old strings may not match it",
    "FORMAT_CHANGED": "the landing asserts formats; old strings may not match the new one",
    "CONDITIONAL_CHANGED": "if/then/else changed; cannot decide, treated as breaking",
    "CANNOT_DECIDE": "cannot decide, treated as breaking",
}
REGISTRY_CALLS_COMPATIBLE = frozenset(
    {"REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"}
)


@dataclass(frozen=True)
class Difference:
    """One difference: the registry's type name (or a Tardis one) at a JSON pointer, with a detail."""

    type: str
    path: str
    detail: str = ""

    @property
    def compatible(self) -> bool:
        """Whether this difference alone keeps old data readable (Tardis's safety rules applied)."""
        return self.type in COMPATIBLE and self.type not in REGISTRY_CALLS_COMPATIBLE

    def __str__(self) -> str:
        note = self.detail or TARDIS_INCOMPATIBLE.get(self.type, "") or _explain(self)
        return f"{self.type} at {self.path}" + (f" ({note})" if note else "")


REQUIRED_NOW = "property '{name}' is required now; old data may lack it"
_EXPLAINED = {
    "TYPE_CHANGED": "the type changed",
    "TYPE_NARROWED": "number narrowed to integer",
    "SCHEMA_ADDED": "a schema now constrains what was unconstrained",
    "REQUIRED_ATTRIBUTE_ADDED": REQUIRED_NOW,
    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": REQUIRED_NOW,
    "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": "property '{name}' added to an open content model: old data "
    "may hold any value under this name (close the model with additionalProperties: false, or leave "
    "it untyped)",
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL": "property '{name}' removed from a closed content model: "
    "old data has it, the new schema rejects unknown properties",
    "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "old data may hold '{name}' with values of "
    "additionalProperties/patternProperties that the new property schema rejects",
    "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "old values of '{name}' do not fit the "
    "additionalProperties/patternProperties schema that now applies to it",
    "ADDITIONAL_PROPERTIES_REMOVED": "the content model was closed: old data may hold properties now "
    "rejected",
    "ADDITIONAL_PROPERTIES_NARROWED": "additional properties must now match a schema",
    "ENUM_ARRAY_NARROWED": "enum values removed",
    "ENUM_ARRAY_CHANGED": "enum or const values changed",
    "COMBINED_TYPE_CHANGED": "allOf/anyOf/oneOf changed to a stricter kind",
    "COMBINED_TYPE_SUBSCHEMAS_CHANGED": "a subschema of allOf/anyOf/oneOf has no compatible counterpart",
    "SUM_TYPE_NARROWED": "a branch of anyOf/oneOf removed",
    "PRODUCT_TYPE_EXTENDED": "allOf gained a part",
    "NOT_TYPE_EXTENDED": "'not' now excludes more",
    "UNIQUE_ITEMS_ADDED": "items must be unique now",
}


def _explain(difference: Difference) -> str:
    """A plain-words reason for an incompatible difference (the registry gives only its type)."""
    name = difference.path.rsplit("/", 1)[-1]
    if difference.type in _EXPLAINED:
        return _EXPLAINED[difference.type].format(name=name)
    if difference.compatible:
        return ""
    for suffix, words in (
        ("_ADDED", "added; old data may not meet it"),
        ("_INCREASED", "raised; old data may not meet it"),
        ("_DECREASED", "lowered; old data may not meet it"),
        ("_EXPANDED", "made stricter; old data may not meet it"),
        ("_CHANGED", "changed; old data may not meet it"),
        ("_NARROWED", "narrowed; old data may not meet it"),
        ("_REMOVED", "removed; old data may need it"),
    ):
        if difference.type.endswith(suffix):
            return f"'{name}' {words}"
    return ""


def incompatibilities(reader: Schema, writer: Schema) -> list[str]:
    """Why data written with `writer` may be rejected by `reader`; empty when the change is compatible."""
    reasons: list[str] = []
    for difference in differences(writer, reader):
        if not difference.compatible and str(difference) not in reasons:
            reasons.append(str(difference))
    return reasons


def differences(original: Schema, update: Schema) -> list[Difference]:
    """Every difference from `original` (the earlier/writer schema) to `update` (the reader schema)."""
    if original == update:
        return []
    context = _Context()
    try:
        _compare(context, model.load(original), model.load(update))
    except RecursionError:  # a pathological nesting depth: say so rather than crash
        return [
            Difference(
                "CANNOT_DECIDE", "#", "nested too deeply to compare; cannot decide, treated as breaking"
            )
        ]
    return context.found


class _Context:
    """The registry's diff Context: a JSON path, found differences, schemas being compared (cycles)."""

    def __init__(self, path: list[str] | None = None, active: set[int] | None = None) -> None:
        self.path = list(path or [])
        self.active = set(active or ())
        self.found: list[Difference] = []

    def sub(self) -> _Context:
        return _Context(self.path, self.active)

    @property
    def compatible(self) -> bool:
        return all(d.compatible for d in self.found)

    def add(self, kind: str, attribute: str | None = None, detail: str = "") -> None:
        parts = self.path + ([attribute] if attribute else [])
        self.found.append(Difference(kind, "#/" + "/".join(parts), detail))

    @contextmanager
    def at(self, *parts: str) -> Iterator[None]:
        self.path.extend(parts)
        try:
            yield
        finally:
            del self.path[len(self.path) - len(parts) :]


def _normalize(node: Node | None) -> Node | None:
    seen = 0
    while isinstance(node, model.ReferenceSchema) and seen < 64:
        node, seen = node.referred, seen + 1
    if isinstance(node, model.ReferenceSchema):
        return model.Unsupported(reason=f"$ref {node.ref!r} is a cycle of references")
    return node


def _compare(ctx: _Context, original: Node | None, update: Node | None) -> None:
    """SchemaDiff.compare."""
    if original is None and update is None:
        return
    if original is None:
        ctx.add("SCHEMA_ADDED")
        return
    if update is None:
        ctx.add("SCHEMA_REMOVED")
        return
    original, update = _normalize(original), _normalize(update)
    assert original is not None and update is not None
    for node in (original, update):
        if isinstance(node, model.Unsupported):
            ctx.add("CANNOT_DECIDE", detail=f"{node.reason}; cannot decide, treated as breaking")
            return
    if _singleton_or_union_rules(ctx, original, update):
        return
    if type(original) is not type(update):
        # TrueSchema extends EmptySchema: anything may become {} / true, false may become anything
        if not isinstance(original, model.FalseSchema) and not isinstance(update, model.EmptySchema):
            ctx.add("TYPE_CHANGED")
        return
    if id(original) in ctx.active:  # a recursive schema: the pair is being compared further up
        return
    ctx.active.add(id(original))
    try:
        _annotations(ctx, original, update)
        comparer = _COMPARERS.get(type(original))
        if comparer is not None:
            comparer(ctx, original, update)
    finally:
        ctx.active.discard(id(original))


def _singleton_or_union_rules(ctx: _Context, original: Node, update: Node) -> bool:
    """SchemaDiff's special cases between a combined and a plain schema; True when they decided."""
    if not isinstance(original, model.CombinedSchema) and isinstance(update, model.CombinedSchema):
        if len(update.subschemas) == 1:
            sub = ctx.sub()
            _compare(sub, original, update.subschemas[0])
            if sub.compatible:
                ctx.found += sub.found
                return True
        elif update.criterion in ("anyOf", "oneOf"):
            for branch in update.subschemas:
                sub = ctx.sub()
                _compare(sub, original, branch)
                if sub.compatible:
                    ctx.found += sub.found
                    ctx.add("SUM_TYPE_EXTENDED")
                    return True
    elif isinstance(original, model.CombinedSchema) and not isinstance(update, model.CombinedSchema):
        if len(original.subschemas) == 1:
            sub = ctx.sub()
            _compare(sub, original.subschemas[0], update)
            if sub.compatible:
                ctx.found += sub.found
                return True
        elif original.criterion == "allOf":
            for part in original.subschemas:
                sub = ctx.sub()
                _compare(sub, part, update)
                if sub.compatible:
                    ctx.found += sub.found
                    ctx.add("PRODUCT_TYPE_NARROWED")
                    return True
    return False


def _annotations(ctx: _Context, original: Node, update: Node) -> None:
    for attribute, kind in (
        ("id", "ID_CHANGED"),
        ("title", "TITLE_CHANGED"),
        ("description", "DESCRIPTION_CHANGED"),
        ("default", "DEFAULT_CHANGED"),
    ):
        if getattr(original, attribute) != getattr(update, attribute):
            ctx.add(kind)


def _limit(ctx: _Context, keyword: str, before: Any, after: Any) -> None:
    """The ADDED/REMOVED/INCREASED/DECREASED difference of one bound (NAME_ADDED etc., as the registry)."""
    name = {
        "maxLength": "MAX_LENGTH",
        "minLength": "MIN_LENGTH",
        "maximum": "MAXIMUM",
        "minimum": "MINIMUM",
        "exclusiveMaximum": "EXCLUSIVE_MAXIMUM",
        "exclusiveMinimum": "EXCLUSIVE_MINIMUM",
        "maxProperties": "MAX_PROPERTIES",
        "minProperties": "MIN_PROPERTIES",
        "maxItems": "MAX_ITEMS",
        "minItems": "MIN_ITEMS",
        "maxContains": "MAX_CONTAINS",
        "minContains": "MIN_CONTAINS",
    }[keyword]
    if before == after:
        return
    if before is None:
        ctx.add(f"{name}_ADDED", keyword)
    elif after is None:
        ctx.add(f"{name}_REMOVED", keyword)
    elif before < after:
        ctx.add(f"{name}_INCREASED", keyword)
    else:
        ctx.add(f"{name}_DECREASED", keyword)


def _strings(ctx: _Context, original: Any, update: Any) -> None:
    """StringSchemaDiff, plus `format` (Tardis: the landing asserts formats)."""
    _limit(ctx, "maxLength", original.max_length, update.max_length)
    _limit(ctx, "minLength", original.min_length, update.min_length)
    if original.pattern is None and update.pattern is not None:
        ctx.add("PATTERN_ADDED", "pattern")
    elif original.pattern is not None and update.pattern is None:
        ctx.add("PATTERN_REMOVED", "pattern")
    elif original.pattern != update.pattern:
        ctx.add("PATTERN_CHANGED", "pattern")
    if original.format is None and update.format is not None:
        ctx.add("FORMAT_ADDED", "format")
    elif original.format is not None and update.format is None:
        ctx.add("FORMAT_REMOVED", "format")
    elif original.format != update.format:
        ctx.add("FORMAT_CHANGED", "format")


def _numbers(ctx: _Context, original: Any, update: Any) -> None:
    """NumberSchemaDiff (multipleOf compared exactly, where the registry truncates to integers)."""
    _limit(ctx, "maximum", original.maximum, update.maximum)
    _limit(ctx, "minimum", original.minimum, update.minimum)
    _limit(ctx, "exclusiveMaximum", original.exclusive_maximum, update.exclusive_maximum)
    _limit(ctx, "exclusiveMinimum", original.exclusive_minimum, update.exclusive_minimum)
    before, after = _decimal(original.multiple_of), _decimal(update.multiple_of)
    if before != after:
        if before is None:
            ctx.add("MULTIPLE_OF_ADDED", "multipleOf")
        elif after is None:
            ctx.add("MULTIPLE_OF_REMOVED", "multipleOf")
        elif _divides(before, after):
            ctx.add("MULTIPLE_OF_EXPANDED", "multipleOf")
        elif _divides(after, before):
            ctx.add("MULTIPLE_OF_REDUCED", "multipleOf")
        else:
            ctx.add("MULTIPLE_OF_CHANGED", "multipleOf")
    for flag, keyword in (
        ("draft4_exclusive_minimum", "exclusiveMinimum"),
        ("draft4_exclusive_maximum", "exclusiveMaximum"),
    ):
        if getattr(original, flag) != getattr(update, flag):  # Tardis: draft-04's boolean form
            change = "ADDED" if getattr(update, flag) else "REMOVED"
            ctx.add(f"{keyword.upper().replace('EXCLUSIVE', 'EXCLUSIVE_')}_{change}", keyword)
    if original.requires_integer != update.requires_integer:
        ctx.add("TYPE_EXTENDED" if original.requires_integer else "TYPE_NARROWED")


def _divides(step: Decimal, value: Decimal) -> bool:
    """Whether `value` is a whole multiple of `step` (false for zero or infinite steps)."""
    try:
        return bool(step) and step.is_finite() and value.is_finite() and value % step == 0
    except InvalidOperation:
        return False


def _decimal(value: float | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _enums(ctx: _Context, original: Any, update: Any) -> None:
    """EnumSchemaDiff."""
    if original.values != update.values:
        if update.values >= original.values:
            ctx.add("ENUM_ARRAY_EXTENDED", "enum")
        elif original.values >= update.values:
            ctx.add("ENUM_ARRAY_NARROWED", "enum")
        else:
            ctx.add("ENUM_ARRAY_CHANGED", "enum")


def _consts(ctx: _Context, original: Any, update: Any) -> None:
    """ConstSchemaDiff."""
    if original.value != update.value:
        ctx.add("ENUM_ARRAY_CHANGED", "const")


def _nots(ctx: _Context, original: Any, update: Any) -> None:
    """NotSchemaDiff: the wrapped schemas compared the other way round."""
    with ctx.at("not"):
        sub = ctx.sub()
        _compare(sub, update.must_not, original.must_not)
        ctx.add("NOT_TYPE_NARROWED" if sub.compatible else "NOT_TYPE_EXTENDED")


def _conditionals(ctx: _Context, original: Any, update: Any) -> None:
    """Not compared by the registry; Tardis: any change to if/then/else cannot be decided."""
    if original.branches != update.branches:
        ctx.add("CONDITIONAL_CHANGED", "if")


def _combined(ctx: _Context, original: Any, update: Any) -> None:
    """CombinedSchemaDiff: criteria, then a maximum matching of compatible subschema pairs."""
    kind = _criteria(original, update)
    if kind is not None:
        ctx.add(kind)
    if kind == "COMBINED_TYPE_CHANGED":
        return
    before = _distinct(original.subschemas)
    after = _distinct(update.subschemas)
    if len(before) < len(after):
        ctx.add("PRODUCT_TYPE_EXTENDED" if update.criterion == "allOf" else "SUM_TYPE_EXTENDED")
    elif len(before) > len(after):
        ctx.add("SUM_TYPE_NARROWED" if original.criterion in ("anyOf", "oneOf") else "PRODUCT_TYPE_NARROWED")
    edges: dict[tuple[int, int], list[Difference]] = {}
    for i, left in enumerate(before):
        with ctx.at(f"{original.criterion}/{i}"):
            for j, right in enumerate(after):
                sub = ctx.sub()
                _compare(sub, left, right)
                if sub.compatible:
                    edges[(i, j)] = sub.found
    matching = _maximum_matching(len(before), len(after), set(edges))
    for pair in sorted(matching):
        ctx.found += edges[pair]
    if len(matching) < min(len(before), len(after)):
        ctx.add("COMBINED_TYPE_SUBSCHEMAS_CHANGED")


def _criteria(original: Any, update: Any) -> str | None:
    if original.criterion == update.criterion:
        return None
    single_before, single_after = len(original.subschemas) == 1, len(update.subschemas) == 1
    if (
        update.criterion == "anyOf"
        or (single_before and single_after)
        or (single_before and update.criterion == "oneOf")
        or (single_after and original.criterion == "allOf")
    ):
        return "COMBINED_TYPE_EXTENDED"
    return "COMBINED_TYPE_CHANGED"


def _distinct(nodes: list[Node]) -> list[Node]:
    """Subschemas with duplicates collapsed (the registry puts them in a set of JsonSchema)."""
    seen: set[str] = set()
    kept = []
    for node in nodes:
        key = model.canonical(node.source) if node.source is not None else str(id(node))
        if key not in seen:
            seen.add(key)
            kept.append(node)
    return kept


def _maximum_matching(left: int, right: int, edges: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """A maximum bipartite matching (augmenting paths; the registry's MaximumCardinalityMatch)."""
    match_right: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in range(right):
            if (i, j) in edges and j not in seen:
                seen.add(j)
                if j not in match_right or augment(match_right[j], seen):
                    match_right[j] = i
                    return True
        return False

    for i in range(left):
        augment(i, set())
    return {(i, j) for j, i in match_right.items()}


def _objects(ctx: _Context, original: Any, update: Any) -> None:
    """ObjectSchemaDiff, then the object keywords the registry does not compare."""
    _required(ctx, original, update)
    _properties(ctx, original, update)
    _dependencies(ctx, original, update)
    _open_content(ctx, "additionalProperties", "ADDITIONAL_PROPERTIES", original, update)
    _limit(ctx, "maxProperties", original.max_properties, update.max_properties)
    _limit(ctx, "minProperties", original.min_properties, update.min_properties)
    _patterns(ctx, original, update)
    if original.property_names is not None or update.property_names is not None:
        with ctx.at("propertyNames"):
            if original.property_names is None:
                ctx.add("PROPERTY_NAMES_ADDED")
            elif update.property_names is None:
                ctx.add("PROPERTY_NAMES_REMOVED")
            else:
                _compare(ctx, original.property_names, update.property_names)
    _open_content(ctx, "unevaluatedProperties", "UNEVALUATED_PROPERTIES", original, update)


def _open_content(ctx: _Context, keyword: str, name: str, original: Any, update: Any) -> None:
    """additionalProperties/Items, unevaluated*: allowed at all, then the schema they must meet."""
    permits = "permits_unevaluated" if keyword.startswith("unevaluated") else "permits_additional"
    schema = "unevaluated" if keyword.startswith("unevaluated") else "additional"
    with ctx.at(keyword):
        if getattr(original, permits) != getattr(update, permits):
            ctx.add(f"{name}_ADDED" if getattr(update, permits) else f"{name}_REMOVED")
        elif getattr(original, schema) is None and getattr(update, schema) is not None:
            ctx.add(f"{name}_NARROWED")
        elif getattr(update, schema) is None and getattr(original, schema) is not None:
            ctx.add(f"{name}_EXTENDED")
        else:
            _compare(ctx, getattr(original, schema), getattr(update, schema))


def _required(ctx: _Context, original: Any, update: Any) -> None:
    """compareRequired (properties declared in both versions), then Tardis: any other newly required name."""
    with ctx.at("required"):
        for name in original.properties:
            if name not in update.properties:
                continue
            before, after = name in original.required, name in update.required
            if before and not after:
                ctx.add("REQUIRED_ATTRIBUTE_REMOVED", name)
            elif after and not before:
                kind = (
                    "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED" if update.properties[name].has_default else None
                )
                ctx.add(kind or "REQUIRED_ATTRIBUTE_ADDED", name)
        for name in update.required:
            handled = name in original.properties and name in update.properties
            added_to_unopen = name in update.properties and name not in original.properties
            if (
                name not in original.required
                and not handled
                and not (added_to_unopen and not _open(original))
            ):
                ctx.add(
                    "REQUIRED_ATTRIBUTE_ADDED",
                    name,
                    "required now, not required before: old data may lack it",
                )


def _open(schema: Any) -> bool:
    """isOpenContentModel: no patternProperties, no additionalProperties schema, additional allowed."""
    return not schema.pattern_properties and schema.additional is None and schema.permits_additional


def _partial(schema: Any, name: str) -> Node | None:
    """schemaFromPartiallyOpenContentModel: the first matching pattern's schema, else additionalProperties."""
    for pattern, node in schema.pattern_properties.items():
        if _search(pattern, name):
            return node
    return schema.additional


def _search(pattern: str, name: str) -> bool:
    import re  # here: only partially open content models need it

    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


def _properties(ctx: _Context, original: Any, update: Any) -> None:
    """compareProperties, with Tardis's rule for a model open beside its patternProperties."""
    with ctx.at("properties"):
        for name in sorted(set(original.properties) | set(update.properties)):
            with ctx.at(name):
                before, after = original.properties.get(name), update.properties.get(name)
                if after is None:
                    _property_removed(ctx, before, update, name)
                elif before is None:
                    _property_added(ctx, after, original, update, name)
                else:
                    _compare(ctx, before, after)


def _property_removed(ctx: _Context, before: Node | None, update: Any, name: str) -> None:
    if _open(update):
        ctx.add("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL")
        return
    partial = _partial(update, name)
    if partial is not None:
        sub = ctx.sub()
        _compare(sub, before, partial)
        ctx.found += sub.found
        covered = sub.compatible
        ctx.add(f"PROPERTY_REMOVED_{'IS' if covered else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
    elif isinstance(_normalize(before), model.FalseSchema):
        ctx.add("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
    else:
        ctx.add("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL")


def _property_added(ctx: _Context, after: Node, original: Any, update: Any, name: str) -> None:
    empty = isinstance(_normalize(after), model.EmptySchema)
    if _open(original):
        ctx.add(
            "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
            if empty
            else "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
        )
        return
    partial = _partial(original, name)
    if partial is not None:
        sub = ctx.sub()
        _compare(sub, partial, after)
        ctx.found += sub.found
        covered = sub.compatible
        ctx.add(f"PROPERTY_ADDED_{'IS' if covered else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
    elif original.permits_additional and not empty:
        # Tardis: open beside its patternProperties, the old schema let any value through under this name
        ctx.add(
            "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
            detail="no pattern covers it, additionalProperties allowed it",
        )
    if name in update.required:
        with_default = after.has_default
        ctx.add(f"REQUIRED_PROPERTY_{'WITH_DEFAULT_' if with_default else ''}ADDED_TO_UNOPEN_CONTENT_MODEL")
    else:
        ctx.add("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")


def _patterns(ctx: _Context, original: Any, update: Any) -> None:
    """Tardis: patternProperties themselves (the registry uses them only to cover properties)."""
    with ctx.at("patternProperties"):
        for pattern in sorted(set(original.pattern_properties) | set(update.pattern_properties)):
            with ctx.at(pattern):
                before = original.pattern_properties.get(pattern)
                after = update.pattern_properties.get(pattern)
                if before is not None and after is not None:
                    _compare(ctx, before, after)
                elif after is not None:
                    _pattern_added(ctx, pattern, after, original, update)
                elif before is not None:
                    if update.permits_additional and update.additional is None:
                        ctx.add("PATTERN_PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL")
                    elif update.additional is not None:
                        _compare(ctx, before, update.additional)
                    else:
                        ctx.add("PATTERN_PROPERTY_REMOVED")


def _pattern_added(ctx: _Context, pattern: str, after: Node, original: Any, update: Any) -> None:
    """Old data under names the new pattern matches must meet its schema."""
    if original.additional is not None:
        _compare(ctx, original.additional, after)
    elif original.permits_additional:
        if not isinstance(_normalize(after), model.EmptySchema):
            ctx.add("PATTERN_PROPERTY_ADDED")
        return
    for name, node in sorted(original.properties.items()):
        if name in update.properties and _search(pattern, name):  # both apply to a declared property
            _compare(ctx, node, after)


def _dependencies(ctx: _Context, original: Any, update: Any) -> None:
    """compareDependencies: property (dependentRequired) and schema (dependentSchemas) dependencies."""
    with ctx.at("dependencies"):
        for name in sorted(set(original.property_dependencies) | set(update.property_dependencies)):
            with ctx.at(name):
                before = original.property_dependencies.get(name)
                after = update.property_dependencies.get(name)
                if after is None:
                    ctx.add("DEPENDENCY_ARRAY_REMOVED")
                elif before is None:
                    ctx.add("DEPENDENCY_ARRAY_ADDED")
                elif before != after:
                    if after >= before:
                        ctx.add("DEPENDENCY_ARRAY_EXTENDED")
                    elif before >= after:
                        ctx.add("DEPENDENCY_ARRAY_NARROWED")
                    else:
                        ctx.add("DEPENDENCY_ARRAY_CHANGED")
        for name in sorted(set(original.schema_dependencies) | set(update.schema_dependencies)):
            with ctx.at(name):
                before_schema = original.schema_dependencies.get(name)
                after_schema = update.schema_dependencies.get(name)
                if after_schema is None:
                    ctx.add("DEPENDENCY_SCHEMA_REMOVED")
                elif before_schema is None:
                    ctx.add("DEPENDENCY_SCHEMA_ADDED")
                else:
                    _compare(ctx, before_schema, after_schema)


def _arrays(ctx: _Context, original: Any, update: Any) -> None:
    """ArraySchemaDiff, then contains/minContains/maxContains and unevaluatedItems."""
    with ctx.at("items"):
        _compare(ctx, original.all_items, update.all_items)
    _tuple_items(ctx, original, update)
    _open_content(ctx, "additionalItems", "ADDITIONAL_ITEMS", original, update)
    _limit(ctx, "maxItems", original.max_items, update.max_items)
    _limit(ctx, "minItems", original.min_items, update.min_items)
    if original.unique_items != update.unique_items:
        ctx.add("UNIQUE_ITEMS_REMOVED" if original.unique_items else "UNIQUE_ITEMS_ADDED", "uniqueItems")
    if original.contains is not None or update.contains is not None:
        with ctx.at("contains"):
            if original.contains is None:
                ctx.add("CONTAINS_ADDED")
            elif update.contains is None:
                ctx.add("CONTAINS_REMOVED")
            else:
                _compare(ctx, original.contains, update.contains)
    if update.contains is not None:  # min/maxContains mean nothing without contains
        before_min = original.min_contains if original.contains is not None else None
        _limit(ctx, "minContains", before_min, update.min_contains)
        before_max = original.max_contains if original.contains is not None else None
        _limit(ctx, "maxContains", before_max, update.max_contains)
    _open_content(ctx, "unevaluatedItems", "UNEVALUATED_ITEMS", original, update)


def _tuple_items(ctx: _Context, original: Any, update: Any) -> None:
    """compareItemSchemaArray: the tuple positions, against the other side's content model beyond its end."""
    before, after = original.item_schemas or [], update.item_schemas or []
    for index in range(max(len(before), len(after))):
        with ctx.at(f"items/{index}"):
            if index < len(before) and index < len(after):
                _compare(ctx, before[index], after[index])
            elif index < len(before):
                _item_removed(ctx, before[index], update)
            else:
                _item_added(ctx, after[index], original)


def _item_removed(ctx: _Context, before: Node, update: Any) -> None:
    if update.additional is None and update.permits_additional:
        ctx.add("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL")
    elif update.additional is not None:
        sub = ctx.sub()
        _compare(sub, before, update.additional)
        ctx.found += sub.found
        ctx.add(f"ITEM_REMOVED_{'IS' if sub.compatible else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
    elif isinstance(_normalize(before), model.FalseSchema):
        ctx.add("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
    else:
        ctx.add("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL")


def _item_added(ctx: _Context, after: Node, original: Any) -> None:
    if original.additional is None and original.permits_additional:
        empty = isinstance(_normalize(after), model.EmptySchema)
        ctx.add(
            "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
            if empty
            else "ITEM_ADDED_TO_OPEN_CONTENT_MODEL"
        )
    elif original.additional is not None:
        sub = ctx.sub()
        _compare(sub, original.additional, after)
        ctx.found += sub.found
        ctx.add(f"ITEM_ADDED_{'IS' if sub.compatible else 'NOT'}_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
    else:
        ctx.add("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL")


_COMPARERS: dict[type, Any] = {
    model.StringSchema: _strings,
    model.NumberSchema: _numbers,
    model.EnumSchema: _enums,
    model.ConstSchema: _consts,
    model.CombinedSchema: _combined,
    model.NotSchema: _nots,
    model.ObjectSchema: _objects,
    model.ArraySchema: _arrays,
    model.ConditionalSchema: _conditionals,
}
