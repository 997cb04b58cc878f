"""WhatsApp Cloud API settings, read from the environment.

With no `WHATSAPP_*` variable set at all we are on a developer's machine: every value falls back to
`DEV_DEFAULTS`, which match the fake Graph API (`python -m simulators.whatsapp_graph`) on
127.0.0.1:8089. As soon as one variable is set we assume a real deployment: the base URL defaults to
Meta's, and the phone number id, access token, app secret and verify token must all be given.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

META_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
DEFAULT_RATE = 80.0  # messages per second: Cloud API's default throughput per business number
DEFAULT_MAX_BODY_BYTES = 1_000_000  # webhook bodies are a few KB; 1 MB leaves room for big batches

DEV_FAKE_HOST = "127.0.0.1"
DEV_FAKE_PORT = 8089
DEV_DEFAULTS = {
    "WHATSAPP_API_BASE_URL": f"http://{DEV_FAKE_HOST}:{DEV_FAKE_PORT}",
    "WHATSAPP_PHONE_NUMBER_ID": "100000000000001",
    "WHATSAPP_ACCESS_TOKEN": "dev-access-token",
    "WHATSAPP_APP_SECRET": "dev-app-secret",
    "WHATSAPP_VERIFY_TOKEN": "dev-verify-token",
}
_REQUIRED = (
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
)


class WhatsAppConfigError(ValueError):
    """A deployment set some WhatsApp variables but not the ones it cannot run without."""


@dataclass(frozen=True)
class WhatsAppConfig:
    phone_number_id: str
    access_token: str = field(repr=False)
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    api_base_url: str = META_GRAPH_URL
    api_version: str = DEFAULT_API_VERSION
    rate: float = DEFAULT_RATE
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    dev_defaults: bool = False  # True when built from DEV_DEFAULTS (no WHATSAPP_* variable was set)

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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WhatsAppConfig:
        env = os.environ if env is None else env
        given = {k: v for k, v in env.items() if k.startswith("WHATSAPP_") and v != ""}
        dev = not given
        if dev:
            given = dict(DEV_DEFAULTS)
            logger.warning(
                "whatsapp.config dev_defaults=true base_url=%s (no WHATSAPP_* variable set; "
                "talking to the fake Graph API)",
                given["WHATSAPP_API_BASE_URL"],
            )
        missing = [name for name in _REQUIRED if not given.get(name)]
        if missing:
            raise WhatsAppConfigError("WhatsApp is partly configured; also set " + ", ".join(missing))
        try:
            rate = float(given.get("WHATSAPP_RATE", DEFAULT_RATE))
        except ValueError as exc:
            raise WhatsAppConfigError(f"WHATSAPP_RATE must be a number: {exc}") from None
        if rate <= 0:
            raise WhatsAppConfigError("WHATSAPP_RATE must be positive")
        return cls(
            phone_number_id=given["WHATSAPP_PHONE_NUMBER_ID"],
            access_token=given["WHATSAPP_ACCESS_TOKEN"],
            app_secret=given["WHATSAPP_APP_SECRET"],
            verify_token=given["WHATSAPP_VERIFY_TOKEN"],
            api_base_url=given.get("WHATSAPP_API_BASE_URL", META_GRAPH_URL),
            api_version=given.get("WHATSAPP_API_VERSION", DEFAULT_API_VERSION),
            rate=rate,
            dev_defaults=dev,
        )


def normalise_version(version: str) -> str:
    """'21.0', 'v21.0' and 'v21' all mean Graph API v21.0."""
    version = version.strip().lstrip("vV")
    if "." not in version:
        version += ".0"
    return "v" + version
