"""Malformed WhatsApp webhook bodies, generated from a seed (for `bench.fuzz` and its CI test).

Each body starts as a valid webhook in one of Meta's documented shapes (text, interactive, button,
location, media, statuses, batches of several citizens) and is then broken one way, named by its
kind: a wrong type where an object is expected, a missing field, a huge or odd string, an unknown
message type, statuses for ids we never sent, deep nesting, a huge list, bytes that are not JSON,
a body over the size cap. A few stay valid, as a control. Every message id is fresh, so nothing is
dropped as a redelivery.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any, Callable

OBJECT = "whatsapp_business_account"
MEDIA = ("image", "audio", "video", "document", "sticker")
ODD_STRINGS = [
    "",
    " ",
    "\x00",
    "\u202e\u200f\ufeff",
    "\ud83d",  # half of an emoji: a lone surrogate in the JSON text
    "😀" * 50,
    "ـ" * 200,
    "9" * 400,
    "-1",
    "1e309",
    "NaN",
    "null",
    "../../etc/passwd",
    "'; DROP TABLE messages; --",
    "<script>alert(1)</script>",
    "%s%s%s%n",
    "wamid." + "A" * 300,
]


@dataclass(frozen=True)
class FuzzBody:
    kind: str
    body: bytes


class BodyFactory:
    """Bodies for one seed; `phone_number_id` is the business number the service answers for."""

    def __init__(self, seed: int, phone_number_id: str) -> None:
        self.random = random.Random(seed)
        self.phone_number_id = phone_number_id
        self._serial = 0

    # --- valid material ---------------------------------------------------------------------------

    def wamid(self) -> str:
        self._serial += 1
        return f"wamid.fuzz{self.random.getrandbits(48):012x}{self._serial}"

    def citizen(self) -> str:
        return f"96279{self.random.randrange(10**7):07d}"

    def message(self, sender: str) -> dict[str, Any]:
        kind = self.random.choice(["text", "text", "interactive", "button", "location", *MEDIA])
        message: dict[str, Any] = {"from": sender, "id": self.wamid(), "timestamp": "1765000000", "type": kind}
        if kind == "text":
            message["text"] = {"body": self.random.choice(["مرحبا", "كم رسوم تجديد الجواز؟", "bde ajaded jawaz", "hi"])}
        elif kind == "interactive":
            reply = self.random.choice(["button_reply", "list_reply"])
            message["interactive"] = {"type": reply, reply: {"id": "/greet", "title": "نعم"}}
        elif kind == "button":
            message["button"] = {"payload": "/greet", "text": "Yes"}
        elif kind == "location":
            message["location"] = {"latitude": 31.95, "longitude": 35.91, "name": "Amman"}
        else:
            message[kind] = {"id": "1234567890", "mime_type": "image/jpeg", "caption": "صورة"}
        return message

    def status(self) -> dict[str, Any]:
        status = {
            "id": self.wamid(),  # never sent by us
            "status": self.random.choice(["sent", "delivered", "read", "failed", "deleted", "warning"]),
            "timestamp": "1765000000",
            "recipient_id": self.citizen(),
        }
        if status["status"] == "failed":
            status["errors"] = [{"code": self.random.choice([131026, 131047, 130429, 1]), "title": "Message undeliverable"}]
        return status

    def valid(self) -> dict[str, Any]:
        senders = [self.citizen() for _ in range(self.random.randint(1, 3))]
        value: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "96265000000", "phone_number_id": self.phone_number_id},
            "contacts": [{"profile": {"name": "مواطن"}, "wa_id": s} for s in senders],
            "messages": [self.message(s) for s in senders],
        }
        if self.random.random() < 0.3:
            value["statuses"] = [self.status()]
        change = {"field": "messages", "value": value}
        return {"object": OBJECT, "entry": [{"id": "102290129340398", "changes": [change]}]}

    # --- ways to break it -----------------------------------------------------------------------

    def junk_value(self) -> Any:
        return self.random.choice(
            [None, True, False, 0, -1, 2**63, 1.5, -1e308, "", "x", [], [1, 2], {}, {"a": None}, [[[]]], self.random.choice(ODD_STRINGS)]
        )

    def wrong_type(self) -> dict[str, Any]:
        body = self.valid()
        parent, key = self._pick(body, containers_only=False)
        parent[key] = self.junk_value()
        return body

    def missing_field(self) -> dict[str, Any]:
        body = self.valid()
        for _ in range(self.random.randint(1, 3)):
            parent, key = self._pick(body, containers_only=False, dicts_only=True)
            if isinstance(parent, dict):
                parent.pop(key, None)
        return body

    def huge_string(self) -> dict[str, Any]:
        body = self.valid()
        size = self.random.choice([4097, 10_000, 70_000, 300_000])
        chunk = "".join(self.random.choice("جواز سفر😀a\u0640 ") for _ in range(97))
        text = (chunk * (size // len(chunk) + 1))[:size]
        message = body["entry"][0]["changes"][0]["value"]["messages"][0]
        target = self.random.choice(["text", "id", "from", "name", "caption", "title", "any"])
        if target == "text":
            message.update(type="text", text={"body": text})
        elif target == "id":
            message["id"] = text
        elif target == "from":
            message["from"] = text
        elif target == "name":
            body["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = text
        elif target == "caption":
            message.update(type="image", image={"id": "1", "caption": text})
        elif target == "title":
            message.update(type="interactive", interactive={"type": "list_reply", "list_reply": {"id": "/x", "title": text}})
        else:
            parent, key = self._pick(body, containers_only=False)
            parent[key] = text
        return body

    def odd_string(self) -> dict[str, Any]:
        body = self.valid()
        for _ in range(self.random.randint(1, 4)):
            parent, key = self._pick(body, containers_only=False)
            parent[key] = self.random.choice(ODD_STRINGS)
        return body

    def unknown_type(self) -> dict[str, Any]:
        body = self.valid()
        message = body["entry"][0]["changes"][0]["value"]["messages"][0]
        kind = self.random.choice(["reaction", "unsupported", "system", "order", "hologram", "", "TEXT", "text ", "interactive"])
        message["type"] = kind
        message[kind or "x"] = self.junk_value() if self.random.random() < 0.5 else {"emoji": "👍", "message_id": self.wamid()}
        if kind == "interactive":
            message["interactive"] = {"type": self.random.choice(["nfm_reply", "button_reply", 7]), "button_reply": self.junk_value()}
        return body

    def unknown_status(self) -> dict[str, Any]:
        body = self.valid()
        value = body["entry"][0]["changes"][0]["value"]
        del value["messages"], value["contacts"]
        value["statuses"] = [self.status() for _ in range(self.random.randint(1, 50))]
        return body

    def deep_nesting(self) -> bytes:
        depth = self.random.choice([33, 100, 1000, 5000, 100_000])
        inner = "[" * depth + "]" * depth if self.random.random() < 0.5 else '{"a":' * depth + "1" + "}" * depth
        return f'{{"object":"{OBJECT}","entry":[{{"changes":[{{"field":"messages","value":{{"messages":{inner}}}}}]}}]}}'.encode()

    def huge_list(self) -> dict[str, Any]:
        body = self.valid()
        size = self.random.choice([1001, 5000, 50_000])
        where = self.random.choice(["entry", "changes", "messages", "statuses", "contacts"])
        value = body["entry"][0]["changes"][0]["value"]
        if where == "entry":
            body["entry"] = [{}] * size
        elif where == "changes":
            body["entry"][0]["changes"] = [0] * size
        elif where == "statuses":
            value["statuses"] = [{"id": "x"}] * size
        else:
            value[where] = [None] * size
        return body

    def not_json(self) -> bytes:
        return self.random.choice(
            [b"", b"{", b"\xff\xfe\x00", b"null", b"[]", b'"text"', b"42", b"{'object': 1}", b'{"object":"%s","entry":[' % OBJECT.encode(), bytes(self.random.getrandbits(8) for _ in range(200))]
        )

    def too_large(self) -> bytes:
        return b'{"object":"' + OBJECT.encode() + b'","pad":"' + b"x" * 1_100_000 + b'"}'

    # --- choosing ---------------------------------------------------------------------------------

    KINDS: dict[str, tuple[float, str]] = {
        # kind: (weight, method)
        "valid": (0.05, "valid"),
        "wrong_type": (0.22, "wrong_type"),
        "missing_field": (0.14, "missing_field"),
        "huge_string": (0.08, "huge_string"),
        "odd_string": (0.14, "odd_string"),
        "unknown_type": (0.1, "unknown_type"),
        "unknown_status": (0.08, "unknown_status"),
        "deep_nesting": (0.05, "deep_nesting"),
        "huge_list": (0.06, "huge_list"),
        "not_json": (0.06, "not_json"),
        "too_large": (0.02, "too_large"),
    }

    def next(self) -> FuzzBody:
        kinds = list(self.KINDS)
        kind = self.random.choices(kinds, weights=[self.KINDS[k][0] for k in kinds])[0]
        make: Callable[[], Any] = getattr(self, self.KINDS[kind][1])
        made = make()
        body = made if isinstance(made, bytes) else json.dumps(made, ensure_ascii=self.random.random() < 0.5).encode("utf-8", "surrogatepass")
        return FuzzBody(kind, body)

    def _pick(self, body: Any, *, containers_only: bool, dicts_only: bool = False) -> tuple[Any, Any]:
        """A random (parent, key) anywhere in `body`."""
        slots: list[tuple[Any, Any]] = []
        stack = [body]
        while stack:
            node = stack.pop()
            items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
            for key, child in items:
                wanted = (not containers_only or isinstance(child, (dict, list))) and (not dicts_only or isinstance(node, dict))
                if wanted:
                    slots.append((node, key))
                if isinstance(child, (dict, list)):
                    stack.append(child)
        return self.random.choice(slots) if slots else (body, "object")
