"""What the local platform exposes: every listening socket is on loopback, and after a real PII
standardize run no key material is readable from Spark (UI, REST API, event log, server log), and a
rejected PII value is quoted nowhere.

Both run against the platform the suite uses (its recorded pids, its UI port, its PII key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest
import requests
from spec_builder import product_yaml, write_product

from tardis_dagster.core.settings import get_settings, pii_key
from tardis_dagster.core.specs import DataProduct
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.defs.standardize.assets import standardize_assets, standardize_input
from tardis_dagster.jobs.std import casting
from tardis_dagster.jobs.std.casting import HMAC_INNER_PAD, hmac_pads
from tardis_dagster.tooling.local_platform import platform as local_platform
from tardis_dagster.tooling.local_platform.spark_connect import SparkConnectService

pytestmark = pytest.mark.platform

_LISTEN = "0A"
BINARY_LITERAL = re.compile(r"0x[0-9A-Fa-f]{32,}")  # TCP_LISTEN in /proc/net/tcp{,6}


def _children(pid: int) -> set[int]:
    """Every live descendant of `pid`."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().as_posix()
        except (FileNotFoundError, OSError):
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _address(hex_address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """/proc/net/tcp's address: 32-bit words in host (little-endian) order."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(words)


def _listening(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket `pid` listens on, IPv4 and IPv6; none once it has ended
    (a Spark Python worker may exit between the process scan and this read)."""
    try:
        inodes = _socket_inodes(pid)
        tables = [Path(f"/proc/{pid}/net/{table}").read_text() for table in ("tcp", "tcp6")]
    except (FileNotFoundError, ProcessLookupError):
        return []
    sockets = []
    for text in tables:
        for line in text.splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == _LISTEN and inode in inodes:
                address, port = local.split(":")
                sockets.append((str(_address(address)), int(port, 16)))
    return sockets


def _loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return (mapped or ip).is_loopback


def test_every_listening_socket_of_the_platform_is_on_loopback(platform: None) -> None:
    owned: dict[str, set[int]] = {}
    for svc in local_platform.services():
        pid = svc.process.pid()
        assert pid is not None, f"{svc.name} is not running under `tardis local`"
        owned[svc.name] = {pid, *_children(pid)}
    listening = {name: [s for p in pids for s in _listening(p)] for name, pids in owned.items()}

    exposed = [(name, s) for name, sockets in listening.items() for s in sockets if not _loopback(s[0])]
    assert exposed == [], f"listening beyond loopback: {exposed}"
    settings = get_settings()
    ports = {port for sockets in listening.values() for _, port in sockets}
    # The scan sees the sockets it must: each service's known ports (and Spark's driver/block manager).
    assert {settings.kafka_port, settings.kafka_controller_port} <= {p for _, p in listening["kafka"]}
    assert {settings.spark_connect_port, settings.spark_ui_port} <= ports
    assert len(listening["spark-connect"]) >= 4, listening["spark-connect"]


COLUMNS = """\
  - {name: member_id, type: string, required: true}
  - {name: email, type: string, pii: true}
  - {name: phone, type: string, pii: true}
  - {name: points, type: int}
"""
RAW_COLUMNS = ("memberId", "Email", "phone", "points")
ROWS = [
    ("m1", "ada.exposure@example.com", "+44 7700 900001", "10"),
    ("m2", "bo.exposure@example.com", "+44 7700 900002", "many"),  # a value that is not an int
]


def _product(tmp_path: Path, columns: str = COLUMNS) -> DataProduct:
    name = f"it_exposure_{uuid.uuid4().hex[:8]}"
    text = product_yaml(
        name,
        description="Members with PII, for the exposure test.",
        owner="marketing/loyalty/#loyalty-data",
        source="files: {uri: ./drops/, format: csv}",
        load="{type: append, reject_threshold: 0.9}",
        schema=columns,
    )
    return write_product(tmp_path, text, name, own_folder=True)


def _land_raw(spark, product: DataProduct, rows: list[tuple[str, ...]], names=RAW_COLUMNS) -> None:
    """Raw as file landing writes it: every value as text, source names as-is."""
    raw = f"raw.{product.name}"
    spark.sql("create namespace if not exists raw")
    columns = ", ".join(f"{c} string" for c in names)
    spark.sql(f"create table {raw} ({columns}, _source_file string, _ingested_at timestamp) using iceberg")
    values = ", ".join(
        "(" + ", ".join(f"'{v}'" for v in row) + ", 'drops/members.csv', current_timestamp())" for row in rows
    )
    spark.sql(f"insert into {raw} values {values}")


def _needles(key: str) -> dict[str, str]:
    """The key and its HMAC pads in every spelling a page or log could carry them."""
    raw = key.encode()
    inner, outer = hmac_pads(raw)
    needles = {"key": key, "key hex": raw.hex(), "key base64": base64.b64encode(raw).decode()}
    for name, pad in (("ipad", inner), ("opad", outer)):
        needles[f"{name} hex"] = pad.hex()
        needles[f"{name} base64"] = base64.b64encode(pad).decode()
        # A byte-array rendering ([54, 55, ...] in JSON, as signed Java bytes too).
        needles[f"{name} bytes"] = ", ".join(str(b if b < 128 else b - 256) for b in pad[:16])
    return needles


def _found(text: str, needles: dict[str, str]) -> list[str]:
    lowered = text.lower()
    return [name for name, needle in needles.items() if needle.lower() in lowered]


def _pages(ui: str, started_ms: int) -> Iterator[tuple[str, str]]:
    """(url, body) of every Spark REST API endpoint and the SQL execution pages of the run."""
    session = requests.Session()

    def get(path: str) -> str:
        response = session.get(f"{ui}{path}", timeout=30)
        assert response.status_code == 200, (path, response.status_code)
        return response.text

    def get_listed(path: str, listing: str, ident, ident_of) -> str | None:
        """An item of a listing; None when the UI evicted it since (the other worker's jobs run on
        the same server and the UI keeps only the newest stages), shown by its absence from a fresh
        listing: what the UI no longer holds is not readable there."""
        response = session.get(f"{ui}{path}", timeout=30)
        if response.status_code == 404 and ident not in {ident_of(i) for i in json.loads(get(listing))}:
            return None
        assert response.status_code == 200, (path, response.status_code)
        return response.text

    apps = json.loads(get("/api/v1/applications"))
    yield "/api/v1/applications", json.dumps(apps)
    for app in apps:
        base = f"/api/v1/applications/{app['id']}"
        for path in ("", "/jobs", "/executors", "/allexecutors", "/storage/rdd", "/environment"):
            yield base + path, get(base + path)
        stages_body = get(f"{base}/stages")
        yield f"{base}/stages", stages_body
        for stage in json.loads(stages_body):
            path = f"{base}/stages/{stage['stageId']}/{stage['attemptId']}"
            body = get_listed(path, f"{base}/stages", _stage_key(stage), _stage_key)
            if body is not None:
                yield path, body
        sql_path = f"{base}/sql?details=true&planDescription=true&offset=0&length=100000"
        sql_body = get(sql_path)
        yield sql_path, sql_body
        for execution in json.loads(sql_body):
            path = f"{base}/sql/{execution['id']}?details=true&planDescription=true"
            body = get_listed(path, sql_path, execution["id"], lambda e: e["id"])
            if body is None:
                continue
            yield path, body
            if _epoch_ms(execution["submissionTime"]) >= started_ms:
                page = f"/SQL/execution/?id={execution['id']}"
                yield page, get(page)
    for page in ("/jobs/", "/stages/", "/SQL/", "/environment/", "/executors/", "/connect/"):
        yield page, get(page)


def _stage_key(stage: dict) -> tuple[int, int]:
    return stage["stageId"], stage["attemptId"]


def _epoch_ms(text: str) -> int:
    """The REST API's `2026-12-03T07:08:52.592GMT` as epoch milliseconds."""
    return int(datetime.strptime(text.replace("GMT", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1000)


def test_no_key_material_is_readable_from_spark_after_a_pii_run(tmp_path: Path, spark) -> None:
    settings, key = get_settings(), pii_key(get_settings())
    product = _product(tmp_path)
    _land_raw(spark, product, ROWS)
    started_ms = int(time.time() * 1000) - 1000

    result = dg.materialize(
        standardize_assets([product], settings),
        resources={"spark": SparkJobRunner(spark_remote=settings.spark_remote)},
        raise_on_error=False,
    )
    assert result.success, [e.message for e in result.all_events if e.is_failure]

    # The hashes are HMAC-SHA-256 of the same key, byte for byte (what earlier data and the vault hold).
    std = {r["member_id"]: r for r in spark.table(f"std.{product.name}").collect()}
    assert set(std) == {"m1"}
    digest = hmac.new(key.encode(), b"ada.exposure@example.com", hashlib.sha256).hexdigest()
    assert std["m1"]["email"] == digest
    assert std["m1"]["phone"] == hmac.new(key.encode(), b"+44 7700 900001", hashlib.sha256).hexdigest()
    # The rejected record keeps its non-PII values only.
    ((reason, record),) = [
        (r["reason"], r["record"]) for r in spark.table(f"std.{product.name}__rejects").collect()
    ]
    assert reason == "points: value 'many' is not a INT"
    assert json.loads(record) == {"member_id": "m2", "points": "many"}

    needles = _needles(key)
    ui = settings.spark_ui_url
    assert ui is not None
    plans_with_pads, findings, literals = 0, [], []
    for url, body in _pages(ui, started_ms):
        plans_with_pads += body.count(HMAC_INNER_PAD) if "/sql" in url else 0
        findings += [(url, name) for name in _found(body, needles)]
        # Defence in depth: binary literals long enough to hold a pad are redacted in plan strings.
        literals += [url] if "/sql" in url.lower() and BINARY_LITERAL.search(body) else []
    # The pages searched do hold the run's hashing plans (the pads are read as a column there).
    assert plans_with_pads > 0
    service = SparkConnectService()
    logs = [p for p in service.event_log_dir.rglob("*") if p.is_file() and not p.name.endswith(".crc")]
    assert any(p.stat().st_size for p in logs), f"no Spark event log under {service.event_log_dir}"
    for path in [*logs, service.process.log_file]:
        text = path.read_text(errors="replace")
        findings += [(str(path), name) for name in _found(text, needles)]
    assert findings == [], findings
    assert literals == [], literals


def test_a_rejected_pii_value_is_quoted_nowhere(tmp_path: Path, spark) -> None:
    # The standardize job's own casting on real Spark; a non-string PII column is what can fail a cast.
    columns = """\
      - {name: member_id, type: string, required: true}
      - {name: birth_date, type: date, pii: true}
      - {name: visits, type: int, pii: true}
      - {name: points, type: int}
    """
    product = _product(tmp_path, columns)
    rows = [("m1", "1990-02-11", "3", "10"), ("m2", "1990-13-45", "4", "20"), ("m3", "1991-03-04", "x7", "y")]
    _land_raw(spark, product, rows, ("memberId", "birthDate", "visits", "points"))
    raw = spark.table(f"raw.{product.name}")
    job = standardize_input(product)

    good, bad = casting.typed(
        raw, job, casting.resolve_sources(raw.schema, job), pii_key(get_settings()).encode()
    )

    rejects = {r["reason"]: json.loads(r["record"]) for r in bad.collect()}
    assert rejects == {
        "birth_date: value is not a DATE (PII, value withheld)": {"member_id": "m2", "points": "20"},
        "visits: value is not a INT (PII, value withheld); points: value 'y' is not a INT": {
            "member_id": "m3",
            "points": "y",
        },
    }
    assert [r["member_id"] for r in good.collect()] == ["m1"]
    # A file row landed before rows were numbered (no `_source_row`, as this raw table) is identified by
    # its whole row, PII included: keyed, so it cannot be reversed by guessing.
    content = json.dumps(
        dict(zip(("memberId", "birthDate", "visits", "points"), rows[1], strict=True)), separators=(",", ":")
    )
    keyed = hmac.new(pii_key(get_settings()).encode(), content.encode(), hashlib.sha256).hexdigest()
    ids = {r["record"]: r["_source_id"] for r in bad.collect()}
    assert ids['{"member_id":"m2","points":"20"}'] == f"drops/members.csv#{keyed}"
