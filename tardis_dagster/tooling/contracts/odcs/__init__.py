"""A data product spec as an Open Data Contract Standard (ODCS) v3 contract, and ODCS v3 contracts as specs.

`export` writes v3.1.0 contracts that the standard's official JSON Schema accepts (vendored under
`schemas/`); `importer` reads v3.0.x, v3.1.0 and v3.2.0 contracts written by any tool, with `columns`
(properties and their types), `checks` (quality and SLAs as rules) and `servers` (the source); `mapping`
is the vocabulary both ways share; `answers` is what a person supplies that a contract does not say;
`findings` what an import reports; `documents` reads, judges and writes the files.
"""

from tardis_dagster.tooling.contracts.odcs.answers import ImportAnswers, ProductAnswers, load_answers
from tardis_dagster.tooling.contracts.odcs.documents import ContractFileError, official_schema
from tardis_dagster.tooling.contracts.odcs.export import contract_problems, contract_yaml, export_contract
from tardis_dagster.tooling.contracts.odcs.findings import ContractError, ContractImportError, Note
from tardis_dagster.tooling.contracts.odcs.importer import (
    ContractImport,
    ImportResult,
    MissingAnswersError,
    import_contract,
    import_contracts,
    load_contract,
    product_yaml,
)
from tardis_dagster.tooling.contracts.odcs.mapping import ODCS_API_VERSION

__all__ = [
    "ODCS_API_VERSION",
    "ContractError",
    "ContractFileError",
    "ContractImport",
    "ContractImportError",
    "ImportAnswers",
    "ImportResult",
    "MissingAnswersError",
    "Note",
    "ProductAnswers",
    "contract_problems",
    "contract_yaml",
    "export_contract",
    "import_contract",
    "import_contracts",
    "load_answers",
    "load_contract",
    "official_schema",
    "product_yaml",
]
