"""The API client's error family: one class per thing a caller must handle differently."""

from __future__ import annotations


class ApiError(Exception):
    """Any failure talking to the API. ``message`` is the best human text available."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        enveloped: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        #: The error reply carried the API's own envelope (``{"success": false, "error": {...}}``),
        #: so it came from the API itself, not from a proxy or load balancer in front of it.
        self.enveloped = enveloped


class AuthError(ApiError):
    """401/403: the API key was rejected."""


class RequestRejected(ApiError):
    """400/422: the API refused the request itself; sending it again will not help."""


class NotFound(ApiError):
    """404: the API does not know this request id (for this key)."""


class InvalidState(ApiError):
    """409 (or a state error code): e.g. cancelling a task that already finished."""


class RateLimited(ApiError):
    """429: too many requests. ``retry_after`` in seconds when the server said."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status_code: int | None = 429,
        code: str | None = None,
        enveloped: bool = False,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code, enveloped=enveloped)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the API failed; the request may be retried later."""


class MalformedReply(ApiError):
    """The reply was not what the contract says: not JSON, HTML, truncated, fields missing."""


class NetworkError(ApiError):
    """The exchange failed below HTTP; which subclass says whether the request may have reached the API."""


class NotSent(NetworkError):
    """The request was never sent (connection refused, DNS, connect timeout): safe to retry."""


class OutcomeUnknown(NetworkError):
    """The request was sent but no complete answer came: it may or may not have taken effect."""
