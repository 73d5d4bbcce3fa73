"""Request-scoped dependencies shared by every domain's endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from surgiai.config import Settings
from surgiai.errors import SurgiAIError
from surgiai.runtime import Runtime


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
