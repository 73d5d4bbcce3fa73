from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from surgiai.auth.dependencies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CallerDep,
    CurrentUser,
    UserManager,
)
from surgiai.auth.schemas import (
    AccountUpdate,
    LoginRequest,
    LoginResponse,
    PasswordChange,
    PasswordResetCheck,
    PasswordResetComplete,
    PasswordResetLink,
    PasswordResetStatus,
    UserCreate,
    UserRead,
    UserUpdate,
)
from surgiai.auth.security import csrf_token_for
from surgiai.auth.service import ClientInfo, auth_service, user_service
from surgiai.dependencies import DbSession, SettingsDep
from surgiai.kit.schemas import Id, error_responses
from surgiai.workspace.dependencies import DefaultRegion

router = APIRouter(prefix="/api/v1", tags=["auth"])


def client_info(request: Request) -> ClientInfo:
    ip = request.client.host if request.client else "unknown"
    return ClientInfo(ip=ip, user_agent=request.headers.get("user-agent"))


@router.post("/auth/login", response_model=LoginResponse, responses=error_responses(401, 429))
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: DbSession,
    settings: SettingsDep,
) -> LoginResponse:
    result = auth_service.login(
        session, settings, body.email, body.password.get_secret_value(), client_info(request)
    )
    max_age = settings.session_ttl_hours * 3600
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    # Readable by the dashboard's script, which echoes it in the X-CSRF-Token header.
    response.set_cookie(
        CSRF_COOKIE,
        csrf_token_for(result.token, settings.resolved_secret_key()),
        max_age=max_age,
        httponly=False,
        samesite="strict",
        secure=settings.cookie_secure,
        path="/",
    )
    return LoginResponse(access_token=result.token, user=UserRead.model_validate(result.user))


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(caller: CallerDep, response: Response, session: DbSession) -> None:
    auth_service.logout(session, caller.token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.get("/auth/me", response_model=UserRead)
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.patch("/auth/me", response_model=UserRead)
def update_me(
    body: AccountUpdate, user: CurrentUser, session: DbSession, region: DefaultRegion
) -> UserRead:
    """Change your own name or WhatsApp phone (as typed: without a country code it is read as
    a number of the workspace's default region; null removes it). Alerts go to that phone,
    and commands from it are yours. 422 with the reason for an impossible number."""
    return UserRead.model_validate(
        user_service.update_own_account(session, user, body, default_region=region)
    )


@router.post(
    "/auth/me/password", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(429)
)
def change_my_password(
    body: PasswordChange,
    caller: CallerDep,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
) -> None:
    """Change your password, given the current one. Your other sessions end; this one stays."""
    auth_service.change_password(
        session,
        settings,
        caller.user,
        caller.token,
        body.current_password.get_secret_value(),
        body.new_password.get_secret_value(),
        client_info(request),
    )


@router.get("/users", response_model=list[UserRead], tags=["users"])
def list_users(_: UserManager, session: DbSession) -> list[UserRead]:
    return [UserRead.model_validate(user) for user in user_service.list(session)]


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED, tags=["users"])
def create_user(
    body: UserCreate, actor: UserManager, session: DbSession, region: DefaultRegion
) -> UserRead:
    return UserRead.model_validate(user_service.create(session, actor, body, default_region=region))


@router.get("/users/{user_id}", response_model=UserRead, tags=["users"])
def get_user(user_id: Id, _: UserManager, session: DbSession) -> UserRead:
    return UserRead.model_validate(user_service.get(session, user_id))


@router.patch("/users/{user_id}", response_model=UserRead, tags=["users"])
def update_user(
    user_id: Id, body: UserUpdate, actor: UserManager, session: DbSession, region: DefaultRegion
) -> UserRead:
    """Change the fields sent (name, email, phone as typed, role, active, password)."""
    return UserRead.model_validate(
        user_service.update(session, actor, user_id, body, default_region=region)
    )


@router.post(
    "/users/{user_id}/password-reset",
    response_model=PasswordResetLink,
    status_code=status.HTTP_201_CREATED,
    tags=["users"],
)
def create_password_reset(user_id: Id, actor: UserManager, session: DbSession) -> PasswordResetLink:
    """A one-time link (valid 24 h) for the user to choose a new password. Shown only in this
    answer: the server keeps its hash. An earlier unused link for the user stops working."""
    return user_service.create_password_reset(session, actor, user_id)


@router.post(
    "/auth/password-reset/check", response_model=PasswordResetStatus, responses=error_responses(404)
)
def check_password_reset(body: PasswordResetCheck, session: DbSession) -> PasswordResetStatus:
    """Whose link this is, while it works (no login: the token is the proof). 404 when it was
    used, replaced or expired."""
    return user_service.check_password_reset(session, body.token)


@router.post(
    "/auth/password-reset", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(404)
)
def complete_password_reset(
    body: PasswordResetComplete, request: Request, session: DbSession
) -> None:
    """Set a new password with a reset link; the link is spent and every session of the user
    ends (they log in with the new password)."""
    user_service.complete_password_reset(
        session, body.token, body.new_password.get_secret_value(), client_info(request)
    )


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["users"])
def delete_user(user_id: Id, actor: UserManager, session: DbSession) -> None:
    user_service.delete(session, actor, user_id)
