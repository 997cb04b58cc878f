"""Alembic environment: the URL comes from store.migrate (attributes) or `alembic -x url=...`."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from store.database import make_engine
from store.models import metadata

config = context.config
if config.config_file_name is not None and not config.attributes.get("url"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
if not url:
    raise SystemExit("no database URL: use `tawasol db upgrade`, or `alembic -c store/alembic.ini -x url=URL upgrade head`")


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
