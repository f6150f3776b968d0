"""Run a product's post-publish quality rules against its published table; one check result per rule.

Input: `core.jobs_io.QualityChecksInput`: the published table (`std.x` / `mart.x`), its asset, its PII
columns (masked as `***` in samples) and the rules compiled by `core/quality.py` (`RuleSQL`).

Every rule reports a result, also when its SQL fails or the table does not exist (then it fails with
the error in its metadata): a rule that cannot be evaluated has not passed.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import NumericType

from tardis_dagster.core.jobs_io import QualityCheckResult, QualityChecksInput, RuleSQL, from_extras
from tardis_dagster.core.metadata import Entry

SAMPLE_ROWS = 10
MASK = "***"
_CELL_CHARS = 80


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


def markdown_sample(columns: list[str], rows: list[tuple[Any, ...]], pii: set[str]) -> str:
    """Rows as a Markdown table; non-null values of PII columns shown as `***`."""
    header = "| " + " | ".join(cell(c) for c in columns) + " |"
    rule = "|" + "---|" * len(columns)
    lines = [header, rule]
    for row in rows:
        values = [
            MASK if name in pii and value is not None else cell(value)
            for name, value in zip(columns, row, strict=True)
        ]
        lines.append("| " + " | ".join(values) + " |")
    return "\n".join(lines)


def sample(spark: SparkSession, sql: str, pii: set[str]) -> str:
    """Up to SAMPLE_ROWS rows of `sql` as a masked Markdown table."""
    df = spark.sql(sql).limit(SAMPLE_ROWS)
    rows = [tuple(r) for r in df.collect()]
    return markdown_sample(df.columns, rows, pii)


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


def evaluate(spark: SparkSession, rule: RuleSQL, pii: set[str]) -> tuple[bool, dict[str, Entry]]:
    """Run one rule: (passed, metadata without the shared entries)."""
    metadata: dict[str, Entry] = {}
    measure = rule.measure
    if measure == "aggregate":
        row = spark.sql(rule.check_sql).collect()[0].asDict()
        passed = bool(row.pop("passed"))
        metadata.update({name: observed(value) for name, value in row.items()})
        return passed, metadata
    df = spark.sql(rule.check_sql)
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
        else:
            # A query returning the failing rows themselves.
            failing, sample_df = df.count(), df
    metadata["failing_rows"] = Entry.int(failing) if isinstance(failing, int) else Entry.float(failing)
    passed = failing == 0
    if not passed:
        try:
            if sample_df is not None:
                rows = [tuple(r) for r in sample_df.limit(SAMPLE_ROWS).collect()]
                metadata["sample"] = Entry.md(markdown_sample(sample_df.columns, rows, pii))
            elif rule.sample_sql:
                metadata["sample"] = Entry.md(sample(spark, rule.sample_sql, pii))
            else:
                metadata["sample"] = Entry.text("no sample: the query returns a count, not rows")
        except Exception as exc:  # the check result stands without a sample
            metadata["sample"] = Entry.text(f"sample unavailable: {_first_line(exc)}")
    return passed, metadata


def _first_line(exc: BaseException, limit: int = 1000) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line[:limit]


def run_checks(spark: SparkSession, job: QualityChecksInput) -> list[QualityCheckResult]:
    """Evaluate every rule of the job, each to a result (a rule that cannot run fails)."""
    table = job.table
    pii = set(job.pii_columns)
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
                passed, measured = evaluate(spark, rule, pii)
                metadata.update(measured)
            except Exception as exc:  # a rule that cannot run fails; the others still run
                passed = False
                metadata["error"] = Entry.text(_first_line(exc))
        metadata["sql"] = sql_block(rule.check_sql)
        results.append(QualityCheckResult(rule.name, passed, rule.severity, metadata))
    return results


def main() -> None:
    """Entry point under Dagster Pipes: one asset check result per rule."""
    from dagster_pipes import open_dagster_pipes

    from tardis_dagster.core.settings import JobEnvironment
    from tardis_dagster.jobs.reporting import pipes_metadata
    from tardis_dagster.jobs.session import spark_session

    with open_dagster_pipes() as pipes:
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
