"""Paths written in specs (schema files, sql_file, a local files `uri`) stay inside the repository.

A spec is reviewed as text in a pull request; the files it points at must be reviewable the same
way, and validation must not read (or a landing job list) whatever the machine holds. So:

- no absolute paths and no `~` (home folders differ per machine anyway): paths are relative to
  the spec file;
- schema files and sql_file must lie inside the spec tree (the folder holding `_model.yaml`,
  usually `product_specs/`): they are part of the specs;
- a local landing folder (`files.uri` without a scheme) must lie inside the project folder that
  holds the spec tree (the repository root in the fixed layout). The local platform's data folder
  `.tardis/` lives there, which is where the demo's and local drops land
  (`uri: ../../.tardis/demo/files/...`);
- `..` may move around inside that folder but not out of it, and neither may a symlink: the path
  is checked as written and again with symlinks resolved.
"""

from __future__ import annotations

import os
from pathlib import Path


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def leaves_through_symlink(path: Path, root: Path) -> bool:
    """True when ``path`` (inside ``root`` as written) resolves, through symlinks, to outside ``root``."""
    return not _inside(os.path.realpath(path), os.path.realpath(root))


def path_problem(written: str, spec_path: Path, root: Path, what: str) -> tuple[str, str] | None:
    """None when ``written`` (relative to ``spec_path``'s folder) stays inside ``root``; else (message, fix).

    ``what`` names the allowed area in the message, e.g. "the spec folder product_specs".
    """
    if written.startswith("~"):
        return (
            f"'{written}' starts with '~' (a home folder)",
            f"write a path relative to this spec file, inside {what}",
        )
    if os.path.isabs(written):  # noqa: PTH117 - os.path throughout: called for every spec at start-up
        return (
            f"'{written}' is an absolute path",
            f"write a path relative to this spec file, inside {what}",
        )
    folder = os.path.dirname(os.path.abspath(spec_path))  # noqa: PTH100, PTH120
    joined = os.path.normpath(os.path.join(folder, written))  # noqa: PTH118
    base = os.path.abspath(root)  # noqa: PTH100
    if not _inside(joined, base):
        return (
            f"'{written}' leads outside {what}",
            f"keep the file inside {what}; '..' may not climb out of it",
        )
    if not _inside(os.path.realpath(joined), os.path.realpath(base)):
        return (
            f"'{written}' goes through a symlink that leads outside {what}",
            f"copy the file into {what} instead of linking to it",
        )
    return None
