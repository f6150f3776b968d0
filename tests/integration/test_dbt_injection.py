"""Generated dbt code is inert: free text from the specs renders verbatim and never runs as Jinja or SQL.

Every free-text field codegen writes (hub, link, product and column descriptions, the `sql_file`
name) carries a battery of Jinja, SQL-comment and YAML hazards. One real `dbt parse` of the generated
project must pass, the manifest must hold each text verbatim, and the model SQL dbt reads must hold
no template tag but the generator's own (checked with dbt's own Jinja parser and renderer).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2.nodes
import pytest
import yaml
from dbt.clients.jinja import get_rendered
from dbt_common.clients.jinja import parse as jinja_parse
from repo_root import PROJECT_ROOT

from tardis_dagster.core.specs import SpecCatalog, load_catalog
from tardis_dagster.defs.dbt.assets import TRANSLATOR
from tardis_dagster.tooling.codegen.generate import write

DBT_PROJECT = PROJECT_ROOT / "dbt_project"
HOME_MARKER = "home-of-the-injection-test"  # $HOME of dbt: found in the manifest if env_var('HOME') ran

# What an attacker or a careless user writes: live Jinja, an unterminated comment, raw blocks, SQL
# after a line break (LF, CRLF, CR), comment terminators, quotes, backslashes and non-ASCII.
HAZARDS = (
    "{{ env_var('HOME') }} {% do run_query('drop table std.x') %} #} %} }} "
    "{% raw %}{{ raw }}{% endraw %} {%- endraw -%} {%endraw%} */ /* -- 'single' \"double\" "
    "back\\slash \\n é ü 日本 🚀 \u2028 NEL\x85 tab\t"
    "\nselect 1 as injected_lf\r\ndrop table std.y\rselect 2 as injected_cr\n"
    "-- {{ env_var('HOME') }} ends in a backslash \\\n"
    "select 3 as injected_after_backslash\n{{ {% {# unterminated"
)
SQL_FILE = "q {{ env_var('HOME') }} {% do run_query('x') %} {# x.sql"
SQL = "-- reads orders */ }} %} #} \\\nselect order_id, '}} %} #}' as closers\nfrom {{ product('orders') }}"
# Names the generated SQL may call: the generator's own macros and dbt's ref/source/config.
ALLOWED_CALLS = {
    "config",
    "ref",
    "source",
    "product",
    "tardis_hash_key",
    "tardis_link_hash_key",
    "tardis_hashdiff",
    "tardis_hub",
    "tardis_link",
    "tardis_effectivity_satellite",
    "tardis_satellite",
    "tardis_pit",
}


def text_for(field: str, *, trailing: str = "") -> str:
    """The hazard battery, labelled with the field it goes in."""
    return f"{field}: {HAZARDS}{trailing}"


TEXTS = {
    "hub": text_for("hub description", trailing="\n"),
    "link": text_for("link description"),
    "landed": text_for("landed product description", trailing="\n\n"),
    "sql": text_for("SQL product description"),
    "column": text_for("SQL product column description", trailing="\r\n"),
}


def _specs(root: Path) -> SpecCatalog:
    """A hub, a link, a landed product feeding both and a SQL product, each carrying the hazards."""
    model = {
        "hubs": [
            {
                "name": "customer",
                "business_key": ["customer_id"],
                "description": TEXTS["hub"],
                "owner": {"tribe": "consumer", "squad": "accounts"},
            },
            {
                "name": "order",
                "business_key": ["order_id"],
                "description": "An order.",
                "owner": {"tribe": "consumer", "squad": "checkout"},
            },
        ],
        "links": [{"name": "customer_order", "hubs": ["customer", "order"], "description": TEXTS["link"]}],
    }
    orders = {
        "apiVersion": "tardis/v1",
        "kind": "DataProduct",
        "name": "orders",
        "version": "1.0.0",
        "description": TEXTS["landed"],
        "owner": {"tribe": "consumer", "squad": "checkout", "contact": "#checkout"},
        "source": {"files": {"uri": "./drops/", "format": "parquet"}},
        "load": {"type": "append"},
        "schema": [
            {"name": "order_id", "type": "string", "description": TEXTS["column"]},
            {"name": "customer_id", "type": "string"},
            {"name": "status", "type": "string"},
        ],
        "vault": {
            "hubs": [{"hub": "customer", "key": ["customer_id"]}, {"hub": "order", "key": ["order_id"]}],
            "links": [{"link": "customer_order", "hubs": ["customer", "order"]}],
            "satellites": [{"satellite": "order_status", "parent": "order", "columns": ["status"]}],
        },
    }
    facts = {
        "apiVersion": "tardis/v1",
        "kind": "DataProduct",
        "name": "order_facts",
        "version": "1.0.0",
        "description": TEXTS["sql"],
        "owner": {"tribe": "consumer", "squad": "checkout", "contact": "#checkout"},
        "source": {"sql_file": SQL_FILE},
        "load": {"type": "full"},
        "schema": [
            {"name": "order_id", "type": "string", "description": TEXTS["column"]},
            {"name": "closers", "type": "string"},
        ],
    }
    root.mkdir(parents=True)
    (root / "_model.yaml").write_text(yaml.safe_dump(model, allow_unicode=True), encoding="utf-8")
    (root / "orders.yaml").write_text(yaml.safe_dump(orders, allow_unicode=True), encoding="utf-8")
    (root / "order_facts.yaml").write_text(yaml.safe_dump(facts, allow_unicode=True), encoding="utf-8")
    (root / SQL_FILE).write_text(SQL, encoding="utf-8")
    catalog = load_catalog([root])
    assert not catalog.problems, "\n".join(str(p) for p in catalog.problems)
    return catalog


@dataclass(frozen=True)
class Parsed:
    """The generated project after one `dbt parse`."""

    returncode: int
    output: str
    manifest: dict[str, Any]
    project: Path

    def node(self, name: str) -> dict[str, Any]:
        """The model or source node called `name`."""
        nodes = [*self.manifest["nodes"].values(), *self.manifest["sources"].values()]
        (found,) = [n for n in nodes if n["name"] == name and n["resource_type"] in ("model", "source")]
        return found


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> Parsed:
    tmp = tmp_path_factory.mktemp("injection")
    catalog = _specs(tmp / "specs")
    project = tmp / "dbt"
    project.mkdir()
    shutil.copy(DBT_PROJECT / "dbt_project.yml", project / "dbt_project.yml")
    shutil.copytree(DBT_PROJECT / "macros", project / "macros", ignore=shutil.ignore_patterns("generated"))
    write(catalog, project)
    target = tmp / "target"
    env = {
        **os.environ,
        "DBT_LOG_PATH": str(tmp / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "SPARK_REMOTE": "sc://127.0.0.1:1",  # nothing listens there: parse needs no Spark
        "HOME": str(tmp / HOME_MARKER),
    }
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [
            str(dbt),
            "parse",
            "--profiles-dir",
            str(DBT_PROJECT),
            "--project-dir",
            str(project),
            "--target-path",
            str(target),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    manifest_path = target / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    return Parsed(result.returncode, result.stdout + result.stderr, manifest, project)


def test_dbt_parse_passes(parsed: Parsed) -> None:
    assert parsed.returncode == 0, parsed.output[-3000:]


def test_manifest_descriptions_are_the_literal_text(parsed: Parsed) -> None:
    assert parsed.node("hub_customer")["description"] == TEXTS["hub"]
    assert parsed.node("link_customer_order")["description"] == TEXTS["link"]
    assert parsed.node("esat_customer_order")["description"] == (
        f"When each customer_order link was in effect. {TEXTS['link']}"
    )
    assert parsed.node("orders")["description"] == TEXTS["landed"]  # the std source table
    assert parsed.node("stg_orders")["description"] == f"Staging of orders for the vault: {TEXTS['landed']}"
    facts = parsed.node("order_facts")
    assert facts["description"] == TEXTS["sql"]
    assert facts["columns"]["order_id"]["description"] == TEXTS["column"]
    assert HOME_MARKER not in json.dumps(parsed.manifest)  # no env_var('HOME') was rendered


def test_dagster_asset_descriptions_are_the_literal_text(parsed: Parsed) -> None:
    for name, text in [("hub_customer", TEXTS["hub"]), ("order_facts", TEXTS["sql"])]:
        spec = TRANSLATOR.get_asset_spec(parsed.manifest, parsed.node(name)["unique_id"], None)
        assert spec.description == text


def _calls(source: str) -> set[str]:
    """The names the template calls, as dbt's Jinja parses it."""
    tree = jinja_parse(source)
    return {
        call.node.name
        for call in tree.find_all(jinja2.nodes.Call)
        if isinstance(call.node, jinja2.nodes.Name)
    }


def _comment_text(raw_code: str) -> list[str]:
    """What the leading `--` comment lines of a model render to under dbt's Jinja, one per line."""
    lines = []
    for line in raw_code.splitlines():
        if not line.startswith("-- "):
            break
        lines.append(get_rendered(line, {}).removeprefix("-- "))
    return lines


@pytest.mark.parametrize(
    ("model", "comment"),
    [
        ("hub_customer", f"Hub 'customer': {TEXTS['hub']}"),
        ("link_customer_order", f"Link 'customer_order' between customer, order. {TEXTS['link']}"),
        (
            "order_facts",
            f"Generated by `tardis generate` from the source.sql_file ({SQL_FILE}) "
            "of data product 'order_facts'.",
        ),
    ],
)
def test_sql_comments_render_the_text_and_no_text_is_live(parsed: Parsed, model: str, comment: str) -> None:
    raw = parsed.node(model)["raw_code"]
    rendered = _comment_text(raw)
    expected = [line + (" " if line.endswith("\\") else "") for line in comment.splitlines()]
    runs = [rendered[i : i + len(expected)] for i in range(len(rendered))]
    assert expected in runs, rendered
    assert _calls(raw) <= ALLOWED_CALLS
    assert not list(jinja_parse(raw).find_all((jinja2.nodes.ExprStmt, jinja2.nodes.If, jinja2.nodes.For)))


def test_product_sql_keeps_only_its_own_tags(parsed: Parsed) -> None:
    raw = parsed.node("order_facts")["raw_code"]
    assert _calls(raw) == {"config", "product"}
    body = raw.split(") }}\n\n", 1)[1]
    assert get_rendered(body, {"product": lambda name: f"std.{name}"}) == (
        "-- reads orders */ }} %} #} \\\nselect order_id, '}} %} #}' as closers\nfrom std.orders"
    )
    assert parsed.node("order_facts")["depends_on"]["macros"] == ["macro.tardis.product"]
