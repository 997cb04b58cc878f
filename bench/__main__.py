"""`python -m bench` (`make bench`): every speed benchmark, one after the other, each printing its tables.

    NLU alone (in process vs stock /model/parse) → SMS rendering and splitting per message → SMS
    segments per catalog answer (the layout before issue 16 and now) →
    SMS over SMPP → the store's calls per message → the caches' memory → end to end over
    WhatsApp beside stock `rasa run` → the agency API's steps per second → other citizens' latency
    while one number floods → faults (kill -9, PostgreSQL/Redis restarts, Graph API and SMSC
    outages: lost, doubled, time to recover).

Each can be run alone, with its options: `python -m bench.<name> --help`.
"""

from __future__ import annotations

import sys

from bench import (
    agency_api, broadcasts, cache_memory, e2e, flood, nlu_latency, service_finding, sms_answer_cost, sms_render,
    sms_throughput, store_ops,
)
from bench.faults.__main__ import main as faults_main

BENCHMARKS = [
    ("NLU parse latency", nlu_latency.main),
    ("Finding the service: 27 services beside 2,000", service_finding.main),
    ("SMS rendering and splitting", sms_render.main),
    ("SMS segments per catalog answer, before and after issue 16", sms_answer_cost.main),
    ("SMS over SMPP", sms_throughput.main),
    ("The store's CPU per answered message", store_ops.main),
    ("Memory of the per-process caches when full", cache_memory.main),
    ("End to end (WhatsApp)", e2e.main),
    ("Agency API: steps accepted and notified", agency_api.main),
    ("Broadcasts: 100,000 queued, sending rates, answers' p95 during a broadcast", broadcasts.main),
    ("Other citizens' latency while one number floods", flood.main),
    ("Faults: lost, doubled, time to recover", faults_main),
]


def main() -> None:
    for title, run in BENCHMARKS:
        print(f"\n# {title}\n", flush=True)
        sys.argv = [f"bench.{run.__module__.removesuffix('.__main__').rsplit('.', 1)[-1]}"]  # each with its defaults
        run()


if __name__ == "__main__":
    main()
