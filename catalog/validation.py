"""What a catalog text may be, wherever it comes from (an imported spreadsheet, a console form).

An answer is sent as plain text on WhatsApp (at most 4,096 characters a message) and SMS, with the
service's name and agency as its heading and sometimes the "agency confirms the figure" caveat
around it; the limit below leaves room for those, so an answer that passes is one we can send whole.
"""

from __future__ import annotations

import re
from typing import Optional

WHATSAPP_TEXT_LIMIT = 4096
# Heading (two names of at most MAX_NAME_CHARS, a dash) and caveat (about 150) around the answer.
MAX_NAME_CHARS = 200
MAX_ANSWER_CHARS = WHATSAPP_TEXT_LIMIT - 2 * MAX_NAME_CHARS - 296  # 3,400
MAX_ALIAS_CHARS = 200
MAX_ALIASES = 300

# Markup has no place in a message a phone shows as text: "<script>", "<b>", "<!--" are refused
# rather than silently stripped, so staff see what the citizen would have seen.
_MARKUP = re.compile(r"<\s*[a-zA-Z!/?]")
# Control characters other than newline and tab break SMS encodings and some phones' rendering.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_problem(text: str, limit: int) -> Optional[str]:
    """Why `text` cannot be sent to citizens, or None when it can."""
    if len(text) > limit:
        return f"is {len(text):,} characters, over the {limit:,} we can send in one message"
    if _MARKUP.search(text):
        return "contains markup (<...>): answers are sent as plain text, write it without tags"
    if _CONTROL.search(text):
        return "contains control characters"
    return None


def answer_problem(text: str) -> Optional[str]:
    return text_problem(text, MAX_ANSWER_CHARS)


def name_problem(text: str) -> Optional[str]:
    return text_problem(text, MAX_NAME_CHARS)
