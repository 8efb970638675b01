"""Error shapes shared by the validator and the renderer: the 400 exception and API error bodies."""

from __future__ import annotations

import json

__all__ = ["STATUS_FOR_ERROR_TYPE", "InvalidRequest", "error_body"]

# The HTTP status the real API pairs with each error type.
STATUS_FOR_ERROR_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}


class InvalidRequest(ValueError):
    """The body breaks a rule the real API enforces; str(self) is the 400 message."""


def error_body(error_type: str, message: str) -> bytes:
    """The JSON body the API sends with an error status (and inside an SSE `error` event)."""
    return json.dumps({"type": "error", "error": {"type": error_type, "message": message}}).encode()
