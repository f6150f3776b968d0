"""The answers of `tardis new`: one flat mapping, typed field by field, from prompts, flags or a file.

The same fields whatever asks them (the interactive prompts, `--answers answers.yaml` written by a
web form, or flags), in the reference form's order. Each field uses the spec's own constrained type
(`core/specs/fields.py`), so a bad contact or cron gets the message `tardis validate` would give.
An answers file is read with the spec loader's YAML (line and column of every value kept), and its
problems are translated by the spec's error translator: one `answers.yaml:line:col: field: message
(fix)` line each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from tardis_dagster.core.specs.errors import translate
from tardis_dagster.core.specs.fields import (
    Contact,
    Identifier,
    KafkaTopic,
    PartitionEntry,
    ProductName,
    ProtoMessage,
    Schedule,
    SemVer,
    Text,
)
from tardis_dagster.core.specs.file_reading import UnreadableFileError, read_capped
from tardis_dagster.core.specs.model import LoadType, SpecModel
from tardis_dagster.core.specs.problems import Problem
from tardis_dagster.core.specs.specfile import SpecFile, field_name
from tardis_dagster.core.specs.yaml_source import YamlSyntaxError, parse_yaml

SourceChoice = Literal["kafka", "files", "sql"]
FormatChoice = Literal["json", "avro", "protobuf", "csv", "parquet"]
KAFKA_FORMATS = ("json", "avro", "protobuf")
FILES_FORMATS = ("csv", "json", "parquet")
MAX_ANSWERS_BYTES = 1_000_000
# The fields that belong to one source kind only.
SOURCE_FIELDS: dict[str, tuple[str, ...]] = {
    "kafka": ("topic", "registry_subject", "message", "sample_file", "schema_file"),
    "files": ("uri",),
    "sql": ("sql",),
}


class Answers(SpecModel):
    """Everything `tardis new` asks, in the order it asks (the reference platform's form)."""

    tribe: Identifier = Field(description="Tribe that owns the product: a folder of product_specs/.")
    squad: Identifier = Field(description="Squad inside the tribe, e.g. checkout.")
    contact: Contact = Field(description='Slack channel ("#checkout-data") or email address of the owners.')
    stakeholders: list[Contact] = Field(default_factory=list, description="Also alerted when data breaks.")
    name: ProductName = Field(description="snake_case product name; becomes the table name.")
    description: Text = Field(description="What the product holds, for people browsing the catalog.")
    version: SemVer = Field("1.0.0", description="Contract version; a new product starts at 1.0.0.")
    source: SourceChoice = Field(description="Where the data comes from: kafka, files or sql.")
    topic: KafkaTopic | None = Field(None, description="kafka: the topic to land.")
    format: FormatChoice | None = Field(
        None, description="kafka: json|avro|protobuf; files: csv|json|parquet (inferred when left out)."
    )
    registry_subject: str | None = Field(
        None, min_length=1, description="kafka: schema registry subject to read the schema from."
    )
    message: ProtoMessage | None = Field(None, description="kafka, protobuf: the message type.")
    sample_file: Text | None = Field(
        None, description="kafka: a file of sample records (JSON lines) to infer the schema from."
    )
    schema_file: Text | None = Field(
        None, description="kafka: an existing schema file (.json JSON Schema, .avsc, .proto) to use."
    )
    uri: Text | None = Field(None, description="files: s3://bucket/prefix/ or a local folder.")
    sql: Text | None = Field(None, description="sql: SELECT over products as {{ product('name') }}.")
    schedule: Schedule = Field(description='5-field cron ("0 * * * *"), on_upstream or streaming.')
    load_type: LoadType = Field(description="append | full | upsert | scd2.")
    key: list[Identifier] = Field(default_factory=list, description="upsert/scd2: the key column(s).")
    version_by: Identifier | None = Field(None, description="Column deciding which record wins for a key.")
    partition_by: list[PartitionEntry] = Field(default_factory=list, description="e.g. [day(placed_at)].")
    hubs: list[Identifier] = Field(
        default_factory=list, description="Hubs of _model.yaml this product feeds."
    )
    pii: list[Identifier] = Field(default_factory=list, description="Columns holding personal data.")


@dataclass(frozen=True)
class AnswerProblem:
    """One bad answer: where (``answers.yaml:line:col``, or the flag), field, what is wrong, the fix."""

    where: str
    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        # Problem's rendering escapes control and bidi characters of quoted user text: reuse it.
        text = str(Problem(Path("-"), 0, 0, self.field, self.message, self.fix))
        return self.where + text.removeprefix("-:0:0")


@dataclass
class AnswerSource:
    """Where the answers came from, to place each problem: an answers file (lines kept) and flags."""

    spec: SpecFile | None  # the answers file, parsed with positions
    flags: dict[str, str]  # answer field -> the flag that set it

    def problem(
        self, loc: tuple[str | int, ...], message: str, fix: str, offset: int | None = None
    ) -> AnswerProblem:
        """The problem at the answer ``loc`` (``offset``: a character inside a text answer, e.g. SQL)."""
        name = field_name(loc)
        top = str(loc[0]) if loc else ""
        if top in self.flags or self.spec is None or self.spec.doc is None:
            return AnswerProblem(self.flags.get(top, flag_of(top)), name, message, fix)
        doc = self.spec.doc
        if offset is not None:
            line, col = doc.locate_in_text(loc, offset)
        else:
            line, col = doc.locate(loc if _exists(doc.data, loc) else loc[:-1] if loc else loc)
        return AnswerProblem(f"{self.spec.path}:{line}:{col}", name, message, fix)


def split_list(text: str) -> list[str]:
    """A typed list answer: ``a, b c`` -> ``[a, b, c]``; ``day(x), bucket(16, id)`` keeps each call whole."""
    return _LIST_ITEM.findall(text)


_LIST_ITEM = re.compile(r"[^\s,()]+(?:\([^)]*\))?")


def flag_of(field: str) -> str:
    """The command-line flag of an answer field: ``load_type`` -> ``--load-type``."""
    return "--" + field.replace("_", "-") if field else "answers"


def _exists(data: Any, loc: tuple[str | int, ...]) -> bool:
    node = data
    for segment in loc:
        in_dict = isinstance(node, dict) and isinstance(segment, str) and segment in node
        in_list = isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node)
        if not (in_dict or in_list):
            return False
        node = node[segment]
    return True


@dataclass
class LoadedAnswers:
    """Answers read and typed, or the problems that stop them."""

    answers: Answers | None
    source: AnswerSource
    problems: list[AnswerProblem]
    data: dict[str, Any]


def load_answers(path: Path | None, flags: dict[str, tuple[str, Any]]) -> LoadedAnswers:
    """Read ``path`` (may be None: flags only) and overlay ``flags`` (field -> (flag, value))."""
    data: dict[str, Any] = {}
    spec: SpecFile | None = None
    problems: list[AnswerProblem] = []
    if path is not None:
        spec = SpecFile(path)
        read = _read(spec)
        if read is not None:
            problems.append(read)
        elif spec.doc is not None:
            for issue in spec.doc.issues:
                spec.report(issue.loc, issue.message, issue.fix, at_key=issue.at_key)
            if spec.data is None:
                spec.report((), "the answers file is empty", "write one `field: value` line per answer")
            elif not isinstance(spec.data, dict):
                spec.report(
                    (), "the answers file must be a mapping", "write one `field: value` line per answer"
                )
            else:
                data = dict(spec.data)
    source = AnswerSource(spec, {name: flag for name, (flag, _value) in flags.items()})
    for name, (_flag, value) in flags.items():
        data[name] = value
    if spec is not None:
        problems += [_from_problem(p) for p in spec.problems]
        spec.problems.clear()
    if problems:
        return LoadedAnswers(None, source, problems, data)
    try:
        answers = Answers.model_validate(data)
    except ValidationError as error:
        # The translator cuts each error's location to what the data holds: give it the flags too.
        doc = replace(spec.doc, data=data) if spec is not None and spec.doc is not None else None
        scratch = SpecFile(path or Path("answers"), doc=doc)
        translate(error, scratch, Answers)
        # `shedule:` is one mistake: its "did you mean 'schedule'?" says it, "missing 'schedule'" repeats it.
        meant = {p.fix.removeprefix("did you mean '").removesuffix("'?") for p in scratch.problems}
        for found in [p for p in scratch.problems if p.message.startswith("missing required field")]:
            if found.field in meant:
                scratch.problems.remove(found)
        for found in scratch.problems:
            top = found.field.split(".")[0].split("[")[0]
            if top in source.flags or doc is None:
                where = source.flags.get(top, flag_of(top))
                problems.append(AnswerProblem(where, found.field, found.message, found.fix))
            else:
                problems.append(_from_problem(found))
        return LoadedAnswers(None, source, problems, data)
    return LoadedAnswers(answers, source, [], data)


def _from_problem(problem: Problem) -> AnswerProblem:
    return AnswerProblem(
        f"{problem.path}:{problem.line}:{problem.col}", problem.field, problem.message, problem.fix
    )


def _read(spec: SpecFile) -> AnswerProblem | None:
    try:
        raw = read_capped(spec.path, MAX_ANSWERS_BYTES)
    except UnreadableFileError as error:
        return AnswerProblem(
            str(spec.path), "file", f"cannot read the answers file: it {error.message}", error.fix
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return AnswerProblem(str(spec.path), "file", "the answers file is not UTF-8 text", "save it as UTF-8")
    try:
        spec.doc = parse_yaml(text)
    except YamlSyntaxError as error:
        return AnswerProblem(
            f"{spec.path}:{error.line}:{error.col}",
            "yaml",
            f"YAML syntax error: {error.message}",
            "check indentation and quoting; put values starting with # in quotes",
        )
    return None
