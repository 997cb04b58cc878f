"""Scanning every log record of the test run for personal data and secrets (hooked up in
tests/conftest.py): a full phone number, a national ID number, or a secret from the test settings.

The record factory sees every record made, whatever handlers a test or `bot.logs.configure`
installs; records from subprocesses are not seen here.
"""

from __future__ import annotations

import logging
import re as _re
import threading as _threading

_LEAK_PATTERNS = {
    # Jordanian numbers as the channels store them (9627XXXXXXXX), as typed (+962..., 00962...,
    # 07XXXXXXXX), and any other E.164 number written with its plus.
    "phone number": _re.compile(
        r"(?<![0-9A-Za-z])(?:(?:\+|00)?962[0-9]{8,9}|07[789][0-9]{7}|\+[1-9][0-9]{8,14})(?![0-9])"
    ),
    # Jordanian national numbers: ten digits, 9... for men and 2000... for women.
    "national ID": _re.compile(r"(?<![0-9A-Za-z])(?:9[0-9]{9}|2000[0-9]{6})(?![0-9])"),
}
_SECRETS: set[str] = set()
current_test = {"nodeid": None}
leaks: dict[str, list[str]] = {}
leaks_lock = _threading.Lock()


def watch_secret(value) -> None:
    if isinstance(value, str) and len(value) >= 8:  # shorter ones ("t", "secret") match ordinary words
        _SECRETS.add(value)


def watch_config_secrets() -> None:
    """Every WhatsApp and SMSC configuration a test builds registers its secrets."""
    from channels.sms.config import SmsConfig
    from channels.whatsapp.config import WhatsAppConfig

    for config_class, fields in ((WhatsAppConfig, ("access_token", "app_secret", "verify_token")), (SmsConfig, ("password",))):
        def init(self, *args, _original=config_class.__init__, _fields=fields, **kwargs):
            _original(self, *args, **kwargs)
            for name in _fields:
                watch_secret(getattr(self, name, None))

        config_class.__init__ = init
    from tests.whatsapp import support

    for value in (support.ACCESS_TOKEN, support.APP_SECRET, support.VERIFY_TOKEN):
        watch_secret(value)


def leaks_in(text: str) -> list[str]:
    found = [f"{kind}: {match.group(0)[:4]}…" for kind, pattern in _LEAK_PATTERNS.items() for match in pattern.finditer(text)]
    found += [f"secret: <{len(secret)} chars …{secret[-2:]}>" for secret in _SECRETS if secret in text]
    return found


def install() -> None:
    make_record = logging.getLogRecordFactory()

    def scanning_factory(*args, **kwargs):
        record = make_record(*args, **kwargs)
        try:
            text = record.getMessage()
        except Exception:  # a bad format string is the logging module's to report, not ours
            text = str(record.msg)
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        found = leaks_in(text)
        if found:
            where = current_test["nodeid"] or "<outside any test>"
            with leaks_lock:
                leaks.setdefault(where, []).append(f"{record.name} {record.levelname}: {', '.join(found)}")
        return record

    logging.setLogRecordFactory(scanning_factory)


