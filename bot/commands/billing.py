"""`tawasol billing`: who pays, for people — quarterly statements from the ledger."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from bot.commands.process import load_settings, open_store, start_logging

app = typer.Typer(help="Who pays: quarterly statements from the ledger (seed 000's rules).", no_args_is_help=True)


class StatementFormat(str, Enum):
    csv = "csv"
    pdf = "pdf"


@app.command("statement")
def statement(
    quarter: str = typer.Option(..., "--quarter", help="The quarter, e.g. 2026Q4 (Amman time)."),
    agency_id: Optional[str] = typer.Option(
        None, "--agency", metavar="ID",
        help="The agency (its catalog prefix, e.g. cspd). Without it: the ministry-wide statement, every "
        "body's messages and the ministry's own answers.",
    ),
    output_format: StatementFormat = typer.Option(StatementFormat.csv, "--format", help="csv or pdf."),
    out: Optional[Path] = typer.Option(
        None, "--out", metavar="FILE", help="Where to write it (default: the CSV to standard output; a PDF needs --out)."
    ),
) -> None:
    """A quarterly statement: messages, segments and amounts by category and channel, the agency's
    and the ministry's shares and the citizens' POP charges, to the fils (rounded once per line).
    Exit 2 for an unknown agency or a malformed quarter."""
    from billing.statements import Quarter, StatementError, build_statement, statement_csv

    try:
        period = Quarter.parse(quarter)
    except StatementError as error:
        typer.echo(f"bad --quarter: {error}", err=True)
        raise typer.Exit(2)
    if output_format is StatementFormat.pdf and out is None:
        typer.echo("a PDF statement needs --out FILE (it is not written to a terminal)", err=True)
        raise typer.Exit(2)
    settings = load_settings()
    start_logging(settings.log_level)
    store = open_store(settings)
    try:
        made = build_statement(store, period, agency_id)
    except StatementError as error:
        typer.echo(f"bad --agency: {error}", err=True)
        raise typer.Exit(2)
    finally:
        store.close()
    if output_format is StatementFormat.csv:
        content: bytes = statement_csv(made).encode("utf-8")
        if out is None:
            sys.stdout.write(content.decode("utf-8"))
            return
    else:
        from billing.statement_pdf import FontMissing, statement_pdf

        try:
            content = statement_pdf(made)
        except FontMissing as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(1)
    try:
        out.write_bytes(content)
    except OSError as error:
        typer.echo(f"bad --out: cannot write {out}: {error.strerror or error}", err=True)
        raise typer.Exit(2)
    totals = made.totals
    typer.echo(
        f"{made.payer.id or 'ministry-wide'} {period.label}: {len(made.lines)} line(s), {totals.messages} message(s), "
        f"{totals.amount:.3f} JOD (agency {totals.agency_share:.3f}, ministry {totals.ministry_share:.3f}) -> {out}",
        err=True,
    )
