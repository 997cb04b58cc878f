"""The citizen traffic the end-to-end benchmark sends: a realistic, repeatable mix.

Texts come from the training examples in data/nlu (never eval/): greetings, FAQ questions in
Arabic script (MSA and dialects) and Latin script (Arabizi and English), bare menu numbers, and
taps on the buttons our answers carry (`/ask_fees{"service": ...}` payloads). A small set of
"hot" questions is repeated verbatim, as real traffic repeats the same few questions.
Every message comes from its own citizen, so each reply can be matched to its message by number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

from simulators import whatsapp_payloads as payloads

REPOSITORY = Path(__file__).resolve().parent.parent
NLU_DIR = REPOSITORY / "data" / "nlu"
CATALOG_DIR = REPOSITORY / "data" / "catalog"

FAQ_INTENTS = (
    "ask_fees", "ask_documents", "ask_steps", "ask_location", "ask_duration", "ask_eligibility", "ask_overview",
)
BUTTON_INTENTS = FAQ_INTENTS
BUTTON_TITLES = {
    "ask_fees": "الرسوم", "ask_documents": "الأوراق المطلوبة", "ask_steps": "الخطوات",
    "ask_location": "المكان والدوام", "ask_duration": "المدة", "ask_eligibility": "الشروط",
    "ask_overview": "نظرة عامة",
}
MENU_NUMBERS = ("1", "2", "3", "4", "5", "١", "٢")
# Share of each kind in the traffic; the rest is FAQ questions.
SHARES = {"greeting": 0.15, "menu_number": 0.08, "button": 0.20, "menu_request": 0.05}
HOT_SHARE = 0.35  # of FAQ questions: drawn from a small set repeated verbatim
HOT_SET_SIZE = 12
LATIN_FAQ_SHARE = 0.35  # of FAQ questions: Arabizi and English
_ARABIC = re.compile(r"[\u0600-\u06FF]")
_ARABIZI_HINT = re.compile(
    r"\b\w*[a-z][2357]\w*\b|\b[2357][a-z]\w*\b|\b(bde|bdi|baddi|shu|sho|kam|kaddesh|2addesh|addesh|wein|wen|"
    r"jawaz|hawiye|ra5sa|rkhsa|mnein|keef|kif|lazem|bidi|ana|ya3ni|m3amale|shahade|ta2mee?n|daman|km|bedha|"
    r"bedo|shoo|el|fi|mish|msh|wala|ya|salam)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Message:
    """One inbound message: who sends it and what. `text` for typed messages, else a button tap."""

    index: int
    phone: str
    kind: str  # greeting, faq_ar, faq_arabizi, faq_en, menu_number, menu_request, button
    text: Optional[str] = None
    button_id: Optional[str] = None
    button_title: Optional[str] = None

    @property
    def rasa_text(self) -> str:
        """What the same citizen action looks like on Rasa's REST channel (a button posts its payload)."""
        return self.button_id if self.button_id is not None else (self.text or "")

    def webhook_body(self, phone_number_id: str) -> bytes:
        """Meta's webhook body for this message, serialised as Meta does (what the signature covers)."""
        spec: dict[str, Any] = {"from": self.phone, "name": f"Citizen {self.index}"}
        if self.button_id is not None:
            spec["button_reply"] = {"id": self.button_id, "title": self.button_title}
        else:
            spec["text"] = self.text
        return payloads.encode(payloads.envelope([payloads.message_value(spec, phone_number_id)]))


def sign(body: bytes, app_secret: str) -> str:
    """Meta's X-Hub-Signature-256 header value: HMAC-SHA256 of the raw body with the app secret."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def nlu_examples(intents: tuple[str, ...]) -> dict[str, list[str]]:
    """Training examples per intent, from every data/nlu/*.yml file."""
    found: dict[str, list[str]] = {name: [] for name in intents}
    for path in sorted(NLU_DIR.glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []) or []:
            if block.get("intent") in found:
                lines = str(block.get("examples", "")).splitlines()
                found[block["intent"]] += [line.strip()[2:].strip() for line in lines if line.strip().startswith("- ")]
    return found


def service_ids() -> list[str]:
    ids = []
    for path in sorted(CATALOG_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        ids += [s["id"] for s in data.get("services", []) or [] if isinstance(s, dict) and "id" in s]
    return ids


def latin_kind(text: str) -> str:
    return "faq_arabizi" if _ARABIZI_HINT.search(text) else "faq_en"


def build_traffic(count: int, *, seed: int = 7, phone_prefix: str = "9627") -> list[Message]:
    """`count` messages from `count` different citizens (phones `phone_prefix` + 8 digits)."""
    rng = random.Random(seed)
    examples = nlu_examples(FAQ_INTENTS + ("greet", "list_services"))
    faq = [t for name in FAQ_INTENTS for t in examples[name]]
    arabic_faq = [t for t in faq if _ARABIC.search(t)]
    latin_faq = [t for t in faq if not _ARABIC.search(t)]
    hot = rng.sample(arabic_faq, HOT_SET_SIZE // 2) + rng.sample(latin_faq, HOT_SET_SIZE - HOT_SET_SIZE // 2)
    services = service_ids()
    if not faq or not examples["greet"] or not services:
        raise RuntimeError("data/nlu or data/catalog has no examples to build traffic from")
    messages = []
    for index in range(count):
        phone = f"{phone_prefix}{index:08d}"
        roll = rng.random()
        if roll < SHARES["greeting"]:
            messages.append(Message(index, phone, "greeting", text=rng.choice(examples["greet"])))
            continue
        roll -= SHARES["greeting"]
        if roll < SHARES["menu_number"]:
            messages.append(Message(index, phone, "menu_number", text=rng.choice(MENU_NUMBERS)))
            continue
        roll -= SHARES["menu_number"]
        if roll < SHARES["button"]:
            intent = rng.choice(BUTTON_INTENTS)
            payload = f"/{intent}" + json.dumps({"service": rng.choice(services)}, ensure_ascii=False)
            messages.append(Message(index, phone, "button", button_id=payload, button_title=BUTTON_TITLES[intent]))
            continue
        roll -= SHARES["button"]
        if roll < SHARES["menu_request"]:
            messages.append(Message(index, phone, "menu_request", text=rng.choice(examples["list_services"])))
            continue
        if rng.random() < HOT_SHARE:
            text = rng.choice(hot)
        else:
            text = rng.choice(latin_faq if rng.random() < LATIN_FAQ_SHARE else arabic_faq)
        kind = "faq_ar" if _ARABIC.search(text) else latin_kind(text)
        messages.append(Message(index, phone, kind, text=text))
    return messages


def describe_mix(messages: list[Message]) -> str:
    counts: dict[str, int] = {}
    for m in messages:
        counts[m.kind] = counts.get(m.kind, 0) + 1
    texts = [m.rasa_text for m in messages]
    repeats = len(texts) - len(set(texts))
    parts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    return f"{parts}; {repeats} verbatim repeats"
