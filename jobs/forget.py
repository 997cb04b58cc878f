"""A citizen's erasure on request (`tawasol citizen forget PHONE`, or the deferred job of that name).

The store's part is one transaction (store/erasure.py). Redis holds two things about a citizen: the
Rasa dialogue state (`tawasol:tracker:<citizen id>`, brain/rasa_brain.py) and the flood budget
(under a digest of the number, pipeline/flood.py); both are deleted first, while the store still
says which citizen ids the number had. Not reachable from here: the answer caches inside running
worker processes (exact texts, no number, evicted as new messages come) and an in-memory dialogue
state of a single process without Redis (gone at its restart).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Optional

import redis.asyncio as aioredis

from core.privacy import mask_phone
from jobs.context import REDIS_PREFIX, JobContext
from pipeline.flood import flood_key
from store.erasure import Erased

logger = logging.getLogger(__name__)

_PHONE = re.compile(r"^[0-9]{6,20}$")


class NotAPhoneNumber(ValueError):
    pass


@dataclass(frozen=True)
class Forgotten:
    reference: str  # the masked number
    erased: Optional[Erased]  # None: nothing was held (never known, or erased before)
    redis_keys: Optional[int]  # None: no Redis configured, or it could not be reached

    def line(self) -> str:
        if self.erased is None:
            return f"nothing held about {self.reference}: no record written (erased before, or never known)"
        e = self.erased
        redis = "Redis not used" if self.redis_keys is None else f"{self.redis_keys} Redis keys"
        return (
            f"erased {self.reference}: {len(e.citizen_ids)} citizen(s), {e.identities} identities, "
            f"{e.messages} messages, {e.tickets} tickets, {e.subscriptions} subscriptions, "
            f"{e.review_rows} review rows, {e.transactions} agency transactions, {e.agency_opt_outs} agency opt-outs, {redis} (erasure record #{e.erasure_id}, {e.at.isoformat(timespec='seconds')})"
        )


def normalise_phone(phone: str) -> str:
    """'+962 79 123-4567' -> '962791234567' (international form, as the channels store it)."""
    digits = re.sub(r"[\s\-().]", "", phone or "").lstrip("+")
    if digits.startswith("00"):
        digits = digits[2:]
    if not _PHONE.match(digits):
        raise NotAPhoneNumber(f"not a phone number in international form (6-20 digits): {mask_phone(phone)}")
    return digits


async def forget_citizen(ctx: JobContext, phone: str) -> Forgotten:
    address = normalise_phone(phone)
    store = ctx.store
    citizen_ids = await asyncio.to_thread(store.erasure.find, address)
    redis_keys = await _forget_in_redis(ctx.settings.redis_url, address, citizen_ids)
    erased = await asyncio.to_thread(store.erasure.erase, address, redis_keys=redis_keys)
    result = Forgotten(mask_phone(address), erased, redis_keys)
    logger.info("citizen forget %s", result.line())
    return result


def redis_keys_about(address: str, citizen_ids: tuple[int, ...]) -> list[str]:
    return [f"{REDIS_PREFIX}:tracker:{citizen_id}" for citizen_id in citizen_ids] + [
        f"{REDIS_PREFIX}:flood:{flood_key(address)}"
    ]


async def _forget_in_redis(redis_url: Optional[str], address: str, citizen_ids: tuple[int, ...]) -> Optional[int]:
    if not redis_url:
        return None
    client = aioredis.Redis.from_url(redis_url)
    try:
        return int(await client.delete(*redis_keys_about(address, citizen_ids)))
    finally:
        await client.close()
