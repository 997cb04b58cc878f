"""Checks on the held-out evaluation sets in eval/.

These files are written independently of data/nlu/ so they measure the NLU honestly; the checks keep
them well-formed, labelled from the allowed sets, the agreed sizes and mix, and free of duplicates or
leaks into the training data.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EVAL_DIR = REPO / "eval"
HELDOUT = EVAL_DIR / "tawasol_heldout.jsonl"
# A second author's set (450 lines), written later without seeing the first or the training data.
HELDOUT_B = EVAL_DIR / "tawasol_heldout_b.jsonl"
# A third author's set, kept only where no text occurs in the training data or the other sets.
HELDOUT_C = EVAL_DIR / "tawasol_heldout_c.jsonl"
AMBIGUOUS = EVAL_DIR / "ambiguous.jsonl"
OTHER_DOMAIN = EVAL_DIR / "other_domain"
# Other-domain stand-ins (directory, intents): banking, telecom and travel, 20 examples an intent each.
STAND_INS = [
    (OTHER_DOMAIN, 35),
    (EVAL_DIR / "other_domain_telecom", 30),
    (EVAL_DIR / "other_domain_travel", 30),
]
NLU_TRAINING_DIR = REPO / "data" / "nlu"

ASPECT_INTENTS = {
    "ask_fees",
    "ask_documents",
    "ask_steps",
    "ask_location",
    "ask_duration",
    "ask_eligibility",
    "ask_overview",
}
DIALOGUE_INTENTS = {
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "transaction_status",
    "subscribe_alerts",
    "unsubscribe",
    "human_handoff",
    "complaint",
    "bot_challenge",
    "list_services",
    "out_of_scope",
}
TAWASOL_INTENTS = ASPECT_INTENTS | DIALOGUE_INTENTS
SERVICE_IDS = {
    "cspd.passport_new",
    "cspd.passport_renew",
    "cspd.id_card",
    "cspd.id_card_lost",
    "cspd.birth_certificate",
    "cspd.family_book",
    "dvld.driving_license_renew",
    "dvld.vehicle_license_renew",
    "psd.traffic_violations",
    "moj.non_conviction",
    "istd.income_tax_return",
    "istd.tax_clearance",
    "ssc.insurance_statement",
    "ssc.unemployment_benefit",
    "ssc.retirement",
    "moh.health_insurance",
    "moh.health_certificate",
    "mol.work_permit",
    "moe.tawjihi_results",
    "moe.certificate_equivalency",
    "dls.property_certificate",
    "gam.vocational_license",
    "gam.building_permit",
    "moi.residence_permit",
    "modee.sanad_digital_id",
    "modee.gov_sms_service",
    "modee.whatsapp_service",
}
LANGUAGES = {"ar", "en", "arabizi"}
ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")
SNAKE_CASE = re.compile(r"^[a-z]+(_[a-z]+)*$")

BANKING_TRAIN_PER_INTENT = 20
BANKING_TEST_PER_INTENT = 10


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, 1):
            assert line.strip(), f"{path.name}:{line_number} is blank"
            rows.append(json.loads(line))
    return rows


def normalise(text: str) -> str:
    """Comparison key: duplicates differing only in case or spacing still count as duplicates."""
    return " ".join(text.split()).casefold()


def duplicated(texts: list[str]) -> list[str]:
    return [text for text, count in Counter(normalise(t) for t in texts).items() if count > 1]


@pytest.fixture(scope="module")
def heldout() -> list[dict]:
    return read_jsonl(HELDOUT)


@pytest.fixture(scope="module")
def heldout_b() -> list[dict]:
    return read_jsonl(HELDOUT_B)


@pytest.fixture(scope="module")
def heldout_c() -> list[dict]:
    return read_jsonl(HELDOUT_C)


@pytest.fixture(scope="module", params=[HELDOUT, HELDOUT_B, HELDOUT_C], ids=lambda path: path.name)
def any_heldout(request) -> list[dict]:
    return read_jsonl(request.param)


@pytest.fixture(scope="module")
def ambiguous() -> list[dict]:
    return read_jsonl(AMBIGUOUS)


@pytest.fixture(scope="module", params=STAND_INS, ids=lambda stand_in: stand_in[0].name)
def stand_in(request) -> tuple[Path, int]:
    return request.param


@pytest.fixture(scope="module")
def banking_train(stand_in) -> dict[str, list[str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    training_data = load_data(str(stand_in[0] / "train.yml"))
    by_intent: dict[str, list[str]] = {}
    for message in training_data.intent_examples:
        by_intent.setdefault(message.get("intent"), []).append(message.get("text"))
    return by_intent


@pytest.fixture(scope="module")
def banking_train_dialects(stand_in) -> dict[str, Counter]:
    from rasa.shared.nlu.training_data.loading import load_data

    dialects: dict[str, Counter] = {}
    for message in load_data(str(stand_in[0] / "train.yml")).intent_examples:
        dialect = (message.get("metadata") or {}).get("example", {}).get("dialect")
        dialects.setdefault(message.get("intent"), Counter())[dialect] += 1
    return dialects


# --- tawasol_heldout.jsonl -------------------------------------------------------------------


def test_heldout_rows_have_the_agreed_fields_and_labels(any_heldout):
    for row in any_heldout:
        assert set(row) == {"text", "intent", "service_id", "language"}, row
        assert isinstance(row["text"], str) and row["text"] == row["text"].strip() and row["text"], row
        assert row["intent"] in TAWASOL_INTENTS, row
        assert row["service_id"] is None or row["service_id"] in SERVICE_IDS, row
        assert row["language"] in LANGUAGES, row


def test_heldout_size_is_about_900(heldout):
    assert 850 <= len(heldout) <= 950


def test_heldout_has_no_duplicate_texts(any_heldout):
    assert duplicated([row["text"] for row in any_heldout]) == []


def test_second_heldout_covers_every_intent_service_and_language(heldout_b):
    assert 400 <= len(heldout_b) <= 500
    assert {row["intent"] for row in heldout_b} == TAWASOL_INTENTS
    assert {row["service_id"] for row in heldout_b if row["service_id"]} == SERVICE_IDS
    languages = Counter(row["language"] for row in heldout_b)
    assert all(languages[language] / len(heldout_b) >= 0.15 for language in LANGUAGES), languages


def test_third_heldout_covers_every_service_and_language_and_is_fresh(heldout_c, heldout, heldout_b, ambiguous):
    assert 300 <= len(heldout_c) <= 450
    assert {row["service_id"] for row in heldout_c if row["service_id"]} == SERVICE_IDS
    languages = Counter(row["language"] for row in heldout_c)
    assert all(languages[language] / len(heldout_c) >= 0.15 for language in LANGUAGES), languages
    # Unlike A and B, not even a one-word reply is shared with the other sets.
    others = {normalise(row["text"]) for row in heldout + heldout_b + ambiguous}
    assert [row["text"] for row in heldout_c if normalise(row["text"]) in others] == []


def test_heldout_language_tag_matches_the_script(any_heldout):
    # Arabizi and English are written in Latin script; an Arabic letter in them means a wrong tag.
    wrong = [
        row
        for row in any_heldout
        if bool(ARABIC_LETTER.search(row["text"])) != (row["language"] == "ar")
    ]
    assert wrong == []


def test_heldout_mix_of_intents(heldout):
    intents = Counter(row["intent"] for row in heldout)
    aspect_share = sum(intents[name] for name in ASPECT_INTENTS) / len(heldout)
    assert 0.55 <= aspect_share <= 0.66
    for name in ASPECT_INTENTS:
        assert 60 <= intents[name] <= 110, (name, intents[name])
    for name in DIALOGUE_INTENTS:
        assert intents[name] >= 20, (name, intents[name])


def test_heldout_has_about_15_percent_follow_ups_without_a_service(heldout):
    follow_ups = [row for row in heldout if row["intent"] in ASPECT_INTENTS and row["service_id"] is None]
    assert 0.12 <= len(follow_ups) / len(heldout) <= 0.18
    # Each aspect must be asked as a follow-up, not just some of them.
    assert {row["intent"] for row in follow_ups} == ASPECT_INTENTS


def test_heldout_covers_every_service(heldout):
    services = Counter(row["service_id"] for row in heldout if row["service_id"])
    assert set(services) == SERVICE_IDS
    for service_id, count in services.items():
        assert count >= 10, (service_id, count)


def test_heldout_asks_several_aspects_of_every_service(heldout):
    aspects_by_service: dict[str, set[str]] = {}
    for row in heldout:
        if row["service_id"] and row["intent"] in ASPECT_INTENTS:
            aspects_by_service.setdefault(row["service_id"], set()).add(row["intent"])
    thin = {sid: sorted(aspects) for sid, aspects in aspects_by_service.items() if len(aspects) < 5}
    assert thin == {}


def test_heldout_language_mix(heldout):
    languages = Counter(row["language"] for row in heldout)
    for language in LANGUAGES:
        assert languages[language] / len(heldout) >= 0.15, languages


# --- ambiguous.jsonl -------------------------------------------------------------------------


def test_ambiguous_rows_are_well_formed(ambiguous):
    assert 25 <= len(ambiguous) <= 35
    for row in ambiguous:
        assert set(row) == {"text", "intent", "service_id", "language", "candidates"}, row
        assert row["service_id"] is None, row
        assert row["intent"] in TAWASOL_INTENTS, row
        assert row["language"] in LANGUAGES, row
        assert len(row["candidates"]) >= 2, row
        assert len(set(row["candidates"])) == len(row["candidates"]), row
        assert set(row["candidates"]) <= SERVICE_IDS, row
    assert duplicated([row["text"] for row in ambiguous]) == []


def test_ambiguous_and_heldout_do_not_share_texts(heldout, ambiguous):
    heldout_texts = {normalise(row["text"]) for row in heldout}
    assert [row["text"] for row in ambiguous if normalise(row["text"]) in heldout_texts] == []


# --- other_domain* (banking, telecom, travel stand-ins) ------------------------------------------------------------------


def test_stand_in_train_loads_with_rasa_and_has_20_examples_per_intent(banking_train, stand_in):
    assert len(banking_train) == stand_in[1]
    for intent, examples in banking_train.items():
        assert SNAKE_CASE.match(intent), intent
        assert len(examples) == BANKING_TRAIN_PER_INTENT, (intent, len(examples))
    all_examples = [text for examples in banking_train.values() for text in examples]
    assert duplicated(all_examples) == []


def test_stand_in_train_is_half_msa_half_levantine(banking_train_dialects):
    # Each example carries metadata.dialect so the split is checkable, not guessed from keywords.
    expected = Counter({"msa": BANKING_TRAIN_PER_INTENT // 2, "lev": BANKING_TRAIN_PER_INTENT // 2})
    for intent, dialects in banking_train_dialects.items():
        assert dialects == expected, (intent, dialects)


@pytest.mark.parametrize("file_name", ["test_msa.jsonl", "test_lev.jsonl"])
def test_stand_in_test_files_have_10_fresh_examples_per_intent(banking_train, stand_in, file_name):
    rows = read_jsonl(stand_in[0] / file_name)
    for row in rows:
        assert set(row) == {"text", "intent"}, row
        assert row["text"].strip() == row["text"] and row["text"], row
    counts = Counter(row["intent"] for row in rows)
    assert set(counts) == set(banking_train)
    assert set(counts.values()) == {BANKING_TEST_PER_INTENT}
    assert duplicated([row["text"] for row in rows]) == []
    train_texts = {normalise(text) for examples in banking_train.values() for text in examples}
    assert [row["text"] for row in rows if normalise(row["text"]) in train_texts] == []


def test_stand_in_msa_and_levantine_tests_do_not_overlap(stand_in):
    msa = {normalise(row["text"]) for row in read_jsonl(stand_in[0] / "test_msa.jsonl")}
    lev = {normalise(row["text"]) for row in read_jsonl(stand_in[0] / "test_lev.jsonl")}
    assert msa & lev == set()


# --- independence from the training data -----------------------------------------------------


def nlu_training_texts() -> set[str]:
    from rasa.shared.nlu.training_data.loading import load_data

    texts: set[str] = set()
    for path in sorted(NLU_TRAINING_DIR.rglob("*.yml")):
        for message in load_data(str(path)).intent_examples:
            texts.add(normalise(message.get("text")))
    return texts


@pytest.mark.skipif(not NLU_TRAINING_DIR.is_dir(), reason="data/nlu/ not written yet")
def test_heldout_sentences_are_not_copied_into_the_training_data(heldout, heldout_b, heldout_c, ambiguous):
    # One-word replies ("شكرا", "yes") coincide by nature; a sentence of four words or more in both
    # would make the held-out score a training score. The third set shares no text at all.
    training = nlu_training_texts()
    sentences = [row["text"] for row in heldout + heldout_b + ambiguous if len(row["text"].split()) >= 4]
    leaked = [text for text in sentences + [row["text"] for row in heldout_c] if normalise(text) in training]
    assert leaked == [], leaked
