"""Free text from the specs (descriptions, file names) made inert for the place it goes in the dbt project.

dbt renders Jinja in model SQL and in YAML descriptions (`{{ doc() }}` is resolved there), so text
from a spec must never reach either as template source: `{{ env_var('X') }}` would land in the
manifest and in Dagster, `{% do run_query(...) %}` would run, an unterminated `{#` breaks the
project. Each function returns Jinja source that renders to exactly the text it was given.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

# dbt's fast path (dbt.clients.jinja._HAS_RENDER_CHARS_PAT): a string without these is not rendered.
RENDER_CHARS = re.compile(r"\{[{%#]|[#}%]\}")
# Jinja opens a tag, a comment or a raw block only at '{{', '{%' and '{#': such a '{' becomes a string
# expression, and so does one right before an expression or at the end (what follows might be one).
# Jinja folds '\r\n' and '\r' into '\n' in template data, so a carriage return is an expression too.
_SPECIAL = re.compile(r"\{(?=[{%#\r]|\Z)|\r")
_EXPRESSION = {"{": "{{ '{' }}", "\r": "{{ '\\r' }}"}


def jinja_text(text: str) -> str:
    """Jinja source that renders to exactly `text` where it is embedded in a larger template."""
    return _SPECIAL.sub(lambda match: _EXPRESSION[match.group(0)], text)


def dbt_description(text: str) -> str:
    """A YAML `description` value dbt renders back to exactly `text` (models, sources, columns)."""
    if not RENDER_CHARS.search(text):
        return text  # dbt keeps it as written, carriage returns and trailing newline included
    if text.endswith("\n"):
        # Jinja drops one trailing newline of a template (keep_trailing_newline is off in dbt).
        return jinja_text(text[:-1]) + "{{ '\\n' }}"
    return jinja_text(text)


def sql_comment(text: str) -> str:
    """`text` as `--` comment lines (one per line of the text; an empty text gives no line).

    Each line break of the text starts a new comment line, so no text becomes SQL. Spark continues a
    `--` comment over a backslash-newline, so a line ending in a backslash gets a trailing space.
    """
    lines = []
    for line in text.splitlines():
        lines.append("-- " + jinja_text(line) + (" " if line.endswith("\\") else "") + "\n")
    return "".join(lines)


def jinja_string(value: object) -> str:
    """A single-quoted Jinja string literal holding `str(value)` (backslashes and quotes escaped)."""
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    # Jinja decodes string literals with unicode-escape: line breaks are written as escapes too.
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    return "'" + text + "'"


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, except that strings holding YAML's Unicode line breaks are double-quoted.

    PyYAML writes NEL (U+0085) unescaped in single quotes, where loading folds it into a space.
    """


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = '"' if any(c in text for c in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def yaml_document(data: Any) -> str:
    """`data` as YAML that loads back to exactly `data` (keys in the given order, Unicode as is)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True)
