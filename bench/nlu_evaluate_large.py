"""`tawasol nlu evaluate` with the large catalog read from its CSV by the bench-only loader.

    TAWASOL_LARGE_CATALOG_CSV=... uv run python -m bench.nlu_evaluate_large [--aliases]

Until the importer (catalog/spreadsheet.py) lands, the CLI cannot read the CSV; this runs the same
evaluation (bot.nlu_commands.evaluate) with `bench.catalog_csv`'s catalog: the large CSV, its 27
pilot services as the shipped YAML has them. Without --aliases the CSV's aliases are dropped, as an
agency's own spreadsheet would come.
"""

from __future__ import annotations

import argparse
import asyncio

from bench.catalog_csv import LARGE_CATALOG_CSV, REPOSITORY, catalog_from_csv
from bot.nlu_commands import evaluate
from catalog.services import Catalog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aliases", action="store_true", help="keep the CSV's hand-written aliases")
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    models = sorted((REPOSITORY / "models").glob("*.tar.gz"))
    model = args.model or (str(models[-1]) if models else None)
    large = catalog_from_csv(LARGE_CATALOG_CSV, aliases=args.aliases, base=Catalog.load())
    heldouts = [REPOSITORY / "eval" / f"tawasol_heldout{suffix}.jsonl" for suffix in ("", "_b", "_c")]
    heldouts += sorted((REPOSITORY / "eval" / "dev").glob("*.jsonl"))
    asyncio.run(evaluate(heldouts, 0.0, model, large))


if __name__ == "__main__":
    main()
