"""A stand-in for a cluster's Python image: a folder of links to what an EMR image would provide.

Used with `python -S` (no site-packages, so no editable install of this repo): only the stdlib, this
folder and the job bundle's zip are importable, as on a cluster where the bundle is all of ours.
"""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

# The AWS SDK and pyspark (EMR images have them), with what they need.
PROVIDED = (
    "pyspark",
    "py4j",
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "urllib3",
    "six",
)


def link_image(dest: Path, distributions: set[str]) -> Path:
    """Link the top-level packages of `distributions` into `dest`; return `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in sorted(distributions):
        dist = importlib.metadata.distribution(name)
        for top in {Path(f).parts[0] for f in dist.files or ()}:
            if top.endswith((".dist-info", ".data", ".pth")) or top in ("..", "bin", "__pycache__"):
                continue
            target = dest / top
            if not target.exists():
                target.symlink_to(Path(dist.locate_file(top)))
    return dest


def python_wrapper(dest: Path, image: Path) -> Path:
    """An executable `python` that runs this interpreter without site-packages, `image` on its path."""
    script = dest / "python-cluster"
    script.write_text(f'#!/bin/sh\nPYTHONPATH="$PYTHONPATH:{image}" exec {sys.executable} -S "$@"\n')
    script.chmod(0o755)
    return script
