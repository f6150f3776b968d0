"""Cron schedules checked by the rules Dagster applies when it builds a ScheduleDefinition.

The core may not import Dagster, so Dagster 1.13's `is_valid_cron_string` is restated here on top
of croniter (tests/specs/test_cron_parity.py runs a corpus through both and asserts agreement):

- croniter must accept the expression and expand it to exactly 5 fields (no seconds or years);
- February 30 or 31 alone is refused (Dagster's own special case);
- `W` (nearest weekday) is refused: the croniter vendored in Dagster cannot expand it.

Two more that Dagster builds but that do not run as written: a cron that never fires (`0 0 31 4 *`,
April 31; every tick evaluation then fails with "failed to find prev date"), and a step larger than
its field (`*/90 * * * *` fires hourly, not every 90 minutes; Dagster only warns, issue #15294).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

from croniter import CroniterBadDateError, croniter

# A fixed start makes the "ever fires" answer independent of today's date.
_START = datetime(2026, 1, 1, tzinfo=UTC)
_FEBRUARY = 2
# Field ranges as Dagster's `CRON_RANGES` (minute, hour, day of month, month, day of week).
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")
_STEP = re.compile(r"^([^-]+)-([^-/]+)(/(\d+))?$")
_CRON_HINT = 'write minute hour day-of-month month day-of-week, e.g. "0 * * * *" for hourly'


def normalize_cron(expression: str) -> str:
    """The cron with single spaces between its fields (one job per schedule, whatever the spacing)."""
    return " ".join(expression.split())


@lru_cache(maxsize=4096)
def cron_problem(expression: str) -> tuple[str, str] | None:
    """None when Dagster accepts ``expression`` as a schedule that fires; else (message, fix)."""
    fields = expression.split()
    if not expression.strip().startswith("@") and len(fields) != 5:
        return (
            f"'{_short(expression)}' is not a valid 5-field cron expression (it has {len(fields)} fields)",
            _CRON_HINT + "; Dagster takes no seconds or year field",
        )
    try:
        valid = croniter.is_valid(expression)
        expanded = croniter.expand(expression)[0] if valid else []
    except (ValueError, TypeError, OverflowError, KeyError, IndexError):
        valid, expanded = False, []
    if not valid or len(expanded) != 5:
        return f"'{_short(expression)}' is not a valid 5-field cron expression", _CRON_HINT
    if len(fields) == 5 and "w" in fields[2].lower():
        return (
            f"'{_short(expression)}': W (nearest weekday) is not supported by Dagster's schedules",
            "name the days instead, e.g. 1-5 for Monday to Friday in the day-of-week field",
        )
    months, days = expanded[3], expanded[2]
    if months == [_FEBRUARY] and len(days) == 1 and days[0] in (30, 31):
        return (
            f"'{_short(expression)}' asks for February {days[0]}, which does not exist",
            "use L for the last day of the month, or another day",
        )
    oversized = _oversized_step(fields) if len(fields) == 5 else None
    if oversized is not None:
        return oversized
    try:
        croniter(expression, _START).get_next(datetime)
    except (CroniterBadDateError, ValueError, OverflowError):
        return (
            f"'{_short(expression)}' never fires (no such date in any year)",
            "check the day-of-month against the month, e.g. April has 30 days",
        )
    return None


def _oversized_step(fields: list[str]) -> tuple[str, str] | None:
    """A step larger than its field's range (Dagster's `has_out_of_range_cron_interval`, restated)."""
    for index, field in enumerate(fields):
        low_bound, high_bound = _RANGES[index]
        for part in field.lower().split(","):
            text = re.sub(r"^\*(/.+)$", rf"{low_bound}-{high_bound}\1", part)
            match = _STEP.search(text) or _STEP.search(re.sub(r"^(.+)/(.+)$", rf"\1-{high_bound}/\2", part))
            if match is None:
                continue
            low, high, step = match.group(1), match.group(2), match.group(4) or "1"
            if index == 2 and high == "l":
                high = "31"
            if not (low.isdigit() and high.isdigit() and step.isdigit()):
                continue
            if int(step) > int(high):
                return (
                    f"'{part}': a step of {int(step)} is larger than the {_FIELD_NAMES[index]} field "
                    f"(up to {high}), so it fires more often than written",
                    "use a step within the field, or a coarser field (e.g. '0 */2 * * *' for every 2 hours)",
                )
    return None


def _short(expression: str) -> str:
    text = expression.replace("\n", "\\n").replace("\t", "\\t")
    return text if len(text) <= 40 else text[:37] + "..."
