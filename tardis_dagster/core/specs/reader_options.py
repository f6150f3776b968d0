"""The Spark reader options a files source may set: an allowlist per format.

Any other option is refused, because the landing (jobs/land_files.py) owns how bad input is
handled: it reads json and csv with `mode: PERMISSIVE` and its own `columnNameOfCorruptRecord`, so
that a malformed record lands in quarantine with its text. An option such as `mode: DROPMALFORMED`
would silently drop those records instead, `badRecordsPath` would send them somewhere no one looks,
and `pathGlobFilter` / `recursiveFileLookup` / `modifiedBefore` would change which files count as
delivered (that is `pattern:`'s job).
"""

from __future__ import annotations

# Names as Spark documents them (Data Source Option tables for CSV, JSON and Parquet, Spark 4.1).
# Spark matches names case-insensitively but the landing looks some up as written (multiLine), so
# the spelling must be Spark's.
ALLOWED_OPTIONS: dict[str, tuple[str, ...]] = {
    "csv": (
        "header",
        "sep",
        "delimiter",
        "quote",
        "escape",
        "charToEscapeQuoteEscaping",
        "comment",
        "encoding",
        "charset",
        "nullValue",
        "emptyValue",
        "nanValue",
        "positiveInf",
        "negativeInf",
        "dateFormat",
        "timestampFormat",
        "timestampNTZFormat",
        "locale",
        "lineSep",
        "multiLine",
        "ignoreLeadingWhiteSpace",
        "ignoreTrailingWhiteSpace",
        "unescapedQuoteHandling",
        "maxColumns",
        "maxCharsPerColumn",
    ),
    # JSON lines are read as text and parsed with from_json (land_files.py): text is UTF-8 with
    # newline-separated records, so encoding and lineSep would apply to only half of the read; and
    # JSON is read strictly, so none of the allow* leniencies.
    "json": ("multiLine", "dateFormat", "timestampFormat", "timestampNTZFormat", "locale"),
    "parquet": ("datetimeRebaseMode", "int96RebaseMode"),
}

# Options the landing sets itself or that bypass quarantine and `pattern:`: why each is refused.
OWNED_BY_LANDING: dict[str, str] = {
    "mode": "the landing reads in PERMISSIVE mode so malformed records go to quarantine, never dropped",
    "columnnameofcorruptrecord": "the landing names the corrupt-record column to quarantine bad records",
    "badrecordspath": "bad records go to the quarantine table, not to a side folder",
    "primitivesasstring": "raw keeps every value as text; typing is the standardized layer's job",
    "inferschema": "raw keeps every value as text; typing is the standardized layer's job",
    "samplingratio": "raw keeps every value as text; no schema is inferred",
    "enforceschema": "the landing builds the raw schema from the file's header",
    "pathglobfilter": "use pattern: to choose the files",
    "recursivefilelookup": "the landing always looks in sub-folders",
    "modifiedbefore": "every delivered file lands; use pattern: to choose files",
    "modifiedafter": "every delivered file lands; use pattern: to choose files",
    "ignorecorruptfiles": "an unreadable file must fail the run, not vanish",
    "ignoremissingfiles": "a missing file must fail the run, not vanish",
    "mergeschema": "the landing merges raw schemas itself",
}


def option_problem(file_format: str, name: str) -> tuple[str, str] | None:
    """None when ``name`` may be set for ``file_format``; else (message, fix)."""
    allowed = ALLOWED_OPTIONS.get(file_format, ())
    if name in allowed:
        return None
    lowered = name.lower()
    spelled = next((option for option in allowed if option.lower() == lowered), None)
    if spelled is not None:
        return f"reader option '{name}' is spelled '{spelled}'", f"write {spelled}:"
    reason = OWNED_BY_LANDING.get(lowered)
    if reason is not None:
        return f"reader option '{name}' cannot be set: {reason}", "remove it"
    listed = ", ".join(allowed) if allowed else "none"
    return (
        f"'{name[:60]}' is not a {file_format} reader option Tardis accepts",
        f"remove it; {file_format} takes: {listed}",
    )
