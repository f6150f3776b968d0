"""Which output columns of a query carry a value derived from a PII column: column lineage, not names.

The query is qualified against the real tables' columns (sqlglot's `qualify`: `*` expanded, every
column bound to its source), then each projection is followed through aliases, expressions, CTEs,
subqueries, joins and set operations down to table columns. An output is PII-derived when any column
it depends on is `pii: true` in its table; hashes count too (a pseudonymous identifier is still
personal data). When unsure (an unknown function, a column that cannot be resolved, a failure to
qualify) the output is PII-derived. `COUNT(...)` yields a number of rows, not a value of its
argument, so it carries nothing; a window's or CASE's inputs do count (conservative).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope

from tardis_dagster.core.sql.guard import DIALECT, parse_query, table_name


def pii_outputs(
    sql: str, columns: Mapping[str, Sequence[str]], pii: Mapping[str, Sequence[str]]
) -> list[bool] | None:
    """For each output column of `sql`, in order, whether it derives from a PII column.

    `columns` gives each table's columns (`db.table` -> names, in table order, as Spark reports
    them), `pii` each table's PII column names. None when the lineage cannot be followed at all
    (the caller then masks every column).
    """
    found = _analyse(sql, columns, pii)
    return None if found is None else [derived for _, derived in found]


def pii_output_names(
    sql: str, columns: Mapping[str, Sequence[str]], pii: Mapping[str, Sequence[str]]
) -> set[str] | None:
    """The names of the output columns of `sql` that derive from a PII column; None when unsure."""
    found = _analyse(sql, columns, pii)
    return None if found is None else {name for name, derived in found if derived}


def _analyse(
    sql: str, columns: Mapping[str, Sequence[str]], pii: Mapping[str, Sequence[str]]
) -> list[tuple[str, bool]] | None:
    try:
        return _follow(sql, columns, pii)
    except (SqlglotError, RecursionError):
        return None  # unsure: the caller masks everything


def _follow(
    sql: str, columns: Mapping[str, Sequence[str]], pii: Mapping[str, Sequence[str]]
) -> list[tuple[str, bool]] | None:
    parsed = parse_query(sql)
    if parsed.query is None:
        return None
    schema: dict[str, dict[str, dict[str, str]]] = {}
    for name, names in columns.items():
        db, _, table = name.lower().rpartition(".")
        schema.setdefault(db, {})[table] = {column.lower(): "string" for column in names}
    sensitive = {name.lower(): {c.lower() for c in cols} for name, cols in pii.items()}
    try:
        qualified = qualify(
            parsed.query,
            schema=schema,
            dialect=DIALECT,
            quote_identifiers=False,
            validate_qualify_columns=False,
        )
        root = build_scope(qualified)
        if root is None:
            return None
        flags = _Lineage(sensitive).outputs(root)
    except (SqlglotError, RecursionError):
        return None
    names = _set_names(root)
    if len(names) != len(flags):
        names = [f"_{index}" for index in range(len(flags))]
    return list(zip(names, flags, strict=True))


class _Lineage:
    """Follows the projections of one qualified query; each scope's answer computed once."""

    def __init__(self, pii: Mapping[str, set[str]]) -> None:
        self.pii = pii
        self.memo: dict[int, list[bool]] = {}
        self.scopes: dict[int, Scope] = {}

    def outputs(self, scope: Scope) -> list[bool]:
        """Per output column of `scope`: PII-derived or not."""
        key = id(scope)
        if key not in self.memo:
            for child in scope.traverse():
                self.scopes[id(child.expression)] = child
            self.memo[key] = self._outputs(scope)
        return self.memo[key]

    def _outputs(self, scope: Scope) -> list[bool]:
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            branches = [self.outputs(child) for child in scope.set_operation_scopes]
            if not branches or len({len(b) for b in branches}) != 1:
                return [True] * max((len(b) for b in branches), default=1)
            return [any(flags) for flags in zip(*branches, strict=True)]
        if not isinstance(expression, exp.Select):
            return [True]
        return [self._derived(projection, scope) for projection in expression.selects]

    def _derived(self, node: exp.Expression, scope: Scope) -> bool:
        if isinstance(node, exp.Star):
            return True  # a star qualify could not expand: its columns are unknown
        if isinstance(node, exp.Anonymous):
            return True  # a function sqlglot does not know: its lineage is not known either
        if isinstance(node, exp.Count):
            return False
        if isinstance(node, exp.Column):
            return self._column(node, scope)
        if isinstance(node, exp.Query):
            child = self.scopes.get(id(node)) or self.scopes.get(id(node.unnest()))
            return child is None or any(self.outputs(child))
        if isinstance(node, exp.Subquery):
            child = self.scopes.get(id(node.this)) or self.scopes.get(id(node))
            return child is None or any(self.outputs(child))
        return any(self._derived(child, scope) for child in node.iter_expressions())

    def _column(self, column: exp.Column, scope: Scope) -> bool:
        if isinstance(column.this, exp.Star):
            return True
        source_name = column.table
        if not source_name:
            return True  # not bound to a source: unresolvable
        source = scope.sources.get(source_name)
        name = column.name.lower()
        if isinstance(source, exp.Table):
            if isinstance(source.this, exp.Func):
                return True  # a generator's column: follow no further
            known = self.pii.get(table_name(source).lower())
            return known is None or name in known  # a table of unknown PII: unsure
        if isinstance(source, Scope):
            names = (
                [s.alias_or_name.lower() for s in source.expression.selects]
                if isinstance(source.expression, exp.Select)
                else _set_names(source)
            )
            flags = self.outputs(source)
            if name in names and len(names) == len(flags):
                return flags[names.index(name)]
            return True
        return True  # a source the scope does not know (e.g. a lateral view): unsure


def _set_names(scope: Scope) -> list[str]:
    """The output names of a scope (a set operation's are those of its first branch)."""
    expression = scope.expression
    while isinstance(expression, exp.SetOperation):
        expression = expression.this
    if isinstance(expression, exp.Subquery):
        expression = expression.unnest()
    return [s.alias_or_name.lower() for s in expression.selects] if isinstance(expression, exp.Select) else []
