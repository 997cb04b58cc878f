"""Turns replayed instead of run through Rasa's dialogue again, and parses of exact repeats.

Real traffic repeats itself: on a busy day thousands of citizens ask for the passport fees, in a
hundred wordings, and button taps carry the same payloads. In our bot, once the NLU has parsed a
message, a turn's outcome depends only on
  - the intent's name and the entities (names and values): what the rules and actions read,
  - the dialogue state: slots, active form, last action, whether this turn opens a new session,
  - the citizen's chosen language and the catalog's version,
provided every action the turn runs is repeatable (actions/repeatable.py: no records written, no
backend asked). So the first such turn runs through Rasa and we keep its output and the tracker
events it appended; the next turn with the same key appends the same events (its own user message,
fresh timestamps) to the citizen's tracker and returns the same output. The tracker ends up as Rasa
would have left it, so later turns see the same context (tests/dialogue/test_answer_cache.py checks
fast == slow turn by turn).

Parses are cached too, keyed by the text exactly as Rasa sees it (stripped) and the chosen language:
not a normalised form, because the sentence encoder reads the text as written, so two spellings that
normalise alike can still be classified differently.

Entries expire (catalog answers can be edited) and both caches are bounded (LRU), per process.
"""

from __future__ import annotations

import copy
import time
import uuid
from dataclasses import dataclass
from typing import Any, Hashable, Optional

from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.repeatable import REPEATABLE_ACTIONS
from core.lru import Lru

DEFAULT_MAX_ENTRIES = 20_000
DEFAULT_TTL_S = 600.0


@dataclass(frozen=True)
class CachedTurn:
    outputs: tuple[dict[str, Any], ...]  # what the output channel collected (replies, review signal)
    events: tuple[dict[str, Any], ...]  # the tracker events the turn appended, serialised


def understanding_key(parse: dict[str, Any]) -> Hashable:
    """What the dialogue reads of a parse: the intent's name and the entities' names and values."""
    entities = tuple(
        sorted(
            (str(e.get("entity")), str(e.get("role")), str(e.get("group")), _hashable(e.get("value")))
            for e in parse.get("entities") or []
        )
    )
    return ((parse.get("intent") or {}).get("name"), entities)


def dialogue_state(tracker: DialogueStateTracker, starts_session: bool) -> Hashable:
    """What of the tracker can change a turn's outcome in this bot: the slots, the active form,
    the last action, and whether this turn opens a new session."""
    slots = tuple(sorted((name, _hashable(value)) for name, value in tracker.current_slot_values().items()))
    return (slots, tracker.active_loop_name, tracker.latest_action_name, starts_session)


def repeatable(events: list[Event]) -> bool:
    """A turn may be replayed if every action it ran is repeatable (so no form ran, no record was
    written and no backend was asked)."""
    actions = [e.action_name for e in events if isinstance(e, ActionExecuted)]
    return bool(actions) and all(name in REPEATABLE_ACTIONS for name in actions)


def replay(
    tracker: DialogueStateTracker,
    turn: CachedTurn,
    *,
    text: str,
    parse: dict[str, Any],
    metadata: dict[str, Any],
) -> None:
    """Append a cached turn's events as if they happened now, with this message as the user's."""
    now = time.time()
    for serialised in turn.events:
        if serialised.get("event") == UserUttered.type_name:
            event: Event = UserUttered(
                text,
                parse["intent"],
                parse["entities"],
                parse,
                input_channel=serialised.get("input_channel"),
                message_id=uuid.uuid4().hex,
                metadata=dict(metadata),
            )
        else:
            event = Event.from_parameters(dict(serialised))
        event.timestamp = now
        tracker.update(event)


class AnswerCache:
    """One per process (per loaded model): turns by (understanding, state), parses by text."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES, ttl_s: float = DEFAULT_TTL_S) -> None:
        self.turns: Lru[CachedTurn] = Lru(max_entries, ttl_s)
        self.parses: Lru[dict[str, Any]] = Lru(max_entries, ttl_s)

    def parse(self, key: Hashable) -> Optional[dict[str, Any]]:
        parse = self.parses.get(key)
        if parse is None:
            return None
        # Rasa keeps the parse dict inside the tracker's event: each turn gets its own copy, with
        # its own message id, as a fresh parse would have.
        parse = copy.deepcopy(parse)
        if "message_id" in parse:
            parse["message_id"] = uuid.uuid4().hex
        return parse

    def keep_parse(self, key: Hashable, parse: dict[str, Any]) -> None:
        self.parses.put(key, copy.deepcopy(parse))

    def turn(self, key: Hashable) -> Optional[CachedTurn]:
        return self.turns.get(key)

    def keep_turn(self, key: Hashable, outputs: list[dict[str, Any]], events: list[Event]) -> None:
        self.turns.put(key, CachedTurn(tuple(copy.deepcopy(outputs)), tuple(e.as_dict() for e in events)))


def _hashable(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return value
