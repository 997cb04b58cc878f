"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import JSON, DateTime, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes in and out.

    SQLite has no time zones and hands back naive values; comparing those with aware ones raises,
    so every value is normalised to aware UTC at the boundary.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# JSONB on PostgreSQL (indexable, compact), JSON text on SQLite. Python None is stored as SQL NULL
# (not the JSON value null), so `column IS NULL` means "nothing here" on both.
JsonType = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Money(TypeDecorator):
    """Exact amounts (JOD, six decimals: SMS costs 0.006842 a segment).

    PostgreSQL stores NUMERIC exactly. SQLite has no decimal type and keeps a REAL; read back and
    rounded to the column's six decimals it is exact for these magnitudes (and SQLAlchemy's
    float-conversion warning on every query goes away).
    """

    impl = Numeric(12, 6)
    cache_ok = True
    _SCALE = Decimal("0.000001")

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(12, 6, asdecimal=False))
        return dialect.type_descriptor(Numeric(12, 6))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return None if value is None else Decimal(str(value)).quantize(self._SCALE)

    def process_result_value(self, value: Any, dialect: Any) -> Optional[Decimal]:
        if value is None:
            return None
        return Decimal(str(value)).quantize(self._SCALE)
