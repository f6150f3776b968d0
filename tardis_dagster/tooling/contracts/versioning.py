"""Semantic versions of contracts: which bump a set of changes needs, and whether the spec gave it.

A breaking change needs a major bump (1.4.2 -> 2.0.0), an additive one a minor bump (1.4.2 -> 1.5.0),
a cosmetic one (descriptions, owners, schedule) a patch bump, which is recommended but never blocks.
A bigger bump than needed is always fine; a version that goes down blocks. 0.x versions get no
special treatment (strict on purpose: consumers depend on 0.x contracts too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Bump = Literal["none", "patch", "minor", "major"]
BUMP_ORDER: dict[Bump, int] = {"none": 0, "patch": 1, "minor": 2, "major": 3}

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


@dataclass(frozen=True, order=True)
class Version:
    """A parsed semver; pre-releases sort before their release (1.0.0-rc.1 < 1.0.0)."""

    major: int
    minor: int
    patch: int
    release: tuple[int, tuple[tuple[int, int | str], ...]] = (1, ())

    @property
    def prerelease(self) -> bool:
        """True for versions such as 2.0.0-rc.1."""
        return self.release[0] == 0


def parse_version(text: str) -> Version:
    """Parse `MAJOR.MINOR.PATCH[-pre][+build]`; ValueError when it is not a semantic version."""
    match = _VERSION.match(str(text).strip())
    if match is None:
        raise ValueError(f"{text!r} is not a semantic version (MAJOR.MINOR.PATCH)")
    major, minor, patch, pre = match.groups()
    release: tuple[int, tuple[tuple[int, int | str], ...]] = (1, ())
    if pre:
        parts = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split("."))
        release = (0, parts)
    return Version(int(major), int(minor), int(patch), release)


def bump_between(old: str, new: str) -> Bump | Literal["downgrade"]:
    """What kind of bump goes from `old` to `new`: none, patch, minor, major, or downgrade."""
    before, after = parse_version(old), parse_version(new)
    if after < before:
        return "downgrade"
    if after.major != before.major:
        return "major"
    if after.minor != before.minor:
        return "minor"
    if after.patch != before.patch or after.release != before.release:
        return "patch"
    return "none"


def next_version(old: str, bump: Bump) -> str:
    """The smallest version after `old` with a bump of kind `bump` (`none` gives `old`)."""
    version = parse_version(old)
    if bump == "major":
        return f"{version.major + 1}.0.0"
    if bump == "minor":
        return f"{version.major}.{version.minor + 1}.0"
    if bump == "patch":
        return f"{version.major}.{version.minor}.{version.patch + 1}"
    return old


@dataclass(frozen=True)
class BumpCheck:
    """The verdict on a version change: required and given bump, blocking or not, and the message."""

    required: Bump
    given: Bump | Literal["downgrade"]
    ok: bool
    blocking: bool
    message: str


def check_bump(old: str, new: str, required: Bump) -> BumpCheck:
    """Whether going from `old` to `new` is a big enough bump for changes that need `required`."""
    given = bump_between(old, new)
    if given == "downgrade":
        return BumpCheck(
            required, given, False, True, f"version went down from {old} to {new}; versions only grow"
        )
    if BUMP_ORDER[given] >= BUMP_ORDER[required]:
        return BumpCheck(required, given, True, False, f"version {old} -> {new} ({given} bump) is enough")
    wanted = next_version(old, required)
    if required == "patch":
        message = f"version {new} unchanged for a cosmetic change; consider {wanted} (patch bump)"
        return BumpCheck(required, given, False, False, message)
    kind = "breaking" if required == "major" else "additive"
    message = f"{kind} change needs a {required} version bump: {old} -> {wanted} or later" + (
        f" (found {new}, a {given} bump)" if given != "none" else f" (version is still {new})"
    )
    return BumpCheck(required, given, False, True, message)
