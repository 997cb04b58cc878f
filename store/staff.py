"""Staff users of the console: who they are, their role and agency, their password hash.

Hashing and token making live in the console (argon2); this module keeps what they produce. Every
change here writes its audit entry in the same transaction.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select, update

from core.messages import utcnow
from store.audit import Actor, record
from store.database import Database
from store.models import Agency, StaffSession, StaffUser

MINISTRY_ADMIN = "ministry_admin"
LIAISON_OFFICER = "liaison_officer"
AGENT = "agent"
ROLES = (MINISTRY_ADMIN, LIAISON_OFFICER, AGENT)
AGENCY_ROLES = (LIAISON_OFFICER, AGENT)  # these work for one agency and must name it

# Deliberately loose: one @, something on each side, a dot in the domain, no spaces.
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class StaffError(ValueError):
    """A staff change that cannot be made; the message says why, and `code` names the reason for
    pages that say it in another language."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def snapshot(user: StaffUser) -> dict[str, Any]:
    """What the audit log shows of a user (never a hash)."""
    return {"email": user.email, "role": user.role, "agency_id": user.agency_id, "active": user.active}


class StaffRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        email: str,
        role: str,
        agency_id: Optional[str],
        *,
        actor: Actor,
        password_hash: Optional[str] = None,
        setup_token_hash: Optional[str] = None,
        setup_expires_at: Optional[datetime] = None,
    ) -> StaffUser:
        email = normalise_email(email)
        if not EMAIL.match(email) or len(email) > 254:
            raise StaffError(f"{email!r} is not an email address", "bad_email")
        if role not in ROLES:
            raise StaffError(f"role must be one of {', '.join(ROLES)}, not {role!r}", "bad_role")
        if role in AGENCY_ROLES and not agency_id:
            raise StaffError(f"a {role} works for one agency: give --agency ID", "agency_required")
        if role == MINISTRY_ADMIN and agency_id:
            raise StaffError("a ministry_admin works for the ministry, not one agency: leave out --agency", "admin_without_agency")
        if (password_hash is None) == (setup_token_hash is None):
            raise StaffError("a new user needs a password or a setup link, not both")
        with self._db.session() as s:
            if agency_id and s.get(Agency, agency_id) is None:
                raise StaffError(f"no agency {agency_id!r}: add it first (tawasol agency add)", "unknown_agency")
            if s.execute(select(StaffUser.id).where(StaffUser.email == email)).first() is not None:
                raise StaffError(f"{email} already has an account", "email_taken")
            now = utcnow()
            user = StaffUser(
                email=email, role=role, agency_id=agency_id, password_hash=password_hash,
                setup_token_hash=setup_token_hash, setup_expires_at=setup_expires_at, active=True,
                password_changed_at=now if password_hash else None,
            )
            s.add(user)
            s.flush()
            record(s, actor, "staff.add", "staff", user.id, agency_id=agency_id, after=snapshot(user))
            return user

    def get(self, staff_id: int) -> Optional[StaffUser]:
        with self._db.session() as s:
            return s.get(StaffUser, staff_id)

    def by_email(self, email: str) -> Optional[StaffUser]:
        with self._db.session() as s:
            return s.execute(select(StaffUser).where(StaffUser.email == normalise_email(email))).scalar_one_or_none()

    def all(self) -> list[StaffUser]:
        with self._db.session() as s:
            return list(s.execute(select(StaffUser).order_by(StaffUser.email)).scalars())

    def set_password(self, staff_id: int, password_hash: str, *, actor: Actor) -> None:
        with self._db.session() as s:
            user = s.get(StaffUser, staff_id)
            if user is None:
                raise StaffError(f"no staff user {staff_id}")
            user.password_hash = password_hash
            user.password_changed_at = utcnow()
            record(s, actor, "staff.password_change", "staff", user.id, agency_id=user.agency_id,
                   after={"password_changed_at": user.password_changed_at.isoformat()})

    def rehash(self, staff_id: int, password_hash: str) -> None:
        """A stronger hash of the same password (argon2's parameters grew): not a change to audit."""
        with self._db.session() as s:
            s.execute(update(StaffUser).where(StaffUser.id == staff_id).values(password_hash=password_hash))

    def complete_setup(self, token_hash: str, password_hash: str) -> Optional[StaffUser]:
        """Set the first password through a setup link; the link works once. None when the link is
        unknown, used or expired."""
        with self._db.session() as s:
            user = s.execute(select(StaffUser).where(StaffUser.setup_token_hash == token_hash)).scalar_one_or_none()
            if user is None or not user.active or user.setup_expires_at is None or user.setup_expires_at < utcnow():
                return None
            user.password_hash = password_hash
            user.setup_token_hash = None
            user.setup_expires_at = None
            user.password_changed_at = utcnow()
            record(s, Actor(user.email, user.id), "staff.password_set", "staff", user.id, agency_id=user.agency_id,
                   after={"password_changed_at": user.password_changed_at.isoformat()})
            return user

    def setup_pending(self, token_hash: str) -> Optional[StaffUser]:
        with self._db.session() as s:
            user = s.execute(select(StaffUser).where(StaffUser.setup_token_hash == token_hash)).scalar_one_or_none()
            if user is None or not user.active or user.setup_expires_at is None or user.setup_expires_at < utcnow():
                return None
            return user

    def reset(self, staff_id: int, setup_token_hash: str, setup_expires_at: datetime, *, actor: Actor) -> StaffUser:
        """A new setup link for the user: the old password stops working, and so do their sessions
        (the console accepts no session for a user without a password)."""
        with self._db.session() as s:
            user = s.get(StaffUser, staff_id)
            if user is None:
                raise StaffError(f"no staff user {staff_id}")
            user.password_hash = None
            user.setup_token_hash = setup_token_hash
            user.setup_expires_at = setup_expires_at
            s.query(StaffSession).filter(StaffSession.staff_id == staff_id).delete()
            record(s, actor, "staff.password_reset", "staff", user.id, agency_id=user.agency_id,
                   after={"setup_expires_at": setup_expires_at.isoformat()})
            return user

    def set_active(self, staff_id: int, active: bool, *, actor: Actor) -> StaffUser:
        """Deactivating also ends the user's sessions in the store (Redis sessions check `active`
        on every request)."""
        with self._db.session() as s:
            user = s.get(StaffUser, staff_id)
            if user is None:
                raise StaffError(f"no staff user {staff_id}")
            before = snapshot(user)
            user.active = active
            if not active:
                s.query(StaffSession).filter(StaffSession.staff_id == staff_id).delete()
            record(s, actor, "staff.activate" if active else "staff.deactivate", "staff", user.id,
                   agency_id=user.agency_id, before=before, after=snapshot(user))
            return user
