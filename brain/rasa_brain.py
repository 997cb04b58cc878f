"""The brain behind the pipeline: a Rasa agent in this process, custom actions in this process too.

Rasa 3.6 open source only calls custom actions over HTTP, which would mean a second server to start
and ~ms of JSON over loopback per action. `InProcessActionEndpoint` keeps Rasa's own action
protocol (the same request and response dicts) but hands them to rasa_sdk's executor directly.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlparse

import redis.exceptions
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection

from actions.catalog_access import catalog_generation
from actions.replies import ALERT_SERVICE, LANGUAGE_SIGNAL, REVIEW_SIGNAL
from actions.service_answers import ANSWER_PARTS
from brain.answer_cache import AnswerCache, dialogue_state, repeatable, replay, understanding_key
from core.brain import Answer, BrainUnavailable
from core.messages import KIND_CHOICE, BotReply, Choice, InboundMessage, understandable
from catalog.replies import reply_language, say, seed_texts
from dialogue.low_confidence import DEFAULT_THRESHOLD, LowConfidencePolicy, is_low_confidence

logger = logging.getLogger(__name__)

TRACKER_TTL_S = 30 * 24 * 3600  # a month of dialogue context per citizen in Redis


_ACTION_RESULT_VALIDATOR = None


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's check of an action's result, against the same schema, with the validator built once.

    Rasa 3.6 calls `jsonschema.validate` for every action call, which first re-checks the (large,
    constant) events schema itself: 20-25 ms per answered message, a third of a worker's CPU in
    bench/e2e's profile. A compiled validator does the same check of the result in ~0.3 ms.
    """
    global _ACTION_RESULT_VALIDATOR
    if _ACTION_RESULT_VALIDATOR is None:
        schema = RemoteAction.action_response_format_spec()
        _ACTION_RESULT_VALIDATOR = validator_for(schema)(schema)
    try:
        _ACTION_RESULT_VALIDATOR.validate(result)
    except ValidationError as error:
        error.message += ". The custom action returned a result Rasa cannot use."
        raise
    return True


RemoteAction._validate_action_result = _validate_action_result


class InProcessActionEndpoint(EndpointConfig):
    """An action endpoint that runs `actions/` in this process instead of calling a server."""

    def __init__(self, package: str = "actions") -> None:
        super().__init__(url=f"inprocess://{package}")
        self.executor = ActionExecutor()
        self.executor.register_package(package)

    async def request(self, method: str = "post", subpath: Optional[str] = None, **kwargs: Any) -> Any:
        action_call = kwargs["json"]
        try:
            return await self.executor.run(action_call)
        except SdkRejection as rejection:
            # A form's validation refused the message: Rasa lets other policies take over.
            raise ActionExecutionRejection(rejection.action_name, rejection.message) from None


def tracker_store_for(redis_url: Optional[str], domain: Domain) -> TrackerStore:
    """Dialogue state shared between workers through Redis; in memory for a single process."""
    if not redis_url:
        return InMemoryTrackerStore(domain)
    url = urlparse(redis_url)
    return RedisTrackerStore(
        domain,
        host=url.hostname or "localhost",
        port=url.port or 6379,
        db=int((url.path or "/0").lstrip("/") or 0),
        password=url.password,
        record_exp=TRACKER_TTL_S,
        key_prefix="tawasol",
        use_ssl=url.scheme == "rediss",
    )


def low_confidence_threshold(agent: Agent) -> Optional[float]:
    """The model's LowConfidencePolicy threshold, or None if its config has no such policy."""
    for node in agent.processor.model_metadata.predict_schema.nodes.values():
        if node.uses is LowConfidencePolicy:
            return float(node.config.get("threshold", DEFAULT_THRESHOLD))
    return None


def _carried_slots(tracker: Any) -> list[SlotSet]:
    """The slots a new session keeps (carry_over_slots_to_new_session), as action_session_start sets them."""
    return [SlotSet(name, slot.value) for name, slot in tracker.slots.items() if slot.value is not None and name != "session_started_metadata"]


def entity_value(parse: dict[str, Any], name: str) -> Optional[str]:
    return next((e["value"] for e in parse.get("entities", []) if e.get("entity") == name), None)


DEFAULT_FALLBACK = "default_fallback"


def _rasa_fallback_texts() -> set[str]:
    """domain.yml's utter_default texts, which the replies file's `default_fallback` repeats."""
    return set(seed_texts(DEFAULT_FALLBACK).values())


class RasaBrain:
    def __init__(self, agent: Agent, cache: Optional[AnswerCache] = None) -> None:
        self.agent = agent
        self.cache = cache
        self.model_path: Optional[str] = None
        # The dialogue treats a guess under this confidence differently, so cached turns must too.
        self._threshold = low_confidence_threshold(agent)
        # One parse at a time, as when parses ran on the event loop: our NLU components keep caches
        # that were never meant to be shared between threads.
        self._parsing = threading.Lock()

    @classmethod
    def load(
        cls,
        model_path: Optional[str],
        redis_url: Optional[str] = None,
        *,
        cache_size: int = 0,
        tracker_store: Optional[TrackerStore] = None,
    ) -> "RasaBrain":
        """`model_path`: the archive chosen (TAWASOL_MODEL, the registry's active model, else the
        newest). `tracker_store`: the dialogue state of the model this one replaces, so conversations
        carry on across a switch (in memory, it would otherwise start empty)."""
        if not model_path:
            raise FileNotFoundError("no trained model: run `tawasol train` first, or set TAWASOL_MODEL")
        path = Path(model_path)
        started = time.perf_counter()
        agent = Agent.load(
            str(path), action_endpoint=InProcessActionEndpoint(), lock_store=InMemoryLockStore()
        )
        agent.tracker_store = tracker_store or tracker_store_for(redis_url, agent.domain)
        agent.processor.tracker_store = agent.tracker_store
        logger.info(
            "rasa model loaded model=%s seconds=%.1f tracker_store=%s",
            path.name, time.perf_counter() - started, type(agent.tracker_store).__name__,
        )
        brain = cls(agent, AnswerCache(cache_size) if cache_size > 0 else None)
        brain.model_path = str(path)
        return brain

    async def parse(self, text: str, metadata: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        """NLU only: intent, entities and the language the text is written in (of the text's first
        MAX_TEXT_CHARS: the model's time grows with the text)."""
        message = UserMessage(understandable(text), metadata=metadata or {})
        processor = self.agent.processor

        def parse_here() -> dict[str, Any]:
            with self._parsing:
                return asyncio.run(processor.parse_message(message))

        # Rasa runs the NLU graph synchronously inside its async parse_message: tens of milliseconds
        # for a question, but seconds for thousands of characters of words no model knows, which on
        # the event loop held every webhook of this process (a 70,000-character body once held
        # requests past 10 s). In a thread of its own, the web tier keeps answering meanwhile.
        return await asyncio.to_thread(parse_here)

    async def respond(
        self, conversation_key: str, message: InboundMessage, *, language: Optional[str] = None
    ) -> Answer:
        try:
            return await self._respond(conversation_key, message, language)
        except redis.exceptions.RedisError as exc:  # the tracker store: dialogue state unreachable
            raise BrainUnavailable(f"dialogue state unavailable: {type(exc).__name__}") from exc

    async def _respond(self, conversation_key: str, message: InboundMessage, language: Optional[str]) -> Answer:
        # The pipeline stores at most MAX_TEXT_CHARS; rows from before that rule, and any other
        # caller, are held to it here too.
        text = understandable((message.payload if message.kind == KIND_CHOICE and message.payload else message.text) or "")
        if not text.strip():
            lang = reply_language(language)
            return Answer(replies=[BotReply(say("not_understood", lang), language=lang)], review_reason="low_confidence")

        metadata = {"preferred_language": language} if language else {}
        if message.context_service:
            await self._take_up_service(conversation_key, message.context_service)
            # The actions read it too: "الغاء" in answer to an alert ends that alert's topic only.
            metadata = {**metadata, ALERT_SERVICE: message.context_service}
        if self.cache is None:
            parse = await self.parse(text, metadata)
            return self._answer(parse, await self._run_turn(conversation_key, text, parse, metadata))

        cache = self.cache
        # The catalog's generation is in both keys: after an edit (a new alias, a changed answer)
        # neither a parse nor a turn cached from the old catalog is used again.
        generation = catalog_generation()
        parse_key = (text.strip(), language, generation)
        parse = cache.parse(parse_key)
        if parse is None:
            parse = await self.parse(text, metadata)
            cache.keep_parse(parse_key, parse)
        processor = self.agent.processor
        tracker = await processor.get_tracker(conversation_key)
        starts_session = not tracker.applied_events() or processor._has_session_expired(tracker)
        unsure = self._threshold is not None and is_low_confidence(parse.get("intent"), self._threshold)
        turn_key = (understanding_key(parse), unsure, dialogue_state(tracker, starts_session), language, generation)
        cached = cache.turn(turn_key)
        if cached is not None:
            replay(tracker, cached, text=text, parse=parse, metadata=metadata)
            await processor.save_tracker(tracker)
            return self._answer(parse, list(cached.outputs))
        known_events = len(tracker.events)
        outputs = await self._run_turn(conversation_key, text, parse, metadata)
        after = await processor.get_tracker(conversation_key)
        events = list(after.events)[known_events:]
        if repeatable(events):
            cache.keep_turn(turn_key, outputs, events)
        return self._answer(parse, outputs)

    async def _take_up_service(self, conversation_key: str, service_id: str) -> None:
        """Make `service_id` the service being discussed (the `service` slot), before the turn: the
        citizen is answering an alert about it. Written as slot events on the tracker, so the
        dialogue, the answer cache's key and later turns all see it as if the citizen had named it."""
        processor = self.agent.processor
        tracker = await processor.get_tracker(conversation_key)
        if tracker.get_slot("service") == service_id and not tracker.get_slot("pending_aspect"):
            return
        if not tracker.applied_events() or processor._has_session_expired(tracker):
            # What action_session_start would write first (slots are carried over, domain.yml), so
            # Rasa does not start another session over the slot set here.
            tracker.update(ActionExecuted(ACTION_SESSION_START_NAME))
            tracker.update(SessionStarted())
            for event in _carried_slots(tracker):
                tracker.update(event)
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        for slot, value in (("service", service_id), ("pending_aspect", None), ("answered_aspect", None)):
            tracker.update(SlotSet(slot, value))
        await processor.save_tracker(tracker)

    async def _run_turn(
        self, conversation_key: str, text: str, parse: dict[str, Any], metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """One turn through Rasa's dialogue and the custom actions; returns what they said."""
        collector = CollectingOutputChannel()
        # The parse may carry the metadata it was made with (cached for other turns); this turn's own wins.
        parse = {**parse, "metadata": {**(parse.get("metadata") or {}), **metadata}}
        await self.agent.handle_message(
            UserMessage(text, collector, sender_id=conversation_key, parse_data=parse, metadata=metadata)
        )
        return collector.messages

    @staticmethod
    def _answer(parse: dict[str, Any], outputs: list[dict[str, Any]]) -> Answer:
        written_in = parse.get("language") or "ar"
        # The language the actions spoke in: a message with none of its own keeps the conversation's.
        spoken = [o["custom"][LANGUAGE_SIGNAL] for o in outputs if isinstance(o.get("custom"), dict) and LANGUAGE_SIGNAL in o["custom"]]
        reply_lang = reply_language(spoken[0] if spoken else entity_value(parse, "language") or written_in)
        replies: list[BotReply] = []
        review: Optional[str] = None
        for output in outputs:
            custom = output.get("custom")
            if isinstance(custom, dict) and REVIEW_SIGNAL in custom:
                review = str(custom[REVIEW_SIGNAL])
                continue
            if isinstance(custom, dict) and ANSWER_PARTS in custom:
                if replies:  # the parts follow the answer they belong to (Rasa sends text, then custom)
                    parts = custom[ANSWER_PARTS]
                    replies[-1] = dataclasses.replace(replies[-1], heading=parts.get("heading"), caveat=parts.get("caveat"))
                continue
            if not output.get("text"):
                continue
            choices = [
                Choice(id=b["payload"], title=b["title"], description=b.get("description"))
                for b in output.get("buttons") or []
            ]
            text = output["text"]
            if text in _rasa_fallback_texts():
                # Rasa's utter_default comes from domain.yml (part of the model): staff edit its
                # wording in the console as `default_fallback`, and the citizen gets theirs.
                text = say(DEFAULT_FALLBACK, reply_lang)
            replies.append(BotReply(text=text, language=reply_lang, choices=choices))
        top = parse.get("intent") or {}
        return Answer(
            replies=replies,
            intent=top.get("name"),
            confidence=float(top.get("confidence") or 0.0),
            service_id=entity_value(parse, "service"),
            language=written_in,
            review_reason=review,
        )
