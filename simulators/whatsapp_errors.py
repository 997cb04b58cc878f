"""Graph API errors as Meta returns them: the envelope, the title per code, the HTTP status per code.

Titles and HTTP statuses follow Meta's Cloud API error-code reference; `details` texts are modelled
on real responses but Meta words them as it likes (clients must key on `code`, as Meta advises).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

# code -> (title, HTTP status)
CODES: dict[int, tuple[str, int]] = {
    0: ("AuthException", 401),
    1: ("API Unknown", 400),
    2: ("API Service", 503),
    4: ("Application request limit reached", 400),
    100: ("Invalid parameter", 400),
    190: ("Access token has expired", 401),
    368: ("Temporarily blocked for policies violations", 403),
    80007: ("Rate limit issues", 400),
    130429: ("Rate limit hit", 400),
    131000: ("Something went wrong", 500),
    131005: ("Access denied", 403),
    131008: ("Required parameter is missing", 400),
    131009: ("Parameter value is not valid", 400),
    131016: ("Service unavailable", 503),
    131026: ("Message Undeliverable", 400),
    131030: ("Recipient phone number not in allowed list", 400),
    131047: ("Re-engagement message", 400),
    131048: ("Spam rate limit hit", 400),
    131049: ("Meta chose not to deliver", 400),
    131051: ("Unsupported message type", 400),
    131056: ("(Business Account, Consumer Account) pair rate limit hit", 400),
    132000: ("Number of parameters does not match the expected number of params", 400),
    132001: ("Template name does not exist in the translation", 404),
    132018: ("There was an issue with the parameters in your template", 400),
    133010: ("Phone number Not Registered", 400),
}

DEFAULT_DETAILS: dict[int, str] = {
    130429: (
        "Message failed to send because there were too many messages sent from this phone number "
        "in a short period of time."
    ),
    131026: "Message Undeliverable.",
    131047: (
        "Message failed to send because more than 24 hours have passed since the customer last "
        "replied to this number."
    ),
    131056: (
        "Message failed to send because there were too many messages sent from this phone number "
        "to the same phone number in a short period of time."
    ),
    131000: "Something went wrong.",
}


def unknown_object(object_id: str, method: str) -> GraphError:
    """What Graph answers for an id that does not exist (or is not ours)."""
    return GraphError(
        100,
        subcode=33,
        error_type="GraphMethodException",
        message=(
            f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be loaded "
            "due to missing permissions, or does not support this operation."
        ),
    )


@dataclass
class GraphError(Exception):
    code: int
    details: str = ""
    http_status: int | None = None  # default: Meta's status for the code
    subcode: int | None = None
    error_type: str = "OAuthException"
    message: str | None = None  # default: "(#code) title"

    @property
    def title(self) -> str:
        return CODES.get(self.code, ("Unknown error", 400))[0]

    @property
    def status(self) -> int:
        return self.http_status or CODES.get(self.code, ("", 400))[1]

    def envelope(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message or f"(#{self.code}) {self.title}",
            "type": self.error_type,
            "code": self.code,
            "error_data": {
                "messaging_product": "whatsapp",
                "details": self.details or DEFAULT_DETAILS.get(self.code, self.title),
            },
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)
        return {"error": error}

    def webhook_error(self) -> dict[str, Any]:
        """The same error as it appears in a `failed` status webhook (`statuses[].errors[]`)."""
        return {
            "code": self.code,
            "title": self.title,
            "message": self.title,
            "error_data": {"details": self.details or DEFAULT_DETAILS.get(self.code, self.title)},
            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
        }
