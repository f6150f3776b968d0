"""The read-only guard: spec SQL must be exactly one query over the tables it is allowed to read.

Parsed by sqlglot in the Spark dialect, never matched by words: one statement that is a query
(SELECT, WITH ... SELECT, UNION/INTERSECT/EXCEPT, parenthesised queries) and nothing inside it that
writes or runs something (DML also inside a CTE, DDL, commands, `TRANSFORM ... USING` scripts,
`reflect`/`java_method`), no table functions that read files (`read_files`, parquet.`/path`), and
every table one of the allowed tables. The validator checks spec SQL with placeholder tables
(`template.scan`); the quality job checks the rendered SQL again before running it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError, TokenError
from sqlglot.optimizer.scope import Scope, traverse_scope

from tardis_dagster.core.sql.template import PRODUCT_HINT, SqlIssue

DIALECT = "spark"
# Statements, and parts of a query, that write, change the session or run code.
_FORBIDDEN: tuple[type[exp.Expression], ...] = (
    exp.DML,
    exp.DDL,
    exp.Command,
    exp.Set,
    exp.Use,
    exp.Cache,
    exp.Uncache,
    exp.Refresh,
    exp.QueryTransform,
    exp.Describe,
    exp.LoadData,
    exp.Copy,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Pragma,
    exp.Kill,
    exp.Analyze,
    exp.Grant,
    exp.Revoke,
    exp.Comment,
    exp.Show,
    exp.Declare,
    exp.Execute,
    exp.Into,
)
# Functions that call into the JVM (static methods of any class): not something a query needs.
_FORBIDDEN_FUNCTIONS = frozenset({"reflect", "java_method", "try_reflect"})
# Table-valued functions that only generate rows from their arguments; everything else (read_files,
# a connector's table function) could read outside the allowed tables.
_GENERATORS = frozenset(
    {"range", "explode", "explode_outer", "inline", "inline_outer", "posexplode", "posexplode_outer", "stack"}
)
# Spark reads `<format>.`<path>`` straight from files, bypassing the catalog.
_FILE_FORMATS = frozenset(
    {"parquet", "json", "csv", "orc", "text", "avro", "binaryfile", "delta", "iceberg", "hive", "jdbc", "xml"}
)
_KEYWORD = {
    exp.Delete: "DELETE",
    exp.Insert: "INSERT",
    exp.Update: "UPDATE",
    exp.Merge: "MERGE",
    exp.Create: "CREATE",
    exp.Drop: "DROP",
    exp.Alter: "ALTER",
    exp.TruncateTable: "TRUNCATE",
    exp.Set: "SET",
    exp.Use: "USE",
    exp.Cache: "CACHE",
    exp.Uncache: "UNCACHE",
    exp.Refresh: "REFRESH",
    exp.QueryTransform: "TRANSFORM",
}
QUERY_FIX = "write one read-only query: select ... (or with ... select ...)"


@dataclass(frozen=True)
class Parsed:
    """One SQL text read by the parser: the query, or the problems that refuse it."""

    query: exp.Query | None
    issues: list[SqlIssue]


def parse_query(sql: str) -> Parsed:
    """Parse `sql` as exactly one Spark SQL query; anything else comes back as issues."""
    stripped = sql.rstrip()
    if stripped.endswith(";"):
        return Parsed(
            None, [SqlIssue(len(stripped) - 1, "SQL ends with ';'", "remove the trailing semicolon")]
        )
    try:
        statements = _parse(sql)
    except ParseError as error:
        return Parsed(None, [_parse_issue(sql, error)])
    except TokenError:
        offset, what = _unclosed(sql)
        return Parsed(None, [SqlIssue(offset, f"SQL cannot be read: {what}", "close it")])
    except SqlglotError as error:  # any other refusal of the parser is a problem, not a traceback
        return Parsed(None, [SqlIssue(0, f"SQL cannot be read: {str(error).splitlines()[0]}", QUERY_FIX)])
    except RecursionError:
        return Parsed(None, [SqlIssue(0, "SQL is nested too deeply to read", "write it with fewer levels")])
    found = [s for s in statements if s is not None]
    if not found:
        return Parsed(None, [SqlIssue(0, "SQL is empty", QUERY_FIX)])
    if len(found) > 1:
        second = _after_first_semicolon(sql)
        return Parsed(None, [SqlIssue(second, "SQL holds more than one statement", "keep one query")])
    (statement,) = found
    try:
        issues = _forbidden(statement, sql)
    except RecursionError:
        return Parsed(None, [SqlIssue(0, "SQL is nested too deeply to read", "write it with fewer levels")])
    if not isinstance(statement, exp.Query):
        if not issues:
            issues = [
                SqlIssue(
                    _first_offset(statement, sql),
                    f"SQL must be one query, found {_kind(statement)}",
                    QUERY_FIX,
                )
            ]
        return Parsed(None, issues)
    return Parsed(statement if not issues else None, issues)


def read_only_issues(sql: str, table_issue: Callable[[exp.Table, str], SqlIssue | None]) -> list[SqlIssue]:
    """Problems that make `sql` anything but one read-only query over allowed tables.

    `table_issue(table, sql)` judges each table the query reads (CTE references excluded).
    """
    parsed = parse_query(sql)
    if parsed.query is None:
        return parsed.issues
    try:
        return _table_issues(parsed.query, sql, table_issue)
    except RecursionError:
        return [SqlIssue(0, "SQL is nested too deeply to read", "write it with fewer levels")]


def _table_issues(
    query: exp.Query, sql: str, table_issue: Callable[[exp.Table, str], SqlIssue | None]
) -> list[SqlIssue]:
    issues = []
    for table in source_tables(query):
        function = table.this if isinstance(table.this, exp.Func) else None
        if function is not None:
            name = _function_name(function)
            if name not in _GENERATORS:
                issues.append(
                    SqlIssue(
                        _offset(table, sql),
                        f"table function {name}() is not allowed",
                        "read products through {{ product('name') }}, not files or connectors",
                    )
                )
            continue
        issue = table_issue(table, sql)
        if issue is not None:
            issues.append(issue)
    return issues


def allowed_tables(allowed: Collection[str]) -> Callable[[exp.Table, str], SqlIssue | None]:
    """A table judge that accepts exactly the tables named in `allowed` (`db.table` or a placeholder)."""
    names = {name.lower() for name in allowed}

    def judge(table: exp.Table, sql: str) -> SqlIssue | None:
        name = table_name(table)
        if name.lower() in names:
            return None
        layer = table.db.lower() if table.db else ""
        if layer == "raw":
            message = f"table '{name}' is not allowed: raw tables are read only by the platform's own jobs"
            fix = f"read the published product instead: {{{{ product('{table.name}') }}}}"
        elif layer in _FILE_FORMATS:
            message = f"table '{name}' reads files directly"
            fix = "read products through {{ product('name') }}, not files"
        elif layer in ("std", "mart"):
            message = f"table '{name}' is read directly, not as a product"
            fix = f"write {{{{ product('{table.name}') }}}} (it resolves to the published table)"
        else:
            message = f"table '{name}' is not a product this SQL may read"
            fix = PRODUCT_HINT + ", or {{ this }} for the checked table"
        return SqlIssue(_offset(table, sql), message, fix)

    return judge


def table_name(table: exp.Table) -> str:
    """The dotted name of a table as written (`catalog.db.name`, `db.name` or `name`)."""
    return ".".join(part.name for part in table.parts)


def source_tables(query: exp.Expression) -> list[exp.Table]:
    """Every table `query` reads, not counting references to its own CTEs."""
    try:
        scopes = traverse_scope(query)
    except SqlglotError:
        scopes = []
    if not scopes:  # the scope builder gave up: judge every table node, CTE names excepted
        ctes = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
        return [
            t
            for t in query.find_all(exp.Table)
            if (t.db or t.name.lower() not in ctes) and t.find_ancestor(exp.Hint) is None
        ]
    tables: list[exp.Table] = []
    seen: set[int] = set()
    for scope in scopes:
        for table in _scope_tables(scope):
            if id(table) not in seen:
                seen.add(id(table))
                tables.append(table)
    # Tables the scopes do not list (e.g. table functions in FROM) are judged too.
    for table in query.find_all(exp.Table):
        if table.find_ancestor(exp.Hint) is not None:
            continue  # `/*+ broadcast(t) */` names an alias, it reads nothing
        if id(table) not in seen and (isinstance(table.this, exp.Func) or not _is_cte_ref(table)):
            seen.add(id(table))
            tables.append(table)
    return tables


def _scope_tables(scope: Scope) -> list[exp.Table]:
    found = []
    for table in scope.tables:
        source = scope.sources.get(table.alias_or_name)
        if isinstance(source, Scope) and not table.db:
            continue  # a CTE of this query
        found.append(table)
    return found


def _is_cte_ref(table: exp.Table) -> bool:
    if table.db:
        return False
    node = table.parent
    while node is not None:
        with_ = node.args.get("with_") or node.args.get("with")
        if isinstance(with_, exp.With) and any(
            cte.alias_or_name.lower() == table.name.lower() for cte in with_.expressions
        ):
            return True
        node = node.parent
    return False


def _forbidden(statement: exp.Expression, sql: str) -> list[SqlIssue]:
    issues = []
    for node in statement.walk():
        if isinstance(node, _FORBIDDEN):
            issues.append(
                SqlIssue(
                    _keyword_offset(node, sql),
                    f"{_kind(node)} is not allowed: SQL here only reads",
                    QUERY_FIX,
                )
            )
            break  # one statement-level refusal says it; its parts would repeat it
        if isinstance(node, exp.Func) and _function_name(node) in _FORBIDDEN_FUNCTIONS:
            issues.append(
                SqlIssue(
                    _offset(node, sql),
                    f"function {_function_name(node)}() is not allowed (it calls Java code)",
                    "use Spark SQL's built-in functions",
                )
            )
    return issues


def _function_name(function: exp.Func) -> str:
    if isinstance(function, exp.Anonymous):
        return str(function.name).lower()
    return function.sql_name().lower()


def _kind(node: exp.Expression) -> str:
    if isinstance(node, exp.Command):
        return f"the command {str(node.this).upper()}"
    if isinstance(node, exp.QueryTransform):
        return "TRANSFORM ... USING (a script)"
    keyword = next((word for cls, word in _KEYWORD.items() if isinstance(node, cls)), None)
    return keyword or type(node).__name__.upper()


def _keyword_offset(node: exp.Expression, sql: str) -> int:
    """Where the statement's keyword is in `sql` (e.g. the DELETE of `with x as (...) delete ...`)."""
    keyword = str(node.this).split()[0].upper() if isinstance(node, exp.Command) else None
    keyword = keyword or next((word for cls, word in _KEYWORD.items() if isinstance(node, cls)), None)
    if keyword is not None:
        try:
            tokens = sqlglot.tokenize(sql, read=DIALECT)
        except SqlglotError:
            tokens = []
        for token in tokens:
            words = token.text.upper().split()  # a command is one token: `ADD JAR`, `MSCK REPAIR`
            if words and words[0] == keyword and token.token_type.name not in ("STRING", "IDENTIFIER"):
                return token.start
    return _first_offset(node, sql)


def _unclosed(sql: str) -> tuple[int, str]:
    """Where a quote, backtick or block comment opens that never closes (what the tokenizer hit)."""
    index, size = 0, len(sql)
    while index < size:
        char, pair = sql[index], sql[index : index + 2]
        if pair == "--":
            newline = sql.find("\n", index)
            index = size if newline < 0 else newline + 1
        elif pair == "/*":
            close = sql.find("*/", index + 2)
            if close < 0:
                return index, "a /* comment is not closed"
            index = close + 2
        elif char in "'\"`":
            end = index + 1
            while end < size and sql[end] != char:
                end += 2 if sql[end] == "\\" and char != "`" else 1
            if end >= size:
                name = "backtick" if char == "`" else "quote"
                return index, f"a {name} ({char}) is not closed"
            index = end + 1
        else:
            index += 1
    return 0, "the text cannot be split into SQL tokens"


def _after_first_semicolon(sql: str) -> int:
    """Where the second statement starts: the first token after the first `;`."""
    try:
        tokens = sqlglot.tokenize(sql, read=DIALECT)
    except SqlglotError:
        return 0
    for index, token in enumerate(tokens[:-1]):
        if token.token_type.name == "SEMICOLON":
            return tokens[index + 1].start
    return 0


def _first_offset(node: exp.Expression, sql: str) -> int:
    starts = [n.meta["start"] for n in node.walk() if "start" in n.meta]
    return min(starts) if starts else 0


def _offset(node: exp.Expression, sql: str) -> int:
    return _first_offset(node, sql)


def _parse_issue(sql: str, error: ParseError) -> SqlIssue:
    detail = error.errors[0] if error.errors else {}
    line, col = detail.get("line"), detail.get("col")
    offset = 0
    if isinstance(line, int) and isinstance(col, int):
        # sqlglot's column is that of the last character of the offending token (1-based).
        starts = [0] + [i + 1 for i, char in enumerate(sql) if char == "\n"]
        base = starts[min(line, len(starts)) - 1]
        offset = max(base, base + col - len(detail.get("highlight") or " "))
    description = detail.get("description") or str(error).splitlines()[0]
    description = re.sub(r"<class '[\w.]*?(\w+)'>", r"\1", description)  # sqlglot names its classes
    near = detail.get("highlight")
    message = f"SQL cannot be parsed: {description}" + (f" (near '{near}')" if near else "")
    return SqlIssue(min(offset, len(sql)), message, QUERY_FIX)


def _parse(sql: str) -> list[exp.Expression | None]:
    # sqlglot logs a warning when it falls back to an opaque Command; the guard refuses those anyway.
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return sqlglot.parse(sql, read=DIALECT)
    finally:
        logger.setLevel(level)
