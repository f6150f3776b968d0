"""Run a product's post-publish quality rules against its published table; one check result per rule.

Extras: `table` (`std.x` / `mart.x`), `asset_key` (the published asset), `pii_columns` (masked as
`***` in samples) and `rules`: the compiled rules of `tardis_dagster/core/quality.py`, each with
`name`, `severity` (WARN/ERROR), `measure` (rows/aggregate/query), `check_sql` and `sample_sql`.

Every rule reports a result, also when its SQL fails or the table does not exist (then it fails with
the error in its metadata): a rule that cannot be evaluated has not passed.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import NumericType

SAMPLE_ROWS = 10
MASK = "***"
_CELL_CHARS = 80


def meta(kind: str, value: Any) -> dict[str, Any]:
    """A Pipes metadata entry."""
    return {"type": kind, "raw_value": value}


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


def sql_block(sql: str) -> dict[str, Any]:
    """The SQL a check ran, as Markdown metadata."""
    return meta("md", f"```sql\n{sql}\n```")


def observed(value: Any) -> dict[str, Any]:
    """An observed aggregate value as Pipes metadata of the fitting type."""
    if isinstance(value, bool):
        return meta("bool", value)
    if isinstance(value, int):
        return meta("int", value)
    if isinstance(value, float | decimal.Decimal):
        return meta("float", float(value))
    return meta("text", "null" if value is None else cell(value))


def _number(value: Any) -> int | float:
    if value is None:
        return 0
    number = decimal.Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def evaluate(spark: SparkSession, rule: dict[str, Any], pii: set[str]) -> tuple[bool, dict[str, Any]]:
    """Run one rule: (passed, metadata without the shared entries)."""
    metadata: dict[str, Any] = {}
    measure = rule["measure"]
    if measure == "aggregate":
        row = spark.sql(rule["check_sql"]).collect()[0].asDict()
        passed = bool(row.pop("passed"))
        metadata.update({name: observed(value) for name, value in row.items()})
        return passed, metadata
    df = spark.sql(rule["check_sql"])
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
    metadata["failing_rows"] = meta("int" if isinstance(failing, int) else "float", failing)
    passed = failing == 0
    if not passed:
        try:
            if sample_df is not None:
                rows = [tuple(r) for r in sample_df.limit(SAMPLE_ROWS).collect()]
                metadata["sample"] = meta("md", markdown_sample(sample_df.columns, rows, pii))
            elif rule.get("sample_sql"):
                metadata["sample"] = meta("md", sample(spark, rule["sample_sql"], pii))
            else:
                metadata["sample"] = meta("text", "no sample: the query returns a count, not rows")
        except Exception as exc:  # the check result stands without a sample
            metadata["sample"] = meta("text", f"sample unavailable: {_first_line(exc)}")
    return passed, metadata


def _first_line(exc: BaseException, limit: int = 1000) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line[:limit]


def run_checks(spark: SparkSession, extras: dict[str, Any]) -> list[dict[str, Any]]:
    """Evaluate every rule in `extras`: a list of {name, passed, severity, metadata}."""
    table = extras["table"]
    pii = set(extras.get("pii_columns", []))
    results = []
    missing = not spark.catalog.tableExists(table)
    total = None if missing else int(spark.sql(f"SELECT COUNT(*) FROM {table}").collect()[0][0])
    for rule in extras["rules"]:
        metadata: dict[str, Any] = {"table": meta("text", table)}
        if missing:
            passed = False
            metadata["error"] = meta(
                "text", f"table {table} does not exist: the product is not published yet"
            )
        else:
            metadata["total_rows"] = meta("int", total)
            try:
                passed, measured = evaluate(spark, rule, pii)
                metadata.update(measured)
            except Exception as exc:  # a rule that cannot run fails; the others still run
                passed = False
                metadata["error"] = meta("text", _first_line(exc))
        metadata["sql"] = sql_block(rule["check_sql"])
        results.append(
            {"name": rule["name"], "passed": passed, "severity": rule["severity"], "metadata": metadata}
        )
    return results


def main() -> None:
    """Entry point under Dagster Pipes: one asset check result per rule."""
    from dagster_pipes import open_dagster_pipes

    from tardis_dagster.jobs.common import spark_session

    with open_dagster_pipes() as pipes:
        extras = dict(pipes.extras)
        spark = spark_session(f"tardis-quality-{extras['table']}")
        for result in run_checks(spark, extras):
            pipes.report_asset_check(
                check_name=result["name"],
                passed=result["passed"],
                asset_key=extras["asset_key"],
                severity=result["severity"],
                metadata=result["metadata"],
            )
            if not result["passed"]:
                pipes.log.warning(f"{extras['table']}: quality check {result['name']} failed")


if __name__ == "__main__":
    main()
