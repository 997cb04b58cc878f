"""Staff passwords: argon2id (argon2-cffi's defaults), a length rule, and equal work for unknown emails."""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 would hash a megabyte happily; a sign-in form need not let it

_HASHER = PasswordHasher()


def policy_problem(password: str) -> Optional[str]:
    """The i18n key of what is wrong with a new password, or None."""
    if len(password) < MIN_LENGTH:
        return "password_too_short"
    if len(password) > MAX_LENGTH:
        return "password_too_long"
    if password.strip() != password or not password.strip():
        return "password_spaces"
    return None


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return _HASHER.hash("decoy password for unknown emails")


def verify(password_hash: Optional[str], password: str) -> bool:
    """True when `password` matches. With no hash (unknown email, setup not done) a decoy hash is
    checked anyway, so a wrong email costs the same time as a wrong password."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(password_hash or _decoy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)
