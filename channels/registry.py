"""Which channels this deployment has: each configured channel package builds its `Channel`.

The one place that names every channel package. A new channel (USSD, a web chat widget) is a new
package with a `Channel` and a config section, and one entry here.
"""

from __future__ import annotations

from typing import Optional

from channels.base import Channel
from channels.sms.config import SmsConfig
from channels.whatsapp.config import WhatsAppConfig


def build_channels(*, whatsapp: Optional[WhatsAppConfig] = None, sms: Optional[SmsConfig] = None) -> dict[str, Channel]:
    """The channels whose configuration is given, by name. Imports are per channel so a deployment
    without SMS never loads smpplib (and the other way round)."""
    channels: dict[str, Channel] = {}
    if whatsapp is not None:
        from channels.whatsapp.channel import WhatsAppChannel

        channels["whatsapp"] = WhatsAppChannel(whatsapp)
    if sms is not None:
        from channels.sms.handler import SmsChannel

        channels["sms"] = SmsChannel(sms)
    return channels
