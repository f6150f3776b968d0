"""Cron schedules checked by the rules Dagster applies when it builds a ScheduleDefinition.

The core may not import Dagster, so Dagster 1.13's `is_valid_cron_string` is restated here on top
of croniter (tests/specs/test_cron_parity.py runs a corpus through both and asserts agreement):

- croniter must accept the expression and expand it to exactly 5 fields (no seconds or years);
- February 30 or 31 alone is refused (Dagster's own special case);
- `W` (nearest weekday) is refused: the croniter vendored in Dagster cannot expand it.

One deliberate addition: a cron that never fires (`0 0 31 4 *`, April 31) is refused too. Dagster
accepts it, and then every tick evaluation fails with "failed to find next date".
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from croniter import CroniterBadDateError, croniter

# A fixed start makes the "ever fires" answer independent of today's date.
_START = datetime(2026, 1, 1, tzinfo=UTC)
_FEBRUARY = 2
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
    try:
        croniter(expression, _START).get_next(datetime)
    except (CroniterBadDateError, ValueError, OverflowError):
        return (
            f"'{_short(expression)}' never fires (no such date in any year)",
            "check the day-of-month against the month, e.g. April has 30 days",
        )
    return None


def _short(expression: str) -> str:
    text = expression.replace("\n", "\\n").replace("\t", "\\t")
    return text if len(text) <= 40 else text[:37] + "..."
