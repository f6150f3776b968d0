"""The spec's `freshness` rules as the Dagster freshness policy of the product's published asset."""

from datetime import timedelta

import dagster as dg

from tardis_dagster.core.specs import DataProduct

_MIN_FRESHNESS_WINDOW = timedelta(minutes=1)  # Dagster refuses shorter freshness windows


def freshness_policy(product: DataProduct) -> dg.FreshnessPolicy | None:
    """A time-window freshness policy from the product's freshness rules, where one fits.

    The data cannot be fresher than the last materialization, so the strictest `error` rule's
    `max_age` is the fail window and the strictest `warn` rule's (when shorter) the warn window.
    None without an `error` freshness rule (a policy needs a fail window) or for windows under a
    minute, which Dagster does not accept.
    """
    ages: dict[str, list[timedelta]] = {"error": [], "warn": []}
    for rule in product.quality:
        if rule.freshness is not None:
            ages[rule.severity].append(timedelta(seconds=rule.freshness.max_age_seconds))
    if not ages["error"]:
        return None
    fail = min(ages["error"])
    if fail < _MIN_FRESHNESS_WINDOW:
        return None
    warn = min(ages["warn"], default=None)
    if warn is not None and not (_MIN_FRESHNESS_WINDOW <= warn < fail):
        warn = None
    return dg.FreshnessPolicy.time_window(fail_window=fail, warn_window=warn)
