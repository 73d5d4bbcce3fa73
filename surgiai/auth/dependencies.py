"""Who is calling, and may they? Cookie or Bearer token; CSRF for cookie-authenticated writes."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPBearer

from surgiai.auth.models import User
from surgiai.auth.roles import Permission, has_permission
from surgiai.auth.security import csrf_token_for
from surgiai.auth.service import auth_service
from surgiai.dependencies import DbSession, SettingsDep
from surgiai.errors import Forbidden, NotAuthenticated

SESSION_COOKIE = "surgiai_session"
CSRF_COOKIE = "surgiai_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    user: User
    token: str
    via_cookie: bool


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


# How the OpenAPI names the two ways to log in (either will do); `get_caller` reads both.
_BEARER = HTTPBearer(auto_error=False, description="The access_token from /api/v1/auth/login")
_COOKIE = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description=f"The dashboard's session; writes also send the {CSRF_COOKIE} cookie's value "
    f"in {CSRF_HEADER}",
)


def get_caller(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    _bearer: Annotated[object, Depends(_BEARER)] = None,
    _cookie: Annotated[object, Depends(_COOKIE)] = None,
) -> Caller:
    token = bearer_token(request)
    via_cookie = False
    if token is None:
        token = request.cookies.get(SESSION_COOKIE)
        via_cookie = token is not None
    if not token:
        raise NotAuthenticated("Log in to use the API.", headers={"WWW-Authenticate": "Bearer"})
    user = auth_service.authenticate(session, token)
    if via_cookie and request.method not in SAFE_METHODS:
        expected = csrf_token_for(token, settings.resolved_secret_key())
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(expected, sent):
            raise Forbidden(f"Missing or wrong {CSRF_HEADER} header for a cookie session.")
    request.state.user_id = user.id
    return Caller(user, token, via_cookie)


CallerDep = Annotated[Caller, Depends(get_caller)]


def require(permission: Permission) -> Callable[[Caller], User]:
    def dependency(caller: CallerDep) -> User:
        if not has_permission(caller.user.role, permission):
            raise Forbidden(f"Your role ({caller.user.role.value}) may not do this.")
        return caller.user

    return dependency


CurrentUser = Annotated[User, Depends(require(Permission.read))]
UserManager = Annotated[User, Depends(require(Permission.manage_users))]
AuditViewer = Annotated[User, Depends(require(Permission.view_audit))]
KnowledgeManager = Annotated[User, Depends(require(Permission.manage_knowledge))]
