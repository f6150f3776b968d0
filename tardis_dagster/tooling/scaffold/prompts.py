"""The interactive `tardis new`: the reference form's questions in its order, each re-asked with the reason.

tribe, squad, contact, stakeholders, name, description, source (and what it needs: topic, folder or
query, then the schema is inferred and shown), schedule (with its plain-words preview), load type,
and only when needed key, version column and partitioning; then hubs and the PII proposals. Choices
come from what exists. Every answer goes through the same types and rules as an answers file
(`answers.py`, `answer_rules.py`); a bad one is explained and asked again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from rich.console import Console

from tardis_dagster.core.specs.errors import translate
from tardis_dagster.core.specs.specfile import SpecFile
from tardis_dagster.core.specs.yaml_source import parse_yaml
from tardis_dagster.tooling.scaffold import answer_rules
from tardis_dagster.tooling.scaffold.answer_rules import Finding
from tardis_dagster.tooling.scaffold.answers import AnswerProblem, Answers, AnswerSource, split_list
from tardis_dagster.tooling.scaffold.files_inference import local_format
from tardis_dagster.tooling.scaffold.inferred_schema import InferenceError, InferredSchema
from tardis_dagster.tooling.scaffold.new_product import (
    NewContext,
    Outcome,
    answer_of,
    finish,
    staged_problems,
)
from tardis_dagster.tooling.scaffold.pii_candidates import pii_candidates
from tardis_dagster.tooling.scaffold.schedule_preview import schedule_in_words

Check = Callable[[Any], Finding | None]
_DEFAULT_SCHEDULES = {"kafka": "0 * * * *", "files": "0 6 * * *", "sql": "on_upstream"}


class Asker:
    """Asks one question at a time on ``console``; answers already given (flags) are not asked."""

    def __init__(self, console: Console, preset: dict[str, Any]) -> None:
        self.console = console
        self.data: dict[str, Any] = dict(preset)

    def ask(
        self,
        field: str,
        question: str,
        *,
        default: str | None = None,
        choices: list[str] | None = None,
        parse: Callable[[str], Any] = lambda text: text,
        check: Check | None = None,
        optional: bool = False,
        multiline: bool = False,
    ) -> Any:
        """Ask until the answer passes the field's type and ``check``; returns the typed value."""
        if field in self.data:  # given as a flag: checked like a typed answer, asked when it fails
            problem = self._problem(field, self.data[field], check)
            if problem is None:
                return self.data[field]
            self.console.print(f"  {problem[0]} ({problem[1]})", markup=False, style="red")
            del self.data[field]
        shown = question
        if choices:
            shown += f" [{', '.join(choices)}]"
        if default:
            shown += f" (Enter for {default})"
        elif optional:
            shown += " (Enter for none)"
        while True:
            text = self.console.input(f"{shown}: ", markup=False).strip()
            while multiline and text:  # more lines until an empty one
                line = self.console.input("  ... ", markup=False)
                if not line.strip():
                    break
                text += "\n" + line.rstrip()
            if not text and default:
                text = default
            if not text and optional:
                return [] if field in _LIST_FIELDS else None
            value = parse(text)
            problem = self._problem(field, value, check)
            if problem is None:
                self.data[field] = value
                return value
            message, fix = problem
            self.console.print(f"  {message} ({fix})", markup=False, style="red")

    @staticmethod
    def _problem(field: str, value: Any, check: Check | None) -> tuple[str, str] | None:
        problem = field_problem(field, value)
        if problem is None and check is not None:
            finding = check(value)
            problem = (finding.message, finding.fix) if finding is not None else None
        return problem


_LIST_FIELDS = {"stakeholders", "key", "partition_by", "hubs", "pii"}


def listed(text: str) -> list[str]:
    """``a, b c`` -> ``["a", "b", "c"]``."""
    return split_list(text)


def field_problem(field: str, value: Any) -> tuple[str, str] | None:
    """(message, fix) when ``value`` does not pass the answer field's type, as an answers file would say."""
    if value is None or value == []:
        return None
    text = yaml.safe_dump({field: value}, allow_unicode=True)
    scratch = SpecFile(Path("answer"), doc=parse_yaml(text))
    try:
        Answers.model_validate(scratch.data)
    except ValidationError as error:
        translate(error, scratch, Answers)
    for problem in scratch.problems:
        if problem.field == field or problem.field.startswith((f"{field}.", f"{field}[")):
            return problem.message, problem.fix
    return None


def ask_and_create(context: NewContext, console: Console, preset: dict[str, Any]) -> Outcome:
    """Ask every question, infer the schema, then write through the same `finish` as an answers file."""
    existing = context.existing
    asker = Asker(console, preset)
    console.print("A new data product: a few questions, then the spec is written for you.", markup=False)
    tribe = asker.ask(
        "tribe", "Tribe", choices=existing.tribes, check=lambda v: answer_rules.tribe_finding(v, existing)
    )
    squads = existing.squads.get(tribe, [])
    squad = asker.ask("squad", "Squad" + (f" (known: {', '.join(squads)}; or a new one)" if squads else ""))
    asker.ask(
        "contact",
        'Owner contact, a Slack channel ("#team-data") or email',
        default=existing.contacts.get((tribe, squad)),
    )
    asker.ask("stakeholders", "Stakeholders to alert too (comma-separated)", parse=listed, optional=True)
    asker.ask(
        "name",
        "Product name (snake_case; becomes the table name)",
        check=lambda v: answer_rules.name_finding(v, tribe, existing),
    )
    asker.ask("description", "Description (one sentence for the catalog)")
    source = asker.ask("source", "Source", choices=["kafka", "files", "sql"])
    schema = _ask_source(asker, context, source)
    _show_schema(console, schema)
    schedule = asker.ask(
        "schedule",
        "Schedule: a cron, on_upstream or streaming",
        default=_DEFAULT_SCHEDULES[source],
        check=lambda v: answer_rules.schedule_finding(v, source),
    )
    console.print(f"  runs: {schedule_in_words(schedule)}", markup=False)
    load_type = asker.ask(
        "load_type",
        "Load type: append (keep all), full (replace), upsert (latest per key), scd2 (history per key)",
        choices=["append", "full", "upsert"] if source == "sql" else ["append", "full", "upsert", "scd2"],
        default="full" if source == "sql" else "append",
    )
    names = ", ".join(schema.names)
    if load_type in ("upsert", "scd2"):
        asker.ask(
            "key",
            f"Key column(s) identifying a record ({names})",
            default=_default_key(schema),
            parse=listed,
            check=lambda v: _first(answer_rules.key_findings(v, schema)) if v else _need_key(load_type),
        )
        if source != "sql":  # a SQL product picks its winning row in its SQL
            orderable = [
                c.name for c in schema.columns if c.type.startswith(("timestamp", "date", "int", "bigint"))
            ]
            asker.ask(
                "version_by",
                "Version column: which record wins for the same key"
                + (f" ({', '.join(orderable)})" if orderable else ""),
                default="updated_at" if schema.column("updated_at") else None,
                optional=True,
                check=lambda v: answer_rules.version_finding(v, schema),
            )
    temporal = [c.name for c in schema.columns if c.type in ("timestamp", "date")]
    asker.ask(
        "partition_by",
        "Partition by, e.g. " + (f"day({temporal[0]})" if temporal else "a column"),
        parse=listed,
        optional=True,
        check=lambda v: _first(answer_rules.partition_findings(v, schema)),
    )
    fitting = [hub for hub, key in existing.hubs.items() if all(schema.column(k) for k in key)]
    if fitting and source != "sql":  # SQL products are not staged into the vault: their inputs are
        asker.ask(
            "hubs",
            "Business entities (hubs of the global model) this product describes",
            choices=fitting,
            parse=listed,
            optional=True,
            check=lambda v: _first(answer_rules.hub_findings(v, schema, existing)),
        )
    _ask_pii(asker, schema)
    answers = Answers.model_validate(asker.data)
    # The rules above catch what they can early; the validator has the last word on the whole spec,
    # and an answer it refuses is asked again (answers the source's schema depends on are not).
    while True:
        _files, problems = staged_problems(answers, schema, context)
        if not problems:
            break
        again: list[str] = []
        for problem in problems:
            loc = answer_of(problem)
            if loc is not None and loc[0] in _REASKABLE and loc[0] not in again:
                again.append(str(loc[0]))
        if not again:  # nothing to ask again: say what the validator refuses; nothing is written
            return Outcome(problems=[AnswerProblem("the spec", p.field, p.message, p.fix) for p in problems])
        for problem in problems:
            console.print(f"  {problem.field}: {problem.message} ({problem.fix})", markup=False, style="red")
        for name in again:
            asker.data.pop(name, None)
            asker.ask(
                name,
                name.replace("_", " ").capitalize(),
                parse=listed if name in _LIST_FIELDS else str,
                optional=name in _LIST_FIELDS or name == "version_by",
            )
        answers = Answers.model_validate(asker.data)
    return finish(answers, schema, context, AnswerSource(None, {}))


_REASKABLE = frozenset(
    {"squad", "contact", "stakeholders", "name", "description", "schedule", "load_type", "key", "version_by"}
    | {"partition_by", "hubs"}
)


def _ask_source(asker: Asker, context: NewContext, source: str) -> InferredSchema:
    existing = context.existing
    console = asker.console
    while True:
        if source == "kafka":
            asker.ask("topic", "Kafka topic", check=lambda v: answer_rules.topic_finding(v, existing))
        elif source == "files":
            asker.ask("uri", "Folder the files arrive in (local path or s3://bucket/prefix/)")
            folder = Path(asker.data["uri"])
            asker.ask(
                "format", "File format", choices=["csv", "json", "parquet"], default=local_format(folder)
            )
        else:
            console.print(f"Products you can read: {', '.join(sorted(existing.products))}", markup=False)
            asker.ask(
                "sql",
                "SQL reading products as {{ product('name') }} (finish with an empty line)",
                multiline=True,
                check=lambda v: _first(answer_rules.sql_findings(v, existing)),
            )
        try:
            answers = Answers.model_construct(
                **{"source": source, "name": asker.data["name"], **_source_fields(asker)}
            )
            console.print("Inferring the schema...", markup=False)
            return context.infer(answers)
        except InferenceError as error:
            console.print(f"  {error.message} ({error.fix})", markup=False, style="red")
            for name in ("topic", "uri", "format", "sql", "sample_file", "schema_file"):
                asker.data.pop(name, None)
            if source == "kafka":
                path = console.input(
                    "Schema file (.avsc, .proto, .json) or JSON sample file instead (Enter to skip): ",
                    markup=False,
                )
                if path.strip():
                    asker.data["topic"] = answers.topic
                    kind = (
                        "schema_file" if Path(path.strip()).suffix in (".avsc", ".proto") else "sample_file"
                    )
                    asker.data[kind] = path.strip()


def _source_fields(asker: Asker) -> dict[str, Any]:
    fields = ("topic", "uri", "format", "sql", "sample_file", "schema_file", "registry_subject", "message")
    return {name: asker.data.get(name) for name in fields}


def _show_schema(console: Console, schema: InferredSchema) -> None:
    for note in schema.notes:
        console.print(f"  {note}", markup=False)
    console.print("Columns:", markup=False)
    for column in schema.columns:
        flag = " required" if column.required else ""
        console.print(f"  {column.name}: {column.type}{flag}", markup=False)


def _ask_pii(asker: Asker, schema: InferredSchema) -> None:
    if "pii" in asker.data:
        return
    chosen = []
    for candidate in pii_candidates(schema.columns):
        while True:
            text = (
                asker.console.input(
                    f"Is '{candidate.column}' personal data ({candidate.reason})? [Y/n]: ", markup=False
                )
                .strip()
                .lower()
            )
            if text in ("", "y", "yes", "n", "no"):
                break
            asker.console.print("  answer y or n", markup=False, style="red")
        if text in ("", "y", "yes"):
            chosen.append(candidate.column)
    others = asker.ask(
        "pii",
        "Other columns holding personal data (comma-separated)",
        parse=listed,
        optional=True,
        check=lambda v: _first(answer_rules.pii_findings(v, schema)),
    )
    asker.data["pii"] = chosen + [name for name in others or [] if name not in chosen]


def _default_key(schema: InferredSchema) -> str | None:
    for column in schema.columns:
        if column.name == "id" or column.name.endswith("_id"):
            return column.name
    return None


def _need_key(load_type: str) -> Finding:
    return Finding(
        ("key",), f"load type {load_type} needs a key", "name the column(s) that identify a record"
    )


def _first(findings: list[Finding]) -> Finding | None:
    return findings[0] if findings else None
