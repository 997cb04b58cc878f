"""A row id in a console URL: a number the database can hold.

Anything else (`/console/tickets/99999…` past 64 bits, zero, negatives) is refused by FastAPI with a
422 before a query is built: SQLite and PostgreSQL both fail on an integer they cannot store, which
would surface as a 500.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]
