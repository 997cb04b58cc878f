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
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, List, Optional  # noqa: E402

import typer  # noqa: E402

from bot.commands import agency as agency_commands  # noqa: E402
from bot.commands import billing as billing_commands  # noqa: E402
from bot.commands import catalog as catalog_commands  # noqa: E402
from bot.commands import model as model_commands  # noqa: E402
from bot.commands import staff as staff_commands  # noqa: E402

if TYPE_CHECKING:
    from bot.settings import Settings

REPOSITORY = Path(__file__).resolve().parent.parent

app = typer.Typer(help="Tawasol — the unified government messaging assistant.", no_args_is_help=True)
nlu_app = typer.Typer(help="The language understanding model on its own.", no_args_is_help=True)
db_app = typer.Typer(help="The conversation store.", no_args_is_help=True)
dialogue_app = typer.Typer(help="Whole conversations through the running service.", no_args_is_help=True)
app.add_typer(nlu_app, name="nlu")
app.add_typer(db_app, name="db")
app.add_typer(dialogue_app, name="dialogue")
app.add_typer(agency_commands.app, name="agency")
app.add_typer(billing_commands.app, name="billing")
app.add_typer(catalog_commands.app, name="catalog")
app.add_typer(model_commands.app, name="model")
jobs_app = typer.Typer(help="Sweeps and deferred jobs (on arq).", no_args_is_help=True)
citizen_app = typer.Typer(help="A citizen's data.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
app.add_typer(citizen_app, name="citizen")
app.add_typer(staff_commands.app, name="staff")


from bot.commands.process import load_settings as _settings  # noqa: E402
from bot.commands.process import start_logging as _logging  # noqa: E402


def _model(given: Optional[Path], settings: "Settings") -> str:
    model = str(given) if given else settings.model_path
    if not model:
        typer.echo("no trained model: run `tawasol train` first, or set TAWASOL_MODEL", err=True)
        raise typer.Exit(2)
    return model


@app.command()
def train(
    output: Path = typer.Option(REPOSITORY / "models", help="Where the model archive goes."),
    fixed_name: Optional[str] = typer.Option(None, help="Model file name (default: timestamped)."),
    by: Optional[str] = typer.Option(None, "--by", help="Who trains it, kept with the model (default: $USER)."),
) -> None:
    """Train the NLU and dialogue model from config.yml, domain.yml and data/, and register it
    (`tawasol model list`; `tawasol model activate ID` switches workers to it)."""
    settings = _settings()
    _logging()
    from bot.commands.process import open_store
    from bot.model_choice import register_trained, training_data_hash, who_trains
    from bot.training import train_model

    data_hash = training_data_hash()  # before training: the data the model is made from
    path = train_model(output, fixed_name)
    typer.echo(f"model written to {path}")
    store = open_store(settings)
    try:
        model_id = register_trained(store, path, who_trains(by), data_hash)
    finally:
        store.close()
    typer.echo(f"registered as {model_id}: `tawasol model activate {model_id}` switches workers to it")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1, min=0, help="Message workers in this process; 0 runs the web tier alone (webhooks, no answering)."
    ),
) -> None:
    """Run the service in production mode: the configured channels' webhooks, health, message workers.

    For development on embedded defaults (simulator page, fake Graph API) run `make run`."""
    import logging

    settings = _settings(needs_a_channel=True)
    if workers:
        _model(None, settings)
    _logging(settings.log_level)
    from bot.app import create_app
    from bot.serving import serve_http

    app = create_app(settings, workers=workers)
    description = app.state.runtime.description()
    logging.getLogger("bot.cli").info("tawasol %s", description)
    typer.echo(f"Tawasol {description}\n  starting ...")
    if not serve_http(app, host, port, lambda: typer.echo(f"  listening on http://{host}:{port}/")):
        typer.echo(f"Tawasol did not start on {host}:{port}: see the log above", err=True)
        raise typer.Exit(1)


@app.command()
def worker(workers: int = typer.Option(1, min=1, help="Concurrent message workers in this process.")) -> None:
    """Answer queued messages without serving HTTP (needs REDIS_URL and a shared DATABASE_URL)."""
    from bot.worker import WorkerNeedsRedis, run_worker

    settings = _settings(needs_a_channel=True)
    _model(None, settings)
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
    settings = _settings()
    _logging("WARNING")
    from bot.terminal_chat import run_chat
    from store import Store
    from store.migrate import upgrade

    upgrade(settings.database_url)
    asyncio.run(run_chat(_model(model, settings), Store(settings.database_url), reshape=reshape, sender=sender))


@nlu_app.command("parse")
def nlu_parse(
    model: Optional[Path] = typer.Option(None, help="Model archive (default: newest in models/)."),
) -> None:
    """Read messages (one per line) on stdin; write one JSON object per line on stdout."""
    settings = _settings()
    _logging("WARNING")
    from bot.nlu_commands import parse_lines

    asyncio.run(parse_lines(sys.stdin, sys.stdout, _model(model, settings), settings.database_url))


@nlu_app.command("evaluate")
def nlu_evaluate(
    heldout: List[Path] = typer.Option(
        [REPOSITORY / "eval" / f"tawasol_heldout{suffix}.jsonl" for suffix in ("", "_b", "_c")],
        help="Labelled messages, written independently of data/nlu (repeatable).",
    ),
    split: float = typer.Option(0.2, help="Share of data/nlu held out to estimate intent accuracy."),
    model: Optional[Path] = typer.Option(None, help="Model for the held-out files (default: newest)."),
    large_catalog: Optional[Path] = typer.Option(
        None, help="A large catalog to score services against as well: an agency spreadsheet (.csv/.xlsx) or a directory of agency YAML files."
    ),
) -> None:
    """Intent and service accuracy, per-intent F1 and the worst confusions; services also against a
    large catalog, side by side, with the share of messages answered with a clarifying question."""
    settings = _settings()
    _logging("WARNING")
    from bot.nlu_commands import evaluate

    large = None
    if large_catalog is not None:
        from catalog.services import Catalog
        from catalog.sheet_catalog import catalog_of_sheet

        if large_catalog.is_dir():
            large = Catalog.load(large_catalog, skip_bad_files=True)
        else:  # the 27 pilot services stay as written; the sheet's others join them
            large = catalog_of_sheet(large_catalog, base=Catalog.load(skip_bad_files=True))
    asyncio.run(evaluate(heldout, split, str(model) if model else settings.model_path, large))


@dialogue_app.command("evaluate")
def dialogue_evaluate(
    dialogue_set: Optional[Path] = typer.Option(
        REPOSITORY / "eval" / "dialogues", "--set", help="Dialogue files (a directory of *.yml, or one file)."
    ),
    not_in_catalog: Optional[Path] = typer.Option(
        REPOSITORY / "eval" / "not_in_catalog.jsonl", help="Questions about services we do not have."
    ),
    channels: str = typer.Option("whatsapp,sms", help="Channels to run each conversation on."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the per-turn results here."),
    model: Optional[Path] = typer.Option(None, help="Model archive (default: newest in models/)."),
    workers: int = typer.Option(4, min=1, help="Message workers in the service under test."),
    concurrency: int = typer.Option(8, min=1, help="Conversations in flight at once (one citizen each)."),
    skip_set: bool = typer.Option(False, help="Run only the not-in-catalog questions."),
    skip_questions: bool = typer.Option(False, help="Run only the dialogue set."),
) -> None:
    """Conversations through the real webhook (fake Graph API) and SMS: right service or honest
    "not yet", reply language, SMS segments, caveats, sticky prompts; see eval/README.md."""
    settings = _settings()
    _logging("WARNING")
    from bot.dialogue_eval import RunOptions, ServiceDidNotStart, evaluate, write_json
    from bot.dialogue_set import CHANNELS, DialogueSetError

    chosen = tuple(c.strip() for c in channels.split(",") if c.strip())
    if not chosen or any(c not in CHANNELS for c in chosen):
        typer.echo(f"--channels: a comma-separated list of {', '.join(CHANNELS)}", err=True)
        raise typer.Exit(2)
    options = RunOptions(channels=chosen, workers=workers, concurrency=concurrency)
    try:
        report = evaluate(
            None if skip_set else dialogue_set,
            None if skip_questions else not_in_catalog,
            model=_model(model, settings),
            catalog_dir=settings.catalog_dir,
            replies_file=settings.replies_file,
            options=options,
        )
    except (DialogueSetError, ServiceDidNotStart, OSError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2)
    typer.echo(report.text())
    if json_out:
        write_json(report, json_out)
        typer.echo(f"per-turn results written to {json_out}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations to DATABASE_URL."""
    from store.migrate import upgrade

    settings = _settings()
    _logging(settings.log_level)
    upgrade(settings.database_url)
    typer.echo("database is up to date")


def _job_settings(settings: "Settings"):
    from datetime import timedelta

    from jobs.context import JobSettings

    return JobSettings(settings.database_url, settings.redis_url, timedelta(days=settings.retention_days))


def _job_context_with_channels(settings: "Settings"):
    """How `tawasol jobs` opens its context: with the configured channels bound (the runtime started
    with no message workers and no model) so the sweeps that send have an outbox; with no channel
    configured, the store alone."""
    from bot.runtime import Runtime
    from bot.training_job import train_for_run
    from jobs.context import JobContext
    from jobs.worker import context_for

    job_settings = _job_settings(settings)
    runtimes: dict[int, Runtime] = {}

    async def open_context() -> JobContext:
        if settings.whatsapp is None and settings.sms is None:
            context = context_for(job_settings)
            context.trainer = train_for_run
            return context
        runtime = Runtime(settings)
        await runtime.start(workers=0)
        context = JobContext(
            job_settings, runtime.require_store(), runtime.require_pipeline().outbox, runtime.coordination,
            trainer=train_for_run,
        )
        runtimes[id(context)] = runtime
        return context

    async def close_context(context: JobContext) -> None:
        runtime = runtimes.pop(id(context), None)
        if runtime is None:
            context.store.close()
        else:
            await runtime.stop()  # drains what the sweeps queued before the channels close

    return open_context, close_context


@jobs_app.command("worker")
def jobs_worker() -> None:
    """Run the sweeps on their schedules (once across all workers) and the deferred jobs (needs REDIS_URL)."""
    settings = _settings()
    _logging(settings.log_level)
    from jobs.worker import WorkerNeedsRedis, build_worker

    opener, closer = _job_context_with_channels(settings)
    try:
        worker = build_worker(_job_settings(settings), opener, closer)
    except WorkerNeedsRedis as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2)
    worker.run()


@jobs_app.command("run-due")
def jobs_run_due(
    as_of: Optional[str] = typer.Option(
        None, "--as-of", help="The moment to run for, with its time zone (2026-12-20T09:00:00+03:00); default now."
    ),
) -> None:
    """Run every sweep due at one moment, in this process, and print what each did."""
    from datetime import datetime

    from core.messages import utcnow

    settings = _settings()
    _logging(settings.log_level)
    if as_of is None:
        moment = utcnow()
    else:
        try:
            moment = datetime.fromisoformat(as_of)
        except ValueError:
            typer.echo(f"--as-of: not an ISO 8601 date and time: {as_of!r}", err=True)
            raise typer.Exit(2)
        if moment.tzinfo is None:
            typer.echo("--as-of: give the time zone too (2026-12-20T09:00:00+03:00)", err=True)
            raise typer.Exit(2)
    from jobs.worker import run_due

    opener, closer = _job_context_with_channels(settings)

    async def run_once() -> list:
        context = await opener()
        try:
            return await run_due(context, moment)
        finally:
            await closer(context)

    reports = asyncio.run(run_once())
    typer.echo(f"as of {moment.isoformat()}:")
    for report in reports:
        typer.echo(f"  {report.line()}")


@citizen_app.command("forget")
def citizen_forget(phone: str = typer.Argument(..., help="The number, in international form (+962791234567).")) -> None:
    """Erase a citizen's personal data (texts, profile, subscriptions, tickets, Redis-held state) and
    record that it was done; counts stay. Running it again for the same number changes nothing."""
    settings = _settings()
    _logging(settings.log_level)
    from jobs.forget import NotAPhoneNumber, forget_citizen, normalise_phone
    from jobs.worker import context_for

    try:
        normalise_phone(phone)
    except NotAPhoneNumber as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2)
    context = context_for(_job_settings(settings))
    try:
        result = asyncio.run(forget_citizen(context, phone))
    finally:
        context.store.close()
    typer.echo(result.line())


if __name__ == "__main__":
    app()
