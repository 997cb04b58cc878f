"""WhatsApp Cloud API channel: receive (webhook), send (sender) and status, nothing else.

- `config.WhatsAppConfig.from_env()`: settings (development defaults point at the fake Graph API).
- `webhook.build_router(config, sink)`: FastAPI router for `GET/POST /webhooks/whatsapp`.
- `parse.parse_update(payload)`: a webhook body → InboundMessages, StatusUpdates, problems.
- `sender.WhatsAppSender(config, templates=...)`: `render`, `send`, `mark_read` (a ChannelSender).
- `templates.TemplateCatalog.load()`: approved templates by notification kind.
- `errors.outcome_for_error(code)`: what an error code means (also for `failed` status webhooks).
"""

from channels.whatsapp.config import WhatsAppConfig
from channels.whatsapp.errors import outcome_for_error
from channels.whatsapp.parse import ParsedUpdate, parse_update
from channels.whatsapp.sender import WhatsAppSender
from channels.whatsapp.templates import TemplateCatalog
from channels.whatsapp.webhook import InboundSink, build_router

__all__ = [
    "InboundSink",
    "ParsedUpdate",
    "TemplateCatalog",
    "WhatsAppConfig",
    "WhatsAppSender",
    "build_router",
    "outcome_for_error",
    "parse_update",
]
