"""WhatsApp Cloud API settings: what the channel needs to reach one business number.

The values come from the process's settings (`bot/settings.py` reads the `WHATSAPP_*` variables
and builds this); the channel never reads the environment itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

META_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
DEFAULT_RATE = 80.0  # messages per second: Cloud API's default throughput per business number
DEFAULT_MAX_BODY_BYTES = 1_000_000  # webhook bodies are a few KB; 1 MB leaves room for big batches

_VERSION = re.compile(r"^v\d+\.\d+$")


@dataclass(frozen=True)
class WhatsAppConfig:
    phone_number_id: str
    access_token: str = field(repr=False)
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    api_base_url: str = META_GRAPH_URL
    api_version: str = DEFAULT_API_VERSION
    rate: float = DEFAULT_RATE  # messages per second, shared by every process
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_base_url", self.api_base_url.rstrip("/"))
        object.__setattr__(self, "api_version", normalise_version(self.api_version))

    @property
    def graph_url(self) -> str:
        """`{base}/{version}`: every Graph endpoint hangs off this."""
        return f"{self.api_base_url}/{self.api_version}"

    @property
    def messages_url(self) -> str:
        return f"{self.graph_url}/{self.phone_number_id}/messages"


def normalise_version(version: str) -> str:
    """'21.0', 'v21.0' and 'v21' all mean Graph API v21.0; anything else is refused."""
    cleaned = version.strip().lstrip("vV")
    if "." not in cleaned:
        cleaned += ".0"
    normalised = "v" + cleaned
    if not _VERSION.match(normalised):
        raise ValueError(f"not a Graph API version (like v21.0): {version!r}")
    return normalised
