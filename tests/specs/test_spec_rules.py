"""Each SPEC.md rule, one fault at a time: the problem names the field, what is wrong and how to fix it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from spec_helpers import ORDER_FACTS, ORDERS, invoke, problem_lines, with_sql_file

from tardis_dagster.core.specs import load_catalog

SpecTree = Callable[..., Path]


def _break(text: str, *edits: tuple[str, str]) -> str:
    for old, new in edits:
        assert old in text, f"fixture text not found: {old!r}"
        text = text.replace(old, new, 1)
    return text


def test_the_base_specs_are_valid(spec_tree: SpecTree) -> None:
    catalog = load_catalog([spec_tree({"orders.yaml": ORDERS, "order_facts.yaml": ORDER_FACTS})])
    assert catalog.problems == []
    assert [product.name for product in catalog.products] == ["order_facts", "orders"]


LINKS = "  links:\n    - {link: customer_order, hubs: [customer, order]}\n"

# (id, edits to ORDERS, extra files, field, text in the message, text in the fix)
CASES = [
    (
        "api-version",
        [("apiVersion: tardis/v1", "apiVersion: tardis/v2")],
        {},
        "apiVersion",
        "'tardis/v2' is not allowed",
        "did you mean 'tardis/v1'?",
    ),
    (
        "kind",
        [("kind: DataProduct", "kind: Dataproduct")],
        {},
        "kind",
        "'Dataproduct' is not allowed",
        "did you mean 'DataProduct'?",
    ),
    (
        "semver",
        [("version: 1.0.0", "version: 1.0")],
        {},
        "version",
        "is not a semantic version",
        "MAJOR.MINOR.PATCH",
    ),
    (
        "missing-field",
        [("description: Orders placed by customers.\n", "")],
        {},
        "description",
        "missing required field 'description'",
        "add 'description:'",
    ),
    (
        "double-underscore",
        [("name: orders", "name: orders__rejects")],
        {},
        "name",
        "contains '__'",
        "reserved for platform tables",
    ),
    ("long-name", [("name: orders", "name: " + "o" * 64)], {}, "name", "is 64 characters long", "at most 63"),
    (
        "contact",
        [('contact: "#checkout-data"', "contact: checkout team")],
        {},
        "owner.contact",
        "is not a Slack channel or an email address",
        "#team-data",
    ),
    (
        "contact-comment",
        [('contact: "#checkout-data"', "contact: #checkout-data")],
        {},
        "owner.contact",
        "is empty",
        "YAML comment",
    ),
    (
        "stakeholder",
        [("finance@example.com", "finance@")],
        {},
        "stakeholders[1]",
        "'finance@' is not a Slack channel",
        "",
    ),
    (
        "tribe",
        [("tribe: consumer", "tribe: Consumer Tribe")],
        {},
        "owner.tribe",
        "is not a valid name",
        "snake_case",
    ),
    (
        "two-sources",
        [("    schema: schemas/order.json\n", "    schema: schemas/order.json\n  sql: select 1\n")],
        {},
        "source",
        "exactly one of kafka, files, sql or sql_file is needed, found kafka and sql",
        "",
    ),
    (
        "no-source",
        [
            (
                "  kafka:\n    topic: checkout.order.v1\n    format: json\n    schema: schemas/order.json\n",
                "  {}\n",
            )
        ],
        {},
        "source",
        "found none",
        "",
    ),
    (
        "kafka-format",
        [("format: json", "format: xml")],
        {},
        "source.kafka.format",
        "'xml' is not allowed",
        "use one of: avro, json, protobuf",
    ),
    (
        "kafka-topic",
        [("topic: checkout.order.v1", "topic: checkout order")],
        {},
        "source.kafka.topic",
        "not a valid Kafka topic name",
        "",
    ),
    (
        "compatibility",
        [
            (
                "    schema: schemas/order.json\n",
                "    schema: schemas/order.json\n    compatibility: BACKWARDS\n",
            )
        ],
        {},
        "source.kafka.compatibility",
        "'BACKWARDS' is not allowed",
        "did you mean 'BACKWARD'?",
    ),
    (
        "schema-file-missing",
        [("schemas/order.json", "schemas/orders.json")],
        {},
        "source.kafka.schema",
        "schema file 'schemas/orders.json' not found at",
        "relative to this spec file",
    ),
    (
        "schema-extension",
        [("format: json", "format: avro")],
        {},
        "source.kafka.schema",
        "format avro needs an Avro schema file (.avsc)",
        "",
    ),
    (
        "no-schema",
        [("    schema: schemas/order.json\n", "")],
        {},
        "source.kafka.schema",
        "needs a schema file or a registry_subject",
        "schemas/<name>.json",
    ),
    (
        "avro-not-record",
        [("format: json", "format: avro"), ("schemas/order.json", "schemas/o.avsc")],
        {"schemas/o.avsc": '{"type": "string"}'},
        "source.kafka.schema",
        "is not an Avro record schema",
        "",
    ),
    (
        "bad-json-schema",
        [("schemas/order.json", "schemas/bad.json")],
        {"schemas/bad.json": '{"type": \n'},
        "source.kafka.schema",
        "schema file is not valid JSON",
        "",
    ),
    (
        "protobuf-needs-message",
        [("format: json", "format: protobuf"), ("schemas/order.json", "schemas/o.proto")],
        {"schemas/o.proto": "message Order {}\n"},
        "source.kafka.message",
        "format protobuf needs the message type",
        "add message:",
    ),
    (
        "protobuf-unknown-message",
        [("format: json", "format: protobuf"), ("schemas/order.json", "schemas/o.proto\n    message: Ordr")],
        {"schemas/o.proto": "message Order {}\n"},
        "source.kafka.message",
        "message 'Ordr' is not defined",
        "did you mean 'Order'?",
    ),
    (
        "message-without-protobuf",
        [("schemas/order.json", "schemas/order.json\n    message: Order")],
        {},
        "source.kafka.message",
        "only used with format: protobuf",
        "remove message:",
    ),
    (
        "quarantine-threshold",
        [("schemas/order.json", "schemas/order.json\n    quarantine_threshold: 5")],
        {},
        "source.kafka.quarantine_threshold",
        "must be at most 1",
        "",
    ),
    (
        "bad-cron",
        [('schedule: "0 * * * *"', 'schedule: "0 * * *"')],
        {},
        "schedule",
        "not a valid 5-field cron",
        "",
    ),
    (
        "schedule-typo",
        [('schedule: "0 * * * *"', "schedule: on_upstrem")],
        {},
        "schedule",
        "'on_upstrem' is not a schedule",
        "did you mean 'on_upstream'?",
    ),
    (
        "on-upstream-kafka",
        [('schedule: "0 * * * *"', "schedule: on_upstream")],
        {},
        "schedule",
        "on_upstream needs upstream products",
        "",
    ),
    (
        "load-type",
        [("type: upsert", "type: merge")],
        {},
        "load.type",
        "'merge' is not allowed",
        "append, full, replace, scd2, upsert",
    ),
    (
        "replace-on-kafka",
        [("type: upsert", "type: replace")],
        {},
        "load.type",
        "load type replace is built for files products only: a kafka source has no deliveries",
        "use upsert with key:",
    ),
    (
        "replace-without-key",
        [
            (
                "  kafka:\n    topic: checkout.order.v1\n    format: json\n    schema: schemas/order.json\n",
                "  files: {uri: ./drops/, format: parquet}\n",
            ),
            ("type: upsert", "type: replace"),
            ("  key: [order_id]\n", ""),
        ],
        {},
        "load.key",
        "load type replace needs a key: the column(s) whose rows a new delivery replaces",
        "key: [bill_billing_period_start_date]",
    ),
    (
        "upsert-without-key",
        [("  key: [order_id]\n", "")],
        {},
        "load.key",
        "load type upsert needs a key",
        "add key:",
    ),
    (
        "key-not-a-list",
        [("key: [order_id]", "key: order_id")],
        {},
        "load.key",
        "must be a list, got the text 'order_id'",
        "",
    ),
    (
        "version-by-missing",
        [("version_by: updated_at", "version_by: modified_at")],
        {},
        "load.version_by",
        "column 'modified_at' is not in schema",
        "",
    ),
    (
        "version-by-type",
        [
            ("version_by: updated_at", "version_by: updated_at\n  reject_threshold: 0.5"),
            ("{name: updated_at, type: timestamp}", "{name: updated_at, type: boolean}"),
        ],
        {},
        "load.version_by",
        "cannot order versions",
        "",
    ),
    (
        "partition-transform",
        [("day(placed_at)", "days(placed_at)")],
        {},
        "load.partition_by[0]",
        "unknown partition transform 'days'",
        "did you mean 'day'?",
    ),
    (
        "partition-column",
        [("day(placed_at)", "day(shipped_at)")],
        {},
        "load.partition_by[0]",
        "column 'shipped_at' is not in schema",
        "",
    ),
    (
        "partition-type",
        [("day(placed_at)", "day(status)")],
        {},
        "load.partition_by[0]",
        "day() needs a date or timestamp",
        "",
    ),
    (
        "partition-sql",
        [("day(placed_at)", '"placed_at); drop table x; --"')],
        {},
        "load.partition_by[0]",
        "is not a partition field",
        "",
    ),
    (
        "column-type",
        [("{name: status, type: string}", "{name: status, type: strng}")],
        {},
        "schema[2].type",
        "unknown type 'strng'",
        "did you mean 'string'?",
    ),
    (
        "column-name",
        [("{name: status, type: string}", "{name: Status, type: string}")],
        {},
        "schema[2].name",
        "'Status' is not a valid name",
        "e.g. 'status'",
    ),
    (
        "column-sql",
        [("{name: status, type: string}", '{name: "status from x; --", type: string}')],
        {},
        "schema[2].name",
        "is not a valid name",
        "snake_case",
    ),
    (
        "column-twice",
        [
            (
                "  - {name: email, type: string, pii: true}\n",
                "  - {name: email, type: string, pii: true}\n" * 2,
            )
        ],
        {},
        "schema[5].name",
        "column 'email' appears twice",
        "",
    ),
    (
        "column-field-typo",
        [("{name: status, type: string}", "{name: status, type: string, requierd: true}")],
        {},
        "schema[2].requierd",
        "unknown field 'requierd'",
        "did you mean 'required'?",
    ),
    (
        "unquoted-comma",
        [("{name: status, type: string}", "{name: status, type: string, description: placed, paid}")],
        {},
        "schema[2].paid",
        "unknown field 'paid'",
        "a comma starts a new field",
    ),
    (
        "freshness-type",
        [("freshness: {column: placed_at", "freshness: {column: status")],
        {},
        "quality[1].freshness.column",
        "freshness needs a date or timestamp column",
        "",
    ),
    (
        "freshness-max-age",
        [("max_age: 2h", "max_age: 2 hours")],
        {},
        "quality[1].freshness.max_age",
        "'2 hours' is not a duration",
        "30m, 2h, 1d",
    ),
    (
        "accepted-values-column",
        [("{column: status, values", "{column: state, values")],
        {},
        "quality[4].accepted_values.column",
        "column 'state' is not in schema",
        "did you mean 'status'?",
    ),
    (
        "range-type",
        [("range: {column: total_amount", "range: {column: status")],
        {},
        "quality[5].range.column",
        "range needs a numeric column",
        "",
    ),
    (
        "row-count-empty",
        [("row_count: {min: 1}", "row_count: {}")],
        {},
        "quality[0].row_count",
        "row_count needs min, max or both",
        "",
    ),
    (
        "two-rules-in-one",
        [("  - unique: [order_id]\n", "  - {unique: [order_id], not_null: [status]}\n")],
        {},
        "quality[3]",
        "found not_null and unique",
        "one rule per list item",
    ),
    (
        "unknown-rule",
        [("  - unique: [order_id]\n", "  - uniqe: [order_id]\n")],
        {},
        "quality[3].uniqe",
        "unknown field 'uniqe'",
        "did you mean 'unique'?",
    ),
    (
        "severity",
        [("severity: warn", "severity: fatal")],
        {},
        "quality[6].severity",
        "'fatal' is not allowed",
        "use one of: error, warn",
    ),
    (
        "same-check-twice",
        [("  - unique: [order_id]\n", "  - not_null: [order_id]\n")],
        {},
        "quality[3]",
        "check name 'not_null_order_id' is already used by quality[2]",
        "",
    ),
    (
        "quality-sql-template",
        [("from {{ this }}", "from {{ ref('orders') }}")],
        {},
        "quality[6].sql",
        "unsupported template {{ ref('orders') }}",
        "instead of dbt's ref()/source()",
    ),
    (
        "quality-sql-statement",
        [('sql: "select count(*)', 'sql: "delete')],
        {},
        "quality[6].sql",
        "DELETE is not allowed: SQL here only reads",
        "",
    ),
    (
        "hub-not-in-model",
        [(LINKS, ""), ("{hub: customer, key: [customer_id]}", "{hub: customers, key: [customer_id]}")],
        {},
        "vault.hubs[1].hub",
        "hub 'customers' is not in the global model",
        "did you mean 'customer'? or add it under hubs: in",
    ),
    (
        "hub-key-column",
        [("{hub: order, key: [order_id]}", "{hub: order, key: [order_no]}")],
        {},
        "vault.hubs[0].key[0]",
        "column 'order_no' is not in schema",
        "",
    ),
    (
        "hub-key-length",
        [("{hub: order, key: [order_id]}", "{hub: order, key: [order_id, status]}")],
        {},
        "vault.hubs[0].key",
        "hub 'order' has a 1-column business key (order_id), got 2 column(s)",
        "",
    ),
    (
        "hub-twice",
        [(LINKS, ""), ("{hub: customer, key: [customer_id]}", "{hub: order, key: [customer_id]}")],
        {},
        "vault.hubs[1].hub",
        "hub 'order' is mapped twice",
        "",
    ),
    (
        "link-not-in-model",
        [("{link: customer_order,", "{link: order_customer,")],
        {},
        "vault.links[0].link",
        "link 'order_customer' is not in the global model",
        "add it under links: in",
    ),
    (
        "link-hub-not-mapped",
        [("    - {hub: customer, key: [customer_id]}\n", "")],
        {},
        "vault.links[0].hubs[0]",
        "hub 'customer' is not mapped by this product",
        "under vault.hubs",
    ),
    (
        "link-hubs-differ",
        [("hubs: [customer, order]}", "hubs: [order, order]}")],
        {},
        "vault.links[0].hubs",
        "link 'customer_order' joins [customer, order] in the global model, not [order, order]",
        "write hubs: [customer, order]",
    ),
    (
        "satellite-parent",
        [("parent: order", "parent: customer_order")],
        {},
        "vault.satellites[0].parent",
        "parent 'customer_order' is not a hub mapped by this product",
        "",
    ),
    (
        "satellite-column",
        [("columns: [status, total_amount]", "columns: [status, amount]")],
        {},
        "vault.satellites[0].columns[1]",
        "column 'amount' is not in schema",
        "",
    ),
    (
        "vault-field-typo",
        [("  satellites:\n", "  satelites:\n")],
        {},
        "vault.satelites",
        "unknown field 'satelites'",
        "did you mean 'satellites'?",
    ),
    (
        "duplicate-key",
        [("version: 1.0.0\n", "version: 1.0.0\nversion: 1.0.1\n")],
        {},
        "version",
        "duplicate key 'version'",
        "keep only one of them",
    ),
    ("yaml-tab", [("  tribe: consumer", "\ttribe: consumer")], {}, "yaml", "YAML syntax error", ""),
]


@pytest.mark.parametrize(
    ("edits", "extra", "field", "message", "fix"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_one_fault_one_problem(
    spec_tree: SpecTree,
    edits: list[tuple[str, str]],
    extra: dict[str, str],
    field: str,
    message: str,
    fix: str,
) -> None:
    root = spec_tree({"orders.yaml": _break(ORDERS, *edits), **extra})
    catalog = load_catalog([root])
    assert [(problem.field, problem.message) for problem in catalog.problems] == [
        (field, catalog.problems[0].message)
    ], catalog.problems
    (problem,) = catalog.problems
    assert message in problem.message
    assert fix in problem.fix
    # Problems inside a side file (a schema file, a .sql) are reported in that file.
    assert problem.path == root / "orders.yaml" or problem.path.relative_to(root).as_posix() in extra
    assert catalog.products == []


def test_sql_products_must_name_existing_products(spec_tree: SpecTree) -> None:
    facts = ORDER_FACTS.replace("product('orders')", "product('order')")
    catalog = load_catalog([spec_tree({"orders.yaml": ORDERS, "order_facts.yaml": facts})])
    (problem,) = catalog.problems
    assert (problem.field, problem.line, problem.col) == ("source.sql", 10, 10)
    assert problem.message == "unknown product 'order'"
    assert problem.fix == "did you mean 'orders'?"


def test_sql_templates_other_than_product_and_this_are_rejected(spec_tree: SpecTree) -> None:
    facts = ORDER_FACTS.replace(
        "group by customer_id", "{% for x in range(3) %}group by customer_id{% endfor %}"
    )
    catalog = load_catalog([spec_tree({"orders.yaml": ORDERS, "order_facts.yaml": facts})])
    assert [problem.message for problem in catalog.problems] == [
        "unsupported template {% for x in range(3) %}",
        "unsupported template {% endfor %}",
    ]


def test_incremental_sql_is_allowed(spec_tree: SpecTree) -> None:
    facts = ORDER_FACTS.replace(
        "    group by customer_id\n",
        "    {% if is_incremental() %}where placed_at > (select max(placed_at) from {{ this }}){% endif %}\n"
        "    group by customer_id\n",
    )
    catalog = load_catalog([spec_tree({"orders.yaml": ORDERS, "order_facts.yaml": facts})])
    assert catalog.problems == []


def test_sql_file_problems_point_into_the_sql_file(spec_tree: SpecTree) -> None:
    facts = with_sql_file("facts.sql")
    sql = "-- orders per customer\nselect customer_id, count(*) as orders\nfrom {{ product('ordrs') }}\n"
    root = spec_tree({"orders.yaml": ORDERS, "order_facts.yaml": facts, "facts.sql": sql})
    catalog = load_catalog([root])
    (problem,) = catalog.problems
    assert str(problem) == (
        f"{root}/facts.sql:3:6: source.sql_file: unknown product 'ordrs' (did you mean 'orders'?)"
    )


def test_sql_file_must_exist(spec_tree: SpecTree) -> None:
    facts = with_sql_file("missing.sql")
    catalog = load_catalog([spec_tree({"orders.yaml": ORDERS, "order_facts.yaml": facts})])
    (problem,) = catalog.problems
    assert problem.field == "source.sql_file"
    assert "SQL file 'missing.sql' not found" in problem.message


def test_cycles_are_reported_once_with_their_path(spec_tree: SpecTree) -> None:
    one = ORDER_FACTS.replace("name: order_facts", "name: one").replace("product('orders')", "product('two')")
    two = ORDER_FACTS.replace("name: order_facts", "name: two").replace(
        "product('orders')", "product('three')"
    )
    three = ORDER_FACTS.replace("name: order_facts", "name: three").replace(
        "product('orders')", "product('one')"
    )
    selfish = ORDER_FACTS.replace("name: order_facts", "name: selfish").replace(
        "product('orders')", "product('selfish')"
    )
    catalog = load_catalog(
        [spec_tree({"one.yaml": one, "two.yaml": two, "three.yaml": three, "selfish.yaml": selfish})]
    )
    assert sorted(problem.message for problem in catalog.problems) == [
        "cycle between SQL products: one -> two -> three -> one",
        "cycle between SQL products: selfish -> selfish",
    ]
    assert catalog.products == []


def test_products_reading_an_invalid_product_are_left_out_without_a_second_problem(
    spec_tree: SpecTree,
) -> None:
    broken = ORDERS.replace('schedule: "0 * * * *"', 'schedule: "0 * * *"')
    catalog = load_catalog([spec_tree({"orders.yaml": broken, "order_facts.yaml": ORDER_FACTS})])
    assert [problem.field for problem in catalog.problems] == ["schedule"]
    assert catalog.products == []


def test_streaming_is_only_for_kafka(spec_tree: SpecTree) -> None:
    facts = ORDER_FACTS.replace("schedule: on_upstream", "schedule: streaming")
    catalog = load_catalog([spec_tree({"orders.yaml": ORDERS, "order_facts.yaml": facts})])
    (problem,) = catalog.problems
    assert problem.message == "streaming is only for kafka sources, this is a sql product"


def test_without_a_model_vault_mappings_say_where_to_create_it(spec_tree: SpecTree) -> None:
    root = spec_tree({"orders.yaml": ORDERS}, model=None)
    catalog = load_catalog([root])
    assert {problem.field for problem in catalog.problems} == {
        "vault.hubs[0].hub",
        "vault.hubs[1].hub",
        "vault.links[0].link",
    }
    assert all("_model.yaml" in problem.fix for problem in catalog.problems)


def test_the_global_model_is_validated(spec_tree: SpecTree) -> None:
    model = (
        "hubs:\n"
        "  - {name: customer, business_key: [customer_id], description: c, owner: {tribe: a, squad: b}}\n"
        "  - {name: customer, business_key: [id], description: c, owner: {tribe: a, squad: b}}\n"
        "  - {name: order, business_key: [order_id], description: o, owner: {tribe: a, squad: b}}\n"
        "links:\n"
        "  - {name: customer_order, hubs: [customer, ordr]}\n"
    )
    root = spec_tree({}, model=model)
    catalog = load_catalog([root])
    assert [(problem.line, problem.field, problem.message) for problem in catalog.problems] == [
        (3, "hubs[1].name", "hub 'customer' is defined twice"),
        (6, "links[0].hubs[1]", "hub 'ordr' is not defined"),
    ]
    assert catalog.model is None


def test_model_fields_are_required(spec_tree: SpecTree) -> None:
    root = spec_tree({}, model="hubs:\n  - {name: customer, business_key: [customer_id]}\nlinks: []\n")
    catalog = load_catalog([root])
    assert [problem.field for problem in catalog.problems] == ["hubs[0].description", "hubs[0].owner"]


@pytest.mark.parametrize(
    ("name", "content", "field", "message"),
    [
        ("empty.yaml", "", "file", "file is empty"),
        ("comments.yaml", "# just a comment\n", "file", "file is empty"),
        (
            "list.yaml",
            "- a\n- b\n",
            "file",
            "the file must be a mapping of fields (field: value), found a list",
        ),
        ("scalar.yaml", "hello\n", "file", "found a single value"),
        ("two_docs.yaml", "a: 1\n---\nb: 2\n", "yaml", "expected a single document"),
        ("model_like.yaml", "hubs: []\n", "file", "this looks like the global model"),
        ("_defaults.yaml", "a: 1\n", "file", "file names starting with '_' are reserved"),
        ("binary.yaml", "\udcff", "file", "file is not UTF-8 text"),
    ],
)
def test_files_that_are_not_specs(
    spec_tree: SpecTree, name: str, content: str, field: str, message: str
) -> None:
    root = spec_tree({})
    (root / name).write_bytes(content.encode("utf-8", "surrogateescape"))
    catalog = load_catalog([root])
    (problem,) = catalog.problems
    assert (problem.field, problem.path.name) == (field, name)
    assert message in problem.message


def test_unreadable_files_are_problems(spec_tree: SpecTree) -> None:
    root = spec_tree({})
    (root / "dangling.yaml").symlink_to(root / "does-not-exist.yaml")
    catalog = load_catalog([root])
    (problem,) = catalog.problems
    assert problem.message.startswith("cannot read file")


def test_focused_files_report_their_own_problems_and_why_they_cannot_load(spec_tree: SpecTree) -> None:
    broken_orders = ORDERS.replace('schedule: "0 * * * *"', 'schedule: "0 * * *"')
    root = spec_tree({"orders.yaml": broken_orders, "order_facts.yaml": ORDER_FACTS})
    result = invoke("validate", str(root / "order_facts.yaml"))
    assert result.exit_code == 1
    assert problem_lines(result) == [
        f"{root}/order_facts.yaml:3:7: name: this product cannot be loaded: it reads product 'orders', "
        f"which has problems (fix {root}/orders.yaml)"
    ]


def test_focused_files_see_duplicates_in_their_tree(spec_tree: SpecTree) -> None:
    # The focused file sorts first, yet it is the one told about the clash.
    root = spec_tree(
        {"a_orders.yaml": ORDERS, "z_orders.yaml": ORDERS.replace("order_state", "order_state2")}
    )
    result = invoke("validate", str(root / "a_orders.yaml"))
    assert result.exit_code == 1
    assert problem_lines(result) == [
        f"{root}/a_orders.yaml:3:7: name: name 'orders' is already used by {root}/z_orders.yaml "
        "(product names must be unique: rename one of them)"
    ]


def test_satellite_names_are_unique_across_products(spec_tree: SpecTree) -> None:
    other = ORDERS.replace("name: orders", "name: orders_eu")
    catalog = load_catalog([spec_tree({"orders.yaml": ORDERS, "orders_eu.yaml": other})])
    (problem,) = catalog.problems
    assert problem.field == "vault.satellites[0].satellite"
    assert "satellite 'order_state' is already defined by" in problem.message


def test_validate_never_prints_a_traceback_even_on_garbage(spec_tree: SpecTree) -> None:
    root = spec_tree(
        {
            "garbage.yaml": "{{{{ ]]] :::: !!python/object:os.system\n",
            "tags.yaml": "name: !!python/object/apply:os.system ['echo hi']\n",
            "deep.yaml": "a: " + "[" * 5000 + "]" * 5000 + "\n",
            "weird.yaml": "? [a, b]\n: c\nname: 5\n",
        }
    )
    result = invoke("validate", str(root))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert {Path(line.split(":")[0]).name for line in problem_lines(result)} == {
        "garbage.yaml",
        "tags.yaml",
        "deep.yaml",
        "weird.yaml",
    }
