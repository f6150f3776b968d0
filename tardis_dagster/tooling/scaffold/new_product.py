"""`tardis new` from start to end: answers -> checks -> schema inference -> spec -> validate -> write.

One path for both ways of answering: the prompts (`prompts.py`) collect the same `Answers` an
answers file holds, and both end in `finish`, which renders the files, validates them with
`tardis validate`'s loader on a staged copy of the tree, and only then writes them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tardis_dagster.core.settings import Settings
from tardis_dagster.core.specs.problems import Problem
from tardis_dagster.tooling.scaffold import answer_rules
from tardis_dagster.tooling.scaffold.answer_rules import Finding
from tardis_dagster.tooling.scaffold.answers import AnswerProblem, Answers, AnswerSource, LoadedAnswers
from tardis_dagster.tooling.scaffold.existing import Existing, read_existing
from tardis_dagster.tooling.scaffold.files_inference import infer_files
from tardis_dagster.tooling.scaffold.inferred_schema import InferenceError, InferredSchema
from tardis_dagster.tooling.scaffold.kafka_inference import KafkaRequest, infer_kafka
from tardis_dagster.tooling.scaffold.pii_candidates import PiiCandidate, pii_candidates
from tardis_dagster.tooling.scaffold.sql_inference import infer_sql
from tardis_dagster.tooling.scaffold.writer import ProductFiles, render_files, validate_staged, write_files

# A problem the validator finds in the generated spec, placed on the answer it came from.
_SPEC_FIELDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^{pattern}(?:\[(\d+)\])?"), answer)
    for pattern, answer in (
        (r"owner\.tribe", "tribe"),
        (r"owner\.squad", "squad"),
        (r"owner\.contact", "contact"),
        (r"stakeholders", "stakeholders"),
        (r"name", "name"),
        (r"version", "version"),
        (r"description", "description"),
        (r"source\.kafka\.topic", "topic"),
        (r"source\.kafka\.registry_subject", "registry_subject"),
        (r"source\.kafka\.message", "message"),
        (r"source\.kafka\.format", "format"),
        (r"source\.files\.uri", "uri"),
        (r"source\.files\.format", "format"),
        (r"source\.sql", "sql"),
        (r"schedule", "schedule"),
        (r"load\.type", "load_type"),
        (r"load\.key", "key"),
        (r"load\.version_by", "version_by"),
        (r"load\.partition_by", "partition_by"),
        (r"vault\.hubs", "hubs"),
    )
]


@dataclass
class NewContext:
    """What `tardis new` works with: the spec tree, the platform's settings, a Spark session maker."""

    specs_root: Path
    settings: Settings
    registry_url: str | None = None
    spark: Callable[[], Any] | None = None  # a Spark Connect session, made on first use
    existing: Existing = field(init=False)
    _session: Any = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.existing = read_existing(self.specs_root)

    def session(self) -> Any:
        """The Spark session (files and SQL inference)."""
        if self._session is None:
            if self.spark is not None:
                self._session = self.spark()
            else:
                from pyspark.sql import SparkSession

                self._session = SparkSession.builder.remote(self.settings.spark_remote).getOrCreate()
        return self._session

    def infer(self, answers: Answers) -> InferredSchema:
        """The schema of the answers' source (raises InferenceError)."""
        if answers.source == "kafka":
            request = KafkaRequest(
                topic=answers.topic or "",
                name=answers.name,
                format=answers.format,
                registry_subject=answers.registry_subject,
                message=answers.message,
                sample_file=Path(answers.sample_file) if answers.sample_file else None,
                schema_file=Path(answers.schema_file) if answers.schema_file else None,
            )
            url = self.registry_url or self.settings.schema_registry_url
            return infer_kafka(request, self.settings.kafka_bootstrap, url)
        if answers.source == "files":
            uri = answers.uri or ""
            location = uri if "://" in uri else str(Path(uri).absolute())
            return infer_files(location, answers.format, self._spark_or_error("uri"))
        return infer_sql(answers.sql or "", self.existing, self._spark_or_error("sql"))

    def _spark_or_error(self, answer: str) -> Any:
        try:
            return self.session()
        except Exception as error:
            raise InferenceError(
                f"cannot reach Spark Connect at {self.settings.spark_remote}: {type(error).__name__}",
                "start the local platform with `tardis local up`",
                answer,
            ) from None


@dataclass
class Outcome:
    """What `tardis new` did: the problems (nothing written then), or the files written."""

    problems: list[AnswerProblem] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    schema: InferredSchema | None = None
    unconfirmed_pii: list[PiiCandidate] = field(default_factory=list)
    spec_path: Path | None = None


def from_answers(loaded: LoadedAnswers, context: NewContext) -> Outcome:
    """The non-interactive path: every check, then inference, then `finish`."""
    if loaded.answers is None:
        return Outcome(problems=loaded.problems)
    answers, source = loaded.answers, loaded.source
    findings = answer_rules.before_inference(answers, context.existing)
    if findings:
        return Outcome(problems=[_placed(source, f) for f in findings])
    try:
        schema = context.infer(answers)
    except InferenceError as error:
        return Outcome(problems=[_inference_problem(source, answers, error)])
    findings = answer_rules.after_inference(answers, schema, context.existing)
    if findings:
        return Outcome(problems=[_placed(source, f) for f in findings], schema=schema)
    return finish(answers, schema, context, source)


def finish(answers: Answers, schema: InferredSchema, context: NewContext, source: AnswerSource) -> Outcome:
    """Render, validate on a staged tree, and write only when the validator has nothing to say."""
    files = render_files(answers, schema, context.existing)
    problems = validate_staged(files, context.existing)
    if problems:
        return Outcome(problems=[spec_problem(source, p) for p in problems], schema=schema)
    unconfirmed = [c for c in pii_candidates(schema.columns) if c.column not in answers.pii]
    written = write_files(files, context.existing)
    return Outcome(
        written=written,
        schema=schema,
        unconfirmed_pii=unconfirmed,
        spec_path=context.existing.root / files.spec,
    )


def staged_problems(
    answers: Answers, schema: InferredSchema, context: NewContext
) -> tuple[ProductFiles, list[Problem]]:
    """The rendered files and what the validator says of them (the prompts re-ask from these)."""
    files = render_files(answers, schema, context.existing)
    return files, validate_staged(files, context.existing)


def answer_of(problem: Problem) -> tuple[str | int, ...] | None:
    """The answer a spec problem comes from (``load.key[0]`` -> ``("key", 0)``), if any."""
    for pattern, answer in _SPEC_FIELDS:
        match = pattern.match(problem.field)
        if match is not None:
            return (answer, int(match.group(1))) if match.group(1) is not None else (answer,)
    return None


def spec_problem(source: AnswerSource, problem: Problem) -> AnswerProblem:
    """A validator problem of the generated spec, placed on the answer it came from."""
    loc = answer_of(problem)
    if loc is not None:
        return source.problem(loc, problem.message, problem.fix)
    return source.problem(
        ("source",), f"the generated spec is refused at {problem.field}: {problem.message}", problem.fix
    )


def _placed(source: AnswerSource, finding: Finding) -> AnswerProblem:
    return source.problem(finding.loc, finding.message, finding.fix, finding.offset)


def _inference_problem(source: AnswerSource, answers: Answers, error: InferenceError) -> AnswerProblem:
    given = {name for name, value in answers.model_dump().items() if value is not None}
    fallback = {"kafka": "topic", "files": "uri", "sql": "sql"}[answers.source]
    answer = error.field if error.field in given else fallback
    return source.problem((answer,), error.message, error.fix)
