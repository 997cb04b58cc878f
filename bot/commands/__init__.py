"""The `tawasol` command groups beyond the core ones in bot/cli.py, one module per group
(`tawasol agency ...` is bot/commands/agency.py). Each module defines `app`, a typer.Typer that
bot/cli.py registers under the group's name."""
