"""`tawasol model`: the models workers may serve, switching one on, and rolling back.

    tawasol model list           one line per model: its id first, `active` on the active one
    tawasol model activate ID    workers switch to it between messages, without a restart
    tawasol model rollback       back to the model active before

Archives already in models/ that are not registered yet (trained before the registry) join it on
`list` and `activate`. TAWASOL_MODEL, when set, pins a process to its archive: it reads no registry.
"""

from __future__ import annotations

import typer

from bot.commands.process import load_settings, open_store, start_logging

app = typer.Typer(help="The trained models: list, switch on, roll back.", no_args_is_help=True)

ACTIVE = "active"


def _time(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "-"


@app.command("list")
def list_models() -> None:
    """One line per model, oldest first: id, trained, by whom, training data hash; `active` on the
    one workers serve."""
    from bot.model_choice import adopt_archives

    settings = load_settings()
    start_logging("WARNING")
    store = open_store(settings)
    try:
        adopt_archives(store)
        active = store.models.active()
        models = store.models.models()
    finally:
        store.close()
    if not models:
        typer.echo("no models: `tawasol train` makes and registers one", err=True)
        return
    for model in models:
        data = (model.data_hash or "-")[:12]
        line = f"{model.id}  trained {_time(model.trained_at)}  by {model.trained_by}  data {data}"
        if active is not None and active.model.id == model.id:
            line += f"  {ACTIVE}"
        typer.echo(line)
    if active is None:
        typer.echo("none activated yet: workers serve the newest archive in models/", err=True)


@app.command("activate")
def activate(
    model_id: str = typer.Argument(..., help="The model's id, as `tawasol model list` prints it."),
    by: str = typer.Option(None, "--by", help="Who switches it on (default: $USER)."),
) -> None:
    """Switch workers to this model: each loads it beside the current one and swaps between messages."""
    from bot.model_choice import adopt_archives, who_trains
    from store.model_registry import ModelRegistryError

    settings = load_settings()
    start_logging("WARNING")
    store = open_store(settings)
    try:
        adopt_archives(store)
        before = store.models.active()
        now = store.models.activate(model_id, who_trains(by))
    except ModelRegistryError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1)
    finally:
        store.close()
    was = f" (was {before.model.id})" if before is not None else ""
    typer.echo(f"{now.model.id} is active{was}; workers switch within seconds")
    _warn_if_pinned(settings)


@app.command("rollback")
def rollback() -> None:
    """Back to the model active before the current one."""
    from store.model_registry import ModelRegistryError

    settings = load_settings()
    start_logging("WARNING")
    store = open_store(settings)
    try:
        before = store.models.active()
        now = store.models.rollback()
    except ModelRegistryError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1)
    finally:
        store.close()
    assert before is not None
    typer.echo(f"{now.model.id} is active again (was {before.model.id}); workers switch within seconds")
    _warn_if_pinned(settings)


def _warn_if_pinned(settings) -> None:
    if settings.model_from_env:
        typer.echo("note: TAWASOL_MODEL is set here; processes started with it keep their archive", err=True)
