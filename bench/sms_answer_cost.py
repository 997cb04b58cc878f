"""What a catalog answer costs on SMS, in the layout before issue 16 and in this tree's, side by side.

For every catalog service × aspect × language, the reply the bot gives (`compose_answer` and the
follow-up menu, as the action builds them) is rendered by the SMS channel; when the answer is not
whole in the first SMS, the citizen's MOREs are followed (as the pipeline answers them) until it is.
Reported per language: segments of the first SMS, segments and messages until the answer is whole,
the share of answers whole in a first SMS of 1–2 segments, and the share sent in GSM-7.

"Before" is the same code at another commit (default: the one this work started from), unpacked
from git into a temporary directory and run there in a subprocess, so its layout is the real one
and not a copy.

    uv run python -m bench.sms_answer_cost [--before 6e20fc3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
BEFORE_ISSUE_16 = "6e20fc3"  # the tree before the SMS layout of issue 16
ADDRESS = "962790000000"
MAX_MORES = 10  # a safety stop: no answer in the catalog needs more than a few


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _contains(words: list[str], tail: list[str]) -> bool:
    return any(words[i : i + len(tail)] == tail for i in range(len(words) - len(tail) + 1))


def measure() -> list[dict[str, Any]]:
    """One row per catalog answer, rendered by the code importable here (this tree, or another
    commit's when run there). Uses only interfaces both layouts share."""
    from actions.service_answers import compose_answer, follow_up_choices
    from catalog.services import ASPECTS, Catalog
    from channels.sms.render import render
    from core.messages import BotReply, Choice

    try:
        from channels.sms.cheap_text import cheap_text
    except ImportError:  # the tree before issue 16 sent text as written
        def cheap_text(text: str) -> str:
            return text

    rows = []
    for service in Catalog.load().services.values():
        for aspect in ASPECTS:
            for language in ("ar", "en"):
                composed = compose_answer(service, aspect, language)
                choices = [
                    Choice(id=c["payload"], title=c["title"], description=c.get("description"))
                    for c in follow_up_choices(service, aspect, language)
                ]
                if isinstance(composed, str):  # before issue 16: heading, answer, caveat in one text
                    reply = BotReply(text=composed, language=language, choices=choices)
                    answer = service.answer(aspect, language)
                else:
                    reply = BotReply(
                        text=composed.text, language=language, choices=choices,
                        heading=composed.heading, caveat=composed.caveat,
                    )
                    answer = composed.text
                tail = _words(cheap_text(answer))[-4:]
                sent: list[str] = []
                parts: list[int] = []
                gsm7 = True
                while len(sent) <= MAX_MORES:
                    [sms] = render(reply, ADDRESS)
                    sent.append(sms.text)
                    parts.append(sms.segments)
                    gsm7 = gsm7 and _is_gsm7(sms.text)
                    whole = _contains(_words("\n".join(sent)), tail)
                    more = sms.body.get("more")
                    if whole or not more:
                        break
                    reply = BotReply(text=more, language=language)  # what the pipeline sends on MORE
                rows.append(
                    {
                        "service": service.id, "aspect": aspect, "language": language,
                        "first": parts[0], "to_whole": sum(parts), "messages": len(parts),
                        "whole_first": len(parts) == 1 and whole, "gsm7": gsm7, "first_text": sent[0],
                    }
                )
    return rows


def _is_gsm7(text: str) -> bool:
    from channels.sms import segments

    return segments.is_gsm7(text)


def measure_at(commit: str) -> list[dict[str, Any]]:
    """`measure()` run on the tree of `commit`, unpacked from git, in a subprocess."""
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", "--format=tar", commit],
        check=True, capture_output=True,
    ).stdout
    with tempfile.TemporaryDirectory(prefix="tawasol-before-") as tree:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tree)
        # This file runs as a script, so `measure` is this tree's, and every import it makes
        # (actions, channels, catalog, core) comes from the unpacked commit.
        result = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--emit-json"],
            cwd=tree, env={**os.environ, "PYTHONPATH": tree}, check=True, capture_output=True, text=True,
        )
    return json.loads(result.stdout.splitlines()[-1])


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _number(value: float) -> str:
    return f"{value:g}"


def summary_rows(label: str, rows: list[dict[str, Any]]) -> list[list[object]]:
    table = []
    for language in ("ar", "en", "all"):
        chosen = [r for r in rows if language == "all" or r["language"] == language]
        first = [r["first"] for r in chosen]
        to_whole = [r["to_whole"] for r in chosen]
        fits = sum(1 for r in chosen if r["whole_first"] and r["first"] <= 2)
        table.append([
            label, language, len(chosen),
            _number(statistics.median(first)), _number(_p95(first)),
            _number(statistics.median(to_whole)), _number(_p95(to_whole)), max(r["messages"] for r in chosen),
            f"{100 * fits / len(chosen):.0f}%",
            f"{100 * sum(r['gsm7'] for r in chosen) / len(chosen):.0f}%",
        ])
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE_ISSUE_16, help="commit whose layout is 'before'")
    parser.add_argument("--emit-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.emit_json:
        print(json.dumps(measure(), ensure_ascii=False))
        return

    from bench.table import print_table
    from bot.logs import quiet_native_libraries, silence_known_warnings

    quiet_native_libraries()
    silence_known_warnings()
    before, after = measure_at(args.before), measure()
    print_table(
        ["layout", "lang", "answers", "1st SMS p50", "1st SMS p95", "to whole p50", "to whole p95",
         "max messages", "whole in 1st SMS of 1-2 seg", "GSM-7"],
        summary_rows(f"before ({args.before})", before) + summary_rows("after", after),
    )
    for aspect in ("fees", "duration"):
        b = [r["to_whole"] for r in before if r["aspect"] == aspect]
        a = [r["to_whole"] for r in after if r["aspect"] == aspect]
        print(f"{aspect}: segments until the answer is whole, mean {statistics.mean(b):.2f} -> {statistics.mean(a):.2f}")


if __name__ == "__main__":
    main()
