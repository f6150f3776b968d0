"""The spec model: data product YAML files and the global data model, their validation and loading.

Everything else in Tardis reads specs through this package:

    catalog = load_catalog([Path("product_specs")])
    for product in catalog.products: ...
"""

from tardis_dagster.core.specs.catalog import SpecCatalog, load_catalog
from tardis_dagster.core.specs.datatypes import DataType, TypeSyntaxError, parse_type
from tardis_dagster.core.specs.model import (
    Column,
    DataProduct,
    FilesSource,
    GlobalModel,
    Hub,
    HubMapping,
    KafkaSource,
    Link,
    LinkMapping,
    Load,
    Owner,
    QualityRule,
    SatelliteMapping,
    Source,
    Vault,
    global_model_json_schema,
    product_json_schema,
)
from tardis_dagster.core.specs.partitioning import PartitionField, PartitionSyntaxError, parse_partition
from tardis_dagster.core.specs.problems import Problem

__all__ = [
    "Column",
    "DataProduct",
    "DataType",
    "FilesSource",
    "GlobalModel",
    "Hub",
    "HubMapping",
    "KafkaSource",
    "Link",
    "LinkMapping",
    "Load",
    "Owner",
    "PartitionField",
    "PartitionSyntaxError",
    "Problem",
    "QualityRule",
    "SatelliteMapping",
    "Source",
    "SpecCatalog",
    "TypeSyntaxError",
    "Vault",
    "global_model_json_schema",
    "load_catalog",
    "parse_partition",
    "parse_type",
    "product_json_schema",
]
