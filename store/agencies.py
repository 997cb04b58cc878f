"""Agencies and their API keys.

A key is `tws_<8 characters>_<secret>`: its first part (the prefix) is public and names the key in
lists and when revoking; only the SHA-256 of the whole key is stored. API keys are long random
strings, not passwords, so a fast hash is safe and keeps every API call's check cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Sequence

from sqlalchemy import select, update

from core.messages import utcnow
from store.audit import Actor, record
from store.database import Database
from store.models import Agency, ApiKey

AGENCY_ID = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
LAST_USED_RESOLUTION = timedelta(minutes=1)
KEY_SHAPE = re.compile(r"^(tws_[A-Za-z0-9]{8})_[A-Za-z0-9_-]{20,100}$")


class AgencyError(ValueError):
    """A request about agencies or keys that cannot be carried out; the message says why, and
    `code` (when set) names the reason for pages that say it in another language."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class IssuedKey:
    agency_id: str
    prefix: str
    key: str  # shown once; never stored


@dataclass(frozen=True)
class KeyInfo:
    prefix: str
    agency_id: str
    created_at: datetime
    last_used_at: Optional[datetime]
    revoked_at: Optional[datetime]


def agency_snapshot(agency: Agency) -> dict:
    """What the audit log shows of an agency."""
    return {"name_ar": agency.name_ar, "name_en": agency.name_en, "independent": agency.independent,
            "sms_sender_ids": list(agency.sms_sender_ids or []), "liaison_name": agency.liaison_name,
            "liaison_email": agency.liaison_email, "message_credit": agency.message_credit}


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class AgencyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        agency_id: str,
        *,
        name_ar: str,
        name_en: str,
        independent: bool = False,
        sms_sender_ids: Sequence[str] = (),
        liaison_name: Optional[str] = None,
        liaison_phone: Optional[str] = None,
        liaison_email: Optional[str] = None,
        message_credit: Optional[int] = None,
        actor: Optional[Actor] = None,
    ) -> Agency:
        """A new agency; AgencyError when the id is malformed or taken, or a name is empty. With an
        `actor` the audit log records who added it, in the same transaction."""
        if not AGENCY_ID.match(agency_id):
            raise AgencyError(
                f"agency id {agency_id!r} must be the catalog prefix: lowercase letters, digits and _, 2-32 long",
                "bad_agency_id",
            )
        if not name_ar.strip() or not name_en.strip():
            raise AgencyError("an agency needs a name in Arabic and in English", "agency_names_required")
        if message_credit is not None and message_credit < 0:
            raise AgencyError("message credit cannot be negative")
        with self._db.session() as s:
            known = s.get(Agency, agency_id)
            if known is not None and known.registered_at is not None:
                raise AgencyError(f"agency {agency_id!r} already exists", "agency_exists")
            # An agency the catalog already names (its services are answered) is registered in place:
            # its catalog side (nicknames, site, phone) stays.
            agency = known or Agency(id=agency_id)
            agency.name_ar = name_ar.strip()
            agency.name_en = name_en.strip()
            agency.independent = independent
            agency.sms_sender_ids = list(sms_sender_ids)
            agency.liaison_name = liaison_name
            agency.liaison_phone = liaison_phone
            agency.liaison_email = liaison_email
            agency.message_credit = message_credit
            agency.credit_granted = message_credit  # the 80% and 100% alerts count from this (store/credit.py)
            agency.registered_at = utcnow()
            s.add(agency)
            s.flush()
            if actor is not None:
                record(s, actor, "agency.add", "agency", agency.id, agency_id=agency.id, after=agency_snapshot(agency))
            return agency

    def get(self, agency_id: str) -> Optional[Agency]:
        with self._db.session() as s:
            return s.get(Agency, agency_id)

    def all(self) -> list[Agency]:
        with self._db.session() as s:
            return list(s.execute(select(Agency).order_by(Agency.id)).scalars())

    def set_lookup_url(self, agency_id: str, url: Optional[str]) -> None:
        """Where the agency's own system answers citizens' status questions; None: our registry."""
        if url is not None and not re.match(r"^https?://[^\s/]+", url):
            raise AgencyError("a lookup URL is an http(s) URL")
        self._set(agency_id, lookup_url=url)

    def set_escalation_period(self, agency_id: str, days: int) -> None:
        if not 1 <= days <= 365:
            raise AgencyError("the escalation period is 1 to 365 days")
        self._set(agency_id, escalate_after_days=days)

    def _set(self, agency_id: str, **values: object) -> None:
        with self._db.session() as s:
            agency = s.get(Agency, agency_id)
            if agency is None:
                raise AgencyError(f"no agency {agency_id!r}: add it first (tawasol agency add)")
            for name, value in values.items():
                setattr(agency, name, value)

    def with_lookup_url(self) -> list[Agency]:
        with self._db.session() as s:
            return list(s.execute(select(Agency).where(Agency.lookup_url.is_not(None)).order_by(Agency.id)).scalars())

    def issue_key(self, agency_id: str, actor: Optional[Actor] = None) -> IssuedKey:
        """A new key for the agency (it may hold several); the key is returned once, here."""
        with self._db.session() as s:
            if s.get(Agency, agency_id) is None:
                raise AgencyError(f"no agency {agency_id!r}: add it first (tawasol agency add)")
            while True:
                prefix = "tws_" + "".join(secrets.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(8))
                if s.execute(select(ApiKey.id).where(ApiKey.prefix == prefix)).first() is None:
                    break
            key = f"{prefix}_{secrets.token_urlsafe(32)}"
            s.add(ApiKey(agency_id=agency_id, prefix=prefix, key_hash=_hash(key)))
            if actor is not None:
                record(s, actor, "agency.key_issue", "api_key", prefix, agency_id=agency_id, after={"prefix": prefix})
            return IssuedKey(agency_id=agency_id, prefix=prefix, key=key)

    def revoke_key(self, prefix: str, actor: Optional[Actor] = None) -> str:
        """Revoke the key whose public prefix is `prefix` (with or without the secret after it);
        the agency it belonged to. AgencyError when no live key has it."""
        shape = KEY_SHAPE.match(prefix)
        prefix = shape.group(1) if shape else prefix.strip()
        with self._db.session() as s:
            row = s.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
            if row is None:
                raise AgencyError(f"no API key starts with {prefix!r}")
            if row.revoked_at is not None:
                raise AgencyError(f"key {prefix} was already revoked on {row.revoked_at:%Y-%m-%d}")
            row.revoked_at = utcnow()
            if actor is not None:
                record(s, actor, "agency.key_revoke", "api_key", prefix, agency_id=row.agency_id,
                       before={"revoked_at": None}, after={"revoked_at": row.revoked_at.isoformat()})
            return row.agency_id

    def agency_of_key(self, key: str) -> Optional[str]:
        """The agency a presented key belongs to, or None for a malformed, unknown or revoked key."""
        shape = KEY_SHAPE.match(key or "")
        if not shape:
            return None
        with self._db.session() as s:
            row = s.execute(select(ApiKey).where(ApiKey.prefix == shape.group(1))).scalar_one_or_none()
            if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, _hash(key)):
                return None
            now = utcnow()
            # To the minute is enough for "when was this key last used", and saves a write on
            # almost every call of a busy agency system.
            if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
                s.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
            return row.agency_id

    def keys(self, agency_id: str) -> list[KeyInfo]:
        with self._db.session() as s:
            rows = s.execute(select(ApiKey).where(ApiKey.agency_id == agency_id).order_by(ApiKey.id)).scalars()
            return [KeyInfo(r.prefix, r.agency_id, r.created_at, r.last_used_at, r.revoked_at) for r in rows]
