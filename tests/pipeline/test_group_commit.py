"""Group commit (pipeline/group_commit.py): concurrent writes share batches, and one bad item fails alone."""

from __future__ import annotations

import asyncio
import threading

import pytest

from pipeline.group_commit import GroupCommit


async def test_writes_arriving_together_share_a_batch_and_each_gets_its_result():
    batches: list[list[int]] = []
    writing, release = threading.Event(), threading.Event()

    def write(items: list[int]) -> list[int]:
        if not batches:
            writing.set()
            release.wait(5)  # hold the first batch so the others queue behind it
        batches.append(items)
        return [i * 10 for i in items]

    group = GroupCommit(write)
    first = asyncio.create_task(group.submit(0))
    assert await asyncio.to_thread(writing.wait, 5), "the first batch never started"
    others = [asyncio.create_task(group.submit(i)) for i in range(1, 6)]
    await asyncio.sleep(0)  # each task queues its item on its first step, which this yield lets run
    release.set()
    assert await asyncio.gather(first, *others) == [0, 10, 20, 30, 40, 50]
    assert batches == [[0], [1, 2, 3, 4, 5]]


async def test_a_bad_item_fails_alone():
    def write(items: list[int]) -> list[int]:
        if 3 in items:
            raise ValueError("item 3 is bad")
        return items

    group = GroupCommit(write)
    results = await asyncio.gather(*(group.submit(i) for i in range(6)), return_exceptions=True)
    assert results[:3] == [0, 1, 2] and results[4:] == [4, 5]
    assert isinstance(results[3], ValueError)


async def test_batches_are_capped():
    sizes: list[int] = []

    def write(items: list[int]) -> list[int]:
        sizes.append(len(items))
        return items

    group = GroupCommit(write, max_batch=4)
    assert await asyncio.gather(*(group.submit(i) for i in range(10))) == list(range(10))
    assert max(sizes) <= 4 and sum(sizes) == 10
