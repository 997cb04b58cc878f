"""Submit pacing: the TPS cap, the window, and slowing down after throttling."""

import math

import pytest

from channels.sms.pacing import SubmitPacer


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_cap_spaces_segments_evenly():
    clock = Clock()
    pacer = SubmitPacer(tps=50, window=100, clock=clock)
    sent = 0
    end = clock.now + 1.0
    while clock.now < end:
        if pacer.delay(0) == 0:
            pacer.on_sent()
            sent += 1
        clock.now += 0.001
    assert sent == 50


def test_window_full_waits_for_a_response():
    pacer = SubmitPacer(tps=None, window=10)
    assert pacer.delay(9) == 0
    assert pacer.delay(10) == math.inf


def test_throttling_sets_the_rate_to_what_was_accepted_and_pauses():
    clock = Clock()
    pacer = SubmitPacer(tps=None, window=10, throttle_initial_s=0.2, throttle_max_s=1.0, clock=clock)
    for _ in range(40):
        pacer.on_sent()
        pacer.on_accepted()
    sent_at = clock.now
    clock.now += 0.01
    pacer.on_throttled(sent_at)
    assert pacer.delay(0) == pytest.approx(0.2)
    assert pacer.rate == 36  # 90% of the 40 accepted in the last second


def test_refusals_already_in_flight_do_not_slow_down_again():
    clock = Clock()
    pacer = SubmitPacer(tps=None, window=10, throttle_initial_s=0.2, throttle_max_s=10.0, clock=clock)
    for _ in range(20):
        pacer.on_sent()
    in_flight_since = clock.now
    clock.now += 0.01
    for _ in range(10):  # the whole window comes back refused
        pacer.on_throttled(in_flight_since)
    assert pacer.throttled_count == 10
    assert pacer.delay(0) == pytest.approx(0.2)  # one reaction, not ten doublings


def test_repeated_throttling_of_new_submits_doubles_the_pause_up_to_the_max():
    clock = Clock()
    pacer = SubmitPacer(tps=None, window=10, throttle_initial_s=0.2, throttle_max_s=1.0, clock=clock)
    pauses = []
    for _ in range(5):
        clock.now += 0.01
        pacer.on_throttled(clock.now)  # sent after the last reaction
        pauses.append(round(pacer.delay(0), 3))
    assert pauses == [0.2, 0.4, 0.8, 1.0, 1.0]


def test_rate_recovers_over_time_to_unlimited_or_to_the_cap():
    clock = Clock()
    pacer = SubmitPacer(tps=None, window=10, clock=clock)
    pacer.on_sent()
    pacer.on_throttled(clock.now)
    assert pacer.rate == 1.0
    clock.now += 0.2
    pacer.on_accepted()
    assert pacer.rate == pytest.approx(1.21)  # +10% per 100 ms
    for _ in range(200):
        clock.now += 1.0
        pacer.on_accepted()
    assert pacer.rate is None

    capped = SubmitPacer(tps=30, window=10, clock=clock)
    capped.on_sent()
    capped.on_throttled(clock.now)
    assert capped.rate == 15  # half of the rate in force: nothing had been accepted
    for _ in range(100):
        clock.now += 1.0
        capped.on_accepted()
    assert capped.rate == 30
