"""Group commit: writes that arrive together share one database transaction.

Under load, many webhooks each want one small write (a delivery status). One transaction each
costs a thread hand-off, a BEGIN/COMMIT and the ORM's session set-up every time. Here the first
caller starts a flush; callers that arrive while it runs wait for the next one, which takes them
all at once. No timer: an idle service writes each item at once, a busy one in batches.
Every caller gets its own result; if a batch fails, its items are written one by one, so one bad
item fails alone.
"""

from __future__ import annotations

import asyncio
from typing import Callable, Generic, Optional, Sequence, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    def __init__(
        self, write_batch: Callable[[list[Item]], Sequence[Result]], max_batch: int = 200, linger_s: float = 0.0
    ) -> None:
        """`write_batch` runs in a worker thread and returns one result per item, in order.
        `linger_s`: how long a flush waits for more items first (0: none), for writes whose callers
        can wait and whose batches should be large (a flood's held messages)."""
        self._write_batch = write_batch
        self._max_batch = max_batch
        self._linger_s = linger_s
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._flushing: Optional[asyncio.Task[None]] = None

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush_all())
        return await future

    async def _flush_all(self) -> None:
        try:
            while self._waiting:
                if self._linger_s and len(self._waiting) < self._max_batch:
                    await asyncio.sleep(self._linger_s)
                batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
                try:
                    results = await asyncio.to_thread(self._write_batch, [item for item, _ in batch])
                except Exception as error:
                    if len(batch) == 1:
                        _settle(batch[0][1], error=error)
                    else:
                        for entry in batch:
                            await self._write_alone(*entry)
                    continue
                for (_, future), result in zip(batch, results):
                    _settle(future, result)
        finally:
            self._flushing = None

    async def _write_alone(self, item: Item, future: asyncio.Future[Result]) -> None:
        try:
            [result] = await asyncio.to_thread(self._write_batch, [item])
        except Exception as error:
            _settle(future, error=error)
        else:
            _settle(future, result)


def _settle(future: asyncio.Future, result: object = None, *, error: Optional[BaseException] = None) -> None:
    if future.done():  # the caller was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
