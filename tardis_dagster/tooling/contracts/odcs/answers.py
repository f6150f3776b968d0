"""What a person tells `tardis contract import` that the contract does not say: flags or an answers file.

An answers file is YAML with the same keys as the flags, plus per schema object overrides:

    tribe: operations
    squad: logistics
    contact: "#logistics-data"
    schedule: "0 * * * *"
    source: {kafka: {topic: ops.shipment.v1, format: json, schema: schemas/shipment.json}}
    products:
      shipments: {name: shipments, source: {files: {uri: s3://drops/shipments/, format: csv}}}

What is given here wins over what the contract says.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tardis_dagster.tooling.contracts.odcs.documents import ContractFileError, read_contract


class ProductAnswers(BaseModel):
    """Answers for one schema object (a product) of the contract."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="Product name (snake_case).")
    source: dict[str, Any] | None = Field(None, description="The spec's `source:` mapping.")
    schedule: str | None = Field(None, description="The spec's `schedule:`.")


class ImportAnswers(BaseModel):
    """Answers for the whole contract; `products` holds per schema object ones, by object name."""

    model_config = ConfigDict(extra="forbid")

    tribe: str | None = Field(None, description="owner.tribe")
    squad: str | None = Field(None, description="owner.squad")
    contact: str | None = Field(None, description="owner.contact: a Slack channel or an email address")
    name: str | None = Field(None, description="Product name, when the contract has one schema object.")
    source: dict[str, Any] | None = Field(None, description="The spec's `source:` mapping.")
    schedule: str | None = Field(None, description="The spec's `schedule:`.")
    products: dict[str, ProductAnswers] = Field(default_factory=dict)

    def for_object(self, name: str) -> ProductAnswers:
        """The answers for schema object `name` (empty when none are given)."""
        return self.products.get(name) or ProductAnswers()

    def merged(self, **flags: str | None) -> ImportAnswers:
        """These answers with the given flags on top (a flag given on the command line wins)."""
        given = {key: value for key, value in flags.items() if value is not None}
        return self.model_copy(update=given)


def load_answers(path: Path) -> ImportAnswers:
    """Read an answers file; raises ContractFileError naming the file, line and field of each problem."""
    text = read_contract(path)
    data = text.data if text.data is not None else {}
    if not isinstance(data, dict):
        raise ContractFileError(
            [text.problem((), "an answers file is a mapping", "write `tribe: ...`, `squad: ...` etc.")]
        )
    try:
        return ImportAnswers.model_validate(data)
    except ValidationError as error:
        problems = []
        for found in error.errors():
            loc = tuple(found["loc"])
            unknown = found["type"] == "extra_forbidden"
            message = f"unknown answer '{loc[-1]}'" if unknown else found["msg"]
            fix = "use tribe, squad, contact, name, source, schedule or products" if unknown else "correct it"
            problems.append(text.problem(loc, message, fix, at_key=unknown))
        raise ContractFileError(problems) from None
