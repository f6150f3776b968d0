"""A small client for a Confluent-compatible schema registry's compatibility endpoint.

`POST /compatibility/subjects/{subject}/versions/latest?verbose=true` with
`{"schema": "...", "schemaType": "JSON" | "PROTOBUF"}` (Avro is the default type and is not sent)
answers `{"is_compatible": bool, "messages": [...]}` under the subject's configured mode. A subject
the registry does not know yet (error 40401) has nothing to be incompatible with.

The landing decodes each record of the Confluent wire format with the schema it was written with:
`GET /schemas/ids/{id}` answers `{"schema": "...", "schemaType": ...}` (no type for Avro), or 404
with error 40403 for an id the registry does not hold. Schemas under an id never change, so each is
fetched once per process (`schema_by_id` caches them). Credentials may be
given in the URL (`https://key:secret@host`) and are sent as HTTP basic auth.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Literal

SchemaType = Literal["AVRO", "JSON", "PROTOBUF"]
FORMAT_SCHEMA_TYPES: dict[str, SchemaType] = {"avro": "AVRO", "json": "JSON", "protobuf": "PROTOBUF"}
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
SUBJECT_NOT_FOUND = 40401
SCHEMA_NOT_FOUND = 40403

# (registry URL, schema id) -> (schema text, type): ids are immutable in a registry.
_BY_ID: dict[tuple[str, int], tuple[str, SchemaType]] = {}


class RegistryError(Exception):
    """The registry could not answer (unreachable, or an error other than an unknown subject)."""


@dataclass(frozen=True)
class RegistryVerdict:
    """The registry's answer: compatible or not, its messages, and whether the subject existed."""

    is_compatible: bool
    messages: list[str] = field(default_factory=list)
    subject_found: bool = True


@dataclass(frozen=True)
class RegistryClient:
    """Talks to one registry; `url` may carry `user:password@` for basic auth."""

    url: str
    timeout: float = 10.0

    def check_compatibility(
        self, subject: str, schema: str, schema_type: SchemaType, version: str = "latest"
    ) -> RegistryVerdict:
        """Ask whether `schema` is compatible with `version` of `subject` under the subject's mode."""
        path = (
            f"/compatibility/subjects/{urllib.parse.quote(subject, safe='')}"
            f"/versions/{urllib.parse.quote(version, safe='')}?verbose=true"
        )
        body: dict[str, str] = {"schema": schema}
        if schema_type != "AVRO":
            body["schemaType"] = schema_type
        status, answer = self._call(path, body)
        if status == 404 and answer.get("error_code") == SUBJECT_NOT_FOUND:
            return RegistryVerdict(True, [f"subject {subject!r} is new in the registry"], False)
        if status >= 400:
            message = answer.get("message") or answer.get("_reason")
            raise RegistryError(f"schema registry answered {status} for {subject!r}: {message}")
        messages = answer.get("messages") or []
        return RegistryVerdict(bool(answer.get("is_compatible")), [str(m) for m in messages])

    def latest_schema(self, subject: str) -> tuple[str, SchemaType]:
        """The text and type of the latest registered version of `subject` (GET .../versions/latest)."""
        path = f"/subjects/{urllib.parse.quote(subject, safe='')}/versions/latest"
        status, answer = self._call(path)
        if status != 200 or "schema" not in answer:
            message = answer.get("message") or "no schema in the answer"
            raise RegistryError(f"schema registry answered {status} for {subject!r}: {message}")
        return str(answer["schema"]), answer.get("schemaType", "AVRO")  # type: ignore[return-value]

    def schema_by_id(self, schema_id: int) -> tuple[str, SchemaType] | None:
        """The text and type of the schema registered under `schema_id` (GET /schemas/ids/{id}),
        or None when the registry holds no such id; cached per process."""
        cached = _BY_ID.get((self.url, schema_id))
        if cached is not None:
            return cached
        status, answer = self._call(f"/schemas/ids/{int(schema_id)}")
        if status == 404:
            return None
        if status != 200 or "schema" not in answer:
            message = answer.get("message") or answer.get("_reason") or "no schema in the answer"
            raise RegistryError(f"schema registry answered {status} for schema id {schema_id}: {message}")
        found = (str(answer["schema"]), answer.get("schemaType", "AVRO"))
        _BY_ID[(self.url, schema_id)] = found  # type: ignore[assignment]
        return found  # type: ignore[return-value]

    def _call(self, path: str, body: dict[str, str] | None = None) -> tuple[int, dict]:
        """(HTTP status, JSON answer) of a GET, or a POST of `body`; unreachable registries raise."""
        base, auth = _split_credentials(self.url)
        headers = {"Accept": CONTENT_TYPE}
        if body is not None:
            headers["Content-Type"] = CONTENT_TYPE
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's registry setting
            base.rstrip("/") + path,
            data=json.dumps(body).encode("utf-8") if body is not None else None,
            method="POST" if body is not None else "GET",
            headers=headers,
        )
        if auth is not None:
            request.add_header("Authorization", f"Basic {auth}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, {"_reason": str(error.reason), **_json_or_empty(error.read())}
        except (urllib.error.URLError, OSError, json.JSONDecodeError) as error:
            reason = getattr(error, "reason", error)
            raise RegistryError(f"schema registry at {base} is not reachable: {reason}") from None


def _split_credentials(url: str) -> tuple[str, str | None]:
    """The URL without `user:password@`, and the basic-auth token for them (None without)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url, None
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    token = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
    clean = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, base64.b64encode(token.encode("utf-8")).decode("ascii")


def _json_or_empty(data: bytes) -> dict[str, object]:
    try:
        value = json.loads(data or b"{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
