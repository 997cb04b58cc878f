"""Our message id, given to Meta with each send and repeated by Meta in every status of it
(`biz_opaque_callback_data`). A sender killed after Meta accepted a message but before we wrote
down its wamid leaves the message "queued"; its first status then names it, so it is marked sent
instead of being sent a second time after the restart."""

from __future__ import annotations

from typing import Any, Optional

CALLBACK_FIELD = "biz_opaque_callback_data"
_PREFIX = "tawasol:"


def callback_data(reference: int) -> str:
    return f"{_PREFIX}{reference}"


def reference_from(value: Any) -> Optional[int]:
    """Our id from a status item's callback data (its `biz_opaque_callback_data`); None when it
    has none, or not ours."""
    if not isinstance(value, str) or not value.startswith(_PREFIX):
        return None
    digits = value[len(_PREFIX):]
    return int(digits) if digits.isdigit() and len(digits) < 19 else None
