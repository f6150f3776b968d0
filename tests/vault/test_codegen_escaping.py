"""Each escaping function of the generator, against dbt's own Jinja renderer and YAML loader."""

from __future__ import annotations

import jinja2.nodes
from dbt.clients.jinja import get_rendered
from dbt.clients.yaml_helper import load_yaml_text
from dbt_common.clients.jinja import parse as jinja_parse
from hypothesis import given, settings
from hypothesis import strategies as st

from tardis_dagster.tooling.codegen.escaping import (
    dbt_description,
    jinja_string,
    jinja_text,
    sql_comment,
    yaml_document,
)
from tardis_dagster.tooling.codegen.sql_products import product_template

# Texts built mostly from the characters that matter to Jinja, SQL comments and YAML.
HAZARD = st.lists(
    st.sampled_from([*"{}%#-*/\\'\" \t\r\n\x85\u2028é🚀", "endraw", "raw", "env_var('HOME')"])
    | st.characters(exclude_categories=("Cs",)),
    max_size=40,
).map("".join)
EXAMPLES = [
    "{{ env_var('HOME') }}",
    "{% do run_query('drop table std.x') %}",
    "{# unterminated",
    "#} %} }}",
    "{% raw %}{{ x }}{% endraw %}{%- endraw -%}",
    "{{{ {%% {##",
    "line one\nselect 1\r\nselect 2\rselect 3\n",
    "*/ /* -- 'q' \"dq\" \\ ends in a backslash \\",
    "é ü 日本 🚀 \u2028 \x85",
    "ends with a newline and a tag {{\n",
    "a brace before a line break {\r\n and at the end {",
]


def _renders_to(source: str, text: str) -> bool:
    return get_rendered(source, {}) == text


def test_jinja_text_renders_verbatim_inside_a_template() -> None:
    for text in EXAMPLES:
        assert _renders_to("<" + jinja_text(text) + ">", "<" + text + ">"), text


def test_dbt_description_renders_verbatim_after_dbts_yaml_loader() -> None:
    for text in EXAMPLES:
        loaded = load_yaml_text(yaml_document({"description": dbt_description(text)}))
        assert _renders_to(loaded["description"], text), text
    assert dbt_description("A plain description.\n") == "A plain description.\n"  # left readable


@settings(max_examples=300, deadline=None)
@given(HAZARD)
def test_dbt_description_property(text: str) -> None:
    dumped = yaml_document({"description": dbt_description(text)})
    assert get_rendered(load_yaml_text(dumped)["description"], {}) == text
    assert load_yaml_text(yaml_document({"name": text})) == {"name": text}


@settings(max_examples=300, deadline=None)
@given(HAZARD)
def test_jinja_text_and_string_property(text: str) -> None:
    assert _renders_to("a" + jinja_text(text) + "b", "a" + text + "b")
    assert _renders_to("{{ " + jinja_string(text) + " }}", text)


def test_sql_comment_lines_never_end_the_comment_early() -> None:
    text = "one {{ x }}\nselect 1 */\r\nends in \\\r-- two\u2028three"
    comment = sql_comment(text)
    lines = comment.split("\n")
    assert lines[-1] == "" and all(line.startswith("-- ") for line in lines[:-1])
    assert not any("\r" in line or line.endswith("\\") for line in lines)
    rendered = [get_rendered(line, {}).removeprefix("-- ") for line in lines[:-1]]
    assert rendered == ["one {{ x }}", "select 1 */", "ends in \\ ", "-- two", "three"]
    assert sql_comment("") == ""


def test_product_template_keeps_only_the_platform_tags() -> None:
    sql = (
        'select * from {{product("orders")}} {{ this }}\n'
        "{%- if  is_incremental() %} where 1 = 1 {% else -%} {%endif%}\n"
        "{{ env_var('HOME') }} {% do run_query('x') %} {# c #} {% raw %} {#"
    )
    source = product_template(sql)
    tree = jinja_parse(source)
    calls = {c.node.name for c in tree.find_all(jinja2.nodes.Call) if isinstance(c.node, jinja2.nodes.Name)}
    assert calls == {"product", "is_incremental"}
    assert "{{ product('orders') }}" in source
    assert "{%- if is_incremental() %}" in source and "{% else -%}" in source and "{% endif %}" in source
    context = {"product": lambda name: f"std.{name}", "this": "mart.me", "is_incremental": lambda: False}
    assert get_rendered(source, context) == (
        "select * from std.orders mart.me\n{{ env_var('HOME') }} {% do run_query('x') %} {# c #} {% raw %} {#"
    )
