"""The agency API's production processes on 127.0.0.1, for the end-to-end test and the bench:

    fake Graph API  `python -m simulators.whatsapp_graph` (statuses to the web tier's webhook)
    SMSC            `python -m simulators.smsc` (smpp34; a receipt for every submit)
    web             `tawasol serve --workers 0` (the agency API; AGENCY_NOTIFICATIONS=jobs)
    worker          `tawasol jobs worker` (arq: one job per notification, the sweeps)

over a PostgreSQL database and a Redis database the caller owns. Each process can be killed
(SIGKILL) and started again; each one's CPU seconds are read from /proc/<pid>/stat.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import httpx

from bench.e2e_procs import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN, cpu_seconds, free_port

REPOSITORY = Path(__file__).resolve().parents[1]
SHORT_CODE = "94444"


@dataclass
class Stack:
    tmp: Path
    database_url: str
    redis_url: str
    undeliverable: tuple[str, ...] = ()
    graph_port: int = field(default_factory=free_port)
    smsc_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    workers_started: int = 0

    @property
    def graph_url(self) -> str:
        return f"http://127.0.0.1:{self.graph_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def smsc_log(self) -> Path:
        return self.tmp / "smsc.jsonl"

    def env(self) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SMPP_", "SMS_", "DATABASE_URL", "REDIS_URL"))}
        # Each process imports TensorFlow and Rasa (the actions): let the bytecode cache serve the
        # next start instead of compiling them again.
        clean.pop("PYTHONDONTWRITEBYTECODE", None)
        return {
            **clean,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "WHATSAPP_API_BASE_URL": self.graph_url,
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
            "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN,
            "WHATSAPP_APP_SECRET": APP_SECRET,
            "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
            "SMPP_HOST": "127.0.0.1",
            "SMPP_PORT": str(self.smsc_port),
            "SMPP_SYSTEM_ID": "tawasol",
            "SMPP_PASSWORD": "pw",
            "SMPP_TPS": "0",
            "SMS_SHORT_CODE": SHORT_CODE,
            "AGENCY_NOTIFICATIONS": "jobs",
            "LOG_LEVEL": "WARNING",
        }

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = (self.tmp / f"{name}.log").open("ab")
        process = subprocess.Popen(argv, cwd=REPOSITORY, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def start(self) -> "Stack":
        """Every process, each ready (the web tier healthy with its channels bound)."""
        self._spawn("graph", [
            sys.executable, "-m", "simulators.whatsapp_graph", "--port", str(self.graph_port),
            "--app-secret", APP_SECRET, "--access-token", ACCESS_TOKEN, "--phone-number-id", PHONE_NUMBER_ID,
            "--webhook-url", f"{self.web_url}/webhooks/whatsapp",
        ])
        undeliverable = [arg for prefix in self.undeliverable for arg in ("--undeliverable", prefix)]
        self._spawn("smsc", [
            sys.executable, "-m", "simulators.smsc", "--port", str(self.smsc_port), "--log", str(self.smsc_log),
            *undeliverable,
        ])
        self._spawn("web", [sys.executable, "-m", "bot.cli", "serve", "--port", str(self.web_port), "--workers", "0"])
        self.start_worker()
        self.wait_until("graph", lambda: _answers(f"{self.graph_url}/_fake/messages"), 120)
        self.wait_until("web", lambda: _answers(f"{self.web_url}/health"), 900)
        return self

    def start_worker(self) -> subprocess.Popen:
        self.workers_started += 1
        name = "worker" if self.workers_started == 1 else f"worker{self.workers_started}"
        process = self._spawn(name, [sys.executable, "-m", "bot.cli", "jobs", "worker"])
        self.processes["worker"] = process
        return process

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown code runs, as when the machine loses the process."""
        process = self.processes[name]
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)

    def wait_until(self, name: str, ready: Callable[[], bool], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            process = self.processes[name]
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.log(name)[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not ready after {timeout_s:.0f} s:\n{self.log(name)[-3000:]}")
            time.sleep(0.3)

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def cpu(self) -> dict[str, float]:
        return {name: cpu_seconds(p.pid) for name, p in self.processes.items() if p.poll() is None}

    def whatsapp_messages(self) -> list[dict]:
        return httpx.get(f"{self.graph_url}/_fake/messages", timeout=30).json()["messages"]

    def sms_submits(self) -> list[dict]:
        if not self.smsc_log.exists():
            return []
        lines = self.smsc_log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def run_due(self, as_of: str) -> str:
        """`tawasol jobs run-due --as-of AS_OF` as an operator runs it; its output."""
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "jobs", "run-due", "--as-of", as_of],
            cwd=REPOSITORY, env=self.env(), capture_output=True, text=True, timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"run-due exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        return done.stdout

    def stop(self) -> None:
        for name in ("web", "worker", "graph", "smsc"):
            process: Optional[subprocess.Popen] = self.processes.get(name)
            if process is not None and process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
