"""Property test: mutated specs are either refused with precise problem lines or they really work.

Starting from the demo specs (product_specs/, every source kind, Avro/Protobuf/JSON schemas, the
global model), hypothesis mutates one file per example: deletes and inserts keys, changes types,
writes hostile text (templates, SQL, control characters, unicode, paths out of the repository),
huge numbers, NaN/inf, deep nesting, bad crons and durations, duplicate keys, and raw text damage.
Each mutated tree goes through `tardis validate` as the CLI runs it (in-process; two cases through
the real `tardis validate` subprocess) and:

- exit 1 ⇒ every printed problem line is `path:line:col: field: message (fix)`, no traceback;
- exit 0 ⇒ the Dagster definitions build and load (`Definitions.validate_loadable`), and for a
  small sample `tardis generate` plus a real `dbt parse` succeed on the generated project;
- no example hangs (each validation runs under a generous bound: a hang fails, it is not timed).

Cost, on the 2-core CI machine (measured while shared): ~60-100 s in all (250 derandomized examples
≈ 30-60 s, 2 `tardis validate` subprocesses ≈ 10 s, 1 `tardis generate` + `dbt parse` ≈ 30 s). It
prints how long it took.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_helpers import REPO, invoke

from tardis_dagster.assembly import build_definitions
from tardis_dagster.core.specs import load_catalog

pytestmark = pytest.mark.fuzz  # ~60-100 s: see the module docstring

SPECS = REPO / "product_specs"
DBT_PROJECT = REPO / "dbt_project"
SPEC_FILES = sorted(p.relative_to(SPECS) for p in SPECS.rglob("*.yaml") if ".schema" not in p.parts)
EXAMPLES = 250
DBT_SAMPLES = 1
# Accepted mutations carrying these reach the generated SQL/YAML: parse those first.
TEMPLATE_MARKS = ("{{", "{%", "{#", "*/", "--")
HANG_BOUND_SECONDS = 120
# `path:line:col: field: message (fix)`; the path may hold colons only as the separators.
PROBLEM_LINE = re.compile(
    r"^(?P<path>[^:\n]+):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): (?P<field>\S+): .+ \(.+\)$"
)

HOSTILE_TEXT = [
    "",
    " ",
    "{{ env_var('TARDIS_SECRET') }}",
    "{{ run_query('drop table std.orders') }}",
    "{% raw %}",
    "{#",
    "*/ drop table x; /*",
    "-- comment\nselect 1",
    "'; drop table std.orders; --",
    "a\x00b",
    "\u202eevil",
    "café ☕ 🦄",
    "x" * 5000,
    "line one\nline two",
    "../../../etc/passwd",
    "/etc/passwd",
    "~/secrets.json",
    "schemas/../../../../outside.avsc",
    "${HOME}",
    "%s%s%n",
    "0 0 31 2 *",
    "0 0 31 4 *",
    "* * * * * *",
    "@daily",
    "@reboot",
    "99999999999999d",
    "0s",
    "1.0.0",
    "#Not-A-Channel",
    "tardis/v1",
    "DROPMALFORMED",
    "s3://bucket/../../x",
    "file:///etc/",
]


def _deep(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


HOSTILE_VALUES = [
    *HOSTILE_TEXT,
    None,
    True,
    False,
    0,
    -1,
    2**63,
    10**40,
    1e308,
    -1e308,
    math.nan,
    math.inf,
    -math.inf,
    0.5,
    [],
    {},
    ["a", 1, None],
    {"mode": "DROPMALFORMED"},
    {"min": math.nan, "max": math.inf},
    _deep(30),
    _deep(80),
]
HOSTILE_KEYS = ["mode", "options", "extra", "__proto__", "schema", "$ref", "1", "on", "é", "max_age", "cron"]


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every location in the data (mapping keys and list indexes), parents before children."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


def _parent(data: Any, path: tuple) -> Any:
    for segment in path[:-1]:
        data = data[segment]
    return data


def _mutate_data(data: Any, draw: Any) -> Any:
    paths = _paths(data)
    path = draw(st.sampled_from(paths))
    operation = draw(st.sampled_from(["replace", "delete", "insert", "rename", "wrap"]))
    value = copy.deepcopy(
        draw(st.sampled_from(HOSTILE_VALUES))
    )  # shared lists must not grow between examples
    if not path:
        return value if operation == "replace" else data
    parent = _parent(data, path)
    last = path[-1]
    if operation == "replace":
        parent[last] = value
    elif operation == "delete":
        del parent[last]
    elif operation == "insert":
        target = parent[last]
        if isinstance(target, dict):
            target[draw(st.sampled_from(HOSTILE_KEYS))] = value
        elif isinstance(target, list):
            target.insert(draw(st.integers(0, len(target))), value)
        else:
            parent[last] = value
    elif operation == "rename" and isinstance(parent, dict):
        renamed = draw(st.sampled_from([f"{last}s", f"{last}_", str(last).upper(), f"x{last}"]))
        parent[renamed] = parent.pop(last)
    elif operation == "wrap":
        parent[last] = [parent[last]] if draw(st.booleans()) else {"value": parent[last]}
    return data


def _mutate_text(text: str, draw: Any) -> str:
    lines = text.splitlines(keepends=True) or ["\n"]
    index = draw(st.integers(0, len(lines) - 1))
    operation = draw(st.sampled_from(["duplicate", "delete", "insert", "truncate", "tab", "unicode"]))
    if operation == "duplicate":  # a duplicate key (or list item) at the same indentation
        lines.insert(index, lines[index])
    elif operation == "delete":
        del lines[index]
    elif operation == "insert":
        junk = draw(
            st.sampled_from(["{", "]", ": :", "&a *a", "*undefined", "!!python/object:os.system", "- ", '"'])
        )
        lines.insert(index, junk + "\n")
    elif operation == "truncate":
        return "".join(lines)[: draw(st.integers(0, len(text)))]
    elif operation == "tab":
        lines[index] = "\t" + lines[index]
    elif operation == "unicode":
        lines[index] = lines[index].rstrip("\n") + " \ufeff\u200b\U0001f984\n"
    return "".join(lines)


@st.composite
def mutations(draw: Any) -> tuple[Path, str]:
    """One spec file of the demo tree and its mutated text."""
    relative = draw(st.sampled_from(SPEC_FILES))
    text = (SPECS / relative).read_text(encoding="utf-8")
    if draw(st.integers(0, 3)) == 0:
        return relative, _mutate_text(text, draw)
    data = yaml.safe_load(text)
    for _ in range(draw(st.integers(1, 3))):
        data = _mutate_data(data, draw)
    return relative, yaml.safe_dump(data, sort_keys=False, allow_unicode=draw(st.booleans()), width=10_000)


def _validate(root: Path) -> tuple[int, str]:
    """`tardis validate <root>` as the CLI runs it, in a thread so a hang fails instead of blocking CI."""
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(invoke("validate", str(root))), daemon=True)
    worker.start()
    worker.join(HANG_BOUND_SECONDS)
    assert not worker.is_alive(), f"validation hung on {root}"
    result = outcome[0]
    return result.exit_code, result.output


def _assert_refused_precisely(code: int, output: str, lines: list[str]) -> None:
    assert code == 1, f"exit {code}:\n{output}"
    assert "Traceback" not in output and "internal error" not in output, output
    assert lines, output
    for line in lines:
        assert PROBLEM_LINE.match(line), f"not a file:line:col problem line: {line!r}"


def _assert_loads(root: Path) -> None:
    catalog = load_catalog([root])
    assert catalog.problems == []
    dg.Definitions.validate_loadable(build_definitions(catalog))


class _Tree:
    """A writable copy of product_specs/ (inside a project folder, so `../../.tardis/...` resolves)."""

    def __init__(self, base: Path) -> None:
        self.root = base / "product_specs"
        shutil.copytree(SPECS, self.root, ignore=shutil.ignore_patterns(".schema"))

    def write(self, relative: Path, text: str) -> None:
        (self.root / relative).write_text(text, encoding="utf-8")

    def restore(self, relative: Path) -> None:
        shutil.copy(SPECS / relative, self.root / relative)


def test_mutated_specs_are_refused_precisely_or_load() -> None:
    started = time.perf_counter()
    accepted: list[tuple[Path, str]] = []
    counts = {"refused": 0, "accepted": 0}
    with tempfile.TemporaryDirectory(prefix="tardis-fuzz-") as tmp:
        tree = _Tree(Path(tmp))

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(mutations())
        def check(mutation: tuple[Path, str]) -> None:
            relative, text = mutation
            tree.write(relative, text)
            try:
                code, output = _validate(tree.root)
                lines = [line for line in output.splitlines() if line.strip()]
                if code == 0:
                    counts["accepted"] += 1
                    assert lines and lines[-1].startswith("ok:"), output
                    _assert_loads(tree.root)
                    if text != (SPECS / relative).read_text(encoding="utf-8"):
                        accepted.append(mutation)
                else:
                    counts["refused"] += 1
                    _assert_refused_precisely(code, output, [line for line in lines if not _is_summary(line)])
            finally:
                tree.restore(relative)

        check()
        fuzzed = time.perf_counter() - started
        # Accepted mutations that changed something: generate and parse a sample with the real dbt,
        # those carrying template or comment markers first.
        accepted.sort(key=lambda mutation: not _added_marks(*mutation))
        for relative, text in accepted[:DBT_SAMPLES]:
            marked = _added_marks(relative, text)
            print(f"generate + dbt parse of a mutated {relative} (markers: {marked or 'none'})")
            tree.write(relative, text)
            _generate_and_parse(tree.root, Path(tmp) / f"dbt_{relative.stem}")
            tree.restore(relative)
    print(
        f"spec fuzz: {EXAMPLES} examples ({counts['refused']} refused, {counts['accepted']} accepted, "
        f"{len(accepted)} accepted mutations) in {fuzzed:.1f} s; "
        f"{min(len(accepted), DBT_SAMPLES)} generate + dbt parse; total {time.perf_counter() - started:.1f} s"
    )
    assert counts["refused"] and counts["accepted"], counts  # the generator reaches both outcomes


def _added_marks(relative: Path, text: str) -> list[str]:
    """Template or comment markers the mutation added (SQL products carry `{{ product() }}` anyway)."""
    original = (SPECS / relative).read_text(encoding="utf-8")
    return [mark for mark in TEMPLATE_MARKS if text.count(mark) > original.count(mark)]


def _is_summary(line: str) -> bool:
    """The `N problems in M files` line (stderr, mixed into the runner's output)."""
    return bool(re.fullmatch(r"\d+ problems? in \d+ files?", line))


def _generate_and_parse(root: Path, project: Path) -> None:
    """The real `tardis generate` into a copy of the dbt project, then a real `dbt parse` of it."""
    project.mkdir(parents=True)
    shutil.copy(DBT_PROJECT / "dbt_project.yml", project / "dbt_project.yml")
    shutil.copytree(DBT_PROJECT / "macros", project / "macros", ignore=shutil.ignore_patterns("generated"))
    bin_dir = Path(sys.executable).parent
    generate = subprocess.run(
        [str(bin_dir / "tardis"), "generate", "--specs", str(root), "--dbt-project", str(project)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert generate.returncode == 0, generate.stdout + generate.stderr
    env = {**os.environ, "DBT_LOG_PATH": str(project / "logs")}
    parse = subprocess.run(
        [
            str(bin_dir / "dbt"),
            "parse",
            "--profiles-dir",
            str(DBT_PROJECT),
            "--project-dir",
            str(project),
            "--target-path",
            str(project / "target"),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert parse.returncode == 0, parse.stdout[-4000:] + parse.stderr[-2000:]
    manifest = json.loads((project / "target" / "manifest.json").read_text(encoding="utf-8"))
    assert any(node.startswith("model.") for node in manifest["nodes"])


@pytest.mark.parametrize(
    ("relative", "old", "new"),
    [
        (Path("consumer/order_events.yaml"), "schedule:", "schedule: '0 0 31 2 *'\nx_schedule:"),
        (Path("operations/recipes.yaml"), "header: true", "mode: DROPMALFORMED, header: true"),
    ],
)
def test_the_real_cli_refuses_with_problem_lines(tmp_path: Path, relative: Path, old: str, new: str) -> None:
    tree = _Tree(tmp_path)
    text = (SPECS / relative).read_text(encoding="utf-8")
    assert old in text
    tree.write(relative, text.replace(old, new, 1))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "tardis"), "validate", str(tree.root)],
        capture_output=True,
        text=True,
        timeout=HANG_BOUND_SECONDS,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    _assert_refused_precisely(result.returncode, result.stdout + result.stderr, lines)
    assert all(line.startswith(str(tree.root / relative)) for line in lines), lines
    assert "Traceback" not in result.stderr
