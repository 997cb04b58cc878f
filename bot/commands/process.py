"""What every command does before its work: read the settings (a bad configuration is printed,
each variable and why, and the command exits 2) and start logging."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from bot.settings import Settings
    from store import Store


def load_settings(*, needs_a_channel: bool = False) -> "Settings":
    """The process's settings, with the catalog and wording pointed where they say."""
    from bot.content import use_content
    from bot.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
        if needs_a_channel:
            settings.require_a_channel()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2)
    use_content(settings)
    return settings


def start_logging(level: str = "INFO") -> None:
    from bot.logs import configure

    configure(level)


def open_store(settings: "Settings") -> "Store":
    """The store at DATABASE_URL, migrated to the newest schema first (as `tawasol serve` does)."""
    from store import Store
    from store.migrate import upgrade

    upgrade(settings.database_url)
    return Store(settings.database_url)
