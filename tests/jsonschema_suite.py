"""The official JSON Schema Test Suite (json-schema-org), as the `jsonschema` sdist carries it.

Fetched once into `.tardis/cache/` with pip (the package registry's own client) at the installed
`jsonschema` version, so a fresh CI machine gets the same suite; never committed.

Each suite group becomes one or two product-schema cases:
- as written (a top-level schema): the platform accepts it as a product schema, or refuses it at
  validation (`product_schema_problems`) - also a verdict;
- wrapped as the property `v` of an object schema (`{"v": <instance>}`), when the schema holds no
  reference or identifier a wrapper would move: that puts the suite's keywords where product
  schemas have them, on the properties the native Spark path evaluates.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from repo_root import PROJECT_ROOT

from tardis_dagster.core.formats import jsonschema as json_format

DRAFTS = {"draft2020-12": json_format.DRAFT_2020_12, "draft7": json_format.DRAFT_07 + "#"}
# Text that a wrapper would change the meaning of (root-relative references, identifiers).
_NOT_WRAPPABLE = ("$ref", "$id", "$anchor", "$dynamic", "$recursive", "$defs", "definitions", "$schema")

# Suite tests whose verdict the platform deliberately differs on: "invalid" where the suite says
# valid (never the other way). Keyed by (file, group, test) -> the reason in DELIBERATE_CHOICES.
DELIBERATE: dict[tuple[str, str, str], str] = {
    ("date-time.json", "validation of date-time strings", "a valid date-time with a leap second, UTC"): (
        "leap-second"
    ),
    (
        "date-time.json",
        "validation of date-time strings",
        "a valid date-time with a leap second, with minus offset",
    ): "leap-second",
}


@dataclass(frozen=True)
class Case:
    """One suite group as a product schema, with its instances and the suite's verdicts."""

    file: str
    group: str
    wrapped: bool
    schema: Any
    tests: list[tuple[str, Any, bool]]  # (description, instance, valid)

    @property
    def accepted(self) -> bool:
        """Whether the platform takes this schema as a product schema at validation."""
        return not json_format.product_schema_problems(json.dumps(self.schema))

    def expected(self, test: str, valid: bool) -> bool:
        """The verdict the platform must give: the suite's, or invalid where deliberately so."""
        return valid and (self.file, self.group, test) not in DELIBERATE


def suite_dir() -> Path:
    """`json/tests` of the installed jsonschema version's sdist, downloaded once into .tardis/cache."""
    release = version("jsonschema")
    cache = PROJECT_ROOT / ".tardis" / "cache" / "json-schema-test-suite"
    tests = cache / f"jsonschema-{release}" / "json" / "tests"
    if tests.is_dir():
        return tests
    cache.mkdir(parents=True, exist_ok=True)
    sdist = cache / f"jsonschema-{release}.tar.gz"
    if not sdist.exists():
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q"]
        subprocess.run([*pip, "-d", str(cache), f"jsonschema=={release}"], check=True)
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if "/json/tests/" in m.name and m.isfile()]
        archive.extractall(cache, members=members, filter="data")
    return tests


def cases(files: list[Path], draft: str) -> list[Case]:
    """Every group of the suite `files` of `draft`, as written and (where it can be) wrapped."""
    result = []
    for path in files:
        for group in json.loads(path.read_text(encoding="utf-8")):
            schema, tests = (
                group["schema"],
                [(t["description"], t["data"], t["valid"]) for t in group["tests"]],
            )
            direct = {"$schema": DRAFTS[draft], **schema} if isinstance(schema, dict) else schema
            result.append(Case(path.name, group["description"], False, direct, tests))
            if isinstance(schema, dict):
                schema = {k: v for k, v in schema.items() if k != "$schema"}  # the wrapper's draft
            if not any(token in json.dumps(schema) for token in _NOT_WRAPPABLE):
                wrapper = {
                    "$schema": DRAFTS[draft],
                    "type": "object",
                    "properties": {"v": schema},
                    "required": ["v"],
                }
                wrapped_tests = [(d, {"v": data}, valid) for d, data, valid in tests]
                result.append(Case(path.name, group["description"], True, wrapper, wrapped_tests))
    return result


def required_cases(draft: str) -> list[Case]:
    """The suite's required tests of `draft` (formats as annotations, as the drafts define them)."""
    return cases(sorted((suite_dir() / draft).glob("*.json")), draft)


def format_cases(draft: str) -> list[Case]:
    """The suite's optional format tests for the formats the platform asserts natively."""
    folder = suite_dir() / draft / "optional" / "format"
    return cases([folder / "date-time.json", folder / "date.json"], draft)
