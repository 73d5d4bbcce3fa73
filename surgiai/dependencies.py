"""Request-scoped dependencies shared by every domain's endpoints."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from surgiai.config import Settings
from surgiai.errors import PayloadTooLarge, SurgiAIError
from surgiai.runtime import Runtime

# The multipart envelope around an uploaded file: boundaries, part headers, other fields.
MULTIPART_ALLOWANCE = 64 * 1024


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_settings_dep(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Settings:
    return runtime.settings


def get_db_session(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Iterator[Session]:
    """One unit of work per request: committed when the endpoint returns, rolled back on error.

    The commit happens before the response is sent (scope="function" below), so a failed commit
    is an error response, never a silently lost write.
    """
    session = runtime.session_factory()
    try:
        yield session
        session.commit()
    except SurgiAIError as error:
        if error.keep_changes:
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DbSession = Annotated[Session, Depends(get_db_session, scope="function")]


def upload_route(
    limit: Callable[[Settings], int], too_large: Callable[[int], str]
) -> type[APIRoute]:
    """A route class refusing (413) a POST whose declared length is over `limit` before the
    framework reads the body: FastAPI parses a form before any dependency or endpoint runs.
    A body without a declared length is spooled to disk by the parser and cut at the limit by
    the endpoint."""

    class DeclaredSizeLimitedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def limited(request: Request) -> Response:
                if request.method == "POST":
                    most = limit(get_runtime(request).settings)
                    declared = request.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > most + MULTIPART_ALLOWANCE:
                        raise PayloadTooLarge(too_large(most))
                return await handler(request)

            return limited

    return DeclaredSizeLimitedRoute
