"""`tawasol`: the one entry point for people running Tawasol.

Heavy imports (Rasa, TensorFlow) happen inside the commands so `tawasol --help` stays instant.
"""

from __future__ import annotations

import os

# Before numpy loads: OpenBLAS otherwise keeps a thread spinning in every process that answers
# messages (bench/e2e measured serve at 125 ms of CPU per message with it, 66 ms without).
# Processes, not BLAS threads, are how Tawasol uses the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import asyncio  # noqa: E402
import sys  # noqa: E402
from pathlib import Path
from typing import List, Optional

import typer

REPOSITORY = Path(__file__).resolve().parent.parent

app = typer.Typer(help="Tawasol — the unified government messaging assistant.", no_args_is_help=True)
nlu_app = typer.Typer(help="The language understanding model on its own.", no_args_is_help=True)
db_app = typer.Typer(help="The conversation store.", no_args_is_help=True)
app.add_typer(nlu_app, name="nlu")
app.add_typer(db_app, name="db")


def _logging(level: str = "INFO") -> None:
    from bot.logs import configure

    configure(level)


@app.command()
def train(
    output: Path = typer.Option(REPOSITORY / "models", help="Where the model archive goes."),
    fixed_name: Optional[str] = typer.Option(None, help="Model file name (default: timestamped)."),
) -> None:
    """Train the NLU and dialogue model from config.yml, domain.yml and data/."""
    _logging()
    from bot.training import train_model

    path = train_model(output, fixed_name)
    typer.echo(f"model written to {path}")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1, min=0, help="Message workers in this process; 0 runs the web tier alone (webhooks, no answering)."
    ),
) -> None:
    """Run the service: webhooks, simulator page, health, message workers."""
    from bot.settings import Settings

    settings = Settings.from_env()
    _logging(settings.log_level)
    import uvicorn

    from bot.app import create_app

    # The app calls itself (the fake Graph API posts webhooks to it): use a loopback address for that.
    local_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    public_url = f"http://{local_host}:{port}"
    typer.echo(f"Tawasol listening on {public_url}/  (simulator: {public_url}/simulator)")
    # ws="none": uvicorn's websocket support fails to import beside Rasa's pinned websockets.
    uvicorn.run(
        create_app(settings, workers=workers, public_url=public_url),
        host=host,
        port=port,
        log_level="warning",
        ws="none",
    )


@app.command()
def worker(workers: int = typer.Option(1, min=1, help="Concurrent message workers in this process.")) -> None:
    """Answer queued messages without serving HTTP (needs REDIS_URL and a shared DATABASE_URL)."""
    from bot.settings import Settings
    from bot.worker import WorkerNeedsRedis, run_worker

    settings = Settings.from_env()
    _logging(settings.log_level)
    try:
        asyncio.run(run_worker(settings, workers))
    except WorkerNeedsRedis as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2)


@app.command()
def chat(
    model: Optional[Path] = typer.Option(None, help="Model archive (default: newest in models/)."),
    reshape: bool = typer.Option(
        False, help="Shape Arabic and put it in visual order, for terminals that cannot."
    ),
    sender: str = typer.Option("terminal", help="Conversation id to use."),
) -> None:
    """Talk to the bot in the terminal."""
    _logging("WARNING")
    from bot.settings import Settings
    from bot.terminal_chat import run_chat
    from store import Store
    from store.migrate import upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url)
    asyncio.run(run_chat(model, Store(settings.database_url), reshape=reshape, sender=sender))


@nlu_app.command("parse")
def nlu_parse(
    model: Optional[Path] = typer.Option(None, help="Model archive (default: newest in models/)."),
) -> None:
    """Read messages (one per line) on stdin; write one JSON object per line on stdout."""
    _logging("WARNING")
    from bot.nlu_commands import parse_lines

    asyncio.run(parse_lines(sys.stdin, sys.stdout, model))


@nlu_app.command("evaluate")
def nlu_evaluate(
    heldout: List[Path] = typer.Option(
        [REPOSITORY / "eval" / f"tawasol_heldout{suffix}.jsonl" for suffix in ("", "_b", "_c")],
        help="Labelled messages, written independently of data/nlu (repeatable).",
    ),
    split: float = typer.Option(0.2, help="Share of data/nlu held out to estimate intent accuracy."),
    model: Optional[Path] = typer.Option(None, help="Model for the held-out files (default: newest)."),
) -> None:
    """Intent and service accuracy, per-intent F1 and the worst confusions."""
    _logging("WARNING")
    from bot.nlu_commands import evaluate

    asyncio.run(evaluate(heldout, split, model))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations to DATABASE_URL."""
    from bot.settings import Settings
    from store.migrate import upgrade

    settings = Settings.from_env()
    _logging(settings.log_level)
    upgrade(settings.database_url)
    typer.echo("database is up to date")


@app.command("fake-whatsapp")
def fake_whatsapp(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8090),
    webhook_url: str = typer.Option("http://127.0.0.1:8000/webhooks/whatsapp", help="Our webhook."),
) -> None:
    """Run the local fake of Meta's Graph API (for development and tests)."""
    from bot.settings import Settings
    from simulators.whatsapp_graph import run

    settings = Settings.from_env()
    _logging(settings.log_level)
    run(host=host, port=port, webhook_url=webhook_url, app_secret=settings.whatsapp_app_secret)


if __name__ == "__main__":
    app()
