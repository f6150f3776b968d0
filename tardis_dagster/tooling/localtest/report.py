"""The report of a `tardis test` run: rich tables on the terminal, the same as Markdown in a file
(`tardis pr` puts it in the pull request description)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from tardis_dagster.tooling.localtest.run import CheckOutcome, RunOutcome
from tardis_dagster.tooling.localtest.sample_data import TestData
from tardis_dagster.tooling.localtest.tables import TableCount

REPORT_PHASE = "report (counts and sample)"


@dataclass
class TestReport:
    """Everything a run found, in the order the report shows it."""

    __test__ = False  # not a pytest test class, whatever its name

    product: str
    prefix: str
    data: TestData
    outcome: RunOutcome
    counts: list[TableCount] = field(default_factory=list)
    sample_columns: list[str] = field(default_factory=list)
    sample_rows: list[list[str]] = field(default_factory=list)
    phases: list[tuple[str, float]] = field(default_factory=list)  # (what, seconds) outside the run
    kept: bool = False

    @property
    def expected_quarantine(self) -> int | None:
        """Records made invalid on purpose (synthetic data only)."""
        return self.data.invalid if self.data.kind == "synthetic" else None

    @property
    def failed(self) -> bool:
        """The run, a step or a check failed (exit 1)."""
        outcome = self.outcome
        return (
            not outcome.success
            or bool(outcome.errors)
            or bool(outcome.failing_checks(self.expected_quarantine))
        )

    @property
    def verdict(self) -> str:
        """PASSED or FAILED, with what failed."""
        if not self.failed:
            return "PASSED"
        failing = [
            f"check {c.check} of {c.asset}" for c in self.outcome.failing_checks(self.expected_quarantine)
        ]
        return "FAILED: " + "; ".join(failing + self.outcome.errors or ["the run failed"])

    def timing_rows(self) -> list[tuple[str, str, str, str]]:
        """(step, assets, status, seconds) for the phases and each step of the run."""
        before = [(w, s) for w, s in self.phases if w != REPORT_PHASE]
        before.append(("definitions built (dbt parse)", self.outcome.build_seconds))
        after = [(w, s) for w, s in self.phases if w == REPORT_PHASE]
        rows = [(what, "", "done", f"{seconds:.1f}") for what, seconds in before]
        rows += [(s.step, ", ".join(s.assets), s.status, f"{s.seconds:.1f}") for s in self.outcome.steps]
        rows += [(what, "", "done", f"{seconds:.1f}") for what, seconds in after]
        total = sum(s for _, s in before + after) + sum(s.seconds for s in self.outcome.steps)
        return [*rows, ("total", "", "", f"{total:.1f}")]

    def check_rows(self) -> list[tuple[str, str, str, str, str]]:
        """(asset, check, result, severity, detail) of every check that ran."""
        failing = {(c.asset, c.check) for c in self.outcome.failing_checks(self.expected_quarantine)}

        def result(c: CheckOutcome) -> str:
            if c.passed:
                return "passed"
            return (
                "FAILED"
                if (c.asset, c.check) in failing
                else "failed as expected (synthetic invalid records)"
            )

        return [
            (c.asset, c.check, result(c), c.severity, c.detail)
            for c in sorted(self.outcome.checks, key=lambda c: (c.asset, c.check))
        ]

    def count_rows(self) -> list[tuple[str, str, str]]:
        """(role, table, rows) of every table of the run."""
        return [(c.role, c.table, "-" if c.rows is None else str(c.rows)) for c in self.counts]


def print_report(report: TestReport, console: Console) -> None:
    """The report as rich tables."""
    console.print(f"tardis test {report.product}: data from {report.data.describe()}", markup=False)
    console.print(f"namespace prefix: {report.prefix}", markup=False)
    for title, headers, rows in _sections(report):
        table = Table(title=title, title_justify="left")
        for header in headers:
            table.add_column(header, overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    for error in report.outcome.errors:
        console.print(f"error: {error}", markup=False)
    console.print(f"tardis test {report.product}: {report.verdict}", markup=False)


def _sections(report: TestReport) -> list[tuple[str, list[str], list[tuple[str, ...] | list[str]]]]:
    sections: list[tuple[str, list[str], list]] = [
        ("Rows", ["layer", "table", "rows"], list(report.count_rows())),
        ("Checks", ["asset", "check", "result", "severity", "detail"], list(report.check_rows())),
    ]
    if report.sample_columns:
        sections.append(
            ("Sample of std (as published: PII hashed)", report.sample_columns, report.sample_rows)
        )
    sections.append(("Time per step", ["step", "assets", "status", "seconds"], list(report.timing_rows())))
    return sections


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def markdown(report: TestReport) -> str:
    """The report as Markdown (the `tardis pr` description includes it)."""
    lines = [
        f"### `tardis test {report.product}`: {report.verdict}",
        "",
        f"Data: {report.data.describe()}. Namespace prefix `{report.prefix}` "
        f"({'kept for inspection' if report.kept else 'dropped after the run'}).",
        "",
    ]
    for title, headers, rows in _sections(report):
        lines += [f"#### {title}", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(_cell(str(v)) for v in row) + " |" for row in rows]
        if not rows:
            lines.append("| " + " | ".join("-" for _ in headers) + " |")
        lines.append("")
    lines += [f"- error: {_cell(e)}" for e in report.outcome.errors]
    return "\n".join(lines).rstrip() + "\n"
