"""The night's summary: a rich table for the terminal and the same facts as Markdown for Prefect."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.areas import AREAS
from flows.steps import AreaSummary, NightlyResult

COLUMNS = ("area", "pulled", "files", "loaded", "skipped", "rejected", "rows", "failed")


def _area_label(code: str) -> str:
    area = AREAS.get(code)
    return f"{code} {area.name_en}" if area else code


def _cells(a: AreaSummary) -> list[str]:
    return [
        str(a.downloaded),
        str(a.files),
        str(a.loaded),
        str(a.skipped),
        str(a.rejected),
        f"{a.rows:,}",
        str(len(a.failures)),
    ]


def summary_table(result: NightlyResult) -> Table:
    """Per TSO (area): files downloaded (pulled), ingested (files: loaded/skipped/rejected), rows, pull failures."""
    table = Table(title=escape(f"takuso nightly run {result.run_date.isoformat()} → {result.warehouse}"))
    for col in COLUMNS:
        table.add_column(col, justify="left" if col == "area" else "right", no_wrap=col == "area")
    for a in result.areas:
        cells = _cells(a)
        if a.rejected:
            cells[4] = f"[red]{cells[4]}[/red]"
        if a.failures:
            cells[6] = f"[red]{cells[6]}[/red]"
        table.add_row(_area_label(a.area_code), *cells)
    table.add_row("[b]total", *(f"[b]{c}" for c in _cells(result.totals)))
    return table


def print_summary(result: NightlyResult, console: Console | None = None) -> None:
    """The table, then every pull failure and rejection, the inbox, the reconciliation and the exit status."""
    console = console or Console(highlight=False)
    if result.error:
        console.print(f"[red]configuration error:[/red] {escape(result.error)}")
        return
    console.print(summary_table(result))
    for a in result.areas:
        for failure in a.failures:
            console.print(f"[red]failed[/red] {a.area_code}: {escape(failure)}", soft_wrap=True)
    for message in result.rejected_messages:
        console.print(f"[red]rejected[/red] (quarantined) {escape(message)}", soft_wrap=True)
    if result.inbox_files:
        console.print(f"inbox: {result.inbox_files} file(s) taken in and moved into the raw landing zone")
    if result.ingest_timings:
        console.print(f"[dim]ingest: {escape(result.ingest_timings)}[/dim]")
    for line in reconcile_lines(result):
        console.print(escape(line))
    console.print(f"exit status {result.exit_code}")


def reconcile_lines(result: NightlyResult) -> list[str]:
    rec = result.reconcile
    if rec is None:
        return []
    if rec.status != "done":
        return [f"reconciliation: {rec.status}" + (f" ({rec.message})" if rec.message else "")]
    return [
        f"reconciliation {m.month:%Y-%m}: {m.points} supply point(s), {m.over_tolerance} over tolerance "
        f"(RC01/RC02), wheeling charges computed for {m.charges} of {m.charge_rows} (¥{m.total_yen:,.0f}); "
        + (
            f"{m.invoice_lines} invoice line(s), {m.lines_to_check} to check (charge_differences); "
            if m.invoice_lines
            else ""
        )
        + f"report: takuso reconcile --month {m.month:%Y-%m} --out report.html"
        for m in rec.months
    ]


def summary_markdown(result: NightlyResult) -> str:
    """The summary as a Markdown document (the flow run's artifact)."""
    if result.error:
        return f"# takuso nightly run\n\n**Configuration error**: {result.error}\n"
    lines = [
        f"# takuso nightly run {result.run_date.isoformat()}",
        "",
        f"Warehouse `{result.warehouse}`, ingest run `{result.run_id}`, exit status **{result.exit_code}**.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(COLUMNS) - 1)) + "|",
    ]
    for a in [*result.areas, result.totals]:
        label = "**total**" if a.area_code == "total" else _area_label(a.area_code)
        lines.append("| " + " | ".join([label, *_cells(a)]) + " |")
    failures = [f"- {a.area_code}: {f}" for a in result.areas for f in a.failures]
    if failures:
        lines += ["", "## Pull failures", "", *failures]
    if result.rejected_messages:
        lines += ["", "## Rejected (quarantined)", ""]
        lines += [f"- {m.splitlines()[0] if m else m}" for m in result.rejected_messages]
    if result.inbox_files:
        lines += ["", f"Inbox: {result.inbox_files} file(s) taken in and moved into the raw landing zone."]
    if result.ingest_timings:
        lines += ["", f"Ingest: {result.ingest_timings}."]
    rec = reconcile_lines(result)
    if rec:
        lines += ["", "## Reconciliation", "", *(f"- {line}" for line in rec)]
    return "\n".join(lines) + "\n"
