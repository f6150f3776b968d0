"""A schedule in plain words, so the owner sees what "*/15 6-18 * * 1-5" means before committing it.

Crons are described by cron-descriptor (a maintained port of the .NET CronExpressionDescriptor), in
24-hour time; schedules run in UTC (Dagster's default execution timezone for the platform).
"""

from __future__ import annotations

from cron_descriptor import CasingTypeEnum, FormatError, Options, get_description

# Dagster accepts these aliases; cron-descriptor reads only five fields.
_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_KEYWORDS = {
    "on_upstream": "whenever the products it reads from have new data",
    "streaming": "continuously, as records arrive (`tardis stream`)",
}


def schedule_in_words(schedule: str) -> str:
    """``0 * * * *`` -> ``Every hour (UTC)``; keywords are explained; an invalid cron gives ''."""
    if schedule in _KEYWORDS:
        return _KEYWORDS[schedule]
    expression = _ALIASES.get(schedule.strip().lower(), schedule)
    options = Options()
    options.use_24hour_time_format = True
    options.casing_type = CasingTypeEnum.Sentence
    try:
        text = get_description(expression, options)
    except (FormatError, ValueError, KeyError, IndexError):
        return ""
    return f"{text} (UTC)"
