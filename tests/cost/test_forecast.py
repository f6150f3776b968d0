"""The forecast: method, backtest error on held-out months of the demo history, budget comparison."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from tardis_dagster.defs.cost import forecast as cost_forecast
from tardis_dagster.tooling.demo import costs as cost_demo


@pytest.fixture(scope="module")
def history(catalog) -> pd.DataFrame:
    """15 months of the demo bill, effective cost per day, tribe and squad (from the FOCUS rows' tags)."""
    bill = cost_demo.generate(catalog.products, month=date(2026, 10, 1), months=15, seed=3)
    return pd.DataFrame(
        {
            "usage_date": r["charge_period_start"].date(),
            "tribe": r["tags"].get("tribe", "(unallocated)"),
            "squad": r["tags"].get("squad", "(unallocated)"),
            "effective_cost": float(r["effective_cost"]),
        }
        for r in bill.focus
    )


def test_forecast_reports_method_and_backtest_error(history) -> None:
    result = cost_forecast.forecast(history)
    assert "trend" in result.method and "day-of-week" in result.method
    assert result.backtest.holdout_months == ["2026-08", "2026-09", "2026-10"]
    assert result.backtest.mape is not None and result.backtest.mape < 0.10
    assert result.backtest.mape < result.backtest.naive_mape  # better than "same as last month"
    assert set(result.backtest.by_series) >= {"consumer", "operations", "platform"}


def test_forecast_covers_the_next_twelve_months_per_tribe_and_squad(history) -> None:
    monthly = cost_forecast.forecast(history).monthly
    tribes = monthly[monthly["level"] == "tribe"]
    assert sorted(tribes["month"].unique()) == [
        str(p) for p in pd.period_range("2026-11", "2027-10", freq="M")
    ]
    assert set(tribes["tribe"]) == set(history["tribe"])
    squads = monthly[monthly["level"] == "squad"]
    assert {"checkout", "menu", "finops"} <= set(squads["squad"])
    assert (tribes.groupby("tribe")["month"].count() == 12).all()


def test_forecast_against_a_budget_file(history, tmp_path: Path) -> None:
    path = tmp_path / "budget.csv"
    path.write_text("month,tribe,squad,budget\n2026-11,consumer,,100\n2026-11,consumer,checkout,40\n")
    budget = cost_forecast.load_budget(path)
    compared = cost_forecast.against_budget(cost_forecast.forecast(history), budget)
    row = compared[(compared["month"] == "2026-11") & (compared["tribe"] == "consumer")].iloc[0]
    assert row["budget"] == 100 and row["variance"] == pytest.approx(row["forecast"] - 100)


def test_a_bad_budget_file_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "budget.csv"
    path.write_text("month,tribe,budget\n2026-11,consumer,100\n2026-13,consumer,-5\n")
    with pytest.raises(cost_forecast.BudgetFileError, match=r"budget.csv:3: month: "):
        cost_forecast.load_budget(path)
