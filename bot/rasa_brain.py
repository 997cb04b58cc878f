"""The brain behind the pipeline: a Rasa agent in this process, custom actions in this process too.

Rasa 3.6 open source only calls custom actions over HTTP, which would mean a second server to start
and ~ms of JSON over loopback per action. `InProcessActionEndpoint` keeps Rasa's own action
protocol (the same request and response dicts) but hands them to rasa_sdk's executor directly.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlparse

from rasa.core.actions.action import ActionExecutionRejection
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection

from actions.replies import REVIEW_SIGNAL
from bot.brain import Answer
from bot.messages import KIND_CHOICE, BotReply, Choice, InboundMessage
from bot.replies import reply_language, say

logger = logging.getLogger(__name__)

REPOSITORY = Path(__file__).resolve().parent.parent
TRACKER_TTL_S = 30 * 24 * 3600  # a month of dialogue context per citizen in Redis


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


def latest_model(models_dir: Path = REPOSITORY / "models") -> Path:
    candidates = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not candidates:
        raise FileNotFoundError(f"no trained model in {models_dir}: run `tawasol train` first")
    return candidates[-1]


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


def best_guess(parse: dict[str, Any]) -> dict[str, Any]:
    """The top intent that is not "nlu_fallback", with its confidence: below the fallback threshold
    Rasa answers "nlu_fallback", but staff and `nlu parse` want the (low-confidence) best guess."""
    ranking = parse.get("intent_ranking") or [parse.get("intent") or {}]
    return next((r for r in ranking if r.get("name") != "nlu_fallback"), {})


def entity_value(parse: dict[str, Any], name: str) -> Optional[str]:
    return next((e["value"] for e in parse.get("entities", []) if e.get("entity") == name), None)


class RasaBrain:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    @classmethod
    def load(cls, model_path: Optional[str] = None, redis_url: Optional[str] = None) -> "RasaBrain":
        path = Path(model_path) if model_path else latest_model()
        started = time.perf_counter()
        agent = Agent.load(
            str(path), action_endpoint=InProcessActionEndpoint(), lock_store=InMemoryLockStore()
        )
        agent.tracker_store = tracker_store_for(redis_url, agent.domain)
        agent.processor.tracker_store = agent.tracker_store
        logger.info(
            "rasa model loaded model=%s seconds=%.1f tracker_store=%s",
            path.name, time.perf_counter() - started, type(agent.tracker_store).__name__,
        )
        return cls(agent)

    async def parse(self, text: str, metadata: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        """NLU only: intent, entities and the language the text is written in."""
        message = UserMessage(text, metadata=metadata or {})
        return await self.agent.processor.parse_message(message)

    async def respond(
        self, conversation_key: str, message: InboundMessage, *, language: Optional[str] = None
    ) -> Answer:
        text = (message.payload if message.kind == KIND_CHOICE and message.payload else message.text) or ""
        if not text.strip():
            lang = reply_language(language)
            return Answer(replies=[BotReply(say("not_understood", lang), language=lang)], review_reason="low_confidence")

        metadata = {"preferred_language": language} if language else {}
        parse = await self.parse(text, metadata)
        collector = CollectingOutputChannel()
        await self.agent.handle_message(
            UserMessage(text, collector, sender_id=conversation_key, parse_data=parse, metadata=metadata)
        )
        return self._answer(parse, collector.messages)

    @staticmethod
    def _answer(parse: dict[str, Any], outputs: list[dict[str, Any]]) -> Answer:
        written_in = parse.get("language") or "ar"
        reply_lang = reply_language(entity_value(parse, "language") or written_in)
        replies: list[BotReply] = []
        review: Optional[str] = None
        for output in outputs:
            custom = output.get("custom")
            if isinstance(custom, dict) and REVIEW_SIGNAL in custom:
                review = str(custom[REVIEW_SIGNAL])
                continue
            if not output.get("text"):
                continue
            choices = [
                Choice(id=b["payload"], title=b["title"], description=b.get("description"))
                for b in output.get("buttons") or []
            ]
            replies.append(BotReply(text=output["text"], language=reply_lang, choices=choices))
        top = best_guess(parse)
        return Answer(
            replies=replies,
            intent=top.get("name"),
            confidence=float(top.get("confidence") or 0.0),
            service_id=entity_value(parse, "service"),
            language=written_in,
            review_reason=review,
        )
