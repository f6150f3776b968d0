"""A JSON Schema document as the typed schema tree Confluent Schema Registry compares.

The registry's JSON Schema diff (`io.confluent.kafka.schemaregistry.json.diff.SchemaDiff`) does not
compare raw JSON: it compares the schema objects of the everit library (drafts 4, 6, 7; drafts
2019-09 and 2020-12 are translated into the same objects by its `SchemaTranslator`). This module
builds that tree: one node per everit class (`StringSchema`, `NumberSchema`, `ObjectSchema`,
`ArraySchema`, `CombinedSchema`, `EnumSchema`, `ConstSchema`, `NotSchema`, `ConditionalSchema`,
`BooleanSchema`, `NullSchema`, `EmptySchema`/`TrueSchema`, `FalseSchema`), with everit's loading
rules: a `type` array becomes an `anyOf` of one schema per type; keywords of several kinds in one
schema (`{type: string, enum: [...]}`) become a *synthetic* `allOf`; `$ref` is followed.

The draft comes from `$schema` (draft-04, draft-06, draft-07, 2019-09, 2020-12); without one the
document is read as 2020-12, the draft the landing validates it with (core/formats/jsonschema.py).
The draft decides `items` (a list is the tuple form up to 2019-09, `prefixItems` from 2020-12),
`additionalItems`, `dependencies` (up to draft-07) versus `dependentRequired`/`dependentSchemas`,
`definitions`/`$defs`, a `$ref`'s siblings (ignored up to draft-07) and draft-04's boolean
`exclusiveMinimum`/`exclusiveMaximum`.

Keywords the comparison cannot analyse (`$dynamicRef`, `$recursiveRef`, a remote `$ref`, a malformed
value) become `Unsupported` nodes: the comparison reports them as "cannot decide".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

Draft = Literal["draft-04", "draft-06", "draft-07", "2019-09", "2020-12"]
DEFAULT_DRAFT: Draft = "2020-12"
DRAFTS: dict[str, Draft] = {
    "json-schema.org/draft-04/schema": "draft-04",
    "json-schema.org/draft-06/schema": "draft-06",
    "json-schema.org/draft-07/schema": "draft-07",
    "json-schema.org/draft/2019-09/schema": "2019-09",
    "json-schema.org/draft/2020-12/schema": "2020-12",
}
STRING_KEYWORDS = frozenset({"minLength", "maxLength", "pattern", "format"})
NUMBER_KEYWORDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})
OBJECT_KEYWORDS = frozenset(
    {
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
        "minProperties",
        "maxProperties",
        "dependencies",
        "dependentRequired",
        "dependentSchemas",
        "propertyNames",
        "unevaluatedProperties",
    }
)
ARRAY_KEYWORDS = frozenset(
    {
        "items",
        "prefixItems",
        "additionalItems",
        "minItems",
        "maxItems",
        "uniqueItems",
        "contains",
        "minContains",
        "maxContains",
        "unevaluatedItems",
    }
)
# Validation keywords no comparison here can reason about: their presence makes the verdict "cannot decide".
UNSUPPORTED_KEYWORDS = frozenset({"$dynamicRef", "$recursiveRef"})
TYPES = ("string", "number", "integer", "boolean", "null", "object", "array")


@dataclass(eq=False)
class Node:
    """Common to every schema node: everit's id, title, description and default (compared as annotations)."""

    id: Any = None
    title: Any = None
    description: Any = None
    default: Any = None
    has_default: bool = False
    source: Any = None  # the JSON this node was read from (equality of combined subschemas, messages)


@dataclass(eq=False)
class EmptySchema(Node):
    """`{}` or `true`: accepts everything (everit's TrueSchema extends EmptySchema)."""


@dataclass(eq=False)
class FalseSchema(Node):
    """`false`: accepts nothing."""


@dataclass(eq=False)
class StringSchema(Node):
    """`type: string` and the string keywords."""

    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    format: str | None = None


@dataclass(eq=False)
class NumberSchema(Node):
    """`type: number`/`integer` and the numeric keywords; `exclusive_*` are limits, draft-04 has flags."""

    requires_integer: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: float | None = None
    draft4_exclusive_minimum: bool = False
    draft4_exclusive_maximum: bool = False


@dataclass(eq=False)
class BooleanSchema(Node):
    """`type: boolean`."""


@dataclass(eq=False)
class NullSchema(Node):
    """`type: null`."""


@dataclass(eq=False)
class EnumSchema(Node):
    """`enum`: its values as canonical JSON texts (so 1 and "1" differ, key order does not)."""

    values: frozenset[str] = frozenset()


@dataclass(eq=False)
class ConstSchema(Node):
    """`const`, as canonical JSON text."""

    value: str = ""


@dataclass(eq=False)
class NotSchema(Node):
    """`not`."""

    must_not: Node = field(default_factory=EmptySchema)


@dataclass(eq=False)
class ConditionalSchema(Node):
    """`if`/`then`/`else` (draft-07 and later)."""

    branches: str = ""  # canonical JSON of the three keywords: compared for equality only


@dataclass(eq=False)
class ObjectSchema(Node):
    """`type: object` and the object keywords."""

    properties: dict[str, Node] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    permits_additional: bool = True
    additional: Node | None = None
    pattern_properties: dict[str, Node] = field(default_factory=dict)
    min_properties: int | None = None
    max_properties: int | None = None
    property_dependencies: dict[str, frozenset[str]] = field(default_factory=dict)
    schema_dependencies: dict[str, Node] = field(default_factory=dict)
    property_names: Node | None = None
    permits_unevaluated: bool = True
    unevaluated: Node | None = None


@dataclass(eq=False)
class ArraySchema(Node):
    """`type: array` and the array keywords; `item_schemas` is the tuple (`items: [...]`/`prefixItems`)."""

    all_items: Node | None = None
    item_schemas: list[Node] | None = None
    permits_additional: bool = True
    additional: Node | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False
    contains: Node | None = None
    min_contains: int | None = None
    max_contains: int | None = None
    permits_unevaluated: bool = True
    unevaluated: Node | None = None


@dataclass(eq=False)
class CombinedSchema(Node):
    """`allOf`/`anyOf`/`oneOf`; `synthetic` marks the allOf everit makes of a schema with several kinds."""

    criterion: Literal["allOf", "anyOf", "oneOf"] = "allOf"
    subschemas: list[Node] = field(default_factory=list)
    synthetic: bool = False


@dataclass(eq=False)
class ReferenceSchema(Node):
    """A local `$ref`; `referred` is filled once the target is built (references may be cyclic)."""

    ref: str = ""
    referred: Node | None = None


@dataclass(eq=False)
class Unsupported(Node):
    """Something the comparison cannot analyse: `reason` names the keyword."""

    reason: str = ""


def canonical(value: Any) -> str:
    """JSON text with sorted keys: the identity of a value for enum sets and duplicate subschemas."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def draft_of(document: Any) -> Draft:
    """The draft named by `$schema` (any http/https form, with or without `#`); DEFAULT_DRAFT without one."""
    declared = document.get("$schema") if isinstance(document, dict) else None
    if not isinstance(declared, str):
        return DEFAULT_DRAFT
    bare = declared.split("://", 1)[-1].rstrip("#")
    return DRAFTS.get(bare, DEFAULT_DRAFT)


def load(document: Any) -> Node:
    """The schema tree of a whole document (its own `$schema` decides the draft)."""
    return _Loader(document, draft_of(document)).node(document, "#")


class _Loader:
    """Builds nodes for one document; memoises by JSON pointer so cyclic `$ref`s terminate."""

    def __init__(self, root: Any, draft: Draft) -> None:
        self.root = root
        self.draft = draft
        self.by_pointer: dict[str, Node] = {}

    @property
    def modern(self) -> bool:
        return self.draft in ("2019-09", "2020-12")

    def node(self, schema: Any, pointer: str) -> Node:
        """The node for the subschema at JSON pointer `pointer` (built once)."""
        if pointer in self.by_pointer:
            return self.by_pointer[pointer]
        built = self._build(schema, pointer)
        self.by_pointer[pointer] = built
        return built

    def _build(self, schema: Any, at: str) -> Node:
        if schema is True:
            return EmptySchema(source=True)
        if schema is False:
            return FalseSchema(source=False)
        if not isinstance(schema, dict):
            return Unsupported(reason=f"{at}: a schema must be an object or a boolean", source=schema)
        for keyword in sorted(UNSUPPORTED_KEYWORDS & set(schema)):
            return Unsupported(reason=f"{at}: keyword '{keyword}' is not analysed", source=schema)
        if "$ref" in schema and not self.modern:
            return self._annotate(self._reference(schema["$ref"], at), schema)  # draft <= 7: siblings ignored
        parts = self._parts(schema, at)
        if "$ref" in schema:
            parts.insert(0, self._reference(schema["$ref"], at))
        if not parts:
            built: Node = EmptySchema()
        elif len(parts) == 1:
            built = parts[0]
        else:
            built = CombinedSchema(criterion="allOf", subschemas=parts, synthetic=True)
        return self._annotate(built, schema)

    def _annotate(self, built: Node, schema: dict[str, Any]) -> Node:
        built.id = schema.get("$id", schema.get("id") if self.draft == "draft-04" else None)
        built.title = schema.get("title")
        built.description = schema.get("description")
        built.has_default = "default" in schema
        built.default = canonical(schema["default"]) if "default" in schema else None
        built.source = schema
        return built

    def _reference(self, ref: Any, at: str) -> Node:
        if not isinstance(ref, str) or not ref.startswith("#"):
            return Unsupported(reason=f"{at}: remote $ref {ref!r} is not followed", source=ref)
        if len(ref) > 1 and not ref.startswith("#/"):
            found = _anchor(self.root, ref[1:], "#")
            if found is None:
                return Unsupported(reason=f"{at}: $ref {ref!r} names no $anchor of this document", source=ref)
            ref = found
        target: Any = self.root
        for part in [p for p in ref[1:].split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and part in target:
                target = target[part]
            elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
                target = target[int(part)]
            else:
                return Unsupported(reason=f"{at}: $ref {ref!r} points at nothing", source=ref)
        pointer = "#" + ref[1:] if ref != "#" else "#"
        reference = ReferenceSchema(ref=ref)
        if pointer not in self.by_pointer:
            self.by_pointer[pointer] = reference  # a cycle reaching this pointer again stops here
            reference.referred = self._build(target, pointer)
            self.by_pointer[pointer] = reference.referred
        else:
            reference.referred = self.by_pointer[pointer]
        return reference

    def _parts(self, schema: dict[str, Any], at: str) -> list[Node]:
        parts: list[Node] = []
        if "enum" in schema:
            values = schema["enum"] if isinstance(schema["enum"], list) else []
            parts.append(EnumSchema(values=frozenset(canonical(v) for v in values)))
        if "const" in schema and self.draft != "draft-04":
            parts.append(ConstSchema(value=canonical(schema["const"])))
        if "not" in schema:
            parts.append(NotSchema(must_not=self.node(schema["not"], f"{at}/not")))
        for criterion in ("allOf", "anyOf", "oneOf"):
            if criterion in schema:
                parts.append(self._combined(criterion, schema[criterion], f"{at}/{criterion}"))
        if "if" in schema and self.draft not in ("draft-04", "draft-06"):
            branches = {key: schema[key] for key in ("if", "then", "else") if key in schema}
            parts.append(ConditionalSchema(branches=canonical(branches)))
        parts += self._typed(schema, at)
        return parts

    def _combined(self, criterion: Any, branches: Any, at: str) -> Node:
        if not isinstance(branches, list):
            return Unsupported(reason=f"{at}: must be a list of schemas", source=branches)
        return CombinedSchema(
            criterion=criterion, subschemas=[self.node(b, f"{at}/{i}") for i, b in enumerate(branches)]
        )

    def _typed(self, schema: dict[str, Any], at: str) -> list[Node]:
        declared = schema.get("type")
        if isinstance(declared, str):
            made = self._of_type(declared, schema, at, explicit=True)
            if self.modern:  # 2019-09+: keywords of other kinds still apply beside an explicit type
                made += [
                    self._of_type(t, schema, at, explicit=False) for t in self._implied(schema, declared)
                ]
            return made
        if isinstance(declared, list):
            subs = [
                n for t in declared if isinstance(t, str) for n in self._of_type(t, schema, at, explicit=True)
            ]
            return [CombinedSchema(criterion="anyOf", subschemas=subs)]
        return [self._of_type(kind, schema, at, explicit=False)[0] for kind in self._implied(schema, None)]

    @staticmethod
    def _implied(schema: dict[str, Any], declared: str | None) -> list[str]:
        """Kinds whose keywords appear without that kind being the declared type."""
        found = []
        for kind, keywords in (
            ("string", STRING_KEYWORDS),
            ("number", NUMBER_KEYWORDS),
            ("object", OBJECT_KEYWORDS),
            ("array", ARRAY_KEYWORDS),
        ):
            if (
                keywords & set(schema)
                and declared != kind
                and not (kind == "number" and declared == "integer")
            ):
                found.append(kind)
        return found

    def _of_type(self, kind: str, schema: dict[str, Any], at: str, *, explicit: bool) -> list[Node]:
        if kind == "string":
            return [self._string(schema)]
        if kind in ("number", "integer"):
            return [self._number(schema, integer=explicit and kind == "integer")]
        if kind == "boolean":
            return [BooleanSchema()]
        if kind == "null":
            return [NullSchema()]
        if kind == "object":
            return [self._object(schema, at)]
        if kind == "array":
            return [self._array(schema, at)]
        return [Unsupported(reason=f"{at}/type: unknown type {kind!r}", source=kind)]

    @staticmethod
    def _string(schema: dict[str, Any]) -> StringSchema:
        return StringSchema(
            min_length=_int(schema.get("minLength")),
            max_length=_int(schema.get("maxLength")),
            pattern=schema.get("pattern") if isinstance(schema.get("pattern"), str) else None,
            format=schema.get("format") if isinstance(schema.get("format"), str) else None,
        )

    def _number(self, schema: dict[str, Any], *, integer: bool) -> NumberSchema:
        minimum, maximum = _num(schema.get("minimum")), _num(schema.get("maximum"))
        low, high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        flags = self.draft == "draft-04"  # booleans that make minimum/maximum exclusive
        exclusive_min, exclusive_max = (None, None) if flags else (_num(low), _num(high))
        return NumberSchema(
            draft4_exclusive_minimum=flags and low is True,
            draft4_exclusive_maximum=flags and high is True,
            requires_integer=integer,
            minimum=minimum,
            maximum=maximum,
            exclusive_minimum=exclusive_min,
            exclusive_maximum=exclusive_max,
            multiple_of=_num(schema.get("multipleOf")),
        )

    def _object(self, schema: dict[str, Any], at: str) -> ObjectSchema:
        made = ObjectSchema()
        properties = schema.get("properties")
        if isinstance(properties, dict):
            made.properties = {
                n: self.node(s, f"{at}/properties/{_escape(n)}") for n, s in properties.items()
            }
        required = schema.get("required")
        made.required = [r for r in required if isinstance(r, str)] if isinstance(required, list) else []
        made.permits_additional, made.additional = self._open(schema, "additionalProperties", at)
        patterns = schema.get("patternProperties")
        if isinstance(patterns, dict):
            made.pattern_properties = {
                p: self.node(s, f"{at}/patternProperties/{_escape(p)}") for p, s in patterns.items()
            }
        made.min_properties = _int(schema.get("minProperties"))
        made.max_properties = _int(schema.get("maxProperties"))
        dependencies: dict[str, Any] = {}
        if not self.modern and isinstance(schema.get("dependencies"), dict):
            dependencies = dict(schema["dependencies"])
        if self.modern:
            for keyword in ("dependentRequired", "dependentSchemas"):
                if isinstance(schema.get(keyword), dict):
                    dependencies.update(schema[keyword])
        for name, dependency in dependencies.items():
            if isinstance(dependency, list):
                made.property_dependencies[name] = frozenset(d for d in dependency if isinstance(d, str))
            else:
                made.schema_dependencies[name] = self.node(dependency, f"{at}/dependencies/{_escape(name)}")
        if "propertyNames" in schema:
            made.property_names = self.node(schema["propertyNames"], f"{at}/propertyNames")
        if self.modern:
            made.permits_unevaluated, made.unevaluated = self._open(schema, "unevaluatedProperties", at)
        return made

    def _array(self, schema: dict[str, Any], at: str) -> ArraySchema:
        made = ArraySchema()
        items = schema.get("items")
        if self.draft == "2020-12":
            prefix = schema.get("prefixItems")
            if isinstance(prefix, list):
                made.item_schemas = [self.node(s, f"{at}/prefixItems/{i}") for i, s in enumerate(prefix)]
            if items is False:
                made.permits_additional = False
            elif "items" in schema and items is not True:
                target = self.node(items, f"{at}/items")
                if made.item_schemas is None:
                    made.all_items = target
                else:
                    made.additional = target
        else:
            # everit reads additionalItems even without a tuple, and the registry compares it
            made.permits_additional, made.additional = self._open(schema, "additionalItems", at)
            if isinstance(items, list):
                made.item_schemas = [self.node(s, f"{at}/items/{i}") for i, s in enumerate(items)]
            elif "items" in schema and items is not True:
                made.all_items = self.node(items, f"{at}/items")
        made.min_items = _int(schema.get("minItems"))
        made.max_items = _int(schema.get("maxItems"))
        made.unique_items = schema.get("uniqueItems") is True
        if "contains" in schema and self.draft != "draft-04":
            made.contains = self.node(schema["contains"], f"{at}/contains")
        if self.modern:
            made.min_contains = _int(schema.get("minContains"))
            made.max_contains = _int(schema.get("maxContains"))
            made.permits_unevaluated, made.unevaluated = self._open(schema, "unevaluatedItems", at)
        return made

    def _open(self, schema: dict[str, Any], keyword: str, at: str) -> tuple[bool, Node | None]:
        """(allows more than the named ones?, the schema those must match): additional*/unevaluated*."""
        value = schema.get(keyword, True)
        if value is False:
            return False, None
        if value is True or (isinstance(value, dict) and not value):
            return True, None
        return True, self.node(value, f"{at}/{keyword}")


def _anchor(node: Any, name: str, pointer: str) -> str | None:
    """The JSON pointer of the subschema whose `$anchor` (or draft-07 `$id: "#name"`) is `name`."""
    if isinstance(node, dict):
        if node.get("$anchor") == name or node.get("$id") == f"#{name}" or node.get("id") == f"#{name}":
            return pointer
        children = node.items()
    elif isinstance(node, list):
        children = ((str(i), v) for i, v in enumerate(node))
    else:
        return None
    for key, child in children:
        found = _anchor(child, name, f"{pointer}/{_escape(str(key))}")
        if found is not None:
            return found
    return None


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    return int(value) if abs(value) != float("inf") else None


def _num(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None
