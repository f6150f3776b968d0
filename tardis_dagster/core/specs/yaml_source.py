"""YAML loading that keeps where every node came from, so each problem can name its line and column.

The file is composed once with the C libyaml parser; one walk over the node tree builds the plain
Python data for pydantic. The node tree is kept and walked along a location (``("load", "key", 0)``)
only when a problem must be placed, so clean files pay nothing for positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Loc = tuple[str | int, ...]

# Aliases can multiply a tiny file into billions of nodes ("billion laughs"): stop long before that.
MAX_NODES = 200_000
# A spec nests about five levels; far deeper data only exhausts recursion later (pydantic, errors).
MAX_DEPTH = 64
# One file with thousands of duplicate keys needs a few lines of output, not thousands.
MAX_ISSUES = 50
# Python refuses int() of more digits than this; no spec number comes anywhere near it.
MAX_INT_DIGITS = 100

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TEXT_LIKE = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"}
_MERGE = "tag:yaml.org,2002:merge"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

_constructor = yaml.constructor.SafeConstructor()
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_DEFAULT_TAGS: dict[type[Node], str] = {ScalarNode: _STR, SequenceNode: _SEQ, MappingNode: _MAP}


class YamlSyntaxError(Exception):
    """The text is not YAML; carries the 1-based position libyaml reported."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


class _TooManyNodesError(Exception):
    pass


class _TooDeepError(Exception):
    def __init__(self, node: Node) -> None:
        super().__init__("too deep")
        self.node = node


@dataclass(frozen=True)
class Issue:
    """A structural finding made while building the data (duplicate key, odd key, unknown tag)."""

    loc: Loc
    at_key: bool
    message: str
    fix: str
    # Where to point when ``loc`` cannot tell (the 3rd of three duplicate keys has the same loc).
    position: tuple[int, int] | None = None


@dataclass
class YamlDocument:
    """One parsed YAML file: its plain data, its source text and (until released) its node tree."""

    text: str
    _root: Node | None
    data: Any
    issues: list[Issue] = field(default_factory=list)
    _released: bool = False
    # Key -> (key node, value node) per mapping node, built on first lookup: locating thousands of
    # problems in one large mapping stays linear instead of scanning the mapping for each.
    _keys: dict[int, dict[str, tuple[Node, Node]]] = field(default_factory=dict)

    @property
    def root(self) -> Node | None:
        """The node tree; composed again from the text if it was released."""
        if self._released:
            self._root = _compose_for_positions(self.text)
            self._released = False
        return self._root

    def release(self) -> None:
        """Drop the node tree: thousands of retained trees make every garbage collection slow."""
        self._root = None
        self._keys = {}
        self._released = True

    def _child(self, node: Node, segment: str | int) -> tuple[Node | None, Node] | None:
        if isinstance(node, MappingNode):
            keys = self._keys.get(id(node))
            if keys is None:
                # The last duplicate wins, as in the data.
                keys = {k.value: (k, v) for k, v in node.value if isinstance(k, ScalarNode)}
                self._keys[id(node)] = keys
            return keys.get(segment) if isinstance(segment, str) else None
        return _child(node, segment)

    def locate(self, loc: Sequence[str | int], *, at_key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the node at ``loc``, or of its deepest existing ancestor.

        With ``at_key`` the position of the mapping key is returned instead of its value
        (an unknown field is best pointed at by its name).
        """
        node = self.root
        if node is None:
            return 1, 1
        key_node: Node | None = None
        for segment in loc:
            found = self._child(node, segment)
            if found is None:
                return _position(node)
            key_node, node = found
        if at_key and key_node is not None:
            return _position(key_node)
        return _position(node)

    def node_at(self, loc: Sequence[str | int]) -> Node | None:
        """The node at exactly ``loc``, or None when some step of it does not exist."""
        node = self.root
        for segment in loc:
            if node is None:
                return None
            found = self._child(node, segment)
            if found is None:
                return None
            node = found[1]
        return node

    def locate_in_text(self, loc: Sequence[str | int], offset: int) -> tuple[int, int]:
        """Position of character ``offset`` inside the string scalar at ``loc`` (e.g. a SQL template).

        Exact for literal block scalars (``sql: |``) and one-line scalars; other styles fold or
        escape their text, so the scalar's own position is the honest answer there.
        """
        node = self.node_at(loc)
        if not isinstance(node, ScalarNode):
            return self.locate(loc)
        value: str = node.value
        line_in_value = value.count("\n", 0, offset)
        col_in_line = offset - (value.rfind("\n", 0, offset) + 1)
        if node.style == "|":
            source_lines = self.text.splitlines()
            first = node.start_mark.line + 1
            indent = _block_indent(source_lines, first)
            return first + line_in_value + 1, indent + col_in_line + 1
        if node.start_mark.line == node.end_mark.line:
            quote = 1 if node.style in ("'", '"') else 0
            return node.start_mark.line + 1, node.start_mark.column + quote + offset + 1
        return _position(node)


def parse_yaml(text: str) -> YamlDocument:
    """Parse one YAML document into plain data plus its node tree.

    Raises YamlSyntaxError (with libyaml's line and column) when the text is not one YAML document.
    """
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        message = " ".join(part for part in (error.context, error.problem) if part) or "invalid YAML"
        raise YamlSyntaxError(message, line, col) from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(str(error).replace("\n", " "), 1, 1) from None
    doc = YamlDocument(text=text, _root=root, data=None)
    if root is None:
        return doc
    builder = _Builder(doc.issues)
    try:
        doc.data = builder.build(root, ())
    except _TooManyNodesError:
        raise YamlSyntaxError(
            f"the document expands to more than {MAX_NODES} values (aliases?)", 1, 1
        ) from None
    except _TooDeepError as error:
        line, col = _position(error.node)
        raise YamlSyntaxError(
            f"values nested more than {MAX_DEPTH} levels deep (a spec needs about five)", line, col
        ) from None
    except yaml.constructor.ConstructorError as error:
        mark = error.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise YamlSyntaxError(str(error.problem or error), line, col) from None
    if len(doc.issues) > MAX_ISSUES:
        hidden = len(doc.issues) - MAX_ISSUES
        last = doc.issues[MAX_ISSUES - 1]
        doc.issues[MAX_ISSUES:] = [
            Issue(
                last.loc, last.at_key, f"... and {hidden:,} more problems like these", last.fix, last.position
            )
        ]
    return doc


class _Builder:
    """Turns a node tree into dicts, lists and scalars, noting duplicate keys and odd tags on the way.

    This runs for every node of every spec at start-up, so locations are only built for containers
    and scalars are typed inline; issue locations are assembled only when there is an issue.
    """

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        self.count = 0
        self.open: set[int] = set()

    def build(self, node: Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooManyNodesError
        if len(loc) >= MAX_DEPTH:
            raise _TooDeepError(node)
        if type(node) is ScalarNode:
            return self._scalar(node, loc, None)
        if id(node) in self.open:
            self.issues.append(
                Issue(loc, False, "recursive alias", "replace the alias with a plain copy of the value")
            )
            return None
        self.open.add(id(node))
        try:
            if type(node) is MappingNode:
                if node.tag != _MAP:
                    self._odd_tag(node, loc)
                return self._mapping(node, loc)
            if node.tag != _SEQ:
                self._odd_tag(node, loc)
            items = []
            for index, item in enumerate(node.value):
                if type(item) is ScalarNode:
                    self.count += 1
                    items.append(self._scalar(item, loc, index))
                else:
                    items.append(self.build(item, (*loc, index)))
            return items
        finally:
            self.open.discard(id(node))

    def _mapping(self, node: MappingNode, loc: Loc, merged: int = 0) -> dict[str, Any]:
        result: dict[str, Any] = {}
        own: set[str] = set()  # keys written in this mapping itself (not merged in by `<<:`)
        for index, (key_node, value_node) in enumerate(node.value):
            if type(key_node) is not ScalarNode:
                self.issues.append(
                    Issue(loc, False, "a key must be a plain name", "write keys as `name: value`")
                )
                continue
            # Keys stay the text the user typed: `on:` or `1:` must not turn into True or 1.
            key = key_node.value
            if key == "<<" and not key_node.style:
                return self._mapping(node, loc, _flatten_merges(node))
            # Keys that come from a `<<:` merge are meant to be overridden by the mapping's own.
            if index >= merged:
                if key in own:
                    self.issues.append(
                        Issue(
                            (*loc, key),
                            True,
                            f"duplicate key '{key[:60]}' (the later value would silently win)",
                            "keep only one of them",
                            _position(key_node),
                        )
                    )
                own.add(key)
            if type(value_node) is ScalarNode:
                self.count += 1
                value = value_node.value
                if value_node.tag == _STR and (
                    value_node.style or value[:1] not in _IMPLICIT or _plain_tag(value) == _STR
                ):
                    result[key] = value  # text: the common case, kept inline for speed
                else:
                    result[key] = self._scalar(value_node, loc, key)
            else:
                result[key] = self.build(value_node, (*loc, key))
        if self.count > MAX_NODES:
            raise _TooManyNodesError
        return result

    def _scalar(self, node: ScalarNode, loc: Loc, last: str | int | None) -> Any:
        tag = node.tag
        value = node.value
        if tag == _STR:
            if node.style:
                return value  # quoted or block scalars are always text
            # Plain scalars get YAML 1.1 implicit types, as PyYAML's SafeLoader would give them.
            tag = _plain_tag(value)
            if tag == _STR:
                return value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return _constructor.construct_yaml_bool(node)
        if tag == _INT:
            if sum(char.isdigit() for char in value) > MAX_INT_DIGITS:
                self.issues.append(
                    Issue(
                        loc if last is None else (*loc, last),
                        False,
                        f"a number with more than {MAX_INT_DIGITS} digits",
                        "write a smaller number",
                        _position(node),
                    )
                )
                return value
            return _constructor.construct_yaml_int(node)
        if tag == _FLOAT:
            return _constructor.construct_yaml_float(node)
        if tag not in _TEXT_LIKE:
            self._odd_tag(node, loc if last is None else (*loc, last))
        # Dates and the like stay text: no spec field is a date, and text round-trips exactly.
        return value

    def _odd_tag(self, node: Node, loc: Loc) -> None:
        self.issues.append(
            Issue(loc, False, f"unsupported YAML tag '{node.tag}'", "remove the tag; specs are plain YAML")
        )


class _Loader(yaml.CBaseLoader):
    """libyaml's composer without PyYAML's resolver: three Python callbacks per node cost more than
    parsing. Every untagged node gets its kind's default tag; `_resolve_plain` types plain scalars."""

    def descend_resolver(self, current_node: Node | None, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        return _DEFAULT_TAGS[kind]


def _compose(text: str) -> Node | None:
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


@lru_cache(maxsize=8192)
def _plain_tag(value: str) -> str:
    """YAML 1.1 type of a plain scalar (`yes` is a bool, `1_000` an int); names repeat, so cached."""
    for tag, pattern in _IMPLICIT.get(value[:1], ()):
        if pattern.match(value):
            return tag
    return _STR


def _flatten_merges(node: MappingNode) -> int:
    """Apply `<<: *anchor` merge keys as SafeLoader does; return how many merged pairs now lead."""
    own = 0
    for key_node, _ in node.value:
        if type(key_node) is ScalarNode and key_node.value == "<<" and not key_node.style:
            key_node.tag = _MERGE
        else:
            own += 1
    if own == len(node.value):
        return 0
    _constructor.flatten_mapping(node)
    return len(node.value) - own


def _compose_for_positions(text: str) -> Node | None:
    root = _compose(text)
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            _flatten_merges(node)
            stack.extend(value for _, value in node.value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return root


def _child(node: Node, segment: str | int) -> tuple[Node | None, Node] | None:
    if isinstance(node, MappingNode):
        found: tuple[Node | None, Node] | None = None
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == segment:
                found = (key_node, value_node)  # the last duplicate wins, as in the data
        return found
    if isinstance(node, SequenceNode) and isinstance(segment, int) and 0 <= segment < len(node.value):
        return None, node.value[segment]
    return None


def _position(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _block_indent(lines: list[str], first: int) -> int:
    for line in lines[first:]:
        if line.strip():
            return len(line) - len(line.lstrip(" "))
    return 0
