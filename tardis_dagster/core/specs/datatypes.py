"""Column types: the small type language of specs (`decimal(10,2)`, `array<struct<a:int>>`), parsed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tardis_dagster.core.specs.identifiers import IDENTIFIER_HINT, is_identifier
from tardis_dagster.core.specs.problems import did_you_mean

PRIMITIVES = ("string", "int", "bigint", "double", "float", "boolean", "date", "timestamp")
_SPARK_PRIMITIVES = {name: name.upper() for name in PRIMITIVES}
NUMERIC = frozenset({"int", "bigint", "double", "float", "decimal"})
TEMPORAL = frozenset({"date", "timestamp"})
MAX_DECIMAL_PRECISION = 38
TYPE_HINT = (
    "use string, int, bigint, double, float, boolean, date, timestamp, decimal(p,s), "
    "array<T>, map<K,V> or struct<name:T,...>"
)

# Names people bring from other systems, mapped to ours so the fix can say exactly what to write.
_SYNONYMS = {
    "long": "bigint",
    "integer": "int",
    "smallint": "int",
    "tinyint": "int",
    "int32": "int",
    "int64": "bigint",
    "bool": "boolean",
    "datetime": "timestamp",
    "timestamptz": "timestamp",
    "timestamp_ntz": "timestamp",
    "varchar": "string",
    "char": "string",
    "text": "string",
    "str": "string",
    "uuid": "string",
    "number": "double",
    "real": "double",
    "numeric": "decimal(p,s)",
    "list": "array<T>",
    "object": "struct<name:T,...>",
    "record": "struct<name:T,...>",
    "dict": "map<K,V>",
}

_TOKEN = re.compile(r"\s*(?:(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<number>\d+)|(?P<punct>\S))")


class TypeSyntaxError(ValueError):
    """A column type that does not parse; ``fix`` says what to write instead."""

    def __init__(self, message: str, fix: str = TYPE_HINT) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class DataType:
    """A parsed column type. ``str()`` gives the canonical spelling, ``spark_ddl`` the Spark SQL one."""

    name: str
    precision: int | None = None
    scale: int | None = None
    element: DataType | None = None
    key: DataType | None = None
    value: DataType | None = None
    fields: tuple[tuple[str, DataType], ...] = ()

    def __str__(self) -> str:
        if self.name == "decimal":
            return f"decimal({self.precision},{self.scale})"
        if self.name == "array":
            return f"array<{self.element}>"
        if self.name == "map":
            return f"map<{self.key},{self.value}>"
        if self.name == "struct":
            return "struct<" + ",".join(f"{name}:{kind}" for name, kind in self.fields) + ">"
        return self.name

    @property
    def spark_ddl(self) -> str:
        """The type as Spark SQL DDL, e.g. ``DECIMAL(10,2)`` or ``ARRAY<STRUCT<a: INT>>``."""
        if self.name == "decimal":
            return f"DECIMAL({self.precision},{self.scale})"
        if self.name == "array":
            assert self.element is not None
            return f"ARRAY<{self.element.spark_ddl}>"
        if self.name == "map":
            assert self.key is not None and self.value is not None
            return f"MAP<{self.key.spark_ddl}, {self.value.spark_ddl}>"
        if self.name == "struct":
            return "STRUCT<" + ", ".join(f"{name}: {kind.spark_ddl}" for name, kind in self.fields) + ">"
        return _SPARK_PRIMITIVES[self.name]

    @property
    def is_primitive(self) -> bool:
        """True for scalar types (including decimal), False for array, map and struct."""
        return self.name not in ("array", "map", "struct")

    @property
    def is_numeric(self) -> bool:
        """True for int, bigint, float, double and decimal."""
        return self.name in NUMERIC

    @property
    def is_temporal(self) -> bool:
        """True for date and timestamp."""
        return self.name in TEMPORAL


@lru_cache(maxsize=4096)
def parse_type(text: str) -> DataType:
    """Parse a column type such as ``decimal(10,2)`` or ``map<string,array<int>>``.

    Type names are case-insensitive; struct field names must be snake_case identifiers.
    Raises TypeSyntaxError with a message and a fix.
    """
    if not isinstance(text, str) or not text.strip():
        raise TypeSyntaxError("type is empty")
    parser = _Parser(text)
    result = parser.parse_type()
    if parser.peek() is not None:
        raise TypeSyntaxError(f"unexpected '{parser.peek()}' after type '{result}' in '{text}'")
    return result


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str]] = []
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup
            if kind is None:
                continue
            self.tokens.append((kind, match.group(kind)))
        self.index = 0

    def peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise TypeSyntaxError(f"type '{self.text}' ends too early")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, punct: str) -> None:
        kind, value = self.take()
        if kind != "punct" or value != punct:
            raise TypeSyntaxError(f"expected '{punct}' but found '{value}' in type '{self.text}'")

    def number(self, what: str) -> int:
        kind, value = self.take()
        if kind != "number":
            raise TypeSyntaxError(f"{what} must be a whole number, found '{value}' in type '{self.text}'")
        return int(value)

    def parse_type(self) -> DataType:
        kind, word = self.take()
        if kind != "word":
            raise TypeSyntaxError(f"expected a type name but found '{word}' in '{self.text}'")
        name = word.lower()
        if name in PRIMITIVES:
            return DataType(name)
        if name == "decimal":
            return self.decimal()
        if name == "array":
            self.expect("<")
            element = self.parse_type()
            self.expect(">")
            return DataType("array", element=element)
        if name == "map":
            self.expect("<")
            key = self.parse_type()
            if not key.is_primitive:
                raise TypeSyntaxError(
                    f"map keys must be a simple type, not '{key}'", "use e.g. map<string,int>"
                )
            self.expect(",")
            value = self.parse_type()
            self.expect(">")
            return DataType("map", key=key, value=value)
        if name == "struct":
            return self.struct()
        known = (*PRIMITIVES, "decimal", "array", "map", "struct")
        if name in _SYNONYMS:
            raise TypeSyntaxError(f"unknown type '{word}'", f"write {_SYNONYMS[name]}")
        close = did_you_mean(name, known)
        raise TypeSyntaxError(f"unknown type '{word}'", f"did you mean '{close}'?" if close else TYPE_HINT)

    def decimal(self) -> DataType:
        if self.peek() != "(":
            raise TypeSyntaxError("decimal needs a precision and a scale", "write e.g. decimal(10,2)")
        self.expect("(")
        precision = self.number("decimal precision")
        self.expect(",")
        scale = self.number("decimal scale")
        self.expect(")")
        if not 1 <= precision <= MAX_DECIMAL_PRECISION:
            raise TypeSyntaxError(
                f"decimal precision {precision} is out of range",
                f"use a precision from 1 to {MAX_DECIMAL_PRECISION}",
            )
        if not 0 <= scale <= precision:
            raise TypeSyntaxError(
                f"decimal scale {scale} is out of range", f"use a scale from 0 to the precision ({precision})"
            )
        return DataType("decimal", precision=precision, scale=scale)

    def struct(self) -> DataType:
        self.expect("<")
        fields: list[tuple[str, DataType]] = []
        while True:
            kind, name = self.take()
            if kind != "word" or not is_identifier(name):
                raise TypeSyntaxError(f"struct field name '{name}' is not snake_case", IDENTIFIER_HINT)
            if any(existing == name for existing, _ in fields):
                raise TypeSyntaxError(f"struct field '{name}' appears twice", "rename or remove one of them")
            self.expect(":")
            fields.append((name, self.parse_type()))
            if self.peek() == ",":
                self.take()
                continue
            self.expect(">")
            return DataType("struct", fields=tuple(fields))
