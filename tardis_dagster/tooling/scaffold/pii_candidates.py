"""Columns that look like personal data, proposed to the owner before the spec is written.

Two kinds of evidence, each named in the proposal: the column's name (email, phone, first/last
name, address, postcode, IP address, birth date) and the sampled values (email addresses, phone
numbers, IP addresses, street addresses). A SQL product's column derived from an upstream PII column
is proposed too (column lineage, `core/sql/lineage.py`). Proposals are questions, never decisions:
the owner confirms each one (`pii:` in an answers file).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tardis_dagster.tooling.scaffold.inferred_schema import InferredColumn

# Whole snake_case words (or word pairs) of a column name that point at personal data.
_NAME_WORDS: tuple[tuple[str, str], ...] = (
    (r"e_?mail(_address)?", "an email address"),
    (r"(phone|mobile|telephone|tel|msisdn|cell)(_number|_no)?", "a phone number"),
    (r"(first|last|given|family|middle|full|sur|maiden)_?name|surname|forename", "a person's name"),
    (r"(customer|user|person|contact|recipient|holder|member|employee)_name", "a person's name"),
    (r"(street|home|postal|billing|shipping|delivery)?_?address|street|house_number", "an address"),
    (r"post_?code|zip(_?code)?|postal_code", "a postcode (part of an address)"),
    (r"ip|ip_?address|ipv4|ipv6|client_ip|remote_addr", "an IP address"),
    (r"(date_of_)?birth(_?date|day)?|dob|birth_?day", "a birth date"),
    (r"(ssn|bsn|national_id|passport(_number)?|iban|tax_id)", "a national or financial identifier"),
)
_NAME_PATTERNS = [(re.compile(rf"(^|_)({words})($|_)"), what) for words, what in _NAME_WORDS]
# A name that only contains a word by accident: `recipe_name` is not a person's name.
_NOT_PERSON = re.compile(
    r"(^|_)(product|recipe|file|table|host|domain|carrier|plan|brand|city|country)_name$"
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{6,18}[0-9]$")
_STREET = re.compile(
    r"\b\d+[a-z]?\s+[A-Za-z][\w .'-]*\b(street|st|road|rd|avenue|ave|lane|ln|way|drive|dr|straat|"
    r"weg|laan|plein|gracht|strasse|straße|boulevard|blvd|place|pl|court|ct)\b|"
    r"\b[A-Za-z][\w.'-]*(straat|weg|laan|plein|gracht|strasse|straße)\s+\d+",
    re.IGNORECASE,
)
# A value kind must hold for most sampled values to count as evidence (a stray email in a notes
# column is not); 0.8 leaves room for empty or placeholder values.
_VALUE_SHARE = 0.8
_MIN_VALUES = 3


@dataclass(frozen=True)
class PiiCandidate:
    """A column proposed as PII and why (shown to the owner; never the values themselves)."""

    column: str
    reason: str


def pii_candidates(columns: Iterable[InferredColumn]) -> list[PiiCandidate]:
    """Every column that looks like personal data by its name, its sampled values or its lineage."""
    found = []
    for column in columns:
        reasons = []
        by_name = _by_name(column.name)
        if by_name is not None:
            reasons.append(f"its name suggests {by_name}")
        by_value = _by_values(column.samples)
        if by_value is not None:
            reasons.append(by_value)
        if column.pii_lineage:
            reasons.append("it is derived from a PII column of an upstream product")
        if reasons:
            found.append(PiiCandidate(column.name, "; ".join(reasons)))
    return found


def _by_name(name: str) -> str | None:
    if _NOT_PERSON.search(name):
        return None
    for pattern, what in _NAME_PATTERNS:
        if pattern.search(name):
            return what
    return None


def _by_values(samples: list[Any]) -> str | None:
    texts = [value.strip() for value in samples if isinstance(value, str) and value.strip()]
    if len(texts) < _MIN_VALUES:
        return None
    for test, what in (
        (_EMAIL.fullmatch, "email addresses"),
        (_is_ip, "IP addresses"),
        (_is_phone, "phone numbers"),
        (_STREET.search, "street addresses"),
    ):
        matching = sum(1 for text in texts if test(text))
        if matching >= _VALUE_SHARE * len(texts):
            return f"{matching} of {len(texts)} sampled values look like {what}"
    return None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_phone(text: str) -> bool:
    # Digits with phone punctuation, 8 to 15 digits (E.164 allows 15); dates and plain ids excluded.
    if _PHONE.fullmatch(text) is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", text):
        return False
    digits = sum(char.isdigit() for char in text)
    return 8 <= digits <= 15 and (text.startswith("+") or not text.isdigit() or text.startswith("0"))
