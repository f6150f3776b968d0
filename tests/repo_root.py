"""The repository these tests belong to: its demo specs, dbt project and configs are test inputs.

Tests find the repo from their own location (they live in it); the code location and the CLI resolve
the project directory from `TARDIS_PROJECT_DIR` or the current git root (`core/settings.py`).
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
