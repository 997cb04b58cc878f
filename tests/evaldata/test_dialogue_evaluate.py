"""`tawasol dialogue evaluate` end to end on a handful of conversations: the real service (a
development-mode child process with the session's model), WhatsApp webhooks and SMS, and a table
whose numbers are computed from what the service answered: a conversation built to be wrong is
counted wrong."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bot.cli import app

pytestmark = pytest.mark.slow

# The first question is the one tests/e2e/test_whatsapp_service.py sees answered with the passport
# renewal fee; the expectations below are right for it, then deliberately wrong for the same question.
DIALOGUES = """\
kind: carry_over
conversations:
  - id: built-right
    register: jordanian
    turns:
      - say: "قديش رسوم تجديد جواز السفر؟"
        expect: {service: cspd.passport_renew, aspect: fees, language: ar, no_prompt: [transaction_number]}
      - say: "مرحبا"
        expect: {service: none, language: ar}
  - id: built-wrong
    register: jordanian
    turns:
      - say: "قديش رسوم تجديد جواز السفر؟"
        expect: {service: moj.non_conviction, language: en}
      - say: "شكرا"
        expect: {service: not_yet, language: ar}
"""
QUESTION = {"text": "كيف بسجل شركة ذات مسؤولية محدودة؟", "topic": "company registration", "language": "ar"}


def test_the_table_counts_a_conversation_built_to_be_wrong_as_wrong(trained_model, tmp_path):
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "handful.yml").write_text(DIALOGUES, encoding="utf-8")
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps(QUESTION, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "turns.json"

    run = CliRunner().invoke(
        app,
        ["dialogue", "evaluate", "--set", str(tmp_path / "set"), "--not-in-catalog", str(questions),
         "--model", str(trained_model), "--json", str(out), "--workers", "1"],
    )
    assert run.exit_code == 0, run.output
    turns = json.loads(out.read_text(encoding="utf-8"))
    assert len(turns) == 2 * 4 + 2  # four dialogue turns and one question, on both channels
    assert not [t for t in turns if t["error"]]

    by = {(t["conversation"], t["channel"], t["turn"]): t for t in turns}
    for channel in ("whatsapp", "sms"):
        right = by[("built-right", channel, 1)]
        assert right["outcome"] == "right" and right["language_right"] is True and right["prompt_seen"] is False
        wrong = by[("built-wrong", channel, 1)]
        assert wrong["outcome"] == "other_service" and wrong["answered"] == ["cspd.passport_renew"]
        assert wrong["language_right"] is False
        assert by[("q-001", channel, 1)]["stored_for_review"] in (True, False)
    assert by[("built-right", "sms", 1)]["segments"] >= 1

    # The printed rows are these turns counted: per channel, the service right on 2 or 3 of 4 turns
    # (the thanks may or may not be honest), never the wrong first turn.
    right_per_channel = {
        channel: sum(t["outcome"] == "right" for t in turns if t["channel"] == channel and t["kind"] != "questions")
        for channel in ("whatsapp", "sms")
    }
    for channel, hits in right_per_channel.items():
        assert hits in (2, 3)
        row = next(line for line in run.output.splitlines() if line.startswith(f"all ({channel})"))
        assert f"{100 * hits / 4:.0f}% {hits}/4" in row
        assert "75% 3/4" in row  # language: the built-wrong "en" is the one miss
    questions_row = next(line for line in run.output.splitlines() if line.startswith("whatsapp "))
    assert questions_row.split("|")[1].strip() == "1"
