"""Next year's spend per tribe and squad from the daily cost history, with its backtest error.

Method (one, documented, no extra dependency): an additive regression fitted by least squares on each
series' daily cost — a linear trend, day-of-week effects (weekends cost less), a first-of-month effect
(monthly charges such as RI fees and tax land on the 1st) and, once two full years of history exist,
month-of-year effects. Daily forecasts are summed into calendar months, so a month's number of
weekends counts. The backtest refits on the history without its last `holdout` months and reports
the MAPE of the monthly totals on those held-out months, beside a naive "same as last month" baseline.

Why not statsmodels' Holt-Winters/ETS: annual seasonality needs two full cycles, which a cost history
rarely has; weekly seasonality and trend are what the regression captures already, and it keeps the
code location free of scipy/statsmodels. Swap in ETS here if longer histories show it wins the backtest.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, ValidationError, field_validator

METHOD = (
    "least-squares regression on daily cost: linear trend + day-of-week + first-of-month effects "
    "(+ month-of-year effects with >= 24 months of history); daily forecasts summed to months"
)


@dataclass
class Backtest:
    """Error of the method on held-out months, next to the naive baseline."""

    holdout_months: list[str]
    mape: float | None  # mean absolute percentage error of monthly totals, over all series and months
    naive_mape: float | None  # the same for "next month costs what the last month cost"
    by_series: dict[str, float] = field(default_factory=dict)


@dataclass
class Forecast:
    """Monthly forecast rows (month, level, tribe, squad, forecast) and how good the method is."""

    method: str
    history_start: date
    history_end: date
    monthly: pd.DataFrame
    backtest: Backtest


class BudgetRow(BaseModel):
    """One line of a budget file: the money a tribe (or one of its squads) may spend in a month."""

    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")
    tribe: str = Field(min_length=1)
    squad: str | None = None
    budget: float = Field(ge=0)

    @field_validator("squad", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value


class BudgetFileError(ValueError):
    """A budget file that cannot be read; the message names the file, line and field."""


def load_budget(path: Path) -> pd.DataFrame:
    """Read a budget CSV (columns month, tribe, squad (optional), budget) into a DataFrame."""
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"month", "tribe", "budget"} - set(reader.fieldnames or [])
        if missing:
            raise BudgetFileError(f"{path}:1: missing column(s) {', '.join(sorted(missing))}")
        for line, record in enumerate(reader, start=2):
            try:
                rows.append(BudgetRow.model_validate(record).model_dump())
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "row"
                raise BudgetFileError(f"{path}:{line}: {where}: {first['msg']}") from None
    return pd.DataFrame(rows, columns=["month", "tribe", "squad", "budget"])


def _design(days: pd.DatetimeIndex, origin: pd.Timestamp, yearly: bool) -> np.ndarray:
    t = (np.asarray((days - origin).days, dtype=float) / 365.25).reshape(-1, 1)
    dow = np.stack([np.asarray(days.dayofweek == d, dtype=float) for d in range(1, 7)], axis=1)
    first = np.asarray(days.day == 1, dtype=float).reshape(-1, 1)
    columns = [np.ones((len(days), 1)), t, dow, first]
    if yearly:
        columns.append(np.stack([np.asarray(days.month == m, dtype=float) for m in range(2, 13)], axis=1))
    return np.hstack(columns)


def _fit_predict(series: pd.Series, until: pd.Timestamp) -> pd.Series:
    """Daily forecast of `series` (indexed by day, gaps are zero-cost days) from its end to `until`."""
    index = pd.date_range(series.index.min(), series.index.max(), freq="D")
    y = series.reindex(index, fill_value=0.0).to_numpy(dtype=float)
    yearly = len(index) >= 730
    x = _design(index, index[0], yearly)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    future = pd.date_range(index[-1] + pd.Timedelta(days=1), until, freq="D")
    return pd.Series(_design(future, index[0], yearly) @ coef, index=future)


def _monthly(daily: pd.Series) -> pd.Series:
    return daily.groupby(daily.index.to_period("M")).sum()


def _series(daily: pd.DataFrame, keys: list[str]) -> dict[tuple[str, ...], pd.Series]:
    out = {}
    for key, frame in daily.groupby(keys):
        values = frame.groupby(pd.to_datetime(frame["usage_date"]))["effective_cost"].sum()
        out[tuple(str(k) for k in key)] = values.astype(float)
    return out


def _full_months(daily: pd.DataFrame) -> pd.PeriodIndex:
    days = pd.to_datetime(daily["usage_date"])
    months = pd.period_range(days.min().to_period("M"), days.max().to_period("M"), freq="M")
    if days.min().day != 1:
        months = months[1:]
    if (days.max() + pd.Timedelta(days=1)).day != 1:
        months = months[:-1]
    return months


def backtest(daily: pd.DataFrame, holdout: int = 3, keys: tuple[str, ...] = ("tribe",)) -> Backtest:
    """Refit without the last `holdout` full months and measure the monthly MAPE on them."""
    months = _full_months(daily)
    holdout = min(holdout, max(len(months) - 3, 0))
    if holdout == 0:
        return Backtest([], None, None)
    test_months = months[-holdout:]
    cutoff = test_months[0].start_time
    days = pd.to_datetime(daily["usage_date"])
    train, actual = daily[days < cutoff], daily[days >= cutoff]
    errors, naive_errors, by_series = [], [], {}
    actual_series = _series(actual, list(keys))
    for key, history in _series(train, list(keys)).items():
        truth = _monthly(actual_series.get(key, pd.Series(dtype=float))).reindex(test_months, fill_value=0.0)
        predicted = _monthly(_fit_predict(history, test_months[-1].end_time.normalize())).reindex(
            test_months, fill_value=0.0
        )
        last = _monthly(history).iloc[-1]
        valid = truth.abs() > 1.0  # a series that costs nothing (or nets to ~0) has no percentage error
        if not valid.any():
            continue
        err = ((predicted - truth).abs() / truth.abs())[valid]
        errors.extend(err.tolist())
        naive_errors.extend(((last - truth).abs() / truth.abs())[valid].tolist())
        by_series["/".join(key)] = float(err.mean())
    return Backtest(
        [str(m) for m in test_months],
        float(np.mean(errors)) if errors else None,
        float(np.mean(naive_errors)) if naive_errors else None,
        by_series,
    )


def forecast(daily: pd.DataFrame, horizon_months: int = 12, holdout: int = 3) -> Forecast:
    """12-month forecast per tribe and per tribe/squad from daily cost rows.

    `daily` has columns usage_date, tribe, squad, effective_cost (cost.cost_daily). The backtest is run
    per tribe on the last `holdout` full months.
    """
    if daily.empty:
        raise ValueError("no cost history to forecast from")
    daily = daily.assign(effective_cost=daily["effective_cost"].astype(float))
    end = pd.to_datetime(daily["usage_date"]).max()
    until = (end.to_period("M") + horizon_months).end_time.normalize()
    rows = []
    for level, keys in (("tribe", ["tribe"]), ("squad", ["tribe", "squad"])):
        for key, history in _series(daily, keys).items():
            predicted = _monthly(_fit_predict(history, until))
            predicted = predicted[predicted.index > end.to_period("M")]
            for month, value in predicted.items():
                rows.append(
                    {
                        "month": str(month),
                        "level": level,
                        "tribe": key[0],
                        "squad": key[1] if level == "squad" else None,
                        "forecast": round(float(value), 2),
                    }
                )
    # The last month may be partial: forecast rows start after the last day of history.
    monthly = pd.DataFrame(rows, columns=["month", "level", "tribe", "squad", "forecast"])
    return Forecast(
        method=METHOD,
        history_start=pd.to_datetime(daily["usage_date"]).min().date(),
        history_end=end.date(),
        monthly=monthly,
        backtest=backtest(daily, holdout),
    )


def against_budget(result: Forecast, budget: pd.DataFrame | None) -> pd.DataFrame:
    """Forecast per tribe and month next to the budget (tribe rows of the budget file), with variance."""
    tribes = result.monthly[result.monthly["level"] == "tribe"][["month", "tribe", "forecast"]]
    if budget is None or budget.empty:
        return tribes.assign(budget=np.nan, variance=np.nan)
    per_tribe = budget[budget["squad"].isna()].groupby(["month", "tribe"], as_index=False)["budget"].sum()
    merged = tribes.merge(per_tribe, on=["month", "tribe"], how="outer")
    merged["variance"] = merged["forecast"] - merged["budget"]
    return merged.sort_values(["month", "tribe"]).reset_index(drop=True)
