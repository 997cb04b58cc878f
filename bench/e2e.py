"""End-to-end speed: signed WhatsApp webhooks in, replies at the (fake) Graph API out, beside stock Rasa.

    .venv/bin/python -m bench.e2e --model /tmp/benchmodel/bench.tar.gz [--quick] [--no-profile]

For each configuration the benchmark starts real processes on 127.0.0.1: the fake Graph API
(`python -m simulators.whatsapp_graph`), `tawasol serve` (and `tawasol worker`s), then a load
generator process that sends N signed webhook POSTs from N citizens with C closed-loop senders
(bench/e2e_load.py) and times each message from its POST until its first reply reaches the fake.
The same messages then go to stock `rasa run` (REST channel, `rasa run actions` for the custom
actions) with the same model, timed until the HTTP response.

Configurations: SQLite with in-process stand-ins (one process); PostgreSQL + Redis with the web
tier (`serve --workers 0`) and 1, then 2, worker processes. Each PostgreSQL run gets a fresh
database, dropped after; Redis runs use a dedicated database number, flushed before and after.
The SQLite server and stock Rasa also answer a short unloaded phase (one sender: latency without
queueing). Then, unless --no-profile, SQLite, the 1-worker configuration and stock Rasa run again
under py-spy and the benchmark prints where the time per message goes (bench/e2e_profile.py).

Errors: a webhook / REST call that failed or answered non-200, or a message never sent before the
deadline. Lost: POSTed fine but no reply within the reply timeout. Duplicates: a citizen who got
the same outbound body twice (stock Rasa: the same text twice in one response).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import httpx

from bench import e2e_procs as procs
from bench.e2e_load import LoadProcess, LoadResult, LoadSpec
from bench.e2e_profile import (
    ProfileSummary,
    Recorder,
    ThreadCpu,
    print_summary,
    summarise,
)
from bench.e2e_stages import STAGES, stage_latencies
from bench.e2e_traffic import Message, build_traffic, describe_mix
from bench.table import print_table

GOAL_RATIO = 20.0
GOAL_P95_MS = 250.0


@dataclass(frozen=True)
class Config:
    label: str
    database: str  # "sqlite" or "postgres"
    worker_processes: int  # 0: serve answers in process; else serve --workers 0 plus this many workers
    tasks: int  # concurrent message workers (asyncio tasks) per answering process


@dataclass(frozen=True)
class Phase:
    """One timed batch against a running server: `traffic` from `concurrency` closed-loop senders."""

    label: str
    traffic: list[Message]
    concurrency: int


@dataclass
class Stats:
    sent: int
    answered: int
    throughput: float  # answered messages per second
    latencies_ms: list[float]
    errors: int
    duplicates: int
    lost: int
    replies_per_message: float
    error_causes: dict[str, int] = field(default_factory=dict)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class RunReport:
    label: str
    stats: Stats
    rss_mb: dict[str, float]  # peak over the server's whole life (model loading included)
    cpu_s: dict[str, float]  # CPU each process used in this phase (until the last reply settled)
    phase: str = ""  # the Phase label ("" for the loaded phase)
    other_cores: float = 0.0  # CPU the rest of the machine used meanwhile (other users skew the numbers)
    database_work: dict[str, int] = field(default_factory=dict)  # PostgreSQL counters over the phase
    stages: dict[str, list[float]] = field(default_factory=dict)
    profiles: list[ProfileSummary] = field(default_factory=list)
    probe_ms: float = float("nan")  # the machine's speed around the phase (see speed_probe_ms)

    def cpu_line(self) -> str:
        answered = max(1, self.stats.answered)
        return ", ".join(f"{name} {1000 * s / answered:.1f}" for name, s in self.cpu_s.items())

    def rss_line(self) -> str:
        return ", ".join(f"{name} {mb:.0f}" for name, mb in self.rss_mb.items())


def speed_probe_ms() -> float:
    """Milliseconds this process needs for a fixed piece of pure-Python work (median of 5).

    The shared machines slow down by up to 3x for minutes at a time (every process's CPU time per
    message grows alike), and the phases run one after another: taken before and after each phase,
    the probe shows which phases ran on a slow machine."""
    times = []
    for _ in range(5):
        started, total = time.process_time(), 0
        for i in range(300_000):
            total += i * i
        times.append((time.process_time() - started) * 1000)
    return sorted(times)[2]


class MachineLoad:
    """How busy the rest of the machine was during a phase (all cores' busy time minus ours), and how
    fast it was (the speed probe, before and after)."""

    def __init__(self) -> None:
        self._busy, self._started = procs.machine_busy_seconds(), time.monotonic()
        self._probe_before = speed_probe_ms()

    def probe_ms(self) -> float:
        return (self._probe_before + speed_probe_ms()) / 2

    def other_cores(self, ours: dict[str, float]) -> float:
        busy = procs.machine_busy_seconds() - self._busy
        return max(0.0, busy - sum(ours.values())) / max(1e-9, time.monotonic() - self._started)


# --- statistics -------------------------------------------------------------------------------------


def _stats(load: LoadResult, replies_of: dict[int, list[tuple[float, str]]]) -> Stats:
    """`replies_of`: per message index, (arrival time, content) of every reply it got."""
    latencies, errors, duplicates, lost, replies, last_reply = [], load.unsent, 0, 0, 0, load.started_at
    causes: Counter[str] = Counter({"not sent before the deadline": load.unsent} if load.unsent else {})
    for outcome in load.outcomes:
        received = replies_of.get(outcome.index, [])
        # A webhook accepted (200) whose reply reached the fake counts even if the generator's own
        # long-poll for it failed: the reply's arrival time comes from the fake, not from that call.
        if outcome.http_status != 200 or (outcome.error and not received):
            errors += 1
            causes[outcome.error or f"HTTP {outcome.http_status}"] += 1
            continue
        if not received:
            lost += 1
            continue
        duplicates += 1 if any(n > 1 for n in Counter(content for _, content in received).values()) else 0
        first = min(at for at, _ in received)
        latencies.append((first - outcome.sent_at) * 1000)
        last_reply = max(last_reply, first)
        replies += len(received)
    return Stats(
        sent=len(load.outcomes) + load.unsent,
        answered=len(latencies),
        throughput=len(latencies) / max(1e-9, last_reply - load.started_at),
        latencies_ms=latencies,
        errors=errors,
        error_causes=dict(causes),
        duplicates=duplicates,
        lost=lost,
        replies_per_message=replies / max(1, len(latencies)),
    )


def tawasol_stats(load: LoadResult, fake_messages: list[dict]) -> Stats:
    by_phone: dict[str, list[tuple[float, str]]] = {}
    for sent in fake_messages:
        body = json.dumps(sent["body"], sort_keys=True, ensure_ascii=False)
        by_phone.setdefault(str(sent["to"]), []).append((sent["at"], body))
    return _stats(load, {o.index: by_phone.get(o.phone, []) for o in load.outcomes})


def rasa_stats(load: LoadResult) -> Stats:
    return _stats(load, {o.index: [(o.posted_at, text) for text in o.replies] for o in load.outcomes})


def settled_fake_messages(fake_url: str, phones: set[str], timeout_s: float) -> list[dict]:
    """The fake's record once every citizen has a reply (or `timeout_s`) and nothing new arrived
    for a second (late duplicates would show up then)."""
    deadline = time.monotonic() + timeout_s
    previous, stable_since = -1, time.monotonic()
    while True:
        found = httpx.get(f"{fake_url}/_fake/messages", timeout=30).json()["messages"]
        mine = [m for m in found if str(m["to"]) in phones]
        if len(mine) != previous:
            previous, stable_since = len(mine), time.monotonic()
        everyone = phones <= {str(m["to"]) for m in mine}
        if time.monotonic() - stable_since >= 1.0 and (everyone or time.monotonic() > deadline):
            return mine
        time.sleep(0.2)


# --- runs -------------------------------------------------------------------------------------------


def _load_spec(args: argparse.Namespace, phase: Phase, warmup: list[Message], **target: str) -> LoadSpec:
    return LoadSpec(
        messages=phase.traffic, warmup=warmup, concurrency=phase.concurrency,
        reply_timeout_s=args.reply_timeout, deadline_s=args.deadline, **target,
    )


def run_tawasol(
    config: Config, args: argparse.Namespace, phases: list[Phase], warmup: list[Message], logs: Path,
    profile: bool = False,
) -> list[RunReport]:
    """Start the configuration, run each phase in turn (py-spy on the first if `profile`), stop it."""
    logs = logs / ("".join(c if c.isalnum() else "_" for c in config.label) + ("-profiled" if profile else ""))
    logs.mkdir(parents=True, exist_ok=True)  # --logs may name a directory an earlier run used
    with contextlib.ExitStack() as cleanup:  # unwinds in reverse: servers stop before the databases go
        postgres = None
        if config.database == "postgres":
            postgres = cleanup.enter_context(procs.FreshPostgres(args.postgres))
            cleanup.enter_context(procs.DedicatedRedis(args.redis))
            database_url, redis_url = postgres.url, args.redis
        else:
            database_url, redis_url = f"sqlite:///{logs / 'tawasol.db'}", None
        fake_port, serve_port = procs.free_port(), procs.free_port()
        target = Target(f"http://127.0.0.1:{fake_port}", f"http://127.0.0.1:{serve_port}/webhooks/whatsapp",
                        database_url, postgres)
        env = procs.tawasol_env(
            fake_url=target.fake_url, database_url=database_url, model=args.model, redis_url=redis_url,
            rate=args.whatsapp_rate,
        )
        servers = [procs.start_fake(fake_port, target.webhook_url, logs)]
        cleanup.callback(servers[0].stop)
        serve_tasks = config.tasks if config.worker_processes == 0 else 0
        servers.append(procs.start_serve(serve_port, env, serve_tasks, logs))
        cleanup.callback(servers[-1].stop)
        for index in range(1, config.worker_processes + 1):
            servers.append(procs.start_worker(index, env, config.tasks, logs))
            cleanup.callback(servers[-1].stop)
        reports = [
            _tawasol_phase(f"{config.label}{phase.label}", phase, warmup if number == 0 else [], target, servers,
                           args, logs if profile and number == 0 else None)
            for number, phase in enumerate(phases)
        ]
        _report_problems(servers)
        return reports


@dataclass(frozen=True)
class Target:
    fake_url: str
    webhook_url: str
    database_url: str
    postgres: Optional[procs.FreshPostgres]


def _tawasol_phase(
    label: str, phase: Phase, warmup: list[Message], target: Target, servers: list[procs.Server],
    args: argparse.Namespace, profile_dir: Optional[Path],
) -> RunReport:
    """One phase against running servers; with `profile_dir`, under py-spy (its files go there)."""
    spec = _load_spec(
        args, phase, warmup, target="tawasol", url=target.webhook_url, fake_url=target.fake_url,
        app_secret=procs.APP_SECRET, phone_number_id=procs.PHONE_NUMBER_ID,
    )
    load = LoadProcess(spec)
    load.wait_warm()
    recorders = [Recorder(s.name, s.pid, profile_dir) for s in servers] if profile_dir else []
    try:
        if recorders:
            time.sleep(0.5)  # py-spy attaches
        threads = {s.name: ThreadCpu(s.pid) for s in servers} if recorders else {}
        postgres = target.postgres
        started, cpu_before = time.monotonic(), {s.name: s.cpu_seconds() for s in servers}
        database_before = postgres.activity() if postgres is not None else {}
        infrastructure_before, machine = procs.infrastructure_cpu(), MachineLoad()
        result = load.go()
        probe = machine.probe_ms()
        fake_messages = settled_fake_messages(target.fake_url, {m.phone for m in phase.traffic}, args.reply_timeout)
        elapsed = time.monotonic() - started
        cpu = {s.name: s.cpu_seconds() - cpu_before[s.name] for s in servers}
        cpu["load"] = result.cpu_s
        if postgres is not None:
            cpu.update(procs.cpu_delta(infrastructure_before, procs.infrastructure_cpu()))
        other = machine.other_cores(cpu)
        database_work = {}
        if postgres is not None:
            time.sleep(1.0)  # PostgreSQL publishes its counters about once a second
            database_work = {k: v - database_before.get(k, 0) for k, v in postgres.activity().items()}
        split = {name: t.finish() for name, t in threads.items()}
    finally:
        stacks = {r.name: r.stop() for r in recorders}
    stats = tawasol_stats(result, fake_messages)
    profiles = [summarise(name, stacks[name], stats.answered, elapsed, split.get(name)) for name in stacks]
    rss = {s.name: s.peak_rss_mb() for s in servers}
    rss["load"] = result.peak_rss_mb
    return RunReport(
        label, stats, rss, cpu, phase.label, other, database_work,
        stage_latencies(target.database_url, result.outcomes, fake_messages), profiles, probe,
    )


def run_stock_rasa(
    args: argparse.Namespace, phases: list[Phase], warmup: list[Message], logs: Path, profile: bool = False
) -> list[RunReport]:
    logs = logs / ("stock_rasa" + ("-profiled" if profile else ""))
    logs.mkdir(parents=True, exist_ok=True)
    rasa, actions, url = procs.start_stock_rasa(args.model, logs)
    try:
        return [
            _rasa_phase(phase, warmup if number == 0 else [], url, [rasa, actions], args,
                        logs if profile and number == 0 else None)
            for number, phase in enumerate(phases)
        ]
    finally:
        rasa.stop()
        actions.stop()


def _rasa_phase(
    phase: Phase, warmup: list[Message], url: str, servers: list[procs.Server], args: argparse.Namespace,
    profile_dir: Optional[Path],
) -> RunReport:
    load = LoadProcess(_load_spec(args, phase, warmup, target="rasa", url=url))
    load.wait_warm()
    recorders = [Recorder(s.name, s.pid, profile_dir) for s in servers] if profile_dir else []
    try:
        if recorders:
            time.sleep(0.5)  # py-spy attaches
        threads = {s.name: ThreadCpu(s.pid) for s in servers} if recorders else {}
        started, cpu_before = time.monotonic(), {s.name: s.cpu_seconds() for s in servers}
        machine = MachineLoad()
        result = load.go()
        probe = machine.probe_ms()
        elapsed = time.monotonic() - started
        cpu = {s.name: s.cpu_seconds() - cpu_before[s.name] for s in servers}
        cpu["load"] = result.cpu_s
        other = machine.other_cores(cpu)
        split = {name: t.finish() for name, t in threads.items()}
    finally:
        stacks = {r.name: r.stop() for r in recorders}
    stats = rasa_stats(result)
    profiles = [summarise(name, stacks[name], stats.answered, elapsed, split.get(name)) for name in stacks]
    rss = {s.name: s.peak_rss_mb() for s in servers}
    rss["load"] = result.peak_rss_mb
    return RunReport(f"stock rasa run (REST) + rasa run actions{phase.label}", stats, rss, cpu, phase.label,
                     other, profiles=profiles, probe_ms=probe)


def _report_problems(servers: list[procs.Server]) -> None:
    for server in servers:
        errors = server.log_lines(" ERROR ")
        if errors:
            print(f"  ! {server.name}: {len(errors)} ERROR log lines, first: {errors[0][:300]}", file=sys.stderr)


# --- output -----------------------------------------------------------------------------------------


def print_results(reports: list[RunReport], rasa_reports: list[RunReport]) -> None:
    every = reports + rasa_reports
    rows = []
    for report in every:
        s = report.stats
        rows.append([
            report.label, s.sent, s.answered, s.throughput, percentile(s.latencies_ms, 0.50),
            percentile(s.latencies_ms, 0.95), percentile(s.latencies_ms, 0.99), s.errors, s.duplicates, s.lost,
            s.replies_per_message, report.rss_line(),
        ])
    print_table(["configuration", "msgs", "answered", "msg/s", "p50 ms", "p95 ms", "p99 ms", "errors", "dup", "lost",
                 "replies/msg", "peak RSS MB per process"], rows)
    for report in every:
        for cause, count in report.stats.error_causes.items():
            print(f"error in {report.label}: {count} x {cause}")
    print()
    print_table(["configuration", "CPU ms per answered message, by process", "other load on the machine (cores)"],
                [[r.label, r.cpu_line(), r.other_cores] for r in every])
    with_database = [r for r in reports if r.database_work]
    if with_database:
        print()
        print_table(["configuration", "PostgreSQL work per answered message"], [
            [r.label, ", ".join(f"{name} {count / max(1, r.stats.answered):.1f}" for name, count in r.database_work.items())]
            for r in with_database
        ])
    staged = [r for r in reports if r.stages]
    if staged:
        print()
        rows = [
            [r.label] + [f"{percentile(r.stages[s], 0.5):.0f} / {percentile(r.stages[s], 0.95):.0f}" for s in STAGES]
            for r in staged
        ]
        print_table(["configuration (ms, p50 / p95)"] + list(STAGES), rows)
    rows = []
    for report in reports:
        # Compare like with like: the loaded phase with Rasa's loaded phase, one sender with one sender.
        rasa = next((r for r in rasa_reports if r.phase == report.phase), None)
        if rasa is None or not rasa.stats.throughput:
            continue
        ratio = report.stats.throughput / rasa.stats.throughput
        p95 = percentile(report.stats.latencies_ms, 0.95)
        met = ratio >= GOAL_RATIO and p95 < GOAL_P95_MS
        rows.append([
            report.label, ratio, f"{report.probe_ms:.0f} / {rasa.probe_ms:.0f}",
            percentile(rasa.stats.latencies_ms, 0.95) / p95, "yes" if met else "no",
        ])
    if rows:
        print()
        # The probe only shows how fast the machine was around each phase: far apart values mean the
        # ratio compares phases run at different machine speeds (it is not used to correct them).
        print_table(
            ["configuration (vs stock Rasa, same phase)", "msg/s ratio (x)",
             "speed probe ms (ours / Rasa; lower = faster machine)", "p95 speed-up (x)",
             f"goal met ({GOAL_RATIO:.0f}x msg/s and p95 < {GOAL_P95_MS:.0f} ms)"],
            rows,
        )


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="End-to-end WhatsApp throughput and latency vs stock Rasa")
    parser.add_argument("--model", default=None, help="model archive (default: TAWASOL_MODEL, else newest in models/)")
    parser.add_argument("--messages", "-n", type=int, default=300, help="timed messages per configuration")
    parser.add_argument("--quick", action="store_true", help="100 messages per configuration")
    parser.add_argument("--concurrency", "-c", type=int, default=16, help="concurrent senders")
    parser.add_argument("--unloaded", type=int, default=40, help="messages of the one-sender phase (0: skip)")
    parser.add_argument("--tasks", type=int, default=1, help="message workers (asyncio tasks) per answering process")
    parser.add_argument("--warmup", type=int, default=8, help="untimed messages first, from other citizens")
    parser.add_argument("--reply-timeout", type=float, default=30.0, help="seconds to wait for one reply")
    parser.add_argument("--deadline", type=float, default=240.0, help="seconds after which a phase stops sending")
    parser.add_argument("--whatsapp-rate", type=float, default=1000.0,
                        help="WHATSAPP_RATE for our service (Meta's default tier is 80/s; high so we measure us)")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9", help="a Redis db the benchmark may flush")
    parser.add_argument("--only", choices=["sqlite", "postgres", "rasa"], action="append", help="run only these")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy runs")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra variable for every server process, e.g. OPENBLAS_NUM_THREADS=1 (repeatable)")
    parser.add_argument("--logs", type=Path, default=None, help="keep process logs here (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.quick:
        args.messages, args.unloaded = 100, min(args.unloaded, 20)
    args.model = _model(args.model)
    for item in args.env:
        name, _, value = item.partition("=")
        procs.EXTRA_ENV[name] = value

    traffic = build_traffic(args.messages, seed=7, phone_prefix="9627")
    warmup = build_traffic(args.warmup, seed=11, phone_prefix="9628")
    main_phase = Phase("", traffic, args.concurrency)
    phases = [main_phase]
    if args.unloaded:
        phases.append(Phase(", 1 sender", build_traffic(args.unloaded, seed=13, phone_prefix="9629"), 1))
    configs = [
        Config(f"tawasol SQLite, 1 process ({args.tasks} task)", "sqlite", 0, args.tasks),
        Config(f"tawasol PG+Redis, web + 1 worker ({args.tasks} task)", "postgres", 1, args.tasks),
        Config(f"tawasol PG+Redis, web + 2 workers ({args.tasks} task each)", "postgres", 2, args.tasks),
    ]
    selected = set(args.only or ["sqlite", "postgres", "rasa"])
    configs = [c for c in configs if c.database in selected]

    logs = args.logs or Path(tempfile.mkdtemp(prefix="tawasol-e2e-"))
    logs.mkdir(parents=True, exist_ok=True)
    print(f"model {Path(args.model).name}; {args.messages} messages per run, {args.concurrency} concurrent senders, "
          f"{os.cpu_count()} CPUs; logs in {logs}", flush=True)
    print(f"traffic: {describe_mix(traffic)}", flush=True)
    print(f"load average (1 min) before: {os.getloadavg()[0]:.2f}; extra environment: {procs.EXTRA_ENV or 'none'}",
          flush=True)

    reports: list[RunReport] = []
    for config in configs:
        print(f"- {config.label} ... (load average {os.getloadavg()[0]:.2f})", flush=True)
        reports += run_tawasol(config, args, phases if config.database == "sqlite" else [main_phase], warmup, logs)
    rasa_reports: list[RunReport] = []
    if "rasa" in selected:
        print("- stock rasa ...", flush=True)
        rasa_reports = run_stock_rasa(args, phases, warmup, logs)
    print()
    print_results(reports, rasa_reports)

    if not args.no_profile:
        print("\n## Profile (separate runs: py-spy pauses the sampled processes 100 times a second, which slows them "
              "somewhat, so read the shares; the speeds above were measured without it)")
        profiled = [run_tawasol(c, args, [main_phase], warmup, logs, profile=True)[0] for c in configs[:2]]
        if "rasa" in selected:
            profiled += run_stock_rasa(args, [main_phase], warmup, logs, profile=True)
        for report in profiled:
            s = report.stats
            print(f"\n## {report.label} under py-spy: {s.throughput:.1f} msg/s, "
                  f"p95 {percentile(s.latencies_ms, 0.95):.0f} ms; CPU ms per message by process: {report.cpu_line()}")
            for summary in report.profiles:
                print_summary(summary)


def _model(given: Optional[str]) -> str:
    from bot.settings import newest_model
    from bot.training import REPOSITORY

    model = given or os.environ.get("TAWASOL_MODEL") or newest_model(REPOSITORY / "models")
    if not model or not Path(model).exists():
        raise SystemExit("no model: train one (tawasol train --fixed-name bench --output /tmp/benchmodel) and pass --model")
    return str(Path(model).resolve())


if __name__ == "__main__":
    main()
