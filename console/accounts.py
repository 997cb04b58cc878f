"""Making staff accounts: with a password, or with a one-time setup link (only its hash is kept)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Optional

from console.config import ConsoleConfig
from console.passwords import hash_password, policy_problem
from core.messages import utcnow
from store import Store
from store.audit import Actor
from store.models import StaffUser
from store.staff import StaffError

SETUP_PATH = "/console/setup/"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


class PasswordRefused(StaffError):
    """The password breaks the rule; `key` names the rule (an i18n key)."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            code=key,
            message={"password_too_short": "the password must be at least 12 characters",
             "password_too_long": "the password must be at most 256 characters",
             "password_spaces": "the password must not start or end with spaces"}[key]
        )


@dataclass(frozen=True)
class NewAccount:
    user: StaffUser
    setup_link: Optional[str]  # shown once, when the account was made without a password


def add_staff(
    store: Store, config: ConsoleConfig, email: str, role: str, agency_id: Optional[str], *,
    actor: Actor, password: Optional[str] = None,
) -> NewAccount:
    """A new account; StaffError (or PasswordRefused) says why not."""
    if password is not None:
        problem = policy_problem(password)
        if problem:
            raise PasswordRefused(problem)
        user = store.staff.add(email, role, agency_id or None, actor=actor, password_hash=hash_password(password))
        return NewAccount(user, None)
    token = new_token()
    user = store.staff.add(
        email, role, agency_id or None, actor=actor, setup_token_hash=token_hash(token),
        setup_expires_at=utcnow() + config.setup_link_lifetime,
    )
    return NewAccount(user, config.public_url.rstrip("/") + SETUP_PATH + token)
