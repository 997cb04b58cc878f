"""NLU parse latency and memory: our in-process parse beside stock Rasa's /model/parse, one run.

    uv run python -m bench.nlu_latency [--model models/x.tar.gz] [--messages 400]

Messages come from the independent held-out set (each parsed once, in order, so the
embedding cache helps only where real traffic would: verbatim repeats). Stock Rasa is
`rasa run --enable-api` with the same model, asked over HTTP on 127.0.0.1, as a deployment would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.table import print_table
from bot.training import REPOSITORY

HELDOUT = REPOSITORY / "eval" / "tawasol_heldout.jsonl"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def messages(count: int) -> list[str]:
    rows = [json.loads(line)["text"] for line in HELDOUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    return (rows * (count // len(rows) + 1))[:count]


async def ours(model: str, texts: list[str]) -> tuple[list[float], float, float, int]:
    from brain.rasa_brain import RasaBrain
    from nlu.embeddings import E5

    started = time.perf_counter()
    brain = RasaBrain.load(model)
    await brain.parse("warm up")
    load_s = time.perf_counter() - started
    timings = []
    for text in texts:
        t0 = time.perf_counter()
        await brain.parse(text)
        timings.append((time.perf_counter() - t0) * 1000)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Texts the careful model's encoder read: its unsure messages, as written and MSA-mapped.
    return timings, load_s, rss_mb, E5.cached()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stock_rasa(model: str, texts: list[str]) -> tuple[list[float], float, float]:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa", "run", "--enable-api", "-m", model, "--port", str(port), "-i", "127.0.0.1"],
        cwd=REPOSITORY,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    try:
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(timeout=30) as client:
            while True:
                try:
                    if client.get(url + "/status").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.perf_counter() - started > 300:
                    raise RuntimeError("stock rasa did not start")
                time.sleep(0.5)
            client.post(url + "/model/parse", json={"text": "warm up"})
            load_s = time.perf_counter() - started
            timings = []
            for text in texts:
                t0 = time.perf_counter()
                client.post(url + "/model/parse", json={"text": text}).raise_for_status()
                timings.append((time.perf_counter() - t0) * 1000)
        rss_mb = _rss_mb(process.pid)
        return timings, load_s, rss_mb
    finally:
        process.terminate()
        process.wait(30)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description="NLU parse latency: ours vs stock Rasa")
    parser.add_argument("--model", default=None)
    parser.add_argument("--messages", type=int, default=400)
    args = parser.parse_args()
    from bot.logs import configure
    from bot.settings import newest_model

    configure("WARNING")
    model = args.model or newest_model()
    if not model:
        raise SystemExit("no trained model: run `tawasol train` first, or pass --model")
    texts = messages(args.messages)
    our_t, our_load, our_rss, e5_texts = asyncio.run(ours(model, texts))
    rasa_t, rasa_load, rasa_rss = stock_rasa(model, texts)
    rows = [
        ["tawasol parse (in process)", len(our_t), statistics.median(our_t), percentile(our_t, 0.95), our_load, our_rss],
        ["stock rasa /model/parse (HTTP)", len(rasa_t), statistics.median(rasa_t), percentile(rasa_t, 0.95), rasa_load, rasa_rss],
    ]
    print(f"model: {Path(model).name}")
    print_table(["what", "messages", "p50 ms", "p95 ms", "load s", "peak RSS MB"], rows)
    print(f"p50 ratio (stock / ours): {statistics.median(rasa_t) / statistics.median(our_t):.1f}x")
    print(f"texts through the careful model's encoder (e5): {e5_texts} for {len(our_t)} messages")


if __name__ == "__main__":
    main()
