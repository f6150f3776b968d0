"""The typed contract between an asset and its Spark job: one input model and one result model per job.

The asset builds the input from the spec, the job runner serializes it (`to_extras`, Pipes extras are
JSON), the job parses it back (`from_extras`) and reports a result model, whose `metadata()` is the
only place a job's metadata is named and typed. Plain dataclasses on purpose: the job bundle runs on a
cluster with the standard library, pyspark and dagster-pipes, nothing compiled of ours.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from tardis_dagster.core import naming
from tardis_dagster.core.metadata import Entry, Lineage, SchemaColumn

T = TypeVar("T")

# Environment variables a job process reads (set by the job runner; secrets never travel in extras).
JOB_TAG_ENV = "TARDIS_SPARK_JOB_TAG"  # tags every Spark job of a step, so telemetry finds them
PII_KEY_ENV = "TARDIS_PII_KEY"  # the HMAC key of PII columns
REGISTRY_URL_ENV = "TARDIS_SCHEMA_REGISTRY_URL"  # may carry credentials (`https://key:secret@host`)
# The largest Kafka value a landing decodes (1 MiB, the broker's default `message.max.bytes`);
# larger values are quarantined unread, so one huge record cannot exhaust a task's memory.
MAX_RECORD_BYTES = 1 << 20

# A JVM option for every Spark driver and executor of the platform (local server and EMR). HotSpot
# does not JIT-compile methods over 8,000 bytecodes; whole-stage codegen of a wide row with many
# checks (the JSON validation of Kafka landing) crosses that, and ran about 2x slower interpreted.
HUGE_METHODS_JIT = "-XX:-DontCompileHugeMethods"


class JobInputError(ValueError):
    """Extras that do not match the job's input model (a runner and a job of different versions)."""


def to_extras(model: Any) -> dict[str, Any]:
    """A job input as the JSON-ready dict Pipes carries to the job."""
    return dataclasses.asdict(model)


def from_extras(cls: type[T], data: typing.Mapping[str, Any]) -> T:
    """Parse Pipes extras into the job input `cls`; unknown or missing fields are an error."""
    return _parse(cls, data, cls.__name__)  # type: ignore[return-value]


def _parse(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, typing.Mapping):
            raise JobInputError(f"{where}: expected an object, got {type(value).__name__}")
        hints = typing.get_type_hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        unknown = set(value) - names
        if unknown:
            raise JobInputError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in value:
                kwargs[f.name] = _parse(hints[f.name], value[f.name], f"{where}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise JobInputError(f"{where}: missing field {f.name}")
        return tp(**kwargs)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _parse(inner, value, where)
    if origin is list:
        (inner,) = typing.get_args(tp)
        return [_parse(inner, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        key_type, inner = typing.get_args(tp)
        return {_parse(key_type, k, where): _parse(inner, v, f"{where}[{k}]") for k, v in value.items()}
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise JobInputError(f"{where}: {value!r} is not one of {typing.get_args(tp)}")
        return value
    if tp is float and isinstance(value, int):
        return float(value)
    if tp is Any or isinstance(value, tp):
        return value
    raise JobInputError(f"{where}: expected {tp.__name__}, got {type(value).__name__}")


# --- inputs -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractColumn:
    """One published column of the contract, as the standardize job types it."""

    name: str
    type: str  # Spark DDL type
    required: bool = False
    pii: bool = False
    description: str | None = None


@dataclass(frozen=True)
class LoadPolicy:
    """The spec's `load` section: how a batch meets the published table."""

    type: Literal["append", "full", "upsert", "scd2", "replace"]
    key: list[str] = field(default_factory=list)
    version_by: str | None = None
    reject_threshold: float = 0.01

    @property
    def audit_names(self) -> list[str]:
        """The write-audit-publish audits this load runs."""
        return naming.audit_names(self.type, bool(self.key))


@dataclass(frozen=True)
class FilesLandingInput:
    """What `land_files` needs: where the files are, how to read them, and the raw tables."""

    product: str
    asset_key: str
    uri: str
    format: Literal["parquet", "json", "csv"]
    pattern: str | None
    table: str
    quarantine_table: str
    options: dict[str, str] = field(default_factory=dict)
    max_files: int = 500
    # A file rewritten in place lands again (a `replace` product: its std replaces what the file held).
    redeliveries: bool = False


@dataclass(frozen=True)
class KafkaLandingInput:
    """What `land_kafka` needs: the topic, its schema in the forms decoding takes, and the raw tables."""

    product: str
    asset_key: str
    topic: str
    bootstrap: str
    format: Literal["json", "avro", "protobuf"]
    table: str
    quarantine_table: str
    payload_ddl: str
    quarantine_threshold: float
    wire_format: bool = False  # Confluent wire format (magic byte + schema id) before each value
    schema_text: str | None = None  # json, avro: the schema document
    descriptor_b64: str | None = None  # protobuf: the compiled descriptor set
    message: str | None = None  # protobuf: the message type
    max_offsets_per_trigger: int | None = None
    min_partitions: int | None = None
    kafka_options: dict[str, str] = field(default_factory=dict)  # consumer settings, win over defaults
    max_record_bytes: int = MAX_RECORD_BYTES  # larger values go to quarantine undecoded
    format_assertion: bool = True  # json: formats asserted (false: annotations), writer schemas too


@dataclass(frozen=True)
class StandardizeInput:
    """What `standardize` needs: raw and std tables, the contract's columns, the load policy."""

    product: str
    asset_key: str
    source_kind: Literal["kafka", "files"]
    raw_table: str
    raw_asset_key: list[str]
    table: str
    rejects_table: str
    columns: list[ContractColumn]
    load: LoadPolicy
    changes_table: str | None = None
    partition_by: list[str] = field(default_factory=list)
    pii_key_env: str = PII_KEY_ENV

    @property
    def has_pii(self) -> bool:
        """Whether any column is hashed (the job then needs the key)."""
        return any(c.pii for c in self.columns)


Measure = Literal["rows", "aggregate", "query"]
CheckSeverity = Literal["WARN", "ERROR"]


@dataclass(frozen=True)
class RuleSQL:
    """One quality rule compiled for one table: what the `quality_checks` job runs.

    `rows` rules count failing rows (`failing_rows`, 0 passes); `aggregate` rules return a boolean
    `passed` with the observed values; `query` rules pass when the user's query returns 0 or no rows.
    """

    name: str
    kind: str
    severity: CheckSeverity
    measure: Measure
    check_sql: str
    sample_sql: str | None
    description: str


@dataclass(frozen=True)
class QualityChecksInput:
    """What `quality_checks` needs: the published table, its PII columns (masked) and the rules.

    `read_tables` names every table the rules may read (this one and the products their SQL refers
    to), each with its PII columns: the job refuses SQL reading anything else, and masks every output
    column whose lineage reaches one of those columns.
    """

    table: str
    asset_key: str
    rules: list[RuleSQL]
    pii_columns: list[str] = field(default_factory=list)
    read_tables: dict[str, list[str]] = field(default_factory=dict)

    def tables(self) -> dict[str, list[str]]:
        """`read_tables` with the checked table always among them (with its PII columns)."""
        tables = dict(self.read_tables)
        tables[self.table] = sorted({*tables.get(self.table, []), *self.pii_columns})
        return tables


@dataclass(frozen=True)
class MaintainedTable:
    """One table the maintenance job looks after, and the tables that read it incrementally (their
    recorded read marks name snapshots of this one that must outlive expiry)."""

    table: str
    read_by: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MaintenanceInput:
    """What `table_maintenance` needs: the tables, how long snapshots stay, and the compaction target.

    A snapshot is expired only when it is older than `snapshot_retention_hours`, is not among the
    `retain_last` newest, and no bookkeeping still needs it (the newest snapshot recording Kafka
    offsets or a std read mark, and every snapshot from the oldest mark a reader recorded on).
    """

    tables: list[MaintainedTable]
    snapshot_retention_hours: int = 168
    retain_last: int = 5
    target_file_bytes: int = 128 << 20
    min_input_files: int = 5


# --- results ----------------------------------------------------------------------------------------


def _markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass
class FilesLandingResult:
    """One files landing run: what was seen, landed and quarantined."""

    table: str
    source_uri: str
    quarantine_table: str
    row_count: int
    rows_landed: int
    files_landed: int
    files_quarantined: int
    rows_quarantined: int
    files_seen: int
    files_backlog: int
    files_unmatched: int = 0  # delivered files the pattern does not match (quarantined with a reason)
    columns: list[SchemaColumn] | None = None  # None: the raw table does not exist yet
    snapshot_id: int | None = None
    new_snapshot: bool = False
    quarantined_files: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    job_seconds: float | None = None

    def metadata(self) -> dict[str, Entry]:
        """The materialization metadata."""
        m = {
            "dagster/table_name": Entry.text(self.table),
            "dagster/row_count": Entry.int(self.row_count),
            "rows_landed": Entry.int(self.rows_landed),
            "files_landed": Entry.int(self.files_landed),
            "files_quarantined": Entry.int(self.files_quarantined),
            "rows_quarantined": Entry.int(self.rows_quarantined),
            "files_seen": Entry.int(self.files_seen),
            "files_backlog": Entry.int(self.files_backlog),
            "files_unmatched": Entry.int(self.files_unmatched),
            "source_uri": Entry.text(self.source_uri),
            "quarantine_table": Entry.text(self.quarantine_table),
        }
        if self.columns is not None:
            m["dagster/column_schema"] = Entry.table_schema(self.columns)
            m["iceberg_snapshot_id"] = Entry.text(str(self.snapshot_id))
            m["new_snapshot"] = Entry.bool(self.new_snapshot)
        if self.quarantined_files:
            rows = [[p, r] for p, r in self.quarantined_files]
            m["quarantined_files"] = Entry.md(_markdown_table(["file", "reason"], rows))
        if self.job_seconds is not None:
            m["job_seconds"] = Entry.float(self.job_seconds)
        return m


@dataclass
class KafkaLandingResult:
    """One Kafka landing run (or one interval of a stream): offsets, records, lag."""

    table: str
    topic: str
    quarantine_table: str
    row_count: int
    columns: list[SchemaColumn]
    records_landed: int
    bytes_landed: int
    records_quarantined: int
    start_offsets: dict[str, int]
    end_offsets: dict[str, int]
    lag: dict[str, int]
    snapshot_id: int | None
    schema_changes: list[str] = field(default_factory=list)
    phase_seconds: dict[str, float] = field(default_factory=dict)
    job_seconds: float | None = None
    stream_id: str | None = None

    END_OFFSETS = "end_offsets"  # read back by the Kafka sensor from the latest materialization

    @property
    def consumer_lag(self) -> int:
        """Records on the broker not landed yet, over all partitions."""
        return sum(self.lag.values())

    @property
    def quarantined_share(self) -> float:
        """The share of this run's records sent to quarantine."""
        total = self.records_landed + self.records_quarantined
        return self.records_quarantined / total if total else 0.0

    def metadata(self) -> dict[str, Entry]:
        """The materialization metadata."""
        start, end = self.start_offsets, self.end_offsets
        rows = [
            [p, start.get(p, 0), end.get(p, 0), end.get(p, 0) - start.get(p, 0), self.lag[p]]
            for p in sorted(self.lag, key=int)
        ]
        header = ["partition", "start offset", "end offset", "records", "lag"]
        m = {
            "dagster/table_name": Entry.text(self.table),
            "dagster/row_count": Entry.int(self.row_count),
            "dagster/column_schema": Entry.table_schema(self.columns),
            "records_landed": Entry.int(self.records_landed),
            "bytes_landed": Entry.int(self.bytes_landed),
            "records_quarantined": Entry.int(self.records_quarantined),
            "consumer_lag": Entry.int(self.consumer_lag),
            "start_offsets": Entry.json(self.start_offsets),
            self.END_OFFSETS: Entry.json(self.end_offsets),
            "offsets": Entry.md(_markdown_table(header, rows)),
            "iceberg_snapshot_id": Entry.text(str(self.snapshot_id)),
            "topic": Entry.text(self.topic),
            "quarantine_table": Entry.text(self.quarantine_table),
        }
        if self.schema_changes:
            m["schema_changes"] = Entry.md("\n".join(f"- {c}" for c in self.schema_changes))
        if self.phase_seconds:
            m["phase_seconds"] = Entry.json(self.phase_seconds)
        if self.job_seconds is not None:
            m["job_seconds"] = Entry.float(self.job_seconds)
        if self.stream_id is not None:
            m["stream_id"] = Entry.text(self.stream_id)
        return m

    def quarantine_check_metadata(self, threshold: float) -> dict[str, Entry]:
        """The metadata of the `quarantine_share` check."""
        return {
            "quarantined_share": Entry.float(round(self.quarantined_share, 6)),
            "threshold": Entry.float(threshold),
            "records_quarantined": Entry.int(self.records_quarantined),
            "records_landed": Entry.int(self.records_landed),
        }


@dataclass(frozen=True)
class AuditResult:
    """One write-audit-publish audit: its name, whether it passed, and what a person can act on."""

    name: str
    passed: bool
    detail: str


@dataclass
class StandardizeResult:
    """One standardize run: what it read, wrote, rejected, and whether the audits let it publish."""

    table: str
    audits: list[AuditResult]
    published: bool
    raw_snapshot_from: int | None = None
    raw_snapshot_to: int | None = None
    rows: int = 0
    rejected: int = 0
    raw_rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    partitions_touched: int = 0
    schema_changes: list[str] = field(default_factory=list)
    changes_table: str | None = None
    changes_appended: int = 0
    lineage: Lineage | None = None
    phase_seconds: dict[str, float] = field(default_factory=dict)
    nothing_new: bool = False
    # Read from the published table after the run (filled by the job before reporting).
    row_count: int | None = None
    columns: list[SchemaColumn] | None = None
    snapshot_id: int | None = None
    job_seconds: float | None = None

    @property
    def failed_audits(self) -> list[str]:
        """Names of the audits that failed."""
        return [a.name for a in self.audits if not a.passed]

    def audit_metadata(self) -> dict[str, Entry]:
        """The metadata of the blocking `audits` check: which failed, and each one's detail."""
        return {
            "failed": Entry.text(", ".join(self.failed_audits) or "none"),
            **{a.name: Entry.text(f"{'pass' if a.passed else 'FAIL'}: {a.detail}") for a in self.audits},
        }

    def metadata(self) -> dict[str, Entry]:
        """The materialization metadata of a published run."""
        m = {
            "dagster/table_name": Entry.text(self.table),
            "dagster/row_count": Entry.int(int(self.row_count or 0)),
            "dagster/column_schema": Entry.table_schema(self.columns or []),
            "rows_inserted": Entry.int(self.inserted),
            "rows_updated": Entry.int(self.updated),
            "rows_deleted": Entry.int(self.deleted),
            "rows_rejected": Entry.int(self.rejected),
            "raw_rows_read": Entry.int(self.raw_rows_read),
            "raw_snapshot_range": Entry.text(f"{self.raw_snapshot_from} -> {self.raw_snapshot_to}"),
            "partitions_touched": Entry.int(self.partitions_touched),
            "schema_changes": Entry.text("; ".join(self.schema_changes) or "none"),
            "iceberg_snapshot_id": Entry.text(str(self.snapshot_id)),
            "phase_seconds": Entry.json(self.phase_seconds),
        }
        if self.changes_table:
            m["changes_table"] = Entry.text(self.changes_table)
            m["changes_appended"] = Entry.int(self.changes_appended)
        if self.lineage:
            m["dagster/column_lineage"] = Entry.column_lineage(self.lineage)
        if self.job_seconds is not None:
            m["job_seconds"] = Entry.float(self.job_seconds)
        return m


@dataclass
class TableMaintenance:
    """What maintenance did to one table (counts before and after)."""

    table: str
    snapshots_before: int
    snapshots_after: int
    data_files_before: int
    data_files_after: int
    kept_since: str  # why the oldest kept snapshot is kept: retention, or the bookkeeping that needs it
    missing: bool = False  # the table does not exist (yet): nothing to do
    error: str | None = None  # why maintaining it failed (the other tables are maintained anyway)


@dataclass
class MaintenanceResult:
    """One maintenance run over every table."""

    tables: list[TableMaintenance]

    def metadata(self) -> dict[str, Entry]:
        """The materialization metadata: totals and one row per table."""
        present = [t for t in self.tables if not t.missing and t.error is None]
        failed = [[t.table, t.error] for t in self.tables if t.error is not None]
        rows = [
            [
                t.table,
                f"{t.snapshots_before} -> {t.snapshots_after}",
                f"{t.data_files_before} -> {t.data_files_after}",
                t.kept_since,
            ]
            for t in present
        ]
        return {
            "tables_maintained": Entry.int(len(present)),
            "snapshots_expired": Entry.int(sum(t.snapshots_before - t.snapshots_after for t in present)),
            "data_files_before": Entry.int(sum(t.data_files_before for t in present)),
            "data_files_after": Entry.int(sum(t.data_files_after for t in present)),
            "tables": Entry.md(_markdown_table(["table", "snapshots", "data files", "kept since"], rows)),
            "tables_failed": Entry.int(len(failed)),
            **({"failures": Entry.md(_markdown_table(["table", "error"], failed))} if failed else {}),
        }


@dataclass
class QualityCheckResult:
    """One quality rule's outcome on the published table."""

    name: str
    passed: bool
    severity: CheckSeverity
    metadata: dict[str, Entry]
