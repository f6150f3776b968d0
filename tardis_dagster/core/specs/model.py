"""The data product spec (one YAML file) and the global data model (`_model.yaml`) as pydantic models.

Field names and aliases here ARE the user-facing contract of SPEC.md: renaming one breaks users.
Checks that only need one value live in `fields.py`; checks across fields and files live in
`rules.py`, so these classes stay a plain description of the YAML.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from tardis_dagster.core.specs.datatypes import DataType, parse_type
from tardis_dagster.core.specs.fields import (
    Bound,
    ColumnType,
    Contact,
    Duration,
    Identifier,
    KafkaTopic,
    PartitionEntry,
    ProductName,
    ProtoMessage,
    ReaderOption,
    RowCount,
    ScalarValue,
    Schedule,
    SemVer,
    Text,
    duration_seconds,
    tardis_error,
)
from tardis_dagster.core.specs.partitioning import PartitionField, parse_partition
from tardis_dagster.core.specs.templating import scan_sql

API_VERSION = "tardis/v1"
SCHEMA_ID = "https://tardis.dev/schemas/data-product.schema.json"
MODEL_SCHEMA_ID = "https://tardis.dev/schemas/global-model.schema.json"

SourceKind = Literal["kafka", "files", "sql"]
KafkaFormat = Literal["json", "avro", "protobuf"]
FilesFormat = Literal["parquet", "json", "csv"]
Compatibility = Literal[
    "NONE", "BACKWARD", "FORWARD", "FULL", "BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"
]
LoadType = Literal["append", "full", "upsert", "scd2", "replace"]
Severity = Literal["warn", "error"]
QualityKind = Literal["row_count", "freshness", "not_null", "unique", "accepted_values", "range", "sql"]

QUALITY_KINDS: tuple[QualityKind, ...] = (
    "row_count",
    "freshness",
    "not_null",
    "unique",
    "accepted_values",
    "range",
    "sql",
)
SOURCE_KINDS = ("kafka", "files", "sql", "sql_file")
# The names a format's files are delivered under; Spark reads the gzip ones transparently.
FILE_EXTENSIONS = {
    "parquet": ("parquet",),
    "json": ("json", "jsonl", "json.gz", "jsonl.gz"),
    "csv": ("csv", "csv.gz"),
}
# As globs Spark (Hadoop) reads: *.parquet, *.{csv,csv.gz}, ...
DEFAULT_FILE_PATTERNS = {
    name: f"*.{exts[0]}" if len(exts) == 1 else "*.{" + ",".join(exts) + "}"
    for name, exts in FILE_EXTENSIONS.items()
}
# CSV as RFC 4180 and every billing export writes it: a quote inside a quoted value is doubled ("").
DEFAULT_READER_OPTIONS = {"csv": {"header": "true", "escape": '"'}, "json": {}, "parquet": {}}
_REMOTE_SCHEMES = ("s3://", "s3a://", "s3n://", "gs://", "abfs://", "abfss://", "hdfs://", "file://")


class SpecModel(BaseModel):
    """Base of every spec section: unknown keys are errors, dumps use the YAML names."""

    model_config = ConfigDict(extra="forbid", serialize_by_alias=True, validate_by_alias=True)


class Owner(SpecModel):
    """Who owns a product: tribe and squad (used for cost attribution and asset owners) and a contact."""

    tribe: Identifier = Field(description="Tribe that owns the product, e.g. consumer.")
    squad: Identifier = Field(description="Squad inside the tribe, e.g. checkout.")
    contact: Contact = Field(description='Slack channel ("#checkout-data", quoted) or email address.')


class ModelOwner(SpecModel):
    """Owner of a hub in the global model; the contact is optional there."""

    tribe: Identifier = Field(description="Tribe that owns the hub.")
    squad: Identifier = Field(description="Squad that owns the hub.")
    contact: Contact | None = Field(None, description="Slack channel or email address.")


class KafkaSource(SpecModel):
    """A Kafka topic landed into `raw.<product>`."""

    topic: KafkaTopic = Field(description="Kafka topic, e.g. checkout.order.v1.")
    format: KafkaFormat = Field(description="Message format: json, avro or protobuf.")
    schema_: str | None = Field(
        None,
        alias="schema",
        description="Schema file, relative to this spec: JSON Schema (.json), Avro (.avsc) or .proto.",
    )
    message: ProtoMessage | None = Field(None, description="Protobuf only: the message type, e.g. Order.")
    registry_subject: str | None = Field(
        None, min_length=1, description="Schema registry subject (production), e.g. checkout.order.v1-value."
    )
    compatibility: Compatibility = Field(
        "BACKWARD", description="Schema evolution rule the registry enforces for this topic."
    )
    format_assertion: bool = Field(
        True,
        description="JSON Schema only: check `format` (date-time, date, email...) and quarantine records "
        "that fail it (true, the default), or treat formats as annotations as draft 2020-12 does (false; "
        "date and date-time properties then land as text).",
    )
    quarantine_threshold: float = Field(
        0.01,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="Largest share of a run's messages that may fail to decode before the run fails.",
    )


class FilesSource(SpecModel):
    """Files in an object store or a local folder (cost reports, partner drops)."""

    uri: Text = Field(description="s3://bucket/prefix/ or a local folder (relative to this spec).")
    format: FilesFormat = Field(description="File format: parquet, json (one object per line) or csv.")
    pattern: str | None = Field(
        None,
        min_length=1,
        description="Glob of the files to read; default *.<format> (csv and json also gzipped: .csv.gz; "
        "json also .jsonl). Delivered files it does not match are quarantined with a reason.",
    )
    options: dict[str, ReaderOption] = Field(
        default_factory=dict, description="Reader options, e.g. {header: true, delimiter: ';'} for csv."
    )

    @property
    def glob(self) -> str:
        """The file pattern to read: ``pattern`` or the default for the format (``*.parquet``...)."""
        return self.pattern or DEFAULT_FILE_PATTERNS[self.format]

    @property
    def reader_options(self) -> dict[str, str]:
        """Reader options with the format's defaults (csv: header=true) under the spec's own."""
        return {**DEFAULT_READER_OPTIONS[self.format], **self.options}

    @property
    def is_remote(self) -> bool:
        """True for object-store URIs (s3://, gs://, ...), False for a local path."""
        return self.uri.startswith(_REMOTE_SCHEMES) and not self.uri.startswith("file://")


class Source(SpecModel):
    """Where the data comes from: exactly one of kafka, files, sql or sql_file."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": [kind]} for kind in SOURCE_KINDS]},
    )

    kafka: KafkaSource | None = Field(None, description="Land a Kafka topic.")
    files: FilesSource | None = Field(None, description="Load files from an object store or a folder.")
    sql: Text | None = Field(None, description="SELECT over other products: {{ product('name') }}.")
    sql_file: Text | None = Field(None, description="A .sql file (relative to this spec) holding the SELECT.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Source:
        given = [kind for kind in SOURCE_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            found = "none" if not given else " and ".join(given)
            raise tardis_error(
                f"exactly one of kafka, files, sql or sql_file is needed, found {found}",
                "keep exactly one of them under source:",
            )
        return self

    @property
    def kind(self) -> SourceKind:
        """kafka, files or sql (a `sql_file` product is a sql product)."""
        if self.kafka is not None:
            return "kafka"
        if self.files is not None:
            return "files"
        return "sql"


class Column(SpecModel):
    """One published column: part of the contract."""

    name: Identifier = Field(description="Column name (snake_case).")
    type: ColumnType = Field(description="string, int, bigint, double, float, boolean, date, timestamp, ...")
    required: bool = Field(False, description="True: the column may not be null.")
    description: str | None = Field(None, description="What the column means.")
    pii: bool = Field(False, description="True: personal data, never published in clear text.")

    @property
    def data_type(self) -> DataType:
        """The parsed type (``str()`` canonical, ``.spark_ddl`` for Spark)."""
        return parse_type(self.type)


class Load(SpecModel):
    """How new data is written into the published table."""

    type: LoadType = Field(
        description="append | full | upsert | scd2 | replace (files: each delivery replaces the rows of "
        "every key value it holds, e.g. a billing period re-delivered)."
    )
    key: list[Identifier] = Field(
        default_factory=list,
        description="Key columns; required for upsert and scd2. For replace: the column(s) a delivery "
        "replaces, e.g. [bill_billing_period_start_date].",
    )
    version_by: Identifier | None = Field(
        None, description="Column deciding which record wins for the same key (e.g. updated_at)."
    )
    partition_by: list[PartitionEntry] = Field(
        default_factory=list, description="Columns or Iceberg transforms: day(col), bucket(16, col), ..."
    )
    reject_threshold: float = Field(
        0.01,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="Largest share of a run's rows that may be rejected before the run fails.",
    )

    @property
    def partitions(self) -> list[PartitionField]:
        """`partition_by` parsed into transforms and columns."""
        return [parse_partition(entry) for entry in self.partition_by]


class RowCountRule(SpecModel):
    """The published table has between `min` and `max` rows."""

    min: RowCount | None = Field(None, description="Fewest rows allowed.")
    max: RowCount | None = Field(None, description="Most rows allowed.")


class FreshnessRule(SpecModel):
    """The newest value of `column` is at most `max_age` old."""

    column: Identifier = Field(description="A date or timestamp column.")
    max_age: Duration = Field(description="Largest allowed age of the newest value: 30m, 2h, 1d, ...")

    @property
    def max_age_seconds(self) -> int:
        """`max_age` in seconds."""
        return duration_seconds(self.max_age)


class AcceptedValuesRule(SpecModel):
    """Every non-null value of `column` is one of `values`."""

    column: Identifier = Field(description="The column to check.")
    values: list[ScalarValue] = Field(min_length=1, description="The allowed values.")


class RangeRule(SpecModel):
    """Every non-null value of `column` lies within [`min`, `max`]."""

    column: Identifier = Field(description="A numeric column.")
    min: Bound | None = Field(None, description="Smallest allowed value.")
    max: Bound | None = Field(None, description="Largest allowed value.")


class QualityRule(SpecModel):
    """One post-publish check: exactly one rule key, plus an optional severity and name."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": [kind]} for kind in QUALITY_KINDS]},
    )

    row_count: RowCountRule | None = Field(None, description="Bounds on the number of rows: {min: 1}.")
    freshness: FreshnessRule | None = Field(None, description="{column: placed_at, max_age: 2h}.")
    not_null: list[Identifier] | None = Field(None, min_length=1, description="Columns that may not be null.")
    unique: list[Identifier] | None = Field(None, min_length=1, description="Columns unique together.")
    accepted_values: AcceptedValuesRule | None = Field(None, description="{column: status, values: [a, b]}.")
    range: RangeRule | None = Field(None, description="{column: total_amount, min: 0}.")
    sql: Text | None = Field(None, description="SELECT over {{ this }}; passes when it returns 0.")
    severity: Severity = Field("error", description="error blocks downstream; warn only alerts.")
    name: Identifier | None = Field(None, description="Check name; defaults to one derived from the rule.")
    description: str | None = Field(None, description="Why the check exists, shown with its results.")

    @model_validator(mode="after")
    def _exactly_one(self) -> QualityRule:
        given = [kind for kind in QUALITY_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            found = "none" if not given else " and ".join(given)
            raise tardis_error(
                f"a quality rule needs exactly one of {', '.join(QUALITY_KINDS)}; found {found}",
                "write one rule per list item",
            )
        return self

    @property
    def kind(self) -> QualityKind:
        """Which rule this is: row_count, freshness, not_null, unique, accepted_values, range or sql."""
        return next(kind for kind in QUALITY_KINDS if getattr(self, kind) is not None)

    @property
    def columns(self) -> list[str]:
        """The columns the rule names (empty for row_count and sql)."""
        if self.not_null is not None:
            return list(self.not_null)
        if self.unique is not None:
            return list(self.unique)
        for rule in (self.freshness, self.accepted_values, self.range):
            if rule is not None:
                return [rule.column]
        return []

    @property
    def check_name(self) -> str:
        """A stable check name: `name`, or the kind plus its columns (sql: a short hash of the query)."""
        if self.name is not None:
            return self.name
        if self.sql is not None:
            return "sql_" + hashlib.sha256(self.sql.encode()).hexdigest()[:8]
        return "_".join([self.kind, *self.columns])


class HubMapping(SpecModel):
    """This product feeds `hub`; `key` are its columns holding the hub's business key, in order."""

    hub: Identifier = Field(description="A hub of the global model (_model.yaml).")
    key: list[Identifier] = Field(
        min_length=1, description="Columns holding the hub's business key, in the order of its business_key."
    )


class LinkMapping(SpecModel):
    """This product feeds `link`, which joins `hubs` (each mapped under vault.hubs of this product)."""

    link: Identifier = Field(description="A link of the global model (_model.yaml).")
    hubs: list[Identifier] = Field(min_length=2, description="The hubs it joins, as in the global model.")


class SatelliteMapping(SpecModel):
    """This product's `columns` describe `parent` (a hub it maps) over time, in `sat_<satellite>`."""

    satellite: Identifier = Field(description="Satellite name; the table is vault.sat_<satellite>.")
    parent: Identifier = Field(description="A hub mapped under vault.hubs of this product.")
    columns: list[Identifier] = Field(min_length=1, description="Descriptive columns tracked over time.")


class Vault(SpecModel):
    """The product's mapping onto the global data model."""

    hubs: list[HubMapping] = Field(default_factory=list, description="Hubs this product feeds.")
    links: list[LinkMapping] = Field(default_factory=list, description="Links this product feeds.")
    satellites: list[SatelliteMapping] = Field(default_factory=list, description="Satellites of its hubs.")


class DataProduct(SpecModel):
    """One data product: one YAML file under product_specs/."""

    model_config = ConfigDict(title="Tardis data product")

    api_version: Literal["tardis/v1"] = Field(alias="apiVersion", description="Always tardis/v1.")
    kind: Literal["DataProduct"] = Field(description="Always DataProduct.")
    name: ProductName = Field(description="Unique snake_case name; becomes the table name.")
    version: SemVer = Field(description="Contract version (semver); a breaking change needs a major bump.")
    description: Text = Field(description="What the product holds, for people browsing the catalog.")
    owner: Owner = Field(description="Who owns the product: tribe, squad and contact.")
    stakeholders: list[Contact] = Field(
        default_factory=list, description="Also alerted when published data breaks: Slack channels or emails."
    )
    source: Source = Field(description="Where the data comes from: kafka, files, sql or sql_file.")
    schedule: Schedule | None = Field(
        None, description='5-field cron ("0 * * * *"), on_upstream, or streaming (kafka only).'
    )
    load: Load = Field(description="How data is written: type append|full|upsert|scd2, key, partition_by.")
    schema_: list[Column] = Field(alias="schema", min_length=1, description="The published columns.")
    quality: list[QualityRule] = Field(default_factory=list, description="Checks run after publishing.")
    vault: Vault = Field(default_factory=Vault, description="Mapping onto the global data model.")

    _spec_path: Path | None = PrivateAttr(None)
    _sql_text: str | None = PrivateAttr(None)

    @property
    def spec_path(self) -> Path:
        """Absolute path of the YAML file (``<cwd>/<name>.yaml`` for a product built in code)."""
        return self._spec_path if self._spec_path is not None else Path(f"{self.name}.yaml").absolute()

    @spec_path.setter
    def spec_path(self, path: Path) -> None:
        self._spec_path = Path(os.path.abspath(path))  # noqa: PTH100 - keep symlinked paths as given

    def resolve_path(self, rel: str | Path) -> Path:
        """Resolve a path written in the spec (schema file, sql_file, local uri) against the spec's folder.

        No `~` expansion: a spec's paths are relative to it and stay inside the repository (paths.py).
        """
        # os.path, not pathlib: called for every schema file and sql_file at start-up (3x faster).
        folder = os.path.dirname(self.spec_path)  # noqa: PTH120
        return Path(os.path.normpath(os.path.join(folder, rel)))  # noqa: PTH118

    def files_location(self) -> str:
        """Where a files product reads from: the remote URI as written, or the absolute local folder."""
        files = self.source.files
        if files is None:
            raise ValueError(f"{self.name} is not a files product")
        if files.is_remote:
            return files.uri
        return str(self.resolve_path(files.uri.removeprefix("file://")))

    @property
    def sql_text(self) -> str | None:
        """The product's SQL (inline or read from `sql_file`); None for kafka and files products."""
        if self.source.sql is not None:
            return self.source.sql
        if self.source.sql_file is None:
            return None
        if self._sql_text is None:
            self._sql_text = self.resolve_path(self.source.sql_file).read_text(encoding="utf-8")
        return self._sql_text

    @property
    def upstream(self) -> list[str]:
        """Products this one's SQL reads through ``{{ product('x') }}``, sorted and unique."""
        sql = self.sql_text
        if sql is None:
            return []
        refs, _ = scan_sql(sql, product_sql=True)
        return sorted({ref.name for ref in refs})

    def column(self, name: str) -> Column | None:
        """The schema column called ``name``, if any."""
        return next((column for column in self.schema_ if column.name == name), None)

    @property
    def column_names(self) -> list[str]:
        """Names of the published columns, in schema order."""
        return [column.name for column in self.schema_]


class Hub(SpecModel):
    """A business entity of the global model (`vault.hub_<name>`)."""

    name: Identifier = Field(description="Hub name; the table is vault.hub_<name>.")
    business_key: list[Identifier] = Field(min_length=1, description="Columns identifying one entity.")
    description: Text = Field(description="What one entity is.")
    owner: ModelOwner = Field(description="Tribe and squad that own the hub's meaning.")


class Link(SpecModel):
    """A relationship between hubs of the global model (`vault.link_<name>`)."""

    name: Identifier = Field(description="Link name; the table is vault.link_<name>.")
    hubs: list[Identifier] = Field(min_length=2, description="The hubs it joins (at least two).")
    description: str | None = Field(None, description="What the relationship means.")


class GlobalModel(SpecModel):
    """The shared data model (`product_specs/_model.yaml`): hubs and links products map onto."""

    model_config = ConfigDict(title="Tardis global data model")

    hubs: list[Hub] = Field(default_factory=list, description="Business entities.")
    links: list[Link] = Field(default_factory=list, description="Relationships between hubs.")

    _model_path: Path | None = PrivateAttr(None)

    @property
    def model_path(self) -> Path | None:
        """Absolute path of `_model.yaml`, when loaded from a file."""
        return self._model_path

    def hub(self, name: str) -> Hub | None:
        """The hub called ``name``, if any."""
        return next((hub for hub in self.hubs if hub.name == name), None)

    def link(self, name: str) -> Link | None:
        """The link called ``name``, if any."""
        return next((link for link in self.links if link.name == name), None)


def _json_schema(model: type[BaseModel], schema_id: str) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id, **schema}


def product_json_schema() -> dict[str, Any]:
    """JSON Schema of one data product spec file (for editors and `tardis schema`)."""
    return _json_schema(DataProduct, SCHEMA_ID)


def global_model_json_schema() -> dict[str, Any]:
    """JSON Schema of `_model.yaml`."""
    return _json_schema(GlobalModel, MODEL_SCHEMA_ID)
