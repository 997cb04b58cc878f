"""What the console's models pages need from above it, handed in by the app (bot/app.py): a way to
start a training run's job (jobs/, which the console may not import)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable


@dataclass(frozen=True)
class ModelHooks:
    # start training run `id` (queued in the store): False when nothing can run it
    start_training: Callable[[int], Awaitable[bool]]


async def _no_engine(_run_id: int) -> bool:
    return False


DEFAULT_MODEL_HOOKS = ModelHooks(start_training=_no_engine)
