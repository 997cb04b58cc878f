"""`tawasol staff`: accounts for the staff console."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from bot.commands.process import load_settings, open_store, start_logging

app = typer.Typer(help="Staff accounts for the console (/console).", no_args_is_help=True)


def _read_password() -> str:
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


@app.command("add")
def add(
    email: str = typer.Argument(..., help="Their email: they sign in with it."),
    role: str = typer.Option(..., "--role", help="ministry_admin, liaison_officer or agent."),
    agency: Optional[str] = typer.Option(None, "--agency", help="Their agency's id (liaison_officer and agent)."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from stdin (one line). Also the default when stdin is not a terminal."
    ),
) -> None:
    """Add a staff account. With a password on stdin, it is ready to sign in; run at a terminal with
    nothing piped, it prints a one-time setup link instead (only its hash is kept: copy it now)."""
    from console.accounts import add_staff
    from store.audit import CLI_ACTOR
    from store.staff import StaffError

    settings = load_settings()
    start_logging(settings.log_level)
    password = _read_password() if password_stdin or not sys.stdin.isatty() else None
    if password is not None and not password:
        typer.echo("no password on stdin (give one line, or run at a terminal for a setup link)", err=True)
        raise typer.Exit(2)
    store = open_store(settings)
    try:
        made = add_staff(store, settings.console, email, role, agency, actor=CLI_ACTOR, password=password)
    except StaffError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1)
    finally:
        store.close()
    where = f" of {made.user.agency_id}" if made.user.agency_id else ""
    typer.echo(f"staff {made.user.email} added: {made.user.role}{where}")
    if made.setup_link:
        hours = int(settings.console.setup_link_lifetime.total_seconds() // 3600)
        typer.echo(f"their password setup link works once, for {hours} hours; it is shown only now:")
        typer.echo(made.setup_link)


@app.command("list")
def list_staff() -> None:
    """Every staff account: email, role, agency, state."""
    settings = load_settings()
    store = open_store(settings)
    try:
        for user in store.staff.all():
            state = "active" if user.active and user.password_hash else ("awaiting setup" if user.active else "deactivated")
            typer.echo(f"{user.email}\t{user.role}\t{user.agency_id or '-'}\t{state}")
    finally:
        store.close()
