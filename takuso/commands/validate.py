"""``takuso validate PATH ...``: check files against the XSDs and the parser rules; write nothing."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.config import ConfigError
from core.inputs import AreaClaim, decide_area, expand_paths, is_csv, path_claims, said_by
from parsers.bp_xml.area import reject_disagreements, resolve_area
from parsers.bp_xml.problems import Problem
from parsers.bp_xml.validate import validate_bp_file
from takuso.commands.local_config import local_config


def _validate_csv(
    path: Path, claims: list[AreaClaim], csv_aliases: Path | None
) -> tuple[str, int, list[str], list[str]]:
    from parsers.csv_forms import read_form, unknown_area

    area, conflict = decide_area(claims)
    result = read_form(path, area, aliases_file=csv_aliases)  # no area: the point ids' prefix says it
    errors = [p.render(str(path), "error") for p in result.errors]
    warnings = [p.render(str(path), "warning") for p in result.warnings]
    if conflict or result.area_code is None:
        errors.append(unknown_area(conflict).render(str(path), "error"))
    rows = result.table.num_rows if result.table is not None else 0
    return result.form_id or "csv", rows, errors, warnings


def _validate_bp(path: Path, claims: list[AreaClaim], _aliases: Path | None) -> tuple[str, int, list[str], list[str]]:
    area, used, area_problem = resolve_area(path, claims)
    outcome = validate_bp_file(path, area)
    if isinstance(outcome, Problem):
        return "?", 0, [outcome.render(str(path))], []
    if area is not None:
        reject_disagreements(outcome, area, said_by(used))
    errors = [p.render(str(path)) for p in outcome.errors]
    if area_problem:  # after the file's own errors, never instead of them
        errors.append(area_problem.render(str(path)))
    warnings = [p.render(str(path)) for p in outcome.warnings]
    return outcome.name.kind.name, outcome.interval_rows + outcome.point_rows, errors, warnings


def run_validate(
    paths: list[Path],
    area: str | None = None,
    detail: bool = True,
    console: Console | None = None,
    config: Path | None = None,
) -> int:
    """Validate every file; print each problem; return 0 when all are valid, else 1 (2: a configuration
    error). ``config`` is ``takuso.toml`` (default ``./takuso.toml`` when present), for its ``csv_aliases``."""
    console = console or Console(highlight=False)
    try:
        cfg = local_config(config)
    except ConfigError as exc:
        console.print(f"[red]configuration error:[/red] {escape(str(exc))}")
        return 2
    aliases = cfg.csv_aliases if cfg else None
    files, missing = expand_paths(paths)
    for m in missing:
        console.print(f"[red]{escape(m)}[/red]")
    summary = Table(title="takuso validate", show_lines=False)
    for col in ("file", "kind", "rows", "result"):
        summary.add_column(col)
    invalid = len(missing)
    for path in files:
        claims = path_claims(path, area)
        kind, rows, errors, warnings = (_validate_csv if is_csv(path) else _validate_bp)(path, claims, aliases)
        for line in errors:
            console.print(f"[red]{escape(line)}[/red]", soft_wrap=True)
        for line in warnings:
            console.print(f"[yellow]{escape(line)}[/yellow]", soft_wrap=True)
        invalid += bool(errors)
        result = "[red]invalid[/red]" if errors else "[green]valid[/green]"
        summary.add_row(escape(path.name), escape(kind), "-" if errors else str(rows), result)
    if len(files) <= 50:
        console.print(summary)
    console.print(f"{len(files) + len(missing) - invalid} valid, {invalid} invalid")
    return 1 if invalid else 0
