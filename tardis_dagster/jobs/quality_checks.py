"""Run a product's post-publish quality rules against its published table; one check result per rule.

Input: `core.jobs_io.QualityChecksInput`: the published table (`std.x` / `mart.x`), its asset, the
tables the rules may read with their PII columns, and the rules compiled by `core/quality.py`
(`RuleSQL`).

Every rule reports a result, also when its SQL fails or the table does not exist (then it fails with
the error in its metadata): a rule that cannot be evaluated has not passed.

Defence in depth, although the validator already refused it: every SQL is read by the guard again
(`core.sql.guard`: one read-only query over the allowed tables) and refused unrun otherwise, and a
user's query runs wrapped as a subquery, which Spark's own parser accepts only for a query. Every
value shown (sample cells, an observed aggregate, a count-style query's value) whose column lineage
reaches a PII column (`core.sql.lineage`) is masked as `***`, hashes included; when the lineage is
unknown, everything is masked.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import NumericType

from tardis_dagster.core.jobs_io import QualityCheckResult, QualityChecksInput, RuleSQL, from_extras
from tardis_dagster.core.metadata import Entry
from tardis_dagster.core.sql import guard, lineage

SAMPLE_ROWS = 10
MASK = "***"
_CELL_CHARS = 80
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'")  # a quoted value in an error message (Spark quotes data so)


class RefusedSQLError(ValueError):
    """A rule's SQL that is not one read-only query over the allowed tables: never run."""


def cell(value: Any) -> str:
    """One value as Markdown table text: escaped pipes, one line, truncated."""
    if value is None:
        return "null"
    if isinstance(value, dt.datetime | dt.date):
        text = value.isoformat()
    elif isinstance(value, bytes | bytearray):
        text = "0x" + bytes(value).hex()
    else:
        text = str(value)
    text = " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")
    return text if len(text) <= _CELL_CHARS else text[: _CELL_CHARS - 1] + "…"


def markdown_sample(
    columns: list[str], rows: list[tuple[Any, ...]], pii: set[str], mask: Sequence[bool] | None = None
) -> str:
    """Rows as a Markdown table; non-null values of PII columns (by name, or flagged in `mask`) as `***`."""
    flags = (
        list(mask) if mask is not None and len(mask) == len(columns) else [mask is not None] * len(columns)
    )
    header = "| " + " | ".join(cell(c) for c in columns) + " |"
    rule = "|" + "---|" * len(columns)
    lines = [header, rule]
    for row in rows:
        values = [
            MASK if (name in pii or masked) and value is not None else cell(value)
            for name, masked, value in zip(columns, flags, row, strict=True)
        ]
        lines.append("| " + " | ".join(values) + " |")
    return "\n".join(lines)


class Reader:
    """Runs one job's SQL: guarded, and with the PII lineage of every result at hand."""

    def __init__(self, spark: SparkSession, tables: Mapping[str, Sequence[str]]) -> None:
        self.spark = spark
        self.pii = {name: list(columns) for name, columns in tables.items()}
        self.judge = guard.allowed_tables(tables)
        self._columns: dict[str, list[str]] | None = None

    def check(self, sql: str) -> None:
        """Refuse (`RefusedSQLError`) anything but one read-only query over the allowed tables."""
        issues = guard.read_only_issues(sql, self.judge)
        if issues:
            first = issues[0]
            raise RefusedSQLError(
                f"refused, not run: {first.message} (at character {first.offset + 1}); {first.fix}"
            )

    def query(self, sql: str, *, wrap: bool = False) -> DataFrame:
        """The guarded query; `wrap` runs it as a subquery, so Spark's parser too accepts only a query."""
        self.check(sql)
        # The newline keeps a trailing `--` comment from swallowing the closing parenthesis.
        return self.spark.sql(f"SELECT * FROM (\n{sql}\n) AS tardis_checked" if wrap else sql)

    def mask(self, sql: str) -> list[bool] | None:
        """Per output column of `sql`: derived from a PII column (None: unknown, mask all)."""
        return lineage.pii_outputs(sql, self.columns(), self.pii)

    def columns(self) -> dict[str, list[str]]:
        """The columns of the allowed tables as Spark has them (for `*` expansion), read once."""
        if self._columns is None:
            self._columns = {}
            for table in self.pii:
                if self.spark.catalog.tableExists(table):
                    self._columns[table] = self.spark.table(table).columns
        return self._columns

    def scrub(self, text: str) -> str:
        """An error message without the quoted values Spark puts in it, when any table holds PII."""
        return _QUOTED.sub("'***'", text) if any(self.pii.values()) else text


def sample(reader: Reader, sql: str, pii: set[str]) -> str:
    """Up to SAMPLE_ROWS rows of `sql` as a masked Markdown table."""
    df = reader.query(sql).limit(SAMPLE_ROWS)
    rows = [tuple(r) for r in df.collect()]
    return markdown_sample(df.columns, rows, pii, _mask_all(reader.mask(sql)))


def _mask_all(flags: list[bool] | None) -> list[bool] | Sequence[bool]:
    # Unknown lineage: an empty sequence, which markdown_sample reads as "mask every column".
    return flags if flags is not None else ()


def sql_block(sql: str) -> Entry:
    """The SQL a check ran, as Markdown metadata."""
    return Entry.md(f"```sql\n{sql}\n```")


def observed(value: Any) -> Entry:
    """An observed aggregate value as metadata of the fitting type."""
    if isinstance(value, bool):
        return Entry.bool(value)
    if isinstance(value, int):
        return Entry.int(value)
    if isinstance(value, float | decimal.Decimal):
        return Entry.float(float(value))
    return Entry.text("null" if value is None else cell(value))


def _number(value: Any) -> int | float:
    if value is None:
        return 0
    number = decimal.Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def evaluate(reader: Reader, rule: RuleSQL, pii: set[str]) -> tuple[bool, dict[str, Entry]]:
    """Run one rule: (passed, metadata without the shared entries)."""
    metadata: dict[str, Entry] = {}
    measure = rule.measure
    if measure == "aggregate":
        df = reader.query(rule.check_sql)
        row = df.collect()[0].asDict()
        flags = dict(zip(df.columns, _flags(reader.mask(rule.check_sql), len(df.columns)), strict=True))
        passed = bool(row.pop("passed"))
        metadata.update(
            {name: Entry.text(MASK) if flags[name] else observed(value) for name, value in row.items()}
        )
        return passed, metadata
    query = measure == "query"
    df = reader.query(rule.check_sql, wrap=query)
    sample_df: DataFrame | None = None
    if measure == "rows":
        failing = _number(df.collect()[0]["failing_rows"])
    else:
        fields = df.schema.fields
        counted = (
            df.limit(2).collect() if len(fields) == 1 and isinstance(fields[0].dataType, NumericType) else []
        )
        if len(counted) == 1:
            # A count-style query: its one value is the number of failing rows (null counts as 0).
            failing = _number(counted[0][0])
            if _flags(reader.mask(rule.check_sql), 1)[0]:
                # The value itself derives from a PII column (e.g. `max(length(email))`): not shown.
                metadata["value"] = Entry.text(f"{MASK} (derived from a PII column)")
                return failing == 0, metadata
        else:
            # A query returning the failing rows themselves.
            failing, sample_df = df.count(), df
    metadata["failing_rows"] = Entry.int(failing) if isinstance(failing, int) else Entry.float(failing)
    passed = failing == 0
    if not passed:
        try:
            if sample_df is not None:
                rows = [tuple(r) for r in sample_df.limit(SAMPLE_ROWS).collect()]
                mask = _mask_all(reader.mask(rule.check_sql))
                metadata["sample"] = Entry.md(markdown_sample(sample_df.columns, rows, pii, mask))
            elif rule.sample_sql:
                metadata["sample"] = Entry.md(sample(reader, rule.sample_sql, pii))
            else:
                metadata["sample"] = Entry.text("no sample: the query returns a count, not rows")
        except Exception as exc:  # the check result stands without a sample
            metadata["sample"] = Entry.text(f"sample unavailable: {reader.scrub(_first_line(exc))}")
    return passed, metadata


def _flags(flags: list[bool] | None, count: int) -> list[bool]:
    """Lineage flags for `count` columns; unknown (or not matching) lineage masks every one."""
    return flags if flags is not None and len(flags) == count else [True] * count


def _first_line(exc: BaseException, limit: int = 1000) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line[:limit]


def run_checks(spark: SparkSession, job: QualityChecksInput) -> list[QualityCheckResult]:
    """Evaluate every rule of the job, each to a result (a rule that cannot run fails)."""
    table = job.table
    pii = set(job.pii_columns)
    reader = Reader(spark, job.tables())
    results = []
    missing = not spark.catalog.tableExists(table)
    total = None if missing else int(spark.sql(f"SELECT COUNT(*) FROM {table}").collect()[0][0])
    for rule in job.rules:
        metadata: dict[str, Entry] = {"table": Entry.text(table)}
        if missing:
            passed = False
            metadata["error"] = Entry.text(f"table {table} does not exist: the product is not published yet")
        else:
            metadata["total_rows"] = Entry.int(total or 0)
            try:
                passed, measured = evaluate(reader, rule, pii)
                metadata.update(measured)
            except Exception as exc:  # a rule that cannot run fails; the others still run
                passed = False
                metadata["error"] = Entry.text(reader.scrub(_first_line(exc)))
        metadata["sql"] = sql_block(rule.check_sql)
        results.append(QualityCheckResult(rule.name, passed, rule.severity, metadata))
    return results


def main() -> None:
    """Entry point under Dagster Pipes: one asset check result per rule."""
    from tardis_dagster.core.settings import JobEnvironment
    from tardis_dagster.jobs.pipes_channels import open_job_pipes
    from tardis_dagster.jobs.reporting import pipes_metadata
    from tardis_dagster.jobs.session import spark_session

    with open_job_pipes() as pipes:
        job = from_extras(QualityChecksInput, pipes.extras)
        spark = spark_session(f"tardis-quality-{job.table}", JobEnvironment.read())
        for result in run_checks(spark, job):
            pipes.report_asset_check(
                check_name=result.name,
                passed=result.passed,
                asset_key=job.asset_key,
                severity=result.severity,
                metadata=pipes_metadata(result.metadata),
            )
            if not result.passed:
                pipes.log.warning(f"{job.table}: quality check {result.name} failed")


if __name__ == "__main__":
    main()
