"""The shapes of a WhatsApp Cloud API webhook body, checked before anything reads them.

Two levels, because one bad item must not cost its neighbours:
- the body (`refusal`): nesting depth, list lengths, `object` and the `entry` list. A body that fails
  here is refused whole with a reason (the webhook answers 422);
- each item (`Entry`, `Change`, `Value`, `Contact`, each message type, `Status`): validated on its
  own, so an invalid one is skipped with a line naming the cause while the valid ones beside it
  go through.

Identity fields (ids, addresses, type, status) are strict: a number or an object where Meta sends a
string makes the item invalid. Fields we only show (a profile name, an error title, a caption) are
coerced to bounded text or dropped instead: a wrong type there never costs a citizen's message or a
failure status. Unknown fields are ignored (Meta adds fields without notice); unknown message types
are kept as "unsupported" and get a polite reply.
"""

from __future__ import annotations

from typing import Any, List, Optional, Union

from pydantic import BaseModel, Extra, Field, StrictBool, StrictFloat, StrictInt, StrictStr, ValidationError, constr, root_validator, validator

OBJECT = "whatsapp_business_account"
# Meta batches up to a few hundred updates in a body; these bounds are far above that and far below
# what would make one request expensive. Beyond them the body is refused whole, with the reason.
MAX_ITEMS = 1000  # any list: entries, changes, messages, statuses, contacts, errors
MAX_DEPTH = 32  # Meta's deepest documented field is 9 levels down
ID_CHARS = 256  # wamids are ~60 characters; Meta caps button and row ids at 256 and 200
DISPLAY_CHARS = 256  # profile names, captions, reply titles, place names
TITLE_CHARS = 300  # error titles and messages

# No control characters: ids are logged, and a newline in one could forge a log line.
Id = constr(strict=True, min_length=1, max_length=ID_CHARS, regex=r"^[^\x00-\x1f\x7f\u2028\u2029]+$")
Digits = constr(strict=True, regex=r"^[0-9]{1,20}$")
Number = Union[StrictInt, StrictFloat]


def display_text(value: Any, limit: int = DISPLAY_CHARS) -> Optional[str]:
    """A field we only show, as bounded text; None for empty, boolean or compound values (PostgreSQL
    refuses a boolean or an object for a text column, which once failed a whole webhook with a 500)."""
    if value is None or isinstance(value, (bool, dict, list)) or value == "":
        return None
    return str(value)[:limit]


class _Shape(BaseModel):
    class Config:
        extra = Extra.ignore
        allow_population_by_field_name = True


def _shown(*fields: str, limit: int = DISPLAY_CHARS):
    """A pre-validator turning `fields` into display text (see `display_text`)."""
    return validator(*fields, pre=True, allow_reuse=True)(lambda value: display_text(value, limit))


# --- the envelope ---------------------------------------------------------------------------------


class Entry(_Shape):
    id: Optional[Union[StrictStr, StrictInt]] = None
    changes: List[Any] = Field(..., min_items=1)


class Change(_Shape):
    field: StrictStr
    value: dict


class Metadata(_Shape):
    phone_number_id: Optional[Union[Digits, StrictInt]] = None  # type: ignore[valid-type]


class Value(_Shape):
    """`change.value` of a `messages` change: the lists are checked item by item afterwards."""

    metadata: Optional[Metadata] = None
    contacts: List[Any] = []
    messages: List[Any] = []
    statuses: List[Any] = []
    errors: List[Any] = []


class Profile(_Shape):
    name: Optional[str] = None
    _name = _shown("name")


class Contact(_Shape):
    wa_id: Optional[StrictStr] = None
    user_id: Optional[Id] = None
    profile: Optional[Profile] = None

    @validator("profile", pre=True)
    def _profile_or_nothing(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None  # a name is only shown: never worth the contact


# --- messages, by type ------------------------------------------------------------------------------


class Context(_Shape):
    id: Optional[Id] = None


class Message(_Shape):
    """What every message carries, whatever its type."""

    id: Id
    from_: Optional[StrictStr] = Field(None, alias="from")
    from_user_id: Optional[Id] = None
    timestamp: Any = None  # a bad timestamp must not lose the message: parse.py falls back to now
    type: StrictStr = ""
    context: Optional[Context] = None

    @validator("context", pre=True)
    def _context_or_nothing(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else None  # which message it answers is a nicety


class TextBody(_Shape):
    body: StrictStr


class TextMessage(Message):
    text: TextBody


class Reply(_Shape):
    id: Id
    title: Optional[str] = None
    _title = _shown("title")


class Interactive(_Shape):
    type: StrictStr
    button_reply: Optional[Reply] = None
    list_reply: Optional[Reply] = None

    @root_validator(skip_on_failure=True)
    def _reply_of_its_type(cls, values: dict) -> dict:
        kind = values.get("type")
        if kind in ("button_reply", "list_reply") and values.get(kind) is None:
            raise ValueError(f"an interactive {kind} without its {kind}")
        return values


class InteractiveMessage(Message):
    interactive: Interactive


class Button(_Shape):
    payload: Id
    text: Optional[str] = None
    _text = _shown("text")


class ButtonMessage(Message):
    button: Button


class Location(_Shape):
    latitude: Optional[Number] = None
    longitude: Optional[Number] = None
    name: Optional[str] = None
    address: Optional[str] = None
    _words = _shown("name", "address")


class LocationMessage(Message):
    location: Location


class Media(_Shape):
    id: Optional[Id] = None
    mime_type: Optional[constr(strict=True, max_length=128)] = None  # type: ignore[valid-type]
    caption: Optional[str] = None
    voice: Optional[StrictBool] = None
    _caption = _shown("caption", limit=4096)  # captions are text the citizen wrote: WhatsApp's text limit


MEDIA_TYPES = ("image", "audio", "voice", "video", "document", "sticker")
_MEDIA_MODELS = {
    kind: type(f"{kind.title()}Message", (Message,), {"__annotations__": {kind: Media}, "__module__": __name__})
    for kind in MEDIA_TYPES
}
MESSAGE_MODELS: dict[str, type[Message]] = {
    "text": TextMessage,
    "interactive": InteractiveMessage,
    "button": ButtonMessage,
    "location": LocationMessage,
    **_MEDIA_MODELS,
}


def message_model(raw: Any) -> type[Message]:
    """The model for a message by its `type`; the common one for types we do not read."""
    kind = raw.get("type") if isinstance(raw, dict) else None
    return MESSAGE_MODELS.get(kind, Message) if isinstance(kind, str) else Message


# --- statuses --------------------------------------------------------------------------------------


class StatusError(_Shape):
    code: Optional[Union[StrictInt, StrictStr]] = None
    title: Optional[str] = None
    message: Optional[str] = None
    _words = _shown("title", "message", limit=TITLE_CHARS)

    @validator("code", pre=True)
    def _code_or_nothing(cls, value: Any) -> Any:
        return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


class Status(_Shape):
    id: Id
    status: StrictStr
    timestamp: Any = None
    recipient_id: Optional[StrictStr] = None
    recipient_user_id: Optional[Id] = None
    errors: List[Any] = []
    biz_opaque_callback_data: Any = None  # ours, echoed by Meta: read by channels/whatsapp/references.py

    @validator("errors", pre=True)
    def _errors_as_list(cls, value: Any) -> Any:
        return value if isinstance(value, list) else []  # the failure still counts without its reason

    def first_error(self) -> StatusError:
        for error in self.errors:
            if isinstance(error, dict):
                try:
                    return StatusError.parse_obj(error)
                except ValidationError:
                    break
        return StatusError()


# --- reading ---------------------------------------------------------------------------------------


class Invalid(ValueError):
    """One item failed its schema; the message names the fields and why, never their values."""


def validate(model: type[_Shape], raw: Any) -> Any:
    """`raw` as `model`, or Invalid naming each bad field (pydantic's messages carry no values)."""
    if not isinstance(raw, dict):
        raise Invalid(f"not an object ({_json_type(raw)})")
    try:
        return model.parse_obj(raw)
    except ValidationError as error:
        raise Invalid("; ".join(f"{_path(e['loc'])}: {e['msg']}" for e in error.errors())) from None


def refusal(payload: Any) -> Optional[str]:
    """Why a whole body cannot be read (too deep, a list too long, not a WhatsApp webhook), or None."""
    bound = _over_bounds(payload)
    if bound:
        return bound
    if not isinstance(payload, dict):
        return "body is not a JSON object"
    if payload.get("object") != OBJECT:
        shown = payload.get("object")
        shown = repr(shown[:40]) if isinstance(shown, str) else _json_type(shown)
        return f"object is {shown}, not {OBJECT}"
    if not isinstance(payload.get("entry"), list):
        return f"entry is {_json_type(payload.get('entry'))}, not a list"
    return None


def _over_bounds(payload: Any) -> Optional[str]:
    """Depth and list lengths, walked without recursion (the body may be as deep as the JSON parser
    allows)."""
    stack: list[tuple[Any, int, str]] = [(payload, 1, "body")]
    while stack:
        node, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels (at {where})"
        if isinstance(node, list):
            if len(node) > MAX_ITEMS:
                return f"{where} has {len(node)} items, more than {MAX_ITEMS}"
            stack.extend((item, depth + 1, f"{where}[{i}]") for i, item in enumerate(node) if isinstance(item, (list, dict)))
        elif isinstance(node, dict):
            stack.extend((item, depth + 1, f"{where}.{_key(k)}") for k, item in node.items() if isinstance(item, (list, dict)))
    return None


def _key(key: str) -> str:
    return key if len(key) <= 40 and key.isidentifier() else "<key>"


def _path(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) or "item"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
