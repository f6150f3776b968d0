"""ODCS documents as files: the JSON Schemas that judge them, reading with positions, writing as YAML."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tardis_dagster.core.specs.problems import Problem
from tardis_dagster.core.specs.specfile import field_name
from tardis_dagster.core.specs.yaml_source import YamlDocument, YamlSyntaxError, parse_yaml
from tardis_dagster.tooling.contracts.odcs.mapping import ODCS_API_VERSION

MAX_CONTRACT_BYTES = 2_000_000
# The standard's own schema, vendored (see schemas/README.md): what an export must satisfy.
OFFICIAL_SCHEMA_FILE = f"odcs-json-schema-{ODCS_API_VERSION}.json"
STANDARD_URL = "https://bitol-io.github.io/open-data-contract-standard/"

Loc = tuple[str | int, ...]

_UNEXPECTED = re.compile(r"\((.*) (?:was|were) unexpected\)")


class ContractFileError(Exception):
    """A contract file that cannot be imported; `problems` name the file, line and field of each."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class ContractText:
    """A contract file read and parsed, keeping node positions for messages."""

    path: Path
    document: YamlDocument

    @property
    def data(self) -> Any:
        """The plain data of the document."""
        return self.document.data

    def problem(self, loc: Loc, message: str, fix: str, *, at_key: bool = False) -> Problem:
        """A problem at `loc` in this file (the deepest existing node when `loc` is missing)."""
        line, col = self.document.locate(loc, at_key=at_key)
        return Problem(self.path, line, col, field_name(loc), message, fix)


def read_contract(path: Path) -> ContractText:
    """Read and parse a YAML/JSON file; raises ContractFileError naming file, line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ContractFileError(
            [Problem(path, 1, 1, "file", f"cannot read the file: {error}", "check the path")]
        ) from None
    if len(text) > MAX_CONTRACT_BYTES:
        raise ContractFileError([Problem(path, 1, 1, "file", "the file is larger than 2 MB", "split it")])
    try:
        document = parse_yaml(text)
    except YamlSyntaxError as error:
        raise ContractFileError(
            [Problem(path, error.line, error.col, "file", error.message, "fix the YAML syntax")]
        ) from None
    return ContractText(path, document)


def official_problems(doc: Any) -> list[str]:
    """Where `doc` breaks the standard's official JSON Schema of ODCS v3.1.0: `path: message` lines."""
    errors = sorted(_official_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{field_name(tuple(error.absolute_path))}: {error.message}" for error in errors]


def import_findings(data: Any) -> list[tuple[Loc, str, bool]]:
    """What makes `data` no ODCS v3 document, as (location, message, point at the key?).

    Imports are judged by the widest v3 schema (the package's, v3.2.0, which keeps the v3.0 forms such
    as a bare list of team members), so any valid v3.0.x, v3.1.0 or v3.2.0 contract passes.
    """
    findings = []
    for error in _import_validator().iter_errors(data):
        loc = tuple(error.absolute_path)
        if error.validator in ("additionalProperties", "unevaluatedProperties"):
            unexpected = _UNEXPECTED.search(error.message)
            if unexpected is not None:
                for name in re.findall(r"'([^']*)'", unexpected.group(1)):
                    findings.append(((*loc, name), f"unknown field '{name}'", True))
                continue
        findings.append((loc, error.message, False))
    return findings


def dump_yaml(data: dict[str, Any]) -> str:
    """Block-style YAML, keys in the given order, multi-line strings as `|` blocks (SQL stays readable)."""
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False
    )


@cache
def official_schema() -> dict[str, Any]:
    """The vendored official ODCS JSON Schema of the version exports declare."""
    text = resources.files(__package__).joinpath("schemas", OFFICIAL_SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _official_validator() -> jsonschema.protocols.Validator:
    schema = official_schema()
    return jsonschema.validators.validator_for(schema)(schema)


@cache
def _import_validator() -> jsonschema.protocols.Validator:
    text = resources.files("open_data_contract_standard").joinpath("schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    return jsonschema.validators.validator_for(schema)(schema)


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as `|` blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
