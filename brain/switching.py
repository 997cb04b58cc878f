"""A brain whose model can be switched while it answers: `tawasol model activate` / `rollback`.

Every few seconds (and so between messages) the worker asks what should be served — the registry's
generation and the model's path, read by the caller's `choose` — and when the generation changed it
loads that model in a thread while the current one keeps answering, then swaps the reference. A
message already being answered finishes on the model it started with; the next one is answered by
the new model. Nothing is queued, dropped or re-run for the swap, so no message is lost or answered
twice. A model that fails to load is logged and the current one stays (tried again at the next
change of generation).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional

from core.brain import Answer, Brain
from core.messages import InboundMessage

logger = logging.getLogger(__name__)

CHECK_EVERY_S = 2.0


@dataclass(frozen=True)
class Choice:
    """What should be served: a model archive and the registry generation that chose it."""

    path: Optional[str]
    generation: int


class SwitchingBrain:
    def __init__(
        self,
        brain: Brain,
        chosen: Choice,
        choose: Callable[[], Awaitable[Choice]],
        load: Callable[[str, Brain], Brain],
        check_every_s: float = CHECK_EVERY_S,
    ) -> None:
        """`load(path, current)` builds the new brain (in a thread); it may take over what the
        current one shares with other workers (the dialogue state's store)."""
        self._brain = brain
        self.serving = chosen
        self._choose = choose
        self._load = load
        self._check_every_s = check_every_s
        self._watcher: Optional[asyncio.Task] = None
        self._failed_generation: Optional[int] = None

    @property
    def current(self) -> Brain:
        return self._brain

    async def respond(self, conversation_key: str, message: InboundMessage, *, language: Optional[str] = None) -> Answer:
        brain = self._brain  # the model this message started with answers it, whatever happens meanwhile
        return await brain.respond(conversation_key, message, language=language)

    def start(self) -> None:
        if self._watcher is None:
            self._watcher = asyncio.create_task(self._watch(), name="model-switch")

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
            self._watcher = None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._check_every_s)
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the registry unreachable a moment: the current model answers on
                logger.warning("model switch check failed cause=%s", type(error).__name__)

    async def check(self) -> bool:
        """Switch if the chosen model changed; True when a new model now answers."""
        chosen = await self._choose()
        if chosen.generation == self.serving.generation or chosen.generation == self._failed_generation:
            return False
        if not chosen.path:
            return False
        if chosen.path == self.serving.path:  # the same archive again (a rollback to it): nothing to load
            self.serving = chosen
            return False
        logger.info("loading model path=%s generation=%d (the current model answers meanwhile)", chosen.path, chosen.generation)
        try:
            loaded = await asyncio.to_thread(self._load, chosen.path, self._brain)
        except Exception as error:
            self._failed_generation = chosen.generation
            logger.error("model failed to load path=%s cause=%s: the current model stays", chosen.path, error)
            return False
        self._brain, self.serving = loaded, chosen
        logger.info("model switched path=%s generation=%d", chosen.path, chosen.generation)
        return True


def shared_state_of(brain: Any) -> Any:
    """What a brain shares with other workers and must hand to its successor (its tracker store)."""
    agent = getattr(brain, "agent", None)
    return getattr(agent, "tracker_store", None)
