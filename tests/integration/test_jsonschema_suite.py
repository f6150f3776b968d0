"""The JSON Schema Test Suite against both validation paths of the Kafka landing.

Drafts 2020-12 and draft-07, the ones product schemas may use. Every suite group the platform
accepts as a product schema must agree with the suite's verdicts: no wrong "valid" at all, and a
wrong "invalid" only where `tests/jsonschema_suite.DELIBERATE` lists it with its reason. Groups the
platform refuses are refused at validation, with a line in the schema file.
"""

from __future__ import annotations

import json
from functools import reduce

import pytest
from jsonschema_suite import Case, format_cases, required_cases

from tardis_dagster.core.formats import jsonschema as json_format
from tardis_dagster.core.formats import spark_types
from tardis_dagster.core.jobs_io import KafkaLandingInput
from tardis_dagster.jobs import json_checks, land_kafka

DRAFTS = ["draft2020-12", "draft7"]


def _suites() -> list[tuple[str, bool, list[Case]]]:
    """(name, format_assertion, cases): the required tests with formats as annotations, and the
    optional date-time and date tests with formats asserted."""
    suites = []
    for draft in DRAFTS:
        suites.append((f"{draft}-required", False, required_cases(draft)))
        suites.append((f"{draft}-format", True, format_cases(draft)))
    return suites


def _landing_schema(case: Case, format_assertion: bool) -> dict:
    return json_format.effective_schema(case.schema, format_assertion=format_assertion)


@pytest.mark.parametrize("draft", DRAFTS)
def test_refused_groups_are_refused_at_validation_with_a_line(draft: str) -> None:
    refused = [c for c in required_cases(draft) if not c.accepted]
    assert refused, "the suite holds schemas no product may use (not objects, remote refs...)"
    for case in refused:
        problems = json_format.product_schema_problems(json.dumps(case.schema, indent=2))
        assert problems and all(p.line >= 1 and p.col >= 1 and p.message for p in problems)


def test_fallback_path_agrees_with_the_suite() -> None:
    """`validate`, the function the landing's jsonschema fallback calls, on every accepted group."""
    wrong = []
    total = 0
    for name, format_assertion, cases in _suites():
        accepted = [c for c in cases if c.accepted]
        assert len(accepted) > len(cases) // 4, name
        for case in accepted:
            schema = _landing_schema(case, format_assertion)
            for description, instance, valid in case.tests:
                total += 1
                verdict = not json_format.validate(schema, instance)
                if verdict != case.expected(description, valid):
                    wrong.append((name, case.file, case.group, case.wrapped, description, verdict))
    assert total > 1500
    assert wrong == []


def _job(schema: dict) -> KafkaLandingInput:
    return KafkaLandingInput(
        product="suite",
        asset_key="raw/suite",
        topic="suite",
        bootstrap="127.0.0.1:9092",
        format="json",
        table="raw.suite",
        quarantine_table="raw.suite__quarantine",
        payload_ddl=spark_types.json_schema_to_spark_ddl(schema),
        quarantine_threshold=0.01,
        schema_text=json.dumps(schema),
    )


def _combined(cases: list[Case]) -> Case:
    """The wrapped cases as ONE product schema, property `v<n>` per case, each instance under its own
    property: properties are independent, so each record's verdict is its case's. One schema instead
    of a hundred keeps the Spark query small (each schema is a plan of its own to analyse)."""
    properties, tests = {}, []
    for n, case in enumerate(cases):
        properties[f"v{n}"] = case.schema["properties"]["v"]
        tests += [(d, {f"v{n}": instance["v"]}, case.expected(d, valid)) for d, instance, valid in case.tests]
    schema = {"$schema": cases[0].schema["$schema"], "type": "object", "properties": properties}
    return Case("combined", "combined", True, schema, tests)


@pytest.mark.platform
def test_native_path_agrees_with_the_suite(spark) -> None:
    """The native Spark checks on every accepted group they evaluate, in one query."""
    frames, expected, groups = [], {}, 0
    for name, format_assertion, cases in _suites():
        native = [
            c for c in cases if c.accepted and json_checks.supported(_landing_schema(c, format_assertion))
        ]
        groups += len(native)
        batches = [c for c in native if not c.wrapped]
        batches += [_combined([c for c in native if c.wrapped])]
        for batch in batches:
            schema = _landing_schema(batch, format_assertion)
            assert json_checks.supported(schema)
            rows = []
            for description, instance, valid in batch.tests:
                expected[len(expected)] = (name, batch, description, batch.expected(description, valid))
                rows.append((len(expected) - 1, json.dumps(instance).encode()))
            df = spark.createDataFrame(rows, "i int, value binary")
            frames.append(land_kafka.decode(df, _job(schema)).select("i", "_error"))
    assert groups >= 100 and len(expected) >= 600
    verdicts = {r["i"]: r["_error"] for r in reduce(lambda a, b: a.unionByName(b), frames).collect()}
    wrong = [
        (name, case.file, case.group, description, json.dumps(case.schema)[:300], verdicts[i])
        for i, (name, case, description, valid) in expected.items()
        if (verdicts[i] is None) != valid
    ]
    assert wrong == []
