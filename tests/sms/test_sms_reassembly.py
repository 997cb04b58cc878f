"""Concatenated MO parts: any order, duplicates, UDH 8/16-bit and SAR references, timeouts."""

import pytest

from channels.sms.reassembly import MoPart, PartRef, Reassembler


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def part(number, total=3, reference=7, scheme="udh8", source="962791234567", payload=None, ack=None):
    return MoPart(
        source=source,
        destination="94444",
        payload=payload if payload is not None else f"<{number}>".encode(),
        data_coding=0,
        ref=PartRef(reference, total, number, scheme),
        ack=ack or f"ack{number}",
    )


@pytest.mark.parametrize("order", [(1, 2, 3), (3, 1, 2), (2, 3, 1)])
def test_any_order_completes_once_and_holds_only_the_last_ack(order):
    reassembler = Reassembler()
    results = [reassembler.add(part(n)) for n in order]
    assert [r.completed for r in results[:-1]] == [None, None]
    assert [r.ack_now for r in results[:-1]] == [[f"ack{order[0]}"], [f"ack{order[1]}"]]
    done = results[-1].completed
    assert done.complete and done.missing == []
    assert [p.payload for p in done.ordered_parts()] == [b"<1>", b"<2>", b"<3>"]
    assert results[-1].ack_now == [] and done.pending_acks == [f"ack{order[-1]}"]
    assert len(reassembler) == 0


def test_duplicate_parts_are_acknowledged_and_ignored():
    reassembler = Reassembler()
    reassembler.add(part(1))
    again = reassembler.add(part(1, ack="ack1-again"))
    assert again.ack_now == ["ack1-again"] and again.completed is None
    reassembler.add(part(2))
    assert reassembler.add(part(3)).completed is not None
    late = reassembler.add(part(2, ack="late"))  # the SMSC redelivers a part after completion
    assert late.ack_now == ["late"] and late.completed is None
    assert len(reassembler) == 0  # no phantom message starts from it


def test_same_reference_from_different_citizens_or_schemes_never_mix():
    reassembler = Reassembler()
    reassembler.add(part(1, total=2, source="962790000001"))
    reassembler.add(part(1, total=2, source="962790000002"))
    reassembler.add(part(1, total=2, scheme="sar"))
    assert len(reassembler) == 3
    done = reassembler.add(part(2, total=2, source="962790000002")).completed
    assert done.source == "962790000002"


def test_incomplete_message_comes_out_after_timeout_with_what_it_has():
    clock = Clock()
    reassembler = Reassembler(timeout_s=60, clock=clock)
    reassembler.add(part(1))
    reassembler.add(part(3))
    clock.now += 59
    assert reassembler.expire() == []
    assert reassembler.next_deadline() == pytest.approx(1060.0)
    clock.now += 1
    [message] = reassembler.expire()
    assert not message.complete and message.missing == [2]
    assert [p.ref.number for p in message.ordered_parts()] == [1, 3]
    assert len(reassembler) == 0


def test_restore_after_failed_accept_lets_the_redelivered_last_part_complete_again():
    reassembler = Reassembler()
    reassembler.add(part(1, total=2))
    done = reassembler.add(part(2, total=2)).completed
    reassembler.restore(done)
    assert len(reassembler) == 1
    again = reassembler.add(part(2, total=2, ack="redelivered")).completed
    assert again is not None and again.pending_acks == ["redelivered"]


def test_buffers_beyond_the_limit_are_handed_over_early_not_dropped():
    reassembler = Reassembler(max_buffers=2)
    for reference in range(3):
        reassembler.add(part(1, reference=reference))
    expired = reassembler.expire()
    assert [m.reference for m in expired] == [0]
    assert len(reassembler) == 2
