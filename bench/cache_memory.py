"""What the per-process caches cost in memory when full: the answer cache and the embedding cache.

    uv run python -m bench.cache_memory [--model models/x.tar.gz] [--messages 4000]

A worker keeps up to ANSWER_CACHE_SIZE parses and turns (brain/answer_cache.py) and up to 20,000
sentence embeddings per encoder (nlu/embeddings.py: USE for every message, e5 for the unsure
ones). Here one brain answers `--messages` distinct messages (the
benchmark's traffic, each made unique by a word of its own, as a long tail of wordings would be)
from distinct citizens, and the process's resident memory is read before and after. Each citizen's
dialogue state is dropped after its turn, so the growth is the caches'. The first tenth of the
messages also pays one-time costs (code paths run for the first time), so the cost per message is
measured over the other nine tenths, then projected to a full answer cache (an upper bound: the
embedding cache stops at its own cap first), to tell whether a worker stays under the 1.5 GB target.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import time

from bench.table import print_table
from brain.answer_cache import DEFAULT_MAX_ENTRIES

_LETTERS = "بتثجحخدذرزسشصضطظعغفقكلمنهوي"


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def unique_words():
    """Arabic-looking words that no two messages share: ب ت ث … then بب بت …"""
    for length in itertools.count(2):
        for letters in itertools.product(_LETTERS, repeat=length):
            yield "".join(letters)


async def fill(model: str, count: int) -> dict[str, float]:
    from bench.e2e_traffic import build_traffic
    from core.messages import KIND_TEXT, WHATSAPP, InboundMessage
    from brain.rasa_brain import RasaBrain
    from nlu.embeddings import E5, USE

    brain = RasaBrain.load(model, cache_size=DEFAULT_MAX_ENTRIES)
    store = brain.agent.tracker_store
    traffic = [m for m in build_traffic(count * 2) if m.text][:count]
    await brain.respond("warm-up", InboundMessage(WHATSAPP, "warm-up", "0", kind=KIND_TEXT, text="مرحبا"))
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    checkpoint = max(len(traffic) // 10, 1)
    for number, (message, word) in enumerate(zip(traffic, unique_words())):
        if number == checkpoint:
            gc.collect()
            at_checkpoint = rss_mb()
        key = f"memory-{number}"
        inbound = InboundMessage(WHATSAPP, key, "0", kind=KIND_TEXT, text=f"{message.text} {word}")
        await brain.respond(key, inbound)
        store.store.pop(key, None)  # in-memory dialogue state: not what is measured here
    seconds = time.perf_counter() - started
    gc.collect()
    after = rss_mb()
    return {
        "messages": len(traffic),
        "seconds": seconds,
        "before": before,
        "after": after,
        "marginal_mb_per_message": (after - at_checkpoint) / (len(traffic) - checkpoint),
        "parses": len(brain.cache.parses),
        "turns": len(brain.cache.turns),
        "embeddings": USE.cached(),
        "e5_embeddings": E5.cached(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model archive (default: newest in models/)")
    parser.add_argument("--messages", type=int, default=4000)
    args = parser.parse_args()
    from bot.logs import configure

    configure("WARNING")
    result = asyncio.run(fill(args.model, args.messages))
    # Every distinct message leaves one parse and one or two USE embeddings (as written, MSA-mapped);
    # an unsure one, one or two e5 embeddings as well.
    per_thousand = result["marginal_mb_per_message"] * 1000
    full = result["after"] + result["marginal_mb_per_message"] * max(DEFAULT_MAX_ENTRIES - result["parses"], 0)
    print_table(
        ["distinct messages", "parses kept", "turns kept", "USE embeddings kept", "e5 embeddings kept",
         "RSS before MB", "RSS after MB",
         "MB per 1,000 more messages", f"RSS with {DEFAULT_MAX_ENTRIES:,} parses kept MB (projected)"],
        [[result["messages"], result["parses"], result["turns"], result["embeddings"], result["e5_embeddings"],
          result["before"],
          result["after"], per_thousand, full]],
    )
    print(f"\n{result['messages']} messages answered in {result['seconds']:.0f} s.")


if __name__ == "__main__":
    main()
