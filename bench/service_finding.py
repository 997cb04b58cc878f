"""Finding the service with 27 services and with 2,000, in one run: latency and memory per worker.

    TAWASOL_LARGE_CATALOG_CSV=... uv run python -m bench.service_finding

The service stage of a parse (nlu/service_finder.py: the phrase matcher, then the retrieval index)
timed on the held-out messages, the 27-service catalog and a 2,000-service one alternating message
by message so both see the same machine load. The sentence encoder's vector of each message is
computed first, as in a real parse the intent classifier has already embedded the message (the
encoder's cache serves it). The large catalog is the CSV (bench/catalog_csv.py) padded with
synthetic rows to 2,000. Memory: RSS growth of this process from building the large catalog's
matcher and index and parsing with it. Targets (issue #20): p50 <= 10 ms, p95 <= 25 ms, < 200 MB.
"""

from __future__ import annotations

import json
import time

import numpy as np

from bench.cache_memory import rss_mb
from bench.catalog_csv import LARGE_CATALOG_CSV, REPOSITORY, catalog_from_csv
from bench.table import print_table
from catalog.services import Catalog
from language.analysis import analyse
from nlu.catalog_names import resolver_from_catalog
from nlu.embeddings import USE
from nlu.service_finder import ServiceFinder
from nlu.service_index import ServiceIndex

SIZE = 2_000


def messages() -> list[str]:
    texts = []
    for name in ("tawasol_heldout.jsonl", "tawasol_heldout_b.jsonl"):
        for line in (REPOSITORY / "eval" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


def main() -> None:
    texts = messages()
    small = Catalog.load()
    USE.embed(["warm up"])
    small_finder = ServiceFinder(resolver_from_catalog(small), ServiceIndex(small, USE))
    for text in texts:  # the classifier's embedding of each message, as in a parse
        USE.embed([text])
    before = rss_mb()
    started = time.perf_counter()
    large = catalog_from_csv(LARGE_CATALOG_CSV, base=Catalog.load(), synthetic_to=SIZE)
    large_finder = ServiceFinder(resolver_from_catalog(large), ServiceIndex(large, USE))
    build_s = time.perf_counter() - started
    timings: dict[str, list[float]] = {"27": [], "large": []}
    prepared = []
    for text in texts:
        tokens = analyse(text).tokens
        prepared.append(([t.norm for t in tokens], [(t.start, t.end) for t in tokens], text))
    for norms, spans, text in prepared:  # one pass to warm per-word caches, as a running worker has
        small_finder.find(norms, spans, text)
        large_finder.find(norms, spans, text)
    for norms, spans, text in prepared:
        for name, finder in (("27", small_finder), ("large", large_finder)):
            started = time.perf_counter()
            finder.find(norms, spans, text)
            timings[name].append((time.perf_counter() - started) * 1000)
    after = rss_mb()
    rows = []
    for name, catalog in (("27", small), ("large", large)):
        values = np.asarray(timings[name])
        rows.append([
            f"{len(catalog.services):,} services", len(values), float(np.percentile(values, 50)),
            float(np.percentile(values, 95)), float(values.max()),
            f"{after - before:.0f} MB (built in {build_s:.1f} s)" if name == "large" else "-",
        ])
    print_table(["catalog", "messages", "p50 ms", "p95 ms", "max ms", "RSS growth for the large catalog"], rows)
    print(f"p95 ratio large/27: {rows[1][3] / max(rows[0][3], 1e-9):.1f}x; targets p50 <= 10 ms, p95 <= 25 ms, < 200 MB")


if __name__ == "__main__":
    main()
