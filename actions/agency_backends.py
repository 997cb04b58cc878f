"""Where a citizen's transaction status comes from: Tawasol's registry (the steps agencies push
through the API, api/), or, for an agency that keeps its own system and registered a lookup URL,
that system over HTTP.

The lookup protocol (README, "Agency API"): `GET <lookup_url>?number=<n>&citizen_phone=<digits>`
answers 200 `{"number", "status", "at", "service_id"?}` (`status`: a step type, as in the API),
404 when the agency has no such transaction for that citizen. Anything else, a timeout included,
is retried a few times, then the citizen is told the service is not answering; after several
failures in a row the agency's circuit opens and citizens hear so at once, without waiting, until
a trial call succeeds.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

import httpx

from store import Store

logger = logging.getLogger(__name__)


class BackendUnavailable(RuntimeError):
    """The agency system could not be asked (down, timed out, circuit open): try again later."""


@dataclass(frozen=True)
class TransactionStatus:
    number: str
    agency_id: str
    service_id: Optional[str]
    step: str  # the last step's type ("issued", ...), or what the agency's system calls it
    at: datetime


@dataclass(frozen=True)
class LookupSettings:
    timeout_s: float = 3.0  # per attempt, connecting and reading
    retries: int = 2  # attempts after the first
    backoff_s: float = 0.2  # before the first retry, doubling
    failures_to_open: int = 3  # consecutive failed lookups that open the circuit
    open_s: float = 30.0  # how long an open circuit refuses before a trial call


class CircuitBreaker:
    """Closed: calls go. After `failures_to_open` failed calls in a row: open, calls are refused for
    `open_s`. Then half-open: one trial call; its success closes the circuit, its failure reopens it."""

    def __init__(self, failures_to_open: int, open_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._failures_to_open = failures_to_open
        self._open_s = open_s
        self._clock = clock
        self._failures = 0
        self._opened_at: Optional[float] = None
        self._trial_running = False
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            if self._opened_at is None:
                return True
            if self._clock() - self._opened_at < self._open_s or self._trial_running:
                return False
            self._trial_running = True
            return True

    def succeeded(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._trial_running = 0, None, False

    def failed(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_running = False
            if self._opened_at is not None or self._failures >= self._failures_to_open:
                self._opened_at = self._clock()

    @property
    def open(self) -> bool:
        return self._opened_at is not None


_settings = LookupSettings()
_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def use_lookup_settings(settings: LookupSettings) -> None:
    """Handed over at start-up (bot/runtime.py) from AGENCY_LOOKUP_* settings."""
    global _settings
    _settings = settings
    with _breakers_lock:
        _breakers.clear()


def breaker_for(url: str, settings: LookupSettings) -> CircuitBreaker:
    """One breaker per agency system, shared by every lookup in this process."""
    with _breakers_lock:
        if url not in _breakers:
            _breakers[url] = CircuitBreaker(settings.failures_to_open, settings.open_s)
        return _breakers[url]


class HttpLookup:
    """One agency's own system, asked over HTTP."""

    def __init__(self, agency_id: str, url: str, settings: Optional[LookupSettings] = None) -> None:
        self.agency_id = agency_id
        self.url = url
        self._settings = settings or _settings
        self._breaker = breaker_for(url, self._settings)

    async def lookup(self, number: str, citizen_phone: str) -> Optional[TransactionStatus]:
        """The status, None when the agency has no such transaction for this citizen;
        BackendUnavailable when it cannot say."""
        if not self._breaker.allow():
            raise BackendUnavailable(f"{self.agency_id}: circuit open")
        settings = self._settings
        params = {"number": number, "citizen_phone": citizen_phone}
        last_error = "no attempt"
        async with httpx.AsyncClient(timeout=settings.timeout_s) as client:
            for attempt in range(settings.retries + 1):
                if attempt:
                    await asyncio.sleep(settings.backoff_s * 2 ** (attempt - 1))
                try:
                    response = await client.get(self.url, params=params)
                except httpx.HTTPError as error:
                    last_error = type(error).__name__
                    continue
                if response.status_code == 404:
                    self._breaker.succeeded()
                    return None
                if response.status_code == 200:
                    try:
                        found = _parse(self.agency_id, number, response.json())
                    except (ValueError, KeyError, TypeError) as error:
                        last_error = f"bad answer: {error}"
                        break  # the same answer again would be as bad
                    self._breaker.succeeded()
                    return found
                last_error = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    break
        self._breaker.failed()
        logger.warning("agency lookup failed agency=%s error=%s circuit_open=%s", self.agency_id, last_error, self._breaker.open)
        raise BackendUnavailable(f"{self.agency_id}: {last_error}")


def _parse(agency_id: str, number: str, body: dict) -> TransactionStatus:
    at = datetime.fromisoformat(str(body["at"]).replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError("'at' has no time zone")
    status = str(body["status"])[:64]
    if not status:
        raise ValueError("empty status")
    service = body.get("service_id")
    return TransactionStatus(number, agency_id, str(service)[:128] if service else None, status, at)


def registry_status(store: Store, citizen_id: int, number: str) -> Optional[TransactionStatus]:
    """The citizen's own transaction in Tawasol's registry, with its last step."""
    found = store.transactions.of_citizen(citizen_id, number)
    if found is None:
        return None
    transaction, last = found
    return TransactionStatus(transaction.number, transaction.agency_id, transaction.service_id, last.type, last.at)


async def find_status(store: Store, citizen_id: int, number: str) -> Optional[TransactionStatus]:
    """The registry first; then each agency with a lookup URL. None: nobody has it;
    BackendUnavailable: nobody has it so far, but a system that might could not be asked."""
    found = await asyncio.to_thread(registry_status, store, citizen_id, number)
    if found is not None:
        return found
    agencies = await asyncio.to_thread(store.agencies.with_lookup_url)
    if not agencies:
        return None
    identities = await asyncio.to_thread(store.citizens.identities, citizen_id)
    phone = identities[0].address if identities else ""
    unavailable: Optional[BackendUnavailable] = None
    for agency in agencies:
        try:
            found = await HttpLookup(agency.id, agency.lookup_url).lookup(number, phone)
        except BackendUnavailable as error:
            unavailable = error
            continue
        if found is not None:
            return found
    if unavailable is not None:
        raise unavailable
    return None
