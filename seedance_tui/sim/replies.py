"""Reply bodies in the contract's shape, shared by the routes and the fault injector."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


def ok_reply(body: dict[str, Any]) -> JSONResponse:
    """A 200 reply carrying ``body`` as JSON."""
    return JSONResponse(body)


def error_reply(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """An error in the API's shape: ``{"success": false, "error": {"code", "message"}}``."""
    body = {"success": False, "error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)
