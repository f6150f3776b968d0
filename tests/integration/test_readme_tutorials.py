"""README's "Your first data product" tutorials, run exactly as written.

Each ```console block after a `<!-- tutorial: NAME -->` comment is a list of commands (`$ ` lines, a
heredoc running to its terminator) and the output shown under each. Every command runs unchanged in
bash, in the root of a throwaway clone that looks like the repository to a newcomer: a git clone (its
`origin` a local bare repository) holding copies of product_specs/, dbt_project/, docs/tutorials/ and
the tardis_dagster package (first on PYTHONPATH, so the project root, the default spec folder and the
dbt project are the clone's), and a .tardis/ linking the running local platform's state. The repository's
own product_specs/ and dbt_project/ are never written. Each command must exit 0 and every output line
the README shows must appear in its output, in order; `...` lines are abridged output, run-specific
tokens (namespace ids, commit ids, seconds) match any value, and the rows of a std sample (any five of
the table) are not compared, only its header. The backend tutorial runs first: the analyst's product
reads its `refunds`. The tutorial's topic is deleted before and after.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient
from repo_root import PROJECT_ROOT

from tardis_dagster.core.settings import get_settings

pytestmark = pytest.mark.platform
README = PROJECT_ROOT / "README.md"
TOPIC = "shop.refunds.v1"  # the topic the backend tutorial produces to
BOX = re.compile(r"[\u2500-\u257f]")  # rich's table borders: compared as whitespace
# Tokens that differ per run, matched by any value of their kind.
RUN_SPECIFIC = (
    (re.compile(r"tardis_test_[0-9a-f]{8}_"), r"tardis_test_[0-9a-f]{8}_"),
    (re.compile(r"\b[0-9a-f]{12}\b"), r"[0-9a-f]{12}"),
    (re.compile(r"\b\d+\.\d\b"), r"\d+\.\d"),
)


@dataclass
class Command:
    """One `$ ` command of a tutorial and the output lines the README shows under it."""

    text: str
    shown: list[str] = field(default_factory=list)


def tutorial(name: str) -> list[Command]:
    """The commands of README's `<!-- tutorial: name -->` console block."""
    text = README.read_text(encoding="utf-8")
    marker = f"<!-- tutorial: {name} -->\n```console\n"
    assert marker in text, f"README.md has no {marker.strip()!r} block"
    lines = text.split(marker, 1)[1].split("\n```\n", 1)[0].splitlines()
    commands: list[Command] = []
    heredoc: str | None = None
    for line in lines:
        if heredoc is not None:
            commands[-1].text += "\n" + line
            heredoc = None if line == heredoc else heredoc
        elif line.startswith("$ "):
            commands.append(Command(line[2:]))
            found = re.search(r"<<-?\s*'?(\w+)'?", line)
            heredoc = found.group(1) if found else None
        else:
            assert commands, f"output before the first command in tutorial {name}: {line!r}"
            commands[-1].shown.append(line)
    return commands


def _normal(line: str) -> str:
    return " ".join(BOX.sub(" ", line).split())


def _pattern(line: str) -> re.Pattern[str]:
    """A shown line as a pattern: whitespace-insensitive, run-specific tokens matching any value."""
    token = re.compile("|".join(f"(?:{t.pattern})" for t, _ in RUN_SPECIFIC))

    def word(text: str) -> str:
        pieces, at = [], 0
        for found in token.finditer(text):
            general = next(g for t, g in RUN_SPECIFIC if t.fullmatch(found.group()))
            pieces += [re.escape(text[at : found.start()]), general]
            at = found.end()
        return "".join([*pieces, re.escape(text[at:])])

    return re.compile(r"\s+".join(word(w) for w in _normal(line).split()))


def checked_lines(shown: list[str]) -> list[str]:
    """The shown lines a test compares: not `...`, not borders, not the rows of a std sample.

    A sample is the table right under its "Sample of std" line, up to the first line outside it.
    """
    checked, in_sample = [], False
    for line in shown:
        in_sample = line.startswith("Sample of std") or (in_sample and line.startswith(("│", "┃", "┏", "┡")))
        if "..." in line or not _normal(line) or (in_sample and line.startswith("│")):
            continue
        checked.append(line)
    return checked


def assert_shown(command: Command, output: str) -> None:
    """Each checked line of the README appears in the output, in the README's order."""
    actual = [_normal(line) for line in output.splitlines()]
    at = 0
    for line in checked_lines(command.shown):
        pattern = _pattern(line)
        hit = next((i for i in range(at, len(actual)) if pattern.fullmatch(actual[i])), None)
        assert hit is not None, (
            f"README shows {line!r} for `{command.text.splitlines()[0]}`; not in:\n{output}"
        )
        at = hit + 1


def _delete_topic() -> None:
    admin = AdminClient({"bootstrap.servers": get_settings().kafka_bootstrap})  # alive until deleted
    if TOPIC in admin.list_topics(timeout=10).topics:
        admin.delete_topics([TOPIC])[TOPIC].result(timeout=30)


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory, platform) -> Iterator[Path]:
    """A newcomer's clone of the repository, pushed to a local bare `origin`; the topic removed after."""
    tmp = tmp_path_factory.mktemp("readme_tutorials")
    bare, work = tmp / "origin.git", tmp / "tardis"
    _git(tmp, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    _git(tmp, "clone", "--quiet", str(bare), str(work))
    for who in (("user.email", "dev@example.com"), ("user.name", "Dev")):
        _git(work, "config", *who)
    ignore = shutil.ignore_patterns(".*", "__pycache__", "target", "logs")
    for folder in ("product_specs", "dbt_project", "tardis_dagster", "docs/tutorials"):
        shutil.copytree(PROJECT_ROOT / folder, work / folder, ignore=ignore)
    home = work / ".tardis"
    home.mkdir()
    # The running platform's state (pids, jars, PII key, warehouse); reports and demo files stay local.
    for entry in get_settings().home.iterdir():
        if entry.name not in ("demo", "test-reports", "pr", "test-runs"):
            (home / entry.name).symlink_to(entry)
    (work / ".gitignore").write_text(".tardis/\n__pycache__/\n", encoding="utf-8")
    _git(work, "add", ".")
    _git(work, "commit", "--quiet", "-m", "platform")
    _git(work, "push", "--quiet", "origin", "main")
    _delete_topic()
    try:
        yield work
    finally:
        _delete_topic()


def _environment(work: Path) -> dict[str, str]:
    """The venv's bin first (as `source .venv/bin/activate`), no `gh`, the clone's package, plain output;
    no TARDIS_PROJECT_DIR (the suite's names this checkout): as for a user, the project is the clone."""
    folders = [str(Path(sys.executable).parent), *os.environ["PATH"].split(os.pathsep)]
    path = os.pathsep.join(f for f in folders if not (Path(f) / "gh").exists())
    inherited = {k: v for k, v in os.environ.items() if k not in ("TARDIS_PROJECT_DIR", "TARDIS_SPECS_DIR")}
    return {**inherited, "PATH": path, "PYTHONPATH": str(work), "NO_COLOR": "1", "COLUMNS": "100"}


def run_tutorial(name: str, work: Path) -> None:
    """Run every command of the tutorial in the clone's root and compare the output the README shows."""
    for command in tutorial(name):
        result = subprocess.run(
            ["bash", "-c", command.text], cwd=work, env=_environment(work), capture_output=True, text=True
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, (
            f"`{command.text.splitlines()[0]}` exited {result.returncode}:\n{output}"
        )
        assert_shown(command, output)


def test_parser_reads_commands_heredocs_and_output() -> None:
    commands = tutorial("backend")
    assert [c.text.splitlines()[0] for c in commands] == [
        f"python docs/tutorials/refunds_producer.py {TOPIC}",
        "cat > answers.yaml <<'EOF'",
        "tardis new --answers answers.yaml",
        "tardis test refunds",
        "tardis pr refunds",
    ]
    assert commands[1].text.endswith("\nEOF") and commands[1].shown == []
    assert _pattern("│ std │ tardis_test_09920811_std.refunds │ 50 │").fullmatch(
        _normal("│ std        │ tardis_test_1234abcd_std.refunds   │ 50   │")
    )
    assert not _pattern("│ std │ tardis_test_09920811_std.refunds │ 50 │").fullmatch(
        _normal("│ std │ tardis_test_1234abcd_std.refunds │ 49 │")
    )
    sample = checked_lines(next(c for c in commands if c.text == "tardis test refunds").shown)
    assert not any(line.startswith("│ rf-") for line in sample)  # sample rows vary from run to run
    assert any("┃ refund_id ┃" in line for line in sample)


def test_backend_then_analyst_tutorial_as_written(clone: Path) -> None:
    run_tutorial("backend", clone)
    run_tutorial("analyst", clone)
    assert (clone / "product_specs" / "consumer" / "refunds.yaml").exists()
    assert not (PROJECT_ROOT / "product_specs" / "consumer" / "refunds.yaml").exists()
