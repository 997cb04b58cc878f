"""Training says how far it is: a line per step from what Rasa's training graph reports, a reminder
while a long step runs, and none of Rasa's progress bars."""

from __future__ import annotations

import logging
import os
import time

from bot.training import TrainingProgress, _progress_lines

HOOKS = logging.getLogger("rasa.engine.training.hooks")


def test_each_step_is_one_line_with_its_time_and_a_long_step_says_it_is_still_running(caplog):
    caplog.set_level(logging.INFO, logger="bot.training")
    progress = TrainingProgress(started=time.perf_counter(), heartbeat=0.05)
    HOOKS.addHandler(progress)
    HOOKS.setLevel(logging.INFO)
    try:
        HOOKS.info("Starting to train component 'ArabicIntentClassifier'.")
        time.sleep(0.2)
        HOOKS.info("Finished training component 'ArabicIntentClassifier'.")
        HOOKS.info("Restored component 'RulePolicy' from cache.")
        HOOKS.info("Something else Rasa says.")
    finally:
        HOOKS.removeHandler(progress)
        progress.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.training"]
    assert lines[0].startswith("training ArabicIntentClassifier ... (started at ")
    assert any(line.startswith("still training: ArabicIntentClassifier, ") for line in lines[1:-2])
    assert lines[-2].startswith("trained ArabicIntentClassifier in ") and lines[-2].endswith(" s")
    assert lines[-1] == "RulePolicy unchanged: taken from the cache"


def test_rasa_progress_bars_are_off_while_training_and_the_setting_comes_back(monkeypatch):
    from rasa.shared.utils.io import is_logging_disabled

    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    assert not is_logging_disabled()
    with _progress_lines(time.perf_counter()):
        assert is_logging_disabled()  # the switch every Rasa tqdm bar reads
        assert HOOKS.propagate is False
    assert os.environ["LOG_LEVEL"] == "DEBUG" and not is_logging_disabled()
    assert HOOKS.propagate is True
