"""SMS rendering and splitting per message: every catalog answer, as the SMS channel shapes it.

For each answer of each service in `data/catalog` (Arabic and English), with the follow-up menu the
bot adds, time `channels.sms.render.render` (summary + MORE + menu + segment count) and
`segments.split` (UDH parts, GSM-7 or UCS-2 encoding) in process.

    uv run python -m bench.sms_render [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.table import print_table
from catalog.services import ASPECTS, Catalog
from core.messages import BotReply, Choice
from channels.sms import segments
from channels.sms.render import render

ADDRESS = "962790000000"


def replies() -> list[BotReply]:
    catalog = Catalog.load()
    menu = [Choice(id=f"/ask_{a}", title=a) for a in ASPECTS[:4]]
    return [
        BotReply(text=service.answer(aspect, language), language=language, choices=menu)
        for service in catalog.services.values()
        for aspect in ASPECTS
        for language in ("ar", "en")
    ]


def time_each(function, items, repeat: int) -> list[float]:
    """Microseconds per item, best of `repeat` passes over all items (the least disturbed)."""
    best = [float("inf")] * len(items)
    for _ in range(repeat):
        for i, item in enumerate(items):
            started = time.perf_counter()
            function(item)
            best[i] = min(best[i], (time.perf_counter() - started) * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    answers = replies()
    rendered = [render(r, ADDRESS)[0] for r in answers]
    rows = []
    for label, function, items in (
        ("render (summary, MORE, menu, segment count)", lambda r: render(r, ADDRESS), answers),
        ("split into UDH parts and encode", lambda m: segments.split(m.text, 7), rendered),
    ):
        micros = sorted(time_each(function, items, args.repeat))
        p95 = micros[min(len(micros) - 1, round(0.95 * (len(micros) - 1)))]
        rows.append([label, len(items), statistics.median(micros), p95])
    parts = [m.segments for m in rendered]
    print_table(["per message", "messages", "p50 µs", "p95 µs"], rows)
    print(f"segments per answer: median {statistics.median(parts)}, max {max(parts)}")


if __name__ == "__main__":
    main()
