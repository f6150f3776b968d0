"""`tardis new` at a terminal (pexpect), without the platform: a flag is checked like a typed answer,
and leaving the prompts (Ctrl-D) writes nothing and shows no traceback."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pexpect
from repo_root import PROJECT_ROOT

TARDIS = str(Path(sys.executable).with_name("tardis"))


def test_a_bad_flag_is_asked_again_and_ctrl_d_leaves_nothing_behind(tmp_path: Path) -> None:
    tree = tmp_path / "product_specs"
    shutil.copytree(PROJECT_ROOT / "product_specs", tree, ignore=shutil.ignore_patterns(".*"))
    before = sorted(str(p) for p in tree.rglob("*"))
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
    args = ["new", "--specs", str(tree), "--dbt-project", str(tmp_path / "dbt"), "--tribe", "consumr"]
    child = pexpect.spawn(TARDIS, args, env=env, encoding="utf-8", timeout=60, cwd=str(tmp_path))
    child.expect_exact("unknown tribe 'consumr' (did you mean 'consumer'?")
    child.expect_exact("Tribe [consumer, marketing, operations, platform]: ")
    child.sendline("consumer")
    child.expect_exact("Squad (known: accounts, checkout, subscriptions; or a new one): ")
    child.sendeof()
    child.expect_exact("tardis new: cancelled; nothing was written")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in (child.before or "")
    assert sorted(str(p) for p in tree.rglob("*")) == before
    assert not (tmp_path / "dbt").exists()
