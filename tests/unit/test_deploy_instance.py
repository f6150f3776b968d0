"""The production instance files in deploy/ load with Dagster's own instance schema, their launcher
config is valid for dagster-k8s' K8sRunLauncher, and no secret is written into them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config
from dagster_k8s import K8sRunLauncher
from repo_root import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
INSTANCE_FILES = ["dagster.yaml", "dagster.postgres-local.yaml"]
PG_ENV = ["DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_DB", "DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD"]


def _load(name: str, tmp_path: Path) -> dict:
    """The instance config as Dagster reads it from a DAGSTER_HOME holding `name` as dagster.yaml."""
    shutil.copy(DEPLOY / name, tmp_path / "dagster.yaml")
    config, _custom_class = dagster_instance_config(str(tmp_path))
    return dict(config)


@pytest.mark.parametrize("name", INSTANCE_FILES)
def test_instance_file_loads_with_postgres_storage_from_the_environment(name: str, tmp_path: Path) -> None:
    config = _load(name, tmp_path)
    postgres_db = config["storage"]["postgres"]["postgres_db"]
    # Every connection field is an env reference, so no literal password can sit in the file.
    assert postgres_db.pop("scheme") == "postgresql+psycopg2"  # the driver dagster-postgres installs
    assert dict(postgres_db) == {
        key: {"env": env}
        for key, env in zip(["hostname", "port", "db_name", "username", "password"], PG_ENV, strict=True)
    }
    assert config["run_retries"]["enabled"] is True
    assert config["run_monitoring"]["enabled"] is True
    assert config["concurrency"]["runs"]["tag_concurrency_limits"][0]["key"] == "tardis/squad"
    assert "run_queue" not in config and "run_coordinator" not in config  # concurrency.runs replaces them


def test_production_launcher_is_k8s_with_a_valid_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _load("dagster.yaml", tmp_path)
    launcher = config["run_launcher"]
    assert (launcher["module"], launcher["class"]) == ("dagster_k8s", "K8sRunLauncher")
    for name in ["DAGSTER_K8S_JOB_NAMESPACE", "DAGSTER_K8S_INSTANCE_CONFIG_MAP"]:
        monkeypatch.setenv(name, "tardis")
    monkeypatch.setenv("DAGSTER_K8S_PG_PASSWORD_SECRET", "dagster-postgresql-secret")
    monkeypatch.setenv("DAGSTER_K8S_RUN_SERVICE_ACCOUNT", "tardis-runs")
    result = process_config(K8sRunLauncher.config_type(), launcher["config"])
    assert result.success, [error.message for error in result.errors]
    assert result.value["job_namespace"] == "tardis"
    assert result.value["env_secrets"] == ["tardis-runtime"]


def test_a_misspelt_key_is_rejected_by_the_same_schema(tmp_path: Path) -> None:
    """The check above can fail: Dagster's schema rejects an unknown top-level key."""
    text = (DEPLOY / "dagster.yaml").read_text().replace("run_monitoring:", "run_monitorin:")
    (tmp_path / "dagster.yaml").write_text(text)
    with pytest.raises(Exception, match="run_monitorin"):
        dagster_instance_config(str(tmp_path))


def _passwords(node: object) -> list[object]:
    """Every value under a key naming a password or secret, anywhere in the YAML tree."""
    if isinstance(node, dict):
        found = [v for k, v in node.items() if "password" in str(k) and not str(k).endswith("_secret")]
        return found + [p for v in node.values() for p in _passwords(v)]
    if isinstance(node, list):
        return [p for v in node for p in _passwords(v)]
    return []


@pytest.mark.parametrize("name", INSTANCE_FILES)
def test_no_secret_in_instance_files(name: str) -> None:
    passwords = _passwords(yaml.safe_load((DEPLOY / name).read_text()))
    assert passwords == [{"env": "DAGSTER_PG_PASSWORD"}]
