"""`tawasol agency`: the agencies that reach citizens through Tawasol, and their API keys."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator, List, Optional

import typer

from bot.commands.process import load_settings, open_store, start_logging

if TYPE_CHECKING:
    from store import Store

app = typer.Typer(help="Agencies and their API keys.", no_args_is_help=True)


@contextmanager
def _agency_records() -> Iterator["Store"]:
    """The store, for one command about agencies: a refusal (AgencyError: unknown agency, taken
    id, revoked key...) is printed and the command exits 1."""
    from store.agencies import AgencyError

    settings = load_settings()
    start_logging(settings.log_level)
    store = open_store(settings)
    try:
        yield store
    except AgencyError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1)
    finally:
        store.close()


def _phone(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    from core.phones import InvalidPhone, international_digits

    try:
        return international_digits(value)
    except InvalidPhone as error:
        raise typer.BadParameter(str(error), param_hint="--liaison-phone")


@app.command("add")
def add(
    agency_id: str = typer.Argument(..., metavar="ID", help="The catalog prefix of its services, e.g. cspd."),
    name_ar: str = typer.Option(..., "--name-ar", help="Its name in Arabic."),
    name_en: str = typer.Option(..., "--name-en", help="Its name in English."),
    independent: bool = typer.Option(False, "--independent", help="An independent body: pays all its messages."),
    sender_id: List[str] = typer.Option([], "--sender-id", help="An SMS sender ID it may use (repeatable)."),
    liaison_name: Optional[str] = typer.Option(None, help="Its liaison officer's name."),
    liaison_phone: Optional[str] = typer.Option(None, help="The liaison officer's international phone number."),
    liaison_email: Optional[str] = typer.Option(None, help="The liaison officer's email."),
    credit: Optional[int] = typer.Option(None, min=0, help="Messages it may send in billed categories (none: no cap)."),
) -> None:
    """Add an agency."""
    from store.audit import CLI_ACTOR

    with _agency_records() as store:
        agency = store.agencies.add(
            agency_id, name_ar=name_ar, name_en=name_en, independent=independent, sms_sender_ids=sender_id,
            liaison_name=liaison_name, liaison_phone=_phone(liaison_phone), liaison_email=liaison_email,
            message_credit=credit, actor=CLI_ACTOR,
        )
    kind = "independent" if agency.independent else "government"
    typer.echo(f"agency {agency.id} added: {agency.name_en} / {agency.name_ar} ({kind})")


@app.command("list")
def list_agencies() -> None:
    """The agencies, with how many live API keys each has."""
    with _agency_records() as store:
        for agency in store.agencies.all():
            live = sum(1 for key in store.agencies.keys(agency.id) if key.revoked_at is None)
            kind = "independent" if agency.independent else "government"
            typer.echo(f"{agency.id}\t{agency.name_en}\t{kind}\t{live} live key(s)")


@app.command("key")
def key(agency_id: str = typer.Argument(..., metavar="ID")) -> None:
    """Make a new API key for an agency. The key is printed once, alone on the last line: only its
    hash is kept, so copy it now."""
    from store.audit import CLI_ACTOR

    with _agency_records() as store:
        issued = store.agencies.issue_key(agency_id, actor=CLI_ACTOR)
    typer.echo(f"new API key {issued.prefix} for {issued.agency_id}; it is shown only now:")
    typer.echo(issued.key)


@app.command("revoke")
def revoke(prefix: str = typer.Argument(..., metavar="KEY_PREFIX", help="The key's start, e.g. tws_ab12cd34.")) -> None:
    """Revoke an API key: calls made with it get 401 from now on."""
    from store.audit import CLI_ACTOR

    with _agency_records() as store:
        agency_id = store.agencies.revoke_key(prefix, actor=CLI_ACTOR)
    typer.echo(f"key {prefix} of {agency_id} revoked")


@app.command("lookup-url")
def lookup_url(
    agency_id: str = typer.Argument(..., metavar="ID"),
    url: Optional[str] = typer.Argument(None, help="GET URL of the agency's own system (none with --clear)."),
    clear: bool = typer.Option(False, "--clear", help="Answer citizens from Tawasol's registry again."),
) -> None:
    """Where citizens' questions about this agency's transactions are asked, for an agency that
    keeps its own system (GET URL?number=N&citizen_phone=P; README, Agency API)."""
    if (url is None) != clear:
        typer.echo("give a URL, or --clear", err=True)
        raise typer.Exit(2)
    with _agency_records() as store:
        store.agencies.set_lookup_url(agency_id, url)
    typer.echo(f"{agency_id}: citizens' status questions go to {url}" if url else f"{agency_id}: answered from the registry")


@app.command("escalation")
def escalation(
    agency_id: str = typer.Argument(..., metavar="ID"),
    days: int = typer.Argument(..., min=1, max=365, help="Days without a reply before the manager hears."),
) -> None:
    """The agency's escalation period (10 days unless set): a forwarded transaction with no reply
    for this long sends its manager an SMS, once per period."""
    with _agency_records() as store:
        store.agencies.set_escalation_period(agency_id, days)
    typer.echo(f"{agency_id}: escalation after {days} days without a reply")


@app.command("credit")
def credit(
    agency_id: str = typer.Argument(..., metavar="ID"),
    add: Optional[int] = typer.Option(
        None, "--add", min=1, metavar="N",
        help="Top up by N messages; the 80% and 100% alerts count from the new balance and may be sent again.",
    ),
) -> None:
    """Show an agency's message credit, or top it up with --add N."""
    from store.credit import CreditError

    settings = load_settings()
    start_logging(settings.log_level)
    store = open_store(settings)
    try:
        state = store.credit.top_up(agency_id, add) if add is not None else store.credit.state(agency_id)
    except CreditError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2)
    finally:
        store.close()
    if state.remaining is None:
        typer.echo(f"{agency_id}: no cap on messages")
        return
    alerted = f"; alerts sent since the last top-up: {state.alerted}%" if state.alerted else ""
    action = f"topped up by {add}: " if add is not None else ""
    typer.echo(f"{agency_id}: {action}{state.remaining} message(s) left of {state.granted}{alerted}")
