"""When the SMSC misbehaves: killed mid-burst, throttling, refusing our credentials, going silent."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from channels.base import Rendered
from tests.availability import unavailable
from tests.sms.proxy import SilenceableProxy
from tests.sms.smsc import LocalSmsc, Submit, concat_info, eventually, free_port, reassemble

HERE = Path(__file__).parent
CITIZEN = "962791234567"


def sms(text: str, reference: int | None = None, address: str = CITIZEN) -> Rendered:
    body = {"text": text}
    if reference is not None:
        body["udh_ref"] = reference
    return Rendered(channel="sms", address=address, text=text, body=body)


# ---------------------------------------------------------------- SMSC killed and restarted


class KillableSmsc:
    """tests/sms/smsc_process.py: the smpp34 SMSC in its own process, logging submits to a file."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "smsc_process.py"), str(self.port), str(self.log_path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "READY"

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def logged(self) -> list[Submit]:
        if not self.log_path.exists():
            return []
        rows = [json.loads(line) for line in self.log_path.read_text().splitlines() if line.strip()]
        return [
            Submit("", "", 0, 0, r["destination_addr"], 0, 0, r["esm_class"], r["data_coding"], 0,
                   bytes.fromhex(r["short_message"]), r["message_id"], 0, 0.0)
            for r in rows
        ]


@pytest.fixture
def killable(tmp_path):
    smsc = KillableSmsc(tmp_path / "submits.jsonl")
    smsc.start()
    yield smsc
    if smsc.process and smsc.process.poll() is None:
        smsc.kill()


@pytest.mark.timeout(60)
async def test_smsc_killed_mid_burst_every_message_delivered_once(killable, sink, channel_factory):
    channel = await channel_factory(killable.port, sink, tps=200.0, window=10)
    texts = [f"رسالة رقم {i:03d} من تواصل: موعدك في دائرة الأحوال المدنية غداً الساعة العاشرة صباحاً" for i in range(200)]
    assert all(len(t) > 70 for t in texts)  # each is two UCS-2 parts: 400 segments in all

    sends = [asyncio.ensure_future(channel.sender.send(sms(t, reference=i))) for i, t in enumerate(texts)]
    await eventually(lambda: len(killable.logged()) >= 120, timeout=10)
    killable.kill()  # SIGKILL: no unbind, no answers to what is in flight
    assert len(killable.logged()) < 400  # it died mid-burst
    await asyncio.sleep(0.3)
    killable.start()
    outcomes = await asyncio.wait_for(asyncio.gather(*sends), timeout=40)

    assert all(o.ok for o in outcomes), [o for o in outcomes if not o.ok][:3]
    status = channel.health()
    assert status["bound"] and status["binds"] >= 2 and status["reconnects"] >= 1

    logged = killable.logged()
    # Counted at the server by our reference (the UDH reference = i): every message once,
    # complete, with exactly its text.
    by_reference: dict[int, set[int]] = {}
    for part in logged:
        reference, total, number = concat_info(part)
        assert total == 2
        by_reference.setdefault(reference, set()).add(number)
    assert sorted(by_reference) == list(range(200))
    assert all(numbers == {1, 2} for numbers in by_reference.values())
    # Grouped as a handset groups parts (by reference): 200 texts, each exactly once; a message
    # sent again under a new reference would show up twice here.
    assert sorted(reassemble(logged)) == sorted(texts)
    # At-least-once, never more than the parts that were awaiting an answer when it died:
    # those are submitted again with the same reference (the handset sees one message).
    duplicates = len(logged) - 400
    assert 0 <= duplicates <= status["resubmitted_parts"] <= 10


# ---------------------------------------------------------------- throttling


@pytest.mark.timeout(30)
async def test_throttled_submits_are_slowed_down_retried_and_all_delivered(sink, channel_factory):
    """The SMSC allows 100 submits/s (a burst of 10), and answers ESME_RTHROTTLED beyond."""
    allowance = {"tokens": 10.0, "at": time.monotonic()}

    def throttle(submit: Submit, n: int):
        now = time.monotonic()
        allowance["tokens"] = min(10.0, allowance["tokens"] + (now - allowance["at"]) * 100)
        allowance["at"] = now
        if allowance["tokens"] < 1:
            return ("reject", 0x58)
        allowance["tokens"] -= 1
        return ("accept", f"id-{n}")

    smsc = await LocalSmsc(decide=throttle).start()
    try:
        channel = await channel_factory(smsc.port, sink, tps=None)
        outcomes = await asyncio.gather(*(channel.sender.send(sms(f"notice {i}")) for i in range(200)))
        assert all(o.ok for o in outcomes)
        delivered = sorted(int(s.short_message.split()[1]) for s in smsc.accepted)
        assert delivered == list(range(200))  # all, each once
        throttled = [s for s in smsc.submits if s.command_status == 0x58]
        assert throttled, "the SMSC never had to throttle: the test proves nothing"
        assert channel.health()["throttled"] == len(throttled)
        # A client that did not slow down retries at full speed and collects hundreds of refusals
        # while 200 messages trickle through at 100/s; slowing down keeps them few.
        assert len(throttled) < 60
    finally:
        await smsc.stop()


# ---------------------------------------------------------------- bad credentials (node SMSC)


NODE_DIR = HERE / "node_smsc"


@pytest.fixture(scope="module")
def node_smsc_installed():
    """node's `smpp` server is the peer that refuses a bind for bad credentials (smpp34's server
    accepts every bind). .ci/run installs it with `npm ci`; locally the first run does."""
    if shutil.which("node") is None:
        unavailable("node (for tests/sms/node_smsc)")
    if not (NODE_DIR / "node_modules" / "smpp").exists():
        if shutil.which("npm") is None:
            unavailable("npm (to install tests/sms/node_smsc)")
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            unavailable(f"node's smpp package (npm ci in tests/sms/node_smsc failed: {result.stderr[-300:]})")
    return NODE_DIR


class NodeSmsc:
    def __init__(self, system_id: str, password: str) -> None:
        self.port = free_port()
        self.system_id, self.password = system_id, password
        self.binds: list[dict] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None

    async def start(self) -> "NodeSmsc":
        self.process = await asyncio.create_subprocess_exec(
            "node", str(NODE_DIR / "server.js"), str(self.port), self.system_id, self.password,
            stdout=asyncio.subprocess.PIPE,
        )
        assert (await self.process.stdout.readline()).decode().strip() == "READY"
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        while line := await self.process.stdout.readline():
            self.binds.append(json.loads(line))

    async def stop(self) -> None:
        if self.process and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        if self._reader:
            await asyncio.gather(self._reader, return_exceptions=True)


@pytest.mark.timeout(30)
async def test_bad_credentials_are_reported_and_retried_slowly(node_smsc_installed, sink, channel_factory, caplog):
    caplog.set_level(logging.ERROR, logger="channels.sms.smpp")
    smsc = await NodeSmsc("tawasol", "the-right-one").start()
    try:
        channel = await channel_factory(
            smsc.port, sink, wait_bound=False, password="wrong",
            reconnect_initial_s=0.05, bad_credentials_retry_s=1.0, send_bind_wait_s=0.5,
        )
        await asyncio.sleep(2.5)
        attempts = [b for b in smsc.binds if b["event"] == "bind"]
        # Hammering at the ordinary 0.05 s backoff would be ~50 attempts; slow retry is 3.
        assert 2 <= len(attempts) <= 4
        assert not any(b["accepted"] for b in attempts)
        gaps = [(b["at"] - a["at"]) / 1000 for a, b in zip(attempts, attempts[1:])]
        assert all(gap >= 0.9 for gap in gaps)
        assert not channel.health()["bound"]
        assert "ESME_RINVPASWD" in channel.health()["last_error"]
        refusal = [r for r in caplog.records if "bind refused" in r.getMessage()]
        assert refusal and "ESME_RINVPASWD" in refusal[0].getMessage()
        assert "wrong" not in caplog.text  # the password never reaches the logs

        # Meanwhile the outbox is told to keep the message and try later, not that it failed.
        outcome = await channel.sender.send(sms("hello"))
        assert not outcome.ok and outcome.retry_after and outcome.error_code == "smsc_unavailable"
    finally:
        await smsc.stop()


@pytest.mark.timeout(30)
async def test_refused_bind_succeeds_once_the_account_is_fixed(node_smsc_installed, sink, channel_factory):
    smsc = await NodeSmsc("tawasol", "oldpass1").start()
    port = smsc.port
    channel = await channel_factory(port, sink, wait_bound=False, password="newpass1", bad_credentials_retry_s=0.5)
    await eventually(lambda: len(smsc.binds) >= 1)
    await smsc.stop()
    # The operator updates the account; the SMSC comes back with the password we have.
    fixed = NodeSmsc("tawasol", "newpass1")
    fixed.port = port
    await fixed.start()
    try:
        await eventually(lambda: channel.health()["bound"], timeout=5)
        await eventually(lambda: bool(fixed.binds))  # its stdout line may trail the bind_resp
        assert fixed.binds[-1]["accepted"]
        await asyncio.sleep(0.3)
        assert channel.health()["bound"]  # and the session stays up
    finally:
        await fixed.stop()


@pytest.mark.timeout(30)
async def test_a_bind_failed_answer_is_retried_like_a_failed_connect(node_smsc_installed, sink, channel_factory):
    # ESME_RBINDFAIL is what an SMSC answers while it restarts or is at its session limit: it used
    # to be taken for bad credentials and retried after a minute (bench/faults smsc-bind-drop).
    port, control = free_port(), free_port()
    script = HERE.parent.parent / "bench" / "faults" / "smsc.js"
    process = await asyncio.create_subprocess_exec("node", str(script), str(port), str(control), stdout=asyncio.subprocess.PIPE)
    try:
        assert (await process.stdout.readline()).decode().strip() == "READY"
        import httpx

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{control}") as client:
            await client.post("/fault", json={"refuse_binds_s": 1.5})
            channel = await channel_factory(port, sink, wait_bound=False, bad_credentials_retry_s=60.0)
            await eventually(lambda: channel.health()["bound"], timeout=6)  # not a minute later
            state = (await client.get("/state")).json()
        assert state["refused"] >= 1 and state["binds"] >= 1
    finally:
        process.kill()
        await process.wait()


# ---------------------------------------------------------------- a silent peer


@pytest.mark.timeout(30)
async def test_enquire_link_timeout_declares_the_peer_dead_and_reconnects(smsc, sink, channel_factory, caplog):
    caplog.set_level(logging.WARNING, logger="channels.sms.smpp")
    proxy = await SilenceableProxy(smsc.port).start()
    try:
        channel = await channel_factory(
            proxy.port, sink, enquire_link_interval_s=0.3, enquire_link_timeout_s=0.5, connect_timeout_s=0.5
        )
        assert (await channel.sender.send(sms("before"))).ok
        proxy.silent = True  # the network swallows everything; the socket stays open
        silenced = time.monotonic()
        await eventually(lambda: not channel.health()["bound"], timeout=5)
        detected = time.monotonic() - silenced
        assert detected < 0.3 + 0.5 + 0.5  # idle interval + the enquire_link deadline (+ slack)
        assert any("no enquire_link_resp" in r.getMessage() for r in caplog.records)

        proxy.silent = False
        await eventually(lambda: channel.health()["bound"], timeout=5)
        assert channel.health()["reconnects"] >= 1 and proxy.connections >= 2
        assert (await channel.sender.send(sms("after"))).ok
        assert [reassemble([s])[0] for s in smsc.accepted] == ["before", "after"]
    finally:
        await proxy.stop()


# ---------------------------------------------------------------- bind dropped mid-burst (node smpp)


@pytest.mark.timeout(60)
async def test_bind_dropped_mid_burst_no_part_reaches_the_citizen_twice(node_smsc_installed, sink, channel_factory):
    """bench/faults smsc-bind-drop, as a test: node's smpp SMSC destroys the session in the middle of
    a burst of two-part messages (no unbind; answers written by it may never be read) and refuses
    binds for a second. Every message arrives complete, and no part arrives twice unless it was one
    whose submit_sm_resp the SMSC never wrote (`resubmitted_parts`, bounded by the window)."""
    port, control = free_port(), free_port()
    script = HERE.parent.parent / "bench" / "faults" / "smsc.js"
    process = await asyncio.create_subprocess_exec("node", str(script), str(port), str(control), stdout=asyncio.subprocess.PIPE)
    import httpx

    try:
        assert (await process.stdout.readline()).decode().strip() == "READY"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{control}") as client:
            channel = await channel_factory(port, sink, tps=400.0, window=10)
            texts = [f"رسالة رقم {i:03d} من تواصل: موعدك في دائرة الأحوال المدنية غداً الساعة العاشرة صباحاً" for i in range(150)]
            sends = [asyncio.ensure_future(channel.sender.send(sms(t, reference=i))) for i, t in enumerate(texts)]
            while len((await client.get("/submits")).json()["submits"]) < 100:
                await asyncio.sleep(0.005)
            await client.post("/fault", json={"drop": True, "refuse_binds_s": 1.0})
            outcomes = await asyncio.wait_for(asyncio.gather(*sends), timeout=40)
            submits = (await client.get("/submits")).json()["submits"]
    finally:
        process.kill()
        await process.wait()
    assert all(o.ok for o in outcomes), [o for o in outcomes if not o.ok][:3]
    status = channel.health()
    assert status["reconnects"] >= 1
    seen: dict[str, int] = {}
    for submit in submits:
        key = f"{submit['udh']}|{submit['text']}"
        seen[key] = seen.get(key, 0) + 1
    assert len(seen) == 300  # every part of every message
    doubled = sum(n - 1 for n in seen.values())
    print(f"parts doubled={doubled} resubmitted={status['resubmitted_parts']} salvaged={status.get('salvaged_answers')}")
    assert doubled <= status["resubmitted_parts"]


@pytest.mark.timeout(60)
async def test_a_message_given_back_half_sent_sends_only_its_missing_parts_next_time(node_smsc_installed, sink, channel_factory):
    """A three-part message: the SMSC takes part 1, then drops the bind and refuses binds for longer
    than the send may wait, so the message is given back to the outbox (RETRY_LATER). Its next try
    submits parts 2 and 3 only: part 1 reaches the citizen once."""
    port, control = free_port(), free_port()
    script = HERE.parent.parent / "bench" / "faults" / "smsc.js"
    process = await asyncio.create_subprocess_exec("node", str(script), str(port), str(control), stdout=asyncio.subprocess.PIPE)
    import httpx

    try:
        assert (await process.stdout.readline()).decode().strip() == "READY"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{control}") as client:
            channel = await channel_factory(port, sink, tps=2.0, send_timeout_s=1.5, send_bind_wait_s=1.0)
            text = "موعدك في دائرة الأحوال المدنية غداً الساعة العاشرة صباحاً، أحضر الهوية والصورة. " * 2
            message = sms(text, reference=77)
            first = asyncio.ensure_future(channel.sender.send(message))
            while not (await client.get("/submits")).json()["submits"]:
                await asyncio.sleep(0.01)
            await client.post("/fault", json={"drop": True, "refuse_binds_s": 2.5})
            given_back = await first
            assert not given_back.ok and given_back.verdict.name == "RETRY_LATER"
            await eventually(lambda: channel.client.bound, timeout=10)  # the outbox's next try, after the bind returns
            again = await asyncio.wait_for(channel.sender.send(message), timeout=20)
            submits = (await client.get("/submits")).json()["submits"]
    finally:
        process.kill()
        await process.wait()
    assert again.ok
    keys = [f"{s['udh']}|{s['text']}" for s in submits]
    assert len(keys) == 3 and len(set(keys)) == 3, keys  # three parts, each once
