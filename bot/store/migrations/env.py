"""Alembic environment: the URL comes from bot.store.migrate (attributes) or DATABASE_URL."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from bot.settings import Settings
from bot.store.database import make_engine
from bot.store.models import metadata

config = context.config
if config.config_file_name is not None and not config.attributes.get("url"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

url = config.attributes.get("url") or Settings.from_env().database_url


def run_offline() -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            # render_as_batch: SQLite can't ALTER most things; batch mode rebuilds tables instead.
            context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
