"""Every error the HTTP API answers, in one format: `{"error": "<Class>", "detail": "…"}`
(`kit.schemas.ErrorBody`), whether a service refused, a request did not validate, the framework
found no route or method, or something broke (500).

A JSON body that does not parse is answered like any other invalid body: after the login
check (401 first), then a 400 naming the line and column (`DeferMalformedJson`)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from http import HTTPStatus

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from surgiai.errors import SurgiAIError
from surgiai.logging import mark_logged

log = structlog.get_logger(__name__)

MALFORMED_JSON = "malformed_json"
# What the route sees instead of a body that does not parse: valid JSON that no body schema
# accepts, so the body fails validation only after the dependencies (the login) have run.
_PLACEHOLDER = b'"malformed JSON"'
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def error_response(
    status_code: int, error: str, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": error, "detail": detail}, status_code=status_code, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(DeferMalformedJson)

    @app.exception_handler(SurgiAIError)
    async def surgiai_error(_request: Request, error: SurgiAIError) -> JSONResponse:
        return error_response(error.status_code, error.public_name, error.detail, error.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        malformed = request.scope.get("state", {}).get(MALFORMED_JSON)
        if malformed is not None:
            return error_response(400, "BadRequest", f"The body is not valid JSON: {malformed}.")
        if any(item["loc"][0] == "path" for item in error.errors()):
            allowed = _allowed_methods(app, request.url.path, literal_only=True)
            if allowed:
                # "/segments/count" is no segment id: the route a PATCH to it found is not its own.
                return error_response(
                    405, "MethodNotAllowed", "Method Not Allowed", {"Allow": ", ".join(allowed)}
                )
        problems = []
        for item in error.errors():
            location = ".".join(str(part) for part in item["loc"] if part != "body")
            problems.append(f"{location}: {item['msg']}" if location else item["msg"])
        return error_response(422, "ValidationError", "; ".join(problems))

    @app.exception_handler(HTTPException)
    async def framework_error(request: Request, error: HTTPException) -> JSONResponse:
        """No such route (404), a method the route does not have (405, with `Allow`)."""
        name = HTTPStatus(error.status_code).phrase.title().replace(" ", "").replace("-", "")
        headers = dict(error.headers or {})
        if error.status_code == 405:
            # Starlette names the methods of the first route matching the path only; a path
            # has a route per method.
            headers["Allow"] = ", ".join(_allowed_methods(app, request.url.path))
        return error_response(error.status_code, name, str(error.detail), headers)

    @app.exception_handler(Exception)
    async def unexpected_error(_request: Request, error: Exception) -> JSONResponse:
        log.exception("http.unhandled_error", error_type=type(error).__name__)
        # Starlette re-raises it for the server, which would log it again, unmasked.
        mark_logged(error)
        # The server closes the connection after an unhandled error: say so, so that a client
        # keeping connections alive does not send its next request into a closed one.
        return error_response(
            500,
            "InternalError",
            "Something went wrong on our side.",
            headers={"Connection": "close"},
        )


class DeferMalformedJson:
    """Reads a JSON request body to the API ahead of the framework, which would refuse a
    malformed one before any dependency runs, telling a caller who is not logged in about the
    body rather than the login. A malformed body is noted in the request's state and replaced by
    `_PLACEHOLDER`; the validation error it then causes is answered with where the JSON broke."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _json_to_api(scope):
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # The client left before sending its body.
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:
            try:
                json.loads(body)
            except ValueError as error:  # JSONDecodeError, or bytes that are no text
                scope.setdefault("state", {})[MALFORMED_JSON] = _where(error)
                body = _PLACEHOLDER
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _allowed_methods(app: FastAPI, path: str, *, literal_only: bool = False) -> list[str]:
    """The methods the OpenAPI documents for `path` (a literal path before a template)."""
    matches: list[tuple[bool, str, dict[str, object]]] = []
    for template, operations in app.openapi()["paths"].items():
        pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            matches.append(("{" in template, template, operations))
    if literal_only:
        matches = [match for match in matches if not match[0]]
    if not matches:
        return []
    literal = min(matches, key=lambda match: match[0])[0]
    methods = {m.upper() for is_template, _, ops in matches if is_template == literal for m in ops}
    return sorted(methods)


def _json_to_api(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
        return False
    if not scope["path"].startswith("/api/"):
        return False
    for name, value in scope["headers"]:
        if name == b"content-type":
            media_type: bytes = value.split(b";", 1)[0].strip().lower()
            return media_type == b"application/json" or media_type.endswith(b"+json")
    return False


def _where(error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at line {error.lineno}, column {error.colno}"
    if isinstance(error, UnicodeDecodeError):
        return f"it is not UTF-8 text (byte {error.start + 1})"
    return str(error)
