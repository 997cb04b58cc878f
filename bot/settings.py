"""The process's configuration, read once from environment variables (the names are a contract).

This is the only module that reads the environment for configuration: everything else is handed
its section (`Settings.whatsapp`, `Settings.sms`, the database URL, ...). Every variable has one
rule, listed in README's "Configuration"; a bad value is refused at start-up by `SettingsError`,
which names each variable and why, never echoing a secret.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from datetime import timedelta
from pathlib import Path
from datetime import timedelta
from typing import Callable, Mapping, Optional, TypeVar
from urllib.parse import urlsplit, urlunsplit

import yaml

from catalog.replies import DEFAULT_REPLIES
from catalog.services import DEFAULT_CATALOG_DIR
from channels.sms.config import DEFAULT_PORT as SMPP_DEFAULT_PORT
from channels.sms.config import DEFAULT_SHORT_CODE, DEFAULT_TPS, SmsConfig
from console.config import ConsoleConfig
from channels.whatsapp.config import (
    DEFAULT_API_VERSION,
    DEFAULT_RATE,
    META_GRAPH_URL,
    WhatsAppConfig,
    normalise_version,
)
from routing.billing import DEFAULT_TARIFF, Tariff
from channels.whatsapp.templates import DEFAULT_PATH as DEFAULT_WHATSAPP_TEMPLATES
from channels.whatsapp.templates import TemplateCatalog, TemplateError

REPOSITORY = Path(__file__).resolve().parent.parent
MODELS_DIR = REPOSITORY / "models"  # where `tawasol train` writes
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

WHATSAPP_VARIABLES = (
    "WHATSAPP_API_BASE_URL",
    "WHATSAPP_API_VERSION",
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_RATE",
)
WHATSAPP_REQUIRED = ("WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN")
SMS_VARIABLES = (
    "SMPP_HOST",
    "SMPP_PORT",
    "SMPP_SYSTEM_ID",
    "SMPP_PASSWORD",
    "SMPP_SYSTEM_TYPE",
    "SMPP_TPS",
    "SMS_SHORT_CODE",
)
SMS_REQUIRED = ("SMPP_HOST", "SMPP_SYSTEM_ID")
# A real channel is configured by any of these; the development server refuses to start beside them.
CHANNEL_PREFIXES = ("WHATSAPP_", "SMPP_", "SMS_")

NO_CHANNEL = (
    "no channel is configured: set the WhatsApp account (" + ", ".join(WHATSAPP_REQUIRED) + ") and/or "
    "the SMSC (" + ", ".join(SMS_REQUIRED) + "); for development on embedded defaults, with the "
    "simulator, run `make run`"
)

_T = TypeVar("_T")


class SettingsError(ValueError):
    """The environment cannot be run as given. `problems` maps each variable to why."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("bad configuration:\n" + "\n".join(f"  {name}: {why}" for name, why in self.problems.items()))


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: Optional[str] = None  # None: in-process stand-ins, one process only
    whatsapp: Optional[WhatsAppConfig] = None  # None: no WhatsApp account configured
    sms: Optional[SmsConfig] = None  # None: no SMSC configured
    model_path: Optional[str] = None  # None: no trained model (TAWASOL_MODEL unset, models/ empty)
    # TAWASOL_MODEL pins the model: the registry's active model (`tawasol model activate`) is not read.
    model_from_env: bool = False
    answer_cache_size: int = 20_000  # exact repeats answered without Rasa; 0 turns it off
    catalog_dir: Path = DEFAULT_CATALOG_DIR
    replies_file: Path = DEFAULT_REPLIES
    log_level: str = "INFO"
    tariff: Tariff = DEFAULT_TARIFF  # what a message costs and what a citizen is charged (seed 000)
    # Approved WhatsApp templates by notification kind (channels/whatsapp/templates.py)
    whatsapp_templates: Path = DEFAULT_WHATSAPP_TEMPLATES
    # A push WhatsApp has not confirmed delivered this long after it was sent goes by SMS; None: never
    delivery_timeout: Optional[timedelta] = timedelta(minutes=10)
    agency_lookup_timeout_s: float = 3.0  # per attempt, asking an agency's own system (actions/agency_backends.py)
    agency_lookup_retries: int = 2  # attempts after the first
    retention_days: int = 365  # message texts older than this are redacted by the retention sweep
    citizen_rate_per_minute: float = 20.0  # one citizen's messages answered per minute once the burst is spent
    citizen_burst: int = 10  # messages one citizen may send at once before the rate applies
    replay_window_hours: float = 24.0  # webhook messages older than this are acknowledged and ignored
    console: ConsoleConfig = ConsoleConfig()
    # Who sends a transaction step's notifications: "jobs" (the job engine, `tawasol jobs worker`)
    # or "inline" (the API process, after it answered); jobs by default when Redis is configured.
    agency_notifications: str = "inline"

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None, cwd: Optional[Path] = None) -> "Settings":
        """`env` defaults to the process's environment, `cwd` (where the default SQLite file goes)
        to the working directory. Raises SettingsError listing every bad variable."""
        reader = _Reader(os.environ if env is None else env)
        cwd = Path.cwd() if cwd is None else cwd
        settings = cls(
            database_url=reader.value("DATABASE_URL", _database_url, f"sqlite:///{cwd / 'tawasol.db'}"),
            redis_url=reader.value("REDIS_URL", _redis_url, None),
            whatsapp=_whatsapp(reader),
            sms=_sms(reader),
            model_path=reader.value("TAWASOL_MODEL", _existing_file, None) or newest_model(MODELS_DIR),
            model_from_env=reader.given("TAWASOL_MODEL") is not None,
            answer_cache_size=reader.value("ANSWER_CACHE_SIZE", _whole_number, 20_000),
            catalog_dir=reader.value("TAWASOL_CATALOG_DIR", _existing_dir, DEFAULT_CATALOG_DIR),
            replies_file=reader.value("TAWASOL_REPLIES", _existing_file_path, DEFAULT_REPLIES),
            log_level=reader.value("LOG_LEVEL", _log_level, "INFO"),
            tariff=_tariff(reader),
            whatsapp_templates=reader.value("TAWASOL_WHATSAPP_TEMPLATES", _templates_file, DEFAULT_WHATSAPP_TEMPLATES),
            delivery_timeout=reader.value("TAWASOL_DELIVERY_TIMEOUT_MINUTES", _minutes_or_off, timedelta(minutes=10)),
            agency_lookup_timeout_s=reader.value("AGENCY_LOOKUP_TIMEOUT", _lookup_timeout, 3.0),
            agency_lookup_retries=reader.value("AGENCY_LOOKUP_RETRIES", _lookup_retries, 2),
            retention_days=reader.value("RETENTION_DAYS", _positive_whole_number, 365),
            citizen_rate_per_minute=reader.value("CITIZEN_RATE_PER_MINUTE", _citizen_rate, 20.0),
            citizen_burst=reader.value("CITIZEN_BURST", _positive_whole_number, 10),
            replay_window_hours=reader.value("REPLAY_WINDOW_HOURS", _positive_number, 24.0),
            console=_console(reader),
        )
        redis_url = settings.redis_url
        notify = reader.value("AGENCY_NOTIFICATIONS", _notification_mode, "jobs" if redis_url else "inline")
        if notify == "jobs" and not redis_url:
            reader.problems["AGENCY_NOTIFICATIONS"] = "jobs needs REDIS_URL (the job engine keeps its queue there)"
        settings = dataclasses.replace(settings, agency_notifications=notify)
        reader.refuse_unknown()
        if reader.problems:
            raise SettingsError(reader.problems)
        return settings

    @property
    def channels(self) -> list[str]:
        """The real channels this configuration names."""
        return [name for name, section in (("whatsapp", self.whatsapp), ("sms", self.sms)) if section is not None]

    def require_a_channel(self) -> None:
        """A service with no channel could answer nobody: `tawasol serve` and `tawasol worker` refuse."""
        if not self.channels:
            raise SettingsError({"WHATSAPP_*, SMPP_*": NO_CHANNEL})

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            shown = repr(mask_url_password(value)) if f.name in ("database_url", "redis_url") else repr(value)
            parts.append(f"{f.name}={shown}")
        return f"Settings({', '.join(parts)})"

    __str__ = __repr__


def channel_variables(env: Optional[Mapping[str, str]] = None) -> list[str]:
    """The real-channel variables set (non-empty) in `env` (default: the process's environment)."""
    env = os.environ if env is None else env
    return sorted(name for name, value in env.items() if name.startswith(CHANNEL_PREFIXES) and value.strip())


def newest_model(models_dir: Path = MODELS_DIR) -> Optional[str]:
    """The model to serve when TAWASOL_MODEL is unset: `tawasol train` writes
    `models/<timestamp>.tar.gz`, and the one written last is the newest."""
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


# --- reading ----------------------------------------------------------------------------------------


class _Reader:
    """Reads variables, collecting every problem so one start-up reports them all."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: dict[str, str] = {}
        self._read: set[str] = set()

    def given(self, name: str) -> Optional[str]:
        """The variable's value, stripped; an empty variable counts as unset."""
        self._read.add(name)
        value = self.env.get(name, "").strip()
        return value or None

    def value(self, name: str, parse: Callable[[str], _T], default: _T) -> _T:
        raw = self.given(name)
        if raw is None:
            return default
        try:
            return parse(raw)
        except ValueError as error:
            self.problems[name] = str(error)
            return default

    def refuse_unknown(self) -> None:
        """A misspelt channel variable (WHATSAPP_TOKEN) would otherwise be ignored without a word."""
        for name in channel_variables(self.env):
            if name not in WHATSAPP_VARIABLES + SMS_VARIABLES:
                self.problems[name] = "not a Tawasol variable (README, Configuration, lists them all)"


def _whatsapp(reader: _Reader) -> Optional[WhatsAppConfig]:
    """Configured as soon as one WHATSAPP_* variable is set; then the account must be complete."""
    given = {name: reader.given(name) for name in WHATSAPP_VARIABLES}
    if not any(given.values()):
        return None
    for name in WHATSAPP_REQUIRED:
        if not given[name]:
            reader.problems[name] = "WhatsApp is partly configured: the account needs this too"
    base_url = reader.value("WHATSAPP_API_BASE_URL", _http_url, META_GRAPH_URL)
    version = reader.value("WHATSAPP_API_VERSION", normalise_version, DEFAULT_API_VERSION)
    rate = reader.value("WHATSAPP_RATE", _positive_number, DEFAULT_RATE)
    if any(not given[name] for name in WHATSAPP_REQUIRED):
        return None
    return WhatsAppConfig(
        phone_number_id=given["WHATSAPP_PHONE_NUMBER_ID"] or "",
        access_token=given["WHATSAPP_ACCESS_TOKEN"] or "",
        app_secret=given["WHATSAPP_APP_SECRET"] or "",
        verify_token=given["WHATSAPP_VERIFY_TOKEN"] or "",
        api_base_url=base_url,
        api_version=version,
        rate=rate,
    )


def _sms(reader: _Reader) -> Optional[SmsConfig]:
    """Configured as soon as one SMPP_* or SMS_* variable is set; then the SMSC must be named."""
    given = {name: reader.given(name) for name in SMS_VARIABLES}
    if not any(given.values()):
        return None
    for name in SMS_REQUIRED:
        if not given[name]:
            reader.problems[name] = "SMS is partly configured: the SMSC needs this too"
    port = reader.value("SMPP_PORT", _port, SMPP_DEFAULT_PORT)
    tps = reader.value("SMPP_TPS", _tps, DEFAULT_TPS)
    short_code = reader.value("SMS_SHORT_CODE", _short_code, DEFAULT_SHORT_CODE)
    if any(not given[name] for name in SMS_REQUIRED):
        return None
    return SmsConfig(
        host=given["SMPP_HOST"] or "",
        port=port,
        system_id=given["SMPP_SYSTEM_ID"] or "",
        password=given["SMPP_PASSWORD"] or "",
        system_type=given["SMPP_SYSTEM_TYPE"] or "",
        short_code=short_code,
        tps=tps,
    )


def _console(reader: _Reader) -> ConsoleConfig:
    default = ConsoleConfig()
    return ConsoleConfig(
        idle_timeout=timedelta(minutes=reader.value("CONSOLE_IDLE_MINUTES", _positive_whole_number, 30)),
        cookie_secure=reader.value("CONSOLE_COOKIE_SECURE", _boolean_or_auto, None),
        lockout_failures=reader.value("CONSOLE_LOCKOUT_FAILURES", _positive_whole_number, default.lockout_failures),
        lockout_duration=timedelta(minutes=reader.value("CONSOLE_LOCKOUT_MINUTES", _positive_whole_number, 15)),
        sign_ins_per_minute=reader.value("CONSOLE_SIGN_INS_PER_MINUTE", _positive_whole_number,
                                         default.sign_ins_per_minute),
        public_url=reader.value("CONSOLE_URL", _http_url, default.public_url),
        setup_link_lifetime=timedelta(hours=reader.value("CONSOLE_SETUP_LINK_HOURS", _positive_whole_number, 24)),
        ticket_limit=timedelta(minutes=reader.value("CONSOLE_TICKET_LIMIT_MINUTES", _positive_whole_number, 60)),
    )


# --- one rule per variable: each parser raises ValueError saying why ------------------------------


def _tariff(reader: _Reader) -> Tariff:
    return Tariff(
        sms_segment=reader.value("BILLING_SMS_SEGMENT_JOD", _jod, DEFAULT_TARIFF.sms_segment),
        pop_query=reader.value("BILLING_POP_QUERY_JOD", _jod, DEFAULT_TARIFF.pop_query),
        subscription_message=reader.value(
            "BILLING_SUBSCRIPTION_MESSAGE_JOD", _jod, DEFAULT_TARIFF.subscription_message
        ),
    )


def _jod(raw: str) -> Decimal:
    """An amount in JOD, exact, to the ledger's six decimals (0.006842)."""
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"must be an amount in JOD such as 0.006842, got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"must be zero or a positive amount in JOD, got {raw!r}")
    if value != value.quantize(Decimal("0.000001")):
        raise ValueError(f"at most six decimals (the ledger keeps millionths of a JOD), got {raw!r}")
    return value


def _number(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"must be a number, got {raw!r}") from None


def _positive_number(raw: str) -> float:
    value = _number(raw)
    if not value > 0:
        raise ValueError(f"must be a positive number, got {raw!r}")
    return value


def _tps(raw: str) -> Optional[float]:
    """SMPP_TPS=0 means no cap of our own: the SMSC's throttling answers still slow us down."""
    value = _number(raw)
    if value < 0:
        raise ValueError(f"must be zero (no cap) or a positive number, got {raw!r}")
    return value or None


def _whole_number(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"must be a whole number, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"must be zero or more, got {raw!r}")
    return value


def _citizen_rate(raw: str) -> float:
    value = _number(raw)
    if value < 1:
        # The slow-down reply tells a flooding citizen to wait a minute and ask again: at one a
        # minute or more, that question is answered.
        raise ValueError(f"must be at least 1 (messages a minute), got {raw!r}")
    return value


def _positive_whole_number(raw: str) -> int:
    value = _whole_number(raw)
    if value < 1:
        raise ValueError(f"must be a whole number of at least 1, got {raw!r}")
    return value


def _boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"must be true or false, got {raw!r}")


def _boolean_or_auto(raw: str) -> Optional[bool]:
    """None for "auto"."""
    if raw.lower() == "auto":
        return None
    try:
        return _boolean(raw)
    except ValueError:
        raise ValueError(f"must be auto, true or false, got {raw!r}") from None


def _port(raw: str) -> int:
    value = _whole_number(raw)
    if not 1 <= value <= 65535:
        raise ValueError(f"must be a TCP port (1-65535), got {raw!r}")
    return value


def _short_code(raw: str) -> str:
    if not (raw.isdigit() and len(raw) <= 20):
        raise ValueError(f"must be up to 20 digits (our short code), got {raw!r}")
    return raw


def _http_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def _database_url(raw: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(raw)
    except ArgumentError:
        # The URL may hold a password: say what is wrong without echoing it.
        raise ValueError("must be an SQLAlchemy URL (sqlite:///path or postgresql://user@host/db)") from None
    return raw


def _redis_url(raw: str) -> str:
    if urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return raw


def _existing_file(raw: str) -> str:
    if not Path(raw).is_file():
        raise ValueError(f"no such file: {raw}")
    return raw


def _existing_file_path(raw: str) -> Path:
    return Path(_existing_file(raw))


def _existing_dir(raw: str) -> Path:
    if not Path(raw).is_dir():
        raise ValueError(f"no such directory: {raw}")
    return Path(raw)


def _templates_file(raw: str) -> Path:
    path = _existing_file_path(raw)
    try:
        TemplateCatalog.load(path)
    except (TemplateError, OSError, ValueError, yaml.YAMLError, AttributeError) as error:
        raise ValueError(f"not a templates file: {error}") from None
    return path


def _minutes_or_off(raw: str) -> Optional[timedelta]:
    """Minutes (a decimal is fine: 0.5 is 30 seconds); 0 turns the timer off."""
    value = _number(raw)
    if value < 0:
        raise ValueError(f"must be zero (off) or a positive number of minutes, got {raw!r}")
    return timedelta(minutes=value) if value else None


def _lookup_timeout(raw: str) -> float:
    value = _positive_number(raw)
    if value > 30:
        raise ValueError(f"must be at most 30 seconds (a citizen is waiting), got {raw!r}")
    return value


def _lookup_retries(raw: str) -> int:
    value = _whole_number(raw)
    if value > 5:
        raise ValueError(f"must be 0 to 5, got {raw!r}")
    return value


def _notification_mode(raw: str) -> str:
    mode = raw.strip().lower()
    if mode not in ("jobs", "inline"):
        raise ValueError(f"must be jobs or inline, got {raw!r}")
    return mode


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
    return level
