"""The schema registry client against a small real HTTP server that imitates the compatibility endpoint."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import typer
from contract_helpers import commit_all, copy_committed_specs, edit, init_repo
from typer.testing import CliRunner

from tardis_dagster.core.formats.registry import RegistryClient, RegistryError
from tardis_dagster.tooling.cli import check as check_cli

INCOMPATIBLE = {
    "is_compatible": False,
    "messages": ["{errorType:'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', description:'...'}"],
}


class FakeRegistry:
    """Answers POST /compatibility/subjects/{subject}/versions/{version} from `verdicts`; records requests."""

    def __init__(self) -> None:
        self.verdicts: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                registry.requests.append(
                    {"path": self.path, "body": body, "headers": dict(self.headers.items())}
                )
                prefix, _, rest = self.path.partition("/compatibility/subjects/")
                subject = rest.split("/versions/")[0]
                if prefix or subject not in registry.verdicts:
                    self._reply(404, {"error_code": 40401, "message": f"Subject '{subject}' not found."})
                elif registry.verdicts[subject] == "boom":
                    self._reply(500, {"error_code": 50001, "message": "Error in the backend data store"})
                else:
                    self._reply(200, registry.verdicts[subject])

            def _reply(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    fake = FakeRegistry()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    thread.join()


def test_the_client_posts_the_schema_and_reads_the_verdict(registry: FakeRegistry) -> None:
    registry.verdicts["orders-value"] = INCOMPATIBLE
    user_url = registry.url.replace("http://", "http://key:s%40cret@")

    verdict = RegistryClient(user_url).check_compatibility("orders-value", '{"type": "object"}', "JSON")

    assert not verdict.is_compatible
    assert verdict.messages == INCOMPATIBLE["messages"]
    [request] = registry.requests
    assert request["path"] == "/compatibility/subjects/orders-value/versions/latest?verbose=true"
    assert request["body"] == {"schema": '{"type": "object"}', "schemaType": "JSON"}
    assert request["headers"]["Content-Type"] == "application/vnd.schemaregistry.v1+json"
    assert request["headers"]["Authorization"] == "Basic a2V5OnNAY3JldA=="  # key:s@cret


def test_avro_is_the_default_type_and_is_not_sent(registry: FakeRegistry) -> None:
    registry.verdicts["customers-value"] = {"is_compatible": True}

    verdict = RegistryClient(registry.url).check_compatibility("customers-value", '"string"', "AVRO")

    assert verdict.is_compatible
    assert registry.requests[0]["body"] == {"schema": '"string"'}


def test_an_unknown_subject_has_nothing_to_be_incompatible_with(registry: FakeRegistry) -> None:
    verdict = RegistryClient(registry.url).check_compatibility("new-topic-value", "{}", "JSON")
    assert verdict.is_compatible
    assert not verdict.subject_found


def test_registry_errors_are_named(registry: FakeRegistry) -> None:
    registry.verdicts["orders-value"] = "boom"  # type: ignore[assignment]
    with pytest.raises(
        RegistryError, match="answered 500 for 'orders-value': Error in the backend data store"
    ):
        RegistryClient(registry.url).check_compatibility("orders-value", "{}", "JSON")
    with pytest.raises(RegistryError, match="not reachable"):
        RegistryClient("http://127.0.0.1:9", timeout=2).check_compatibility("x", "{}", "JSON")


def test_tardis_check_asks_the_registry_when_configured(
    registry: FakeRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = init_repo(tmp_path / "repo")
    copy_committed_specs(root)
    commit_all(root, "specs")
    monkeypatch.chdir(root)
    # a change the local check would accept (optional property, closed model); the registry says no
    schema = root / "product_specs/consumer/schemas/order.json"
    edit(
        schema,
        '"order_id": {"type": "string"},',
        '"order_id": {"type": "string"},\n    "channel": {"type": "string"},',
    )
    registry.verdicts["checkout.order.v1-value"] = INCOMPATIBLE
    app = typer.Typer()
    app.command()(check_cli.check)

    result = CliRunner().invoke(
        app,
        ["--specs", "product_specs", "--base", "HEAD", "--format", "lines"],
        env={"TARDIS_SCHEMA_REGISTRY_URL": registry.url},
    )

    assert result.exit_code == 1, result.output
    assert "error: Kafka schema not BACKWARD compatible: {errorType:'PROPERTY_REMOVED" in result.output
    [request] = registry.requests
    assert request["path"].startswith("/compatibility/subjects/checkout.order.v1-value/versions/latest")
    assert json.loads(request["body"]["schema"])["properties"]["channel"] == {"type": "string"}
