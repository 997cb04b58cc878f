"""The processes the fault benchmark breaks, all its own: a PostgreSQL cluster (initdb into a temp
dir) and a redis-server on free ports, the fake Graph API, the scriptable SMSC (node's `smpp`), and
Tawasol as production runs it — `tawasol serve --workers 0` (web tier) and `tawasol worker` — each a
process it can `kill -9` and start again. The shared PostgreSQL and Redis are never touched.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

import httpx

from bench.e2e_procs import REPOSITORY, Server, clean_env, free_port, start_fake, tawasol_env

SMSC_SCRIPT = Path(__file__).resolve().parent / "smsc.js"
NODE_SMPP = REPOSITORY / "tests" / "sms" / "node_smsc"
SMPP_SYSTEM_ID = "tawasol"
SMPP_PASSWORD = "secret"


def _wait(ready: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {timeout_s:.0f}s")
        time.sleep(0.1)


def _as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` user then."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


class OwnPostgres:
    """A throwaway cluster (fsync off) on a free port; `restart()` is a real stop and start."""

    def __init__(self, root: Path) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            raise RuntimeError("no /usr/lib/postgresql/*/bin/pg_ctl: install PostgreSQL's server binaries")
        self.bin = Path(found[-1]).parent
        self.dir = root / "pg"
        self.dir.mkdir()
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(root, user.pw_uid, user.pw_gid)
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/tawasol"
        self._run([str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres"])

    def _run(self, argv: list[str]) -> None:
        subprocess.run(_as_postgres(argv), check=True, capture_output=True, cwd="/")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-o", options, "-l", str(self.dir / "log"), "-w", "start"])

    def stop(self, mode: str = "fast") -> None:
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", mode, "-w", "stop"])

    def create_database(self) -> None:
        self._run([str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "tawasol"])


class OwnRedis:
    """redis-server on a free port, appending to a file so a restart keeps its data (a flush does not)."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "redis"
        self.dir.mkdir()
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> None:
        argv = [
            shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
        ]
        self.process = subprocess.Popen(argv, stdout=open(self.dir / "log", "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        _wait(self.ping, 10, "redis-server")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(10)

    def flush(self) -> None:
        import redis

        redis.Redis(port=self.port).flushall()


class Smsc:
    """bench/faults/smsc.js: node's `smpp` server, steered over HTTP."""

    def __init__(self, logs: Path) -> None:
        if not (NODE_SMPP / "node_modules" / "smpp").exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_SMPP, check=True, capture_output=True, timeout=180)
        self.port, self.control_port = free_port(), free_port()
        self.control = f"http://127.0.0.1:{self.control_port}"
        self.server = Server("smsc", ["node", str(SMSC_SCRIPT), str(self.port), str(self.control_port)], clean_env(), logs)
        self.server.wait_log("READY", 30)

    def post(self, path: str, body: dict) -> dict:
        return httpx.post(self.control + path, json=body, timeout=10).json()

    def get(self, path: str) -> dict:
        return httpx.get(self.control + path, timeout=10).json()


class Rig:
    """Everything one run of the benchmark starts; `close()` stops all of it."""

    def __init__(self, model: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="tawasol-faults-"))
        self.logs = self.root / "logs"
        self.logs.mkdir()
        self.model = model
        self.postgres = OwnPostgres(self.root)
        self.postgres.start()
        self.postgres.create_database()
        self.redis = OwnRedis(self.root)
        self.redis.start()
        self.smsc = Smsc(self.logs)
        self.web_port = free_port()
        self.fake_port = free_port()
        self.fake_url = f"http://127.0.0.1:{self.fake_port}"
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.fake = start_fake(self.fake_port, f"{self.web_url}/webhooks/whatsapp", self.logs)
        self.env = tawasol_env(
            fake_url=self.fake_url, database_url=self.postgres.url, model=model, redis_url=self.redis.url, rate=200
        )
        self.env.update(SMPP_HOST="127.0.0.1", SMPP_PORT=str(self.smsc.port), SMPP_SYSTEM_ID=SMPP_SYSTEM_ID,
                        SMPP_PASSWORD=SMPP_PASSWORD, SMPP_TPS="0")
        self.web: Optional[Server] = None
        self.worker: Optional[Server] = None
        self._lives = {"web": 0, "worker": 0}
        self.start_web()
        self.start_worker()

    def _name(self, role: str) -> str:
        self._lives[role] += 1
        return f"{role}-{self._lives[role]}"

    def start_web(self) -> None:
        argv = [sys.executable, "-m", "bot.cli", "serve", "--port", str(self.web_port), "--workers", "0"]
        self.web = Server(self._name("web"), argv, self.env, self.logs)
        self.web.wait_http(f"{self.web_url}/", 120)

    def start_worker(self) -> None:
        self.worker = Server(self._name("worker"), [sys.executable, "-m", "bot.cli", "worker", "--workers", "4"], self.env, self.logs)
        self.worker.wait_log("tawasol started", 240)

    def kill(self, server: Server) -> None:
        """SIGKILL: no shutdown code runs, as when the machine or the OOM killer takes it."""
        os.kill(server.pid, signal.SIGKILL)
        server.process.wait(10)

    def close(self) -> None:
        for server in (self.worker, self.web, self.fake, self.smsc.server):
            if server is not None:
                server.stop()
        self.redis.stop()
        try:
            self.postgres.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        # The logs stay for reading; the databases go.
        shutil.rmtree(self.postgres.dir, ignore_errors=True)
        shutil.rmtree(self.redis.dir, ignore_errors=True)
