"""Runtime configuration, read once from environment variables (the names are a contract)."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional
from urllib.parse import urlsplit, urlunsplit

from core.privacy import mask_secret

_SECRET_FIELDS = {"whatsapp_access_token", "whatsapp_app_secret", "whatsapp_verify_token", "smpp_password"}
_URL_FIELDS = {"database_url", "redis_url"}  # may carry a password


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: Optional[str] = None  # None: in-process stand-ins, one process only
    whatsapp_api_base_url: str = "https://graph.facebook.com"
    whatsapp_api_version: str = "v21.0"
    whatsapp_phone_number_id: Optional[str] = None
    whatsapp_access_token: Optional[str] = None
    whatsapp_app_secret: Optional[str] = None
    whatsapp_verify_token: Optional[str] = None
    whatsapp_rate: float = 80.0  # messages per second, shared by every process
    smpp_host: Optional[str] = None
    smpp_port: int = 2775
    smpp_system_id: Optional[str] = None
    smpp_password: Optional[str] = None
    smpp_system_type: Optional[str] = None
    sms_short_code: str = "94444"
    smpp_tps: float = 50.0  # SMS segments per second
    model_path: Optional[str] = None  # TAWASOL_MODEL; default: the newest archive in models/
    answer_cache_size: int = 20_000  # ANSWER_CACHE_SIZE: exact repeats answered without Rasa; 0 turns it off
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None, cwd: Optional[Path] = None) -> "Settings":
        env = os.environ if env is None else env
        cwd = Path.cwd() if cwd is None else cwd

        def text(name: str, default: Optional[str] = None) -> Optional[str]:
            value = env.get(name, "").strip()
            return value or default

        def number(name: str, default: float, kind: type = float, *, zero_allowed: bool = False) -> float:
            raw = text(name)
            if raw is None:
                return default
            try:
                value = kind(raw)
            except ValueError:
                raise ValueError(f"{name} must be a number, got {raw!r}") from None
            if value < 0 or (value == 0 and not zero_allowed):
                raise ValueError(f"{name} must be {'zero or more' if zero_allowed else 'positive'}, got {raw!r}")
            return value

        return cls(
            database_url=text("DATABASE_URL", f"sqlite:///{cwd / 'tawasol.db'}"),
            redis_url=text("REDIS_URL"),
            whatsapp_api_base_url=text("WHATSAPP_API_BASE_URL", "https://graph.facebook.com").rstrip("/"),
            whatsapp_api_version=text("WHATSAPP_API_VERSION", "v21.0"),
            whatsapp_phone_number_id=text("WHATSAPP_PHONE_NUMBER_ID"),
            whatsapp_access_token=text("WHATSAPP_ACCESS_TOKEN"),
            whatsapp_app_secret=text("WHATSAPP_APP_SECRET"),
            whatsapp_verify_token=text("WHATSAPP_VERIFY_TOKEN"),
            whatsapp_rate=number("WHATSAPP_RATE", 80.0),
            smpp_host=text("SMPP_HOST"),
            smpp_port=int(number("SMPP_PORT", 2775, int)),
            smpp_system_id=text("SMPP_SYSTEM_ID"),
            smpp_password=text("SMPP_PASSWORD"),
            smpp_system_type=text("SMPP_SYSTEM_TYPE"),
            sms_short_code=text("SMS_SHORT_CODE", "94444"),
            smpp_tps=number("SMPP_TPS", 50.0),
            model_path=text("TAWASOL_MODEL") or newest_model(cwd / "models"),
            answer_cache_size=int(number("ANSWER_CACHE_SIZE", 20_000, int, zero_allowed=True)),
            log_level=text("LOG_LEVEL", "INFO").upper(),
        )

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRET_FIELDS:
                shown = mask_secret(value)
            elif f.name in _URL_FIELDS:
                shown = repr(mask_url_password(value))
            else:
                shown = repr(value)
            parts.append(f"{f.name}={shown}")
        return f"Settings({', '.join(parts)})"

    __str__ = __repr__


def newest_model(models_dir: Path) -> Optional[str]:
    """Rasa writes `models/<timestamp>.tar.gz`; the newest one is the one to serve."""
    if not models_dir.is_dir():
        return None
    archives = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return str(archives[-1]) if archives else None


def mask_url_password(url: Optional[str]) -> Optional[str]:
    """postgresql://tawasol:s3cret@db/tawasol -> postgresql://tawasol:***@db/tawasol"""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[-1]}"))
