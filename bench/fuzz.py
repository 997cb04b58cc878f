"""Post N malformed, correctly signed WhatsApp webhook bodies to a running Tawasol and print how it
answered: the status codes by kind of body, timeouts, and the slowest responses.

    uv run python -m simulators.dev_server --port 8000 &          # or `make run`
    uv run python -m bench.fuzz --url http://127.0.0.1:8000 --n 1000 [--seed 0] [--concurrency 4]

Against development mode the defaults fit (its fake Graph API's app secret and phone number id);
for another service pass `--secret` and `--phone-number-id`. The bodies are `bench.fuzz_bodies`'s:
wrong types, missing fields, huge and odd strings, unknown message types, statuses for ids never
sent, deep nesting, huge lists, bytes that are not JSON, bodies over the size cap, a few valid ones.
Exit status 1 when any answer was a 5xx or timed out: the target is none.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from bench.fuzz_bodies import BodyFactory, FuzzBody
from bench.table import print_table
from channels.whatsapp.signature import SIGNATURE_HEADER, sign
from simulators import whatsapp_graph

PATH = "/webhooks/whatsapp"
TIMEOUT = "timeout"


@dataclass
class FuzzReport:
    by_kind: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    latencies_ms: list[float] = field(default_factory=list)
    slowest: list[tuple[float, str, int, object]] = field(default_factory=list)  # (ms, kind, bytes, status)

    @property
    def totals(self) -> Counter:
        total: Counter = Counter()
        for counts in self.by_kind.values():
            total.update(counts)
        return total

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.totals.items() if isinstance(status, int) and status >= 500)

    @property
    def timeouts(self) -> int:
        return self.totals[TIMEOUT]


def run(
    url: str,
    n: int,
    *,
    seed: int = 0,
    secret: str,
    phone_number_id: str,
    timeout_s: float = 10.0,
    concurrency: int = 1,
) -> FuzzReport:
    """Post `n` bodies, `concurrency` at a time (the bodies are the same for a seed, whatever that is)."""
    factory = BodyFactory(seed, phone_number_id)
    bodies = [factory.next() for _ in range(n)]
    report = FuzzReport()
    lock = threading.Lock()
    with httpx.Client(base_url=url.rstrip("/"), timeout=timeout_s, limits=httpx.Limits(max_connections=concurrency)) as client:

        def post(made: FuzzBody) -> None:
            headers = {SIGNATURE_HEADER: sign(made.body, secret), "Content-Type": "application/json"}
            started = time.perf_counter()
            try:
                status: object = client.post(PATH, content=made.body, headers=headers).status_code
            except httpx.TimeoutException:
                status = TIMEOUT
            except httpx.TransportError as error:
                status = f"connection: {type(error).__name__}"
            took = (time.perf_counter() - started) * 1000
            with lock:
                report.by_kind[made.kind][status] += 1
                report.latencies_ms.append(took)
                report.slowest = sorted([*report.slowest, (took, made.kind, len(made.body), status)], key=lambda s: s[0], reverse=True)[:5]

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(post, bodies))
    return report


def print_report(report: FuzzReport) -> None:
    statuses = sorted(report.totals, key=str)
    rows = [[kind, sum(counts.values()), *(counts.get(s, 0) for s in statuses)] for kind, counts in sorted(report.by_kind.items())]
    rows.append(["all", sum(report.totals.values()), *(report.totals[s] for s in statuses)])
    print_table(["body kind", "bodies", *(str(s) for s in statuses)], rows)
    latencies = sorted(report.latencies_ms)
    print()
    print_table(
        ["5xx", "timeouts", "p50 ms", "p95 ms", "max ms"],
        [[report.server_errors, report.timeouts, statistics.median(latencies), latencies[int(len(latencies) * 0.95) - 1], latencies[-1]]],
    )
    print()
    print_table(["slowest ms", "kind", "body bytes", "status"], [[f"{ms:.0f}", kind, size, status] for ms, kind, size, status in report.slowest])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Post N malformed, correctly signed webhook bodies; print the answers.")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running service")
    parser.add_argument("--n", type=int, default=1000, help="how many bodies")
    parser.add_argument("--seed", type=int, default=0, help="the same seed posts the same bodies")
    parser.add_argument("--secret", default=whatsapp_graph.DEFAULT_APP_SECRET, help="the app secret bodies are signed with")
    parser.add_argument("--phone-number-id", default=whatsapp_graph.DEFAULT_PHONE_NUMBER_ID)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a request counts as timed out")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight at once")
    args = parser.parse_args(argv)
    report = run(
        args.url,
        args.n,
        seed=args.seed,
        secret=args.secret,
        phone_number_id=args.phone_number_id,
        timeout_s=args.timeout,
        concurrency=args.concurrency,
    )
    print_report(report)
    return 1 if report.server_errors or report.timeouts else 0


if __name__ == "__main__":
    sys.exit(main())
