"""`python -m simulators.dev_server [--host --port --workers]`: Tawasol in development mode.

The production app (`bot.app.create_app`) on embedded defaults (SQLite, no Redis unless REDIS_URL
is set), with what development adds and production never serves:
- the fake Graph API mounted at /fake-graph, the WhatsApp channel pointed at it;
- a simulated SMS channel (simulators/web/sms_simulator.py) instead of an SMSC;
- the simulator page and its SMS endpoints at /simulator.

Those endpoints let anyone speak as, and read the messages of, any phone number, so this server
refuses to start (exit 2) when any real-channel variable (WHATSAPP_*, SMPP_*, SMS_*) is set: a
production configuration cannot reach it by accident. `make run` starts it.
"""

from __future__ import annotations

import os

# Before numpy loads (see bot/cli.py): processes, not BLAS threads, use the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bot.logs import quiet_native_libraries, silence_known_warnings  # noqa: E402

quiet_native_libraries()  # before anything loads TensorFlow
# Also before the imports below: the app's agency API reaches the actions, which load TensorFlow
# at import, and a fresh install compiles keras then (its warnings print once, before logging is set).
silence_known_warnings()

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
from typing import Optional  # noqa: E402

from fastapi import FastAPI  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.settings import Settings, SettingsError, channel_variables  # noqa: E402
from channels.whatsapp.config import WhatsAppConfig  # noqa: E402
from channels.whatsapp.templates import TemplateCatalog  # noqa: E402
from core.brain import Brain  # noqa: E402
from core.messages import SMS  # noqa: E402
from simulators import whatsapp_graph  # noqa: E402
from simulators.web.routes import build_router as build_simulator_router  # noqa: E402
from simulators.web.sms_simulator import SimulatedSmsChannel  # noqa: E402

logger = logging.getLogger(__name__)

MODE = "development"
FAKE_GRAPH_PREFIX = "/fake-graph"
WEBHOOK_PATH = "/webhooks/whatsapp"
DEV_VERIFY_TOKEN = "dev-verify-token"


class RealChannelConfigured(RuntimeError):
    """Development mode was asked for beside a real channel's configuration."""


def refuse_real_channels(names: list[str]) -> None:
    if names:
        raise RealChannelConfigured(
            "development mode (the simulator and the fake Graph API, open to anyone who can reach them) "
            "refuses to start while real-channel variables are set: "
            + ", ".join(names)
            + ". Unset them for development, or run `tawasol serve` for production."
        )


def development_whatsapp(public_url: str) -> WhatsAppConfig:
    """The WhatsApp account of the fake Graph API mounted in this app."""
    return WhatsAppConfig(
        phone_number_id=whatsapp_graph.DEFAULT_PHONE_NUMBER_ID,
        access_token=whatsapp_graph.DEFAULT_ACCESS_TOKEN,
        app_secret=whatsapp_graph.DEFAULT_APP_SECRET,
        verify_token=DEV_VERIFY_TOKEN,
        api_base_url=public_url.rstrip("/") + FAKE_GRAPH_PREFIX,
    )


def create_dev_app(
    settings: Settings, *, public_url: str, workers: int = 1, brain: Optional[Brain] = None
) -> FastAPI:
    """The production app plus the development parts. `public_url` is where this app is reachable
    (the fake Graph API posts its webhooks there). `settings` must configure no real channel."""
    refuse_real_channels(settings.channels)
    whatsapp = development_whatsapp(public_url)
    # Development serves plain HTTP: a Secure cookie would never come back, so the console could not sign in.
    console = dataclasses.replace(settings.console, cookie_secure=False)
    app = create_app(
        dataclasses.replace(settings, whatsapp=whatsapp, console=console),
        workers=workers,
        brain=brain,
        stand_ins={SMS: SimulatedSmsChannel()},
        mode=MODE,
    )
    runtime = app.state.runtime
    app.include_router(build_simulator_router(runtime.require_pipeline, runtime.require_store))
    fake_graph = whatsapp_graph.create_app(
        app_secret=whatsapp.app_secret,
        webhook_url=public_url.rstrip("/") + WEBHOOK_PATH,
        phone_number_id=whatsapp.phone_number_id,
        access_token=whatsapp.access_token,
        # Meta accepts only approved templates: the fake approves the ones the channel uses.
        templates=TemplateCatalog.load(settings.whatsapp_templates).approved(),
    )
    app.mount(FAKE_GRAPH_PREFIX, fake_graph)  # create_app's lifespan runs the fake's shutdown
    return app


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Tawasol in development mode: simulator and fake Graph API.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument("--workers", type=int, default=1, help="message workers in this process (0: none)")
    args = parser.parse_args(argv)
    try:
        refuse_real_channels(channel_variables())
        settings = Settings.from_env()
    except (RealChannelConfigured, SettingsError) as error:
        print(error, file=sys.stderr)
        return 2
    if args.workers and settings.model_path is None:
        print("no trained model: run `tawasol train` first (or `make run`), or set TAWASOL_MODEL", file=sys.stderr)
        return 2

    from bot.logs import configure
    from bot.serving import serve_http

    configure(settings.log_level)
    # The app calls itself (the fake Graph API posts webhooks to it): a loopback address for that.
    local_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    public_url = f"http://{local_host}:{args.port}"
    app = create_dev_app(settings, public_url=public_url, workers=args.workers)
    description = app.state.runtime.description()
    logger.info("tawasol %s", description)
    print(f"Tawasol {description}\n  starting (loading the language model: 10 to 30 seconds) ...", flush=True)

    def ready() -> None:
        print(f"  listening on {public_url}/  simulator: {public_url}/simulator", flush=True)

    if not serve_http(app, args.host, args.port, ready):
        print(f"Tawasol did not start on {args.host}:{args.port}: see the log above", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
