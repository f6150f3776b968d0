"""Resolve the Java artifacts of the local platform from Maven Central with the poms under `local/`."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

from tardis_dagster.core.settings import get_settings

_VERSION_SUFFIX = re.compile(r"-\d[\w.\-]*\.jar$")


class JarResolutionError(RuntimeError):
    """Maven could not resolve the jars of a service."""


def _pom(group: str) -> Path:
    return get_settings().project_root / "local" / group / "pom.xml"


def resolve(group: str) -> Path:
    """Copy the runtime dependencies of `local/<group>/pom.xml` into `.tardis/jars/<group>`, once.

    A marker holding the pom's hash makes repeated calls free and re-resolves when the pom changes.
    """
    settings = get_settings()
    pom = _pom(group)
    target = settings.jars_dir / group
    marker = target / ".resolved"
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    if marker.exists() and marker.read_text() == digest:
        return target
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.glob("*.jar"):
        stale.unlink()
    cmd = [
        "mvn",
        "-q",
        "-B",
        "-s",
        str(settings.project_root / "local" / "maven-settings.xml"),
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={target}",
        "-DincludeScope=runtime",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise JarResolutionError(f"mvn could not resolve {pom}:\n{tail}")
    marker.write_text(digest)
    return target


def artifact_name(jar: Path) -> str:
    """`kafka-clients-3.9.1.jar` -> `kafka-clients`."""
    return _VERSION_SUFFIX.sub("", jar.name)


def extra_jars(group: str, provided_dir: Path) -> list[Path]:
    """Jars of `group` that are not already on the classpath in `provided_dir` (same artifact name).

    The Spark connectors pull in Scala, Hadoop and slf4j, which pyspark already ships at its own
    versions; loading both copies breaks the class path.
    """
    provided = {artifact_name(j) for j in provided_dir.glob("*.jar")}
    return sorted(j for j in resolve(group).glob("*.jar") if artifact_name(j) not in provided)
