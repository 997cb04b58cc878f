"""Submit pacing: the TPS cap, the window, and slowing down after throttling."""

import math

from channels.sms.pacing import SubmitPacer


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_cap_spaces_segments_evenly():
    clock = Clock()
    pacer = SubmitPacer(tps=50, window=100, clock=clock)
    sent = 0
    while clock.now < 1.0:
        if pacer.delay(0) == 0:
            pacer.on_sent()
            sent += 1
        clock.now += 0.001
    assert sent == 50


def test_window_full_waits_for_a_response():
    pacer = SubmitPacer(tps=None, window=10)
    assert pacer.delay(9) == 0
    assert pacer.delay(10) == math.inf


def test_throttling_pauses_with_doubling_backoff_then_recovers():
    clock = Clock()
    pacer = SubmitPacer(tps=None, window=10, throttle_initial_s=0.2, throttle_max_s=1.0, clock=clock)
    for _ in range(40):
        pacer.on_sent()
    pacer.on_throttled()
    assert pacer.delay(0) == 0.2
    assert pacer.rate == 20  # half of the 40/s getting through
    pacer.on_throttled()
    assert pacer.delay(0) == 0.4
    for _ in range(3):
        pacer.on_throttled()
    assert pacer.delay(0) == 1.0  # capped
    clock.now += 1.0
    rate = pacer.rate
    pacer.on_accepted()
    assert pacer.rate > rate
    for _ in range(1000):
        pacer.on_accepted()
    assert pacer.rate is None  # no configured cap: back to unlimited


def test_recovery_stops_at_the_configured_cap():
    pacer = SubmitPacer(tps=30, window=10)
    pacer.on_sent()
    pacer.on_throttled()
    for _ in range(1000):
        pacer.on_accepted()
    assert pacer.rate == 30
