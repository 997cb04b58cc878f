"""Citizens asking about a transaction: the registry answers; an agency with its own system is
asked over HTTP (a fake agency system run as a real server), with timeouts, retries and a circuit
breaker, and "not answering, try later" when it is down."""

from __future__ import annotations

import time

import pytest

from actions.agency_backends import BackendUnavailable, CircuitBreaker, HttpLookup, LookupSettings, find_status
from simulators.agency_system import AgencySystemState, create_app
from simulators.background_server import BackgroundServer

PHONE = "962791110002"
FAST = LookupSettings(timeout_s=0.3, retries=1, backoff_s=0.01, failures_to_open=2, open_s=60.0)


@pytest.fixture
def agency_system():
    state = AgencySystemState()
    server = BackgroundServer(create_app(state)).start()
    state.transactions[("MOI-5512", PHONE)] = {
        "number": "MOI-5512", "service_id": "moi.residence_permit", "status": "issued", "at": "2026-11-03T10:00:00+03:00",
    }
    yield server, state
    server.stop()


async def test_the_agency_system_answers_found_and_not_found(agency_system):
    server, state = agency_system
    lookup = HttpLookup("moi", server.url + "/lookup", FAST)
    found = await lookup.lookup("MOI-5512", PHONE)
    assert found.step == "issued" and found.service_id == "moi.residence_permit" and found.at.utcoffset() is not None
    assert await lookup.lookup("MOI-5512", "962790000000") is None  # someone else's number: not theirs to see


async def test_errors_are_retried_then_unavailable_and_the_circuit_opens(agency_system):
    server, state = agency_system
    state.mode = "error"
    lookup = HttpLookup("moi", server.url + "/lookup", FAST)
    for _ in range(2):
        with pytest.raises(BackendUnavailable):
            await lookup.lookup("MOI-5512", PHONE)
    assert state.calls == 4  # two lookups, each tried twice
    started = time.perf_counter()
    with pytest.raises(BackendUnavailable, match="circuit open"):
        await lookup.lookup("MOI-5512", PHONE)
    assert state.calls == 4 and time.perf_counter() - started < 0.05  # refused without asking


async def test_a_slow_system_times_out(agency_system):
    server, state = agency_system
    state.mode, state.delay_s = "slow", 2.0
    started = time.perf_counter()
    with pytest.raises(BackendUnavailable):
        await HttpLookup("moi2", server.url + "/lookup", FAST).lookup("MOI-5512", PHONE)
    assert time.perf_counter() - started < 1.5  # two attempts of 0.3 s, not the system's 2 s each


def test_the_breaker_lets_one_trial_through_after_its_pause():
    now = [0.0]
    breaker = CircuitBreaker(failures_to_open=1, open_s=10, clock=lambda: now[0])
    breaker.failed()
    assert not breaker.allow()
    now[0] = 11
    assert breaker.allow() and not breaker.allow()  # one trial at a time
    breaker.succeeded()
    assert breaker.allow()


async def test_find_status_asks_the_registry_then_the_agency_system(store, agency_system):
    server, state = agency_system
    from actions.agency_backends import use_lookup_settings

    use_lookup_settings(FAST)
    try:
        citizen = store.citizens.for_phone(PHONE)
        store.agencies.add("moi", name_ar="وزارة الداخلية", name_en="Ministry of Interior")
        assert await find_status(store, citizen, "MOI-5512") is None  # no lookup URL yet, nothing registered
        store.agencies.set_lookup_url("moi", server.url + "/lookup")
        assert (await find_status(store, citizen, "MOI-5512")).step == "issued"
        server.stop()
        with pytest.raises(BackendUnavailable):
            await find_status(store, citizen, "MOI-5513")
    finally:
        use_lookup_settings(LookupSettings())
