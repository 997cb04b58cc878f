"""A fake WhatsApp Cloud API (Graph API) for development, tests and benchmarks.

It acts as Meta in both directions:
- toward our sender: `POST /{version}/{phone_number_id}/messages` checks the bearer token, the
  phone number id and the body (text, interactive buttons/lists, templates, read receipts) and
  answers with Meta's success shape or Meta's error envelope and HTTP status; media lookups
  (`GET /{version}/{media_id}`) and downloads work for media it sent inbound;
- toward our webhook: it POSTs signed inbound-message and status webhooks (single or batched),
  exact redeliveries of an earlier body, and, if configured, `sent`/`delivered` statuses after
  each accepted message.

Test controls live under `/_fake/` (`whatsapp_control_routes`); the Graph routes are in
`whatsapp_graph_routes`, the state behind both in `whatsapp_fake_state`. Run it alone with
`python -m simulators.whatsapp_graph --port 8089 --webhook-url http://127.0.0.1:8000/webhooks/whatsapp`;
the defaults match the development defaults of `channels.whatsapp.config`.
"""

from __future__ import annotations

import argparse

from fastapi import FastAPI

from simulators.whatsapp_control_routes import add_control_routes
from simulators.whatsapp_fake_state import FakeGraph
from simulators.whatsapp_graph_routes import add_graph_routes
from simulators.whatsapp_validation import ApprovedTemplates

DEFAULT_PHONE_NUMBER_ID = "100000000000001"
DEFAULT_ACCESS_TOKEN = "dev-access-token"
DEFAULT_APP_SECRET = "dev-app-secret"
DEFAULT_PORT = 8089


def create_app(
    app_secret: str = DEFAULT_APP_SECRET,
    webhook_url: str | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    *,
    access_token: str = DEFAULT_ACCESS_TOKEN,
    templates: ApprovedTemplates = None,
    auto_statuses: list[str] | None = None,
    include_user_id: bool = True,
) -> FastAPI:
    """The fake as an ASGI app; its state is `app.state.fake` (a `FakeGraph`).

    `templates`: approved templates (name -> {"languages", "parameters"}), e.g.
    `TemplateCatalog.load().approved()`; None accepts any template. `auto_statuses`: statuses
    sent back for every accepted message (default ["sent", "delivered"]; [] for none).
    """
    fake = FakeGraph(
        app_secret=app_secret,
        phone_number_id=phone_number_id,
        access_token=access_token,
        webhook_url=webhook_url,
        templates=templates,
        auto_statuses=["sent", "delivered"] if auto_statuses is None else list(auto_statuses),
        include_user_id=include_user_id,
    )
    app = FastAPI(title="Fake WhatsApp Cloud API", docs_url=None, redoc_url=None)
    app.state.fake = fake
    app.router.add_event_handler("shutdown", fake.close)
    add_control_routes(app, fake)
    add_graph_routes(app, fake)
    return app


def run(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    *,
    app_secret: str = DEFAULT_APP_SECRET,
    webhook_url: str | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    access_token: str = DEFAULT_ACCESS_TOKEN,
    templates: ApprovedTemplates = None,
    auto_statuses: list[str] | None = None,
) -> None:
    """Serve the fake until interrupted."""
    import uvicorn

    app = create_app(
        app_secret,
        webhook_url,
        phone_number_id,
        access_token=access_token,
        templates=templates,
        auto_statuses=auto_statuses,
    )
    uvicorn.run(app, host=host, port=port, log_level="info", ws="none")  # see background_server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake WhatsApp Cloud API (Graph API) server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--app-secret", default=DEFAULT_APP_SECRET)
    parser.add_argument("--access-token", default=DEFAULT_ACCESS_TOKEN)
    parser.add_argument("--phone-number-id", default=DEFAULT_PHONE_NUMBER_ID)
    parser.add_argument("--webhook-url", default=None, help="our service's /webhooks/whatsapp URL")
    parser.add_argument("--templates", default=None, help="whatsapp_templates.yml: only these are approved")
    parser.add_argument("--auto-statuses", default="sent,delivered", help="comma-separated; empty for none")
    args = parser.parse_args(argv)
    templates = None
    if args.templates:
        from channels.whatsapp.templates import TemplateCatalog

        templates = TemplateCatalog.load(args.templates).approved()
    run(
        args.host,
        args.port,
        app_secret=args.app_secret,
        webhook_url=args.webhook_url,
        phone_number_id=args.phone_number_id,
        access_token=args.access_token,
        templates=templates,
        auto_statuses=[s for s in args.auto_statuses.split(",") if s],
    )


if __name__ == "__main__":
    main()
