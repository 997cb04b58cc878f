"""Which channels this deployment has: each configured channel package builds its `Channel`.

The one place that names every channel package. A new channel (USSD, a web chat widget) is a new
package with a `Channel` and a config section, and one entry here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from channels.base import Channel
from channels.sms.config import SmsConfig
from channels.whatsapp.config import WhatsAppConfig


def build_channels(
    *,
    whatsapp: Optional[WhatsAppConfig] = None,
    sms: Optional[SmsConfig] = None,
    whatsapp_templates: Optional[Path] = None,
) -> dict[str, Channel]:
    """The channels whose configuration is given, by name. Imports are per channel so a deployment
    without SMS never loads smpplib (and the other way round). `whatsapp_templates`: the approved
    templates file (TAWASOL_WHATSAPP_TEMPLATES; default data/whatsapp_templates.yml)."""
    channels: dict[str, Channel] = {}
    if whatsapp is not None:
        from channels.whatsapp.channel import WhatsAppChannel
        from channels.whatsapp.templates import DEFAULT_PATH, TemplateCatalog

        templates = TemplateCatalog.load(whatsapp_templates or DEFAULT_PATH)
        channels["whatsapp"] = WhatsAppChannel(whatsapp, templates=templates)
    if sms is not None:
        from channels.sms.handler import SmsChannel

        channels["sms"] = SmsChannel(sms)
    return channels
