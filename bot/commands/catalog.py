"""`tawasol catalog`: the services catalog in the store, imported from what agencies hand in
(CSV/XLSX, or a YAML directory) and exported back (data/catalog/README.md describes the columns)."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

import typer

from bot.commands.process import load_settings, open_store, start_logging

app = typer.Typer(help="The services catalog: import agencies' spreadsheets, export it.", no_args_is_help=True)

PROGRESS_FROM_ROWS = 200  # smaller files are done before a bar would be read


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[int], Callable[[int], None]]]:
    """A factory of progress callbacks: a bar on stderr for large files at a terminal, else silent."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=None, transient=True, disable=not enabled)

    def start(total: int) -> Callable[[int], None]:
        if total < PROGRESS_FROM_ROWS:
            return lambda _n: None
        task = bar.add_task("rows", total=total)
        return lambda n: bar.advance(task, n)

    with bar:
        yield start


@app.command("import")
def import_(
    source: Path = typer.Argument(..., help="A directory of YAML files, or a .csv / .xlsx spreadsheet."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report; write nothing."),
) -> None:
    """Check every row and add or update the valid ones, in one transaction per file; report each
    refused row and why. Re-importing the same file changes nothing. Citizens' next messages use it."""
    from actions.catalog_import import ImportRefused, import_catalog
    from store.audit import CLI_ACTOR

    settings = load_settings()
    start_logging("WARNING")
    store = open_store(settings)
    try:
        with _progress_bar(sys.stderr.isatty()) as progress:
            report = import_catalog(store, source, CLI_ACTOR, dry_run=dry_run, progress=progress)
    except ImportRefused as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1)
    finally:
        store.close()
    for line in report.lines():
        typer.echo(line)
    if report.refusals and not (report.outcome.added or report.outcome.changed or report.outcome.unchanged):
        raise typer.Exit(1)  # nothing in the file could be used


@app.command("export")
def export(
    format: str = typer.Option("csv", "--format", help="csv (the import spreadsheet) or yaml (a directory)."),
    out: Optional[Path] = typer.Option(None, "--out", help="File (csv) or directory (yaml); csv default: stdout."),
) -> None:
    """Write the catalog out in the import format: `import` of the result changes nothing."""
    from actions.catalog_import import export_csv, export_yaml

    if format not in ("csv", "yaml"):
        typer.echo("--format is csv or yaml", err=True)
        raise typer.Exit(2)
    if format == "yaml" and out is None:
        typer.echo("--format yaml needs --out DIRECTORY", err=True)
        raise typer.Exit(2)
    settings = load_settings()
    start_logging("WARNING")
    store = open_store(settings)
    try:
        if format == "yaml":
            assert out is not None
            for path in export_yaml(store, out):
                typer.echo(f"wrote {path}")
            return
        lines = export_csv(store)
        if out is None:
            for line in lines:
                sys.stdout.write(line)
        else:
            with out.open("w", encoding="utf-8", newline="") as stream:
                stream.writelines(lines)
            typer.echo(f"wrote {out}", err=True)
    finally:
        store.close()
