"""One citizen per phone number across channels; the 24-hour window and reachability marks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from core.messages import InboundMessage, utcnow
from store.models import Citizen


def inbound(channel: str, provider_id: str, address: str = "962791234567", **kw) -> InboundMessage:
    return InboundMessage(channel=channel, provider_id=provider_id, address=address, text="hello", **kw)


def citizen_count(store) -> int:
    with store.db.session() as s:
        return s.execute(select(func.count()).select_from(Citizen)).scalar_one()


def test_whatsapp_and_sms_from_one_number_are_one_citizen(store):
    on_whatsapp = store.inbound.add(inbound("whatsapp", "wamid.A"))
    on_sms = store.inbound.add(inbound("sms", "sms-1"))
    elsewhere = store.inbound.add(inbound("sms", "sms-2", address="962781111111"))

    assert on_whatsapp.citizen_id == on_sms.citizen_id
    assert elsewhere.citizen_id != on_whatsapp.citizen_id
    channels = {i.channel for i in store.citizens.identities(on_whatsapp.citizen_id)}
    assert channels == {"whatsapp", "sms"}
    assert citizen_count(store) == 2


def test_simultaneous_first_contacts_on_two_channels_link_to_one_citizen(store):
    numbers = [f"96279{n:07d}" for n in range(20)]
    jobs = [inbound(ch, f"{ch}-{num}", address=num) for num in numbers for ch in ("whatsapp", "sms")]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(store.inbound.add, jobs))

    by_number: dict[str, set[int]] = {}
    for job, result in zip(jobs, results, strict=True):
        by_number.setdefault(job.address, set()).add(result.citizen_id)
    assert all(len(ids) == 1 for ids in by_number.values())
    assert citizen_count(store) == len(numbers)


def test_inbound_opens_the_window_and_clears_unreachable(store):
    earlier = utcnow() - timedelta(hours=30)
    first = store.inbound.add(inbound("whatsapp", "wamid.1", received_at=earlier))
    store.citizens.mark_unreachable("whatsapp", "962791234567")
    [identity] = store.citizens.identities(first.citizen_id)
    assert identity.unreachable_at is not None
    assert identity.last_inbound_at == earlier

    now = utcnow()
    store.inbound.add(inbound("whatsapp", "wamid.2", received_at=now))
    [identity] = store.citizens.identities(first.citizen_id)
    assert identity.unreachable_at is None
    assert identity.last_inbound_at == now

    # A late redelivered older message does not move the window backwards.
    store.inbound.add(inbound("whatsapp", "wamid.0", received_at=earlier))
    [identity] = store.citizens.identities(first.citizen_id)
    assert identity.last_inbound_at == now


def test_language_and_opt_out(store):
    citizen_id = store.citizens.resolve("sms", "962790000001")
    assert store.citizens.get(citizen_id).preferred_language is None
    store.citizens.set_language(citizen_id, "en")
    store.citizens.opt_out(citizen_id)
    first_opt_out = store.citizens.get(citizen_id).opted_out_at
    store.citizens.opt_out(citizen_id)  # a second STOP keeps the first time
    citizen = store.citizens.get(citizen_id)
    assert citizen.preferred_language == "en"
    assert citizen.opted_out_at == first_opt_out is not None
    store.citizens.opt_in(citizen_id)
    assert store.citizens.get(citizen_id).opted_out_at is None
