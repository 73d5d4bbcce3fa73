"""Users, logins and sessions. Never commits: the request or task boundary does."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from surgiai.audit.service import audit_service
from surgiai.auth.models import AuthSession, PasswordReset, User
from surgiai.auth.repository import (
    AuthSessionRepository,
    LoginFailureRepository,
    PasswordResetRepository,
    UserRepository,
)
from surgiai.auth.roles import Permission, Role, has_permission
from surgiai.auth.schemas import (
    AccountUpdate,
    PasswordResetLink,
    PasswordResetStatus,
    UserCreate,
    UserUpdate,
)
from surgiai.auth.security import (
    generate_password,
    hash_password,
    new_session_token,
    token_digest,
    verify_password,
)
from surgiai.config import Settings
from surgiai.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    LoginRejected,
    NotAuthenticated,
    NotFound,
    PasswordRejected,
    TooManyRequests,
    Unprocessable,
)
from surgiai.kit.phone import NotAMobileNumber, ParsedPhone, parse_mobile
from surgiai.kit.time import utcnow

log = structlog.get_logger(__name__)

# How long a reset link works: long enough to reach a surgeon between operations.
RESET_TTL = timedelta(hours=24)
RESET_PATH = "/reset-password"


@dataclass(frozen=True)
class Login:
    token: str
    user: User
    auth_session: AuthSession


@dataclass(frozen=True)
class ClientInfo:
    ip: str
    user_agent: str | None


class AuthService:
    def login(
        self, session: Session, settings: Settings, email: str, password: str, client: ClientInfo
    ) -> Login:
        email = email.strip().lower()
        failures = LoginFailureRepository(session)
        now = utcnow()
        _refuse_when_throttled(
            failures, settings, email, client.ip, now, "Too many failed logins. Try again later."
        )

        # Only reads before the deliberately slow hash: on SQLite a transaction takes the write
        # lock at its first write, so nobody waits for the hash (PostgreSQL's reads lock nothing).
        user = UserRepository(session).get_by_email(email)
        password_ok = verify_password(user.password_hash if user else None, password)
        if user is None or not password_ok or not user.is_active:
            failures.add(email, client.ip)
            log.info("auth.login.failed", email=email, ip=client.ip)
            audit_service.record(
                session,
                "auth.login_failed",
                actor_email=email,
                ip=client.ip,
                details={"reason": "inactive" if user and password_ok else "bad_credentials"},
            )
            raise LoginRejected("Wrong email or password.")

        failures.clear_email(email)
        token = new_session_token()
        auth_session = AuthSessionRepository(session).add(
            AuthSession(
                token_hash=token_digest(token),
                user_id=user.id,
                expires_at=now + timedelta(hours=settings.session_ttl_hours),
                ip=client.ip,
                user_agent=(client.user_agent or "")[:300] or None,
            )
        )
        user.last_login_at = now
        audit_service.record(
            session, "auth.login", actor_user_id=user.id, actor_email=user.email, ip=client.ip
        )
        return Login(token, user, auth_session)

    def change_password(
        self,
        session: Session,
        settings: Settings,
        user: User,
        token: str,
        current_password: str,
        new_password: str,
        client: ClientInfo,
    ) -> int:
        """Replace the user's password, given the current one, and end their other sessions
        (the one making the change stays). Wrong guesses count like failed logins. Returns how
        many sessions were ended."""
        failures = LoginFailureRepository(session)
        _refuse_when_throttled(
            failures,
            settings,
            user.email,
            client.ip,
            utcnow(),
            "Too many wrong passwords. Try again later.",
        )
        if not verify_password(user.password_hash, current_password):
            failures.add(user.email, client.ip)
            log.info("auth.password_change.failed", user_id=user.id, ip=client.ip)
            audit_service.record(
                session,
                "auth.password_change_failed",
                actor_user_id=user.id,
                actor_email=user.email,
                ip=client.ip,
            )
            raise PasswordRejected("Your current password is not right.")
        if verify_password(user.password_hash, new_password):
            raise BadRequest("The new password is the same as the current one.")
        failures.clear_email(user.email)
        user.password_hash = hash_password(new_password)
        ended = AuthSessionRepository(session).delete_for_user_except(user.id, token_digest(token))
        audit_service.record(
            session,
            "auth.password_changed",
            actor_user_id=user.id,
            actor_email=user.email,
            target_type="user",
            target_id=user.id,
            ip=client.ip,
            details={"other_sessions_ended": ended},
        )
        return ended

    def logout(self, session: Session, token: str) -> None:
        AuthSessionRepository(session).delete_by_hash(token_digest(token))

    def authenticate(self, session: Session, token: str) -> User:
        auth_session = AuthSessionRepository(session).get_valid(token_digest(token), utcnow())
        if auth_session is None or not auth_session.user.is_active:
            raise NotAuthenticated("Your session has expired. Log in again.")
        return auth_session.user


class UserService:
    def list(self, session: Session) -> Sequence[User]:
        return UserRepository(session).list()

    def get(self, session: Session, user_id: int) -> User:
        user = UserRepository(session).get(user_id)
        if user is None:
            raise NotFound(f"No user with id {user_id}.")
        return user

    def create(
        self, session: Session, actor: User | None, data: UserCreate, *, default_region: str
    ) -> User:
        """Create a user; `actor` None means the operator's own CLI. The phone is read with
        `default_region` when typed without its country code."""
        if actor is not None:
            self._check_may_grant(actor, data.role)
        users = UserRepository(session)
        if users.get_by_email(data.email) is not None:
            raise Conflict(f"A user with email {data.email} already exists.")
        phone = read_phone(data.phone, default_region)
        _refuse_taken_phone(session, None, phone)
        try:
            with session.begin_nested():
                user = users.add(
                    User(
                        email=data.email,
                        name=data.name,
                        role=data.role,
                        phone=phone,
                        password_hash=hash_password(data.password.get_secret_value()),
                    )
                )
        except IntegrityError as error:
            raise Conflict(f"A user with email {data.email} already exists.") from error
        audit_service.record(
            session,
            "user.created",
            actor_user_id=actor.id if actor else None,
            actor_email=actor.email if actor else "cli",
            target_type="user",
            target_id=user.id,
            details={"email": user.email, "role": user.role.value},
        )
        return user

    def update(
        self,
        session: Session,
        actor: User,
        user_id: int,
        data: UserUpdate,
        *,
        default_region: str,
    ) -> User:
        """Change the fields sent. The phone is read with `default_region` when typed without
        its country code; null or empty removes it."""
        user = self.get(session, user_id)
        self._check_may_manage(actor, user)
        changes = data.model_dump(exclude_unset=True, exclude={"password"})
        if "phone" in changes:
            changes["phone"] = read_phone(changes["phone"], default_region)
            _refuse_taken_phone(session, user, changes["phone"])
        if changes.get("email") not in (None, user.email):
            taken = UserRepository(session).get_by_email(changes["email"])
            if taken is not None:
                raise Conflict(f"A user with email {changes['email']} already exists.")
        if data.role is not None:
            self._check_may_grant(actor, data.role)
            if user.role == Role.owner and data.role != Role.owner:
                self._keep_an_owner(session, user)
        if data.is_active is False and user.role == Role.owner:
            self._keep_an_owner(session, user)
        for field in ("name", "email", "role", "phone", "is_active"):
            if changes.get(field) is not None or (field == "phone" and "phone" in changes):
                setattr(user, field, changes[field])
        if data.password is not None:
            user.password_hash = hash_password(data.password.get_secret_value())
        if data.password is not None or data.is_active is False:
            AuthSessionRepository(session).delete_for_user(user.id)
        audit_service.record(
            session,
            "user.updated",
            actor_user_id=actor.id,
            actor_email=actor.email,
            target_type="user",
            target_id=user.id,
            details={"fields": sorted({*changes, *(["password"] if data.password else [])})},
        )
        return user

    def update_own_account(
        self, session: Session, user: User, data: AccountUpdate, *, default_region: str
    ) -> User:
        """A user changing their own name or WhatsApp phone (the one admin commands and alerts
        use); no role is needed to change oneself. The phone is read with `default_region`
        when typed without its country code."""
        requested = data.model_dump(exclude_unset=True)
        if "phone" in requested:
            requested["phone"] = read_phone(requested["phone"], default_region)
        changes = {name: value for name, value in requested.items() if getattr(user, name) != value}
        if changes.get("phone") is not None:
            _refuse_taken_phone(session, user, changes["phone"])
        if not changes:
            return user
        for name, value in changes.items():
            setattr(user, name, value)
        audit_service.record(
            session,
            "account.updated",
            actor_user_id=user.id,
            actor_email=user.email,
            target_type="user",
            target_id=user.id,
            details={"fields": sorted(changes)},
        )
        return user

    def delete(self, session: Session, actor: User, user_id: int) -> None:
        user = self.get(session, user_id)
        self._check_may_manage(actor, user)
        if user.role == Role.owner:
            self._keep_an_owner(session, user)
        UserRepository(session).delete(user)
        audit_service.record(
            session,
            "user.deleted",
            actor_user_id=actor.id,
            actor_email=actor.email,
            target_type="user",
            target_id=user_id,
            details={"email": user.email},
        )

    def create_password_reset(
        self, session: Session, actor: User, user_id: int, *, now: datetime | None = None
    ) -> PasswordResetLink:
        """A one-time link for `user_id` to choose a new password, shown once to `actor`. Any
        earlier unused link for the user stops working; the current password works until the
        link is used."""
        user = self.get(session, user_id)
        self._check_may_manage(actor, user)
        if not user.is_active:
            raise Conflict(f"{user.name} is deactivated: reactivate them first.")
        now = now or utcnow()
        resets = PasswordResetRepository(session)
        resets.delete_for_user(user.id)
        token = new_session_token()
        reset = resets.add(
            PasswordReset(
                token_hash=token_digest(token),
                user_id=user.id,
                created_by_user_id=actor.id,
                created_at=now,
                expires_at=now + RESET_TTL,
            )
        )
        audit_service.record(
            session,
            "user.password_reset_created",
            actor_user_id=actor.id,
            actor_email=actor.email,
            target_type="user",
            target_id=user.id,
            details={"expires_at": reset.expires_at.isoformat()},
        )
        log.info("auth.password_reset.created", user_id=user.id, actor_user_id=actor.id)
        return PasswordResetLink(
            path=f"{RESET_PATH}#token={token}", token=token, expires_at=reset.expires_at
        )

    def check_password_reset(self, session: Session, token: str) -> PasswordResetStatus:
        reset = self._valid_reset(session, token, utcnow())
        return PasswordResetStatus(
            email=reset.user.email, name=reset.user.name, expires_at=reset.expires_at
        )

    def complete_password_reset(
        self, session: Session, token: str, new_password: str, client: ClientInfo
    ) -> User:
        """Set the password the link's user chose; the link is spent and every session of the
        user ends."""
        now = utcnow()
        reset = self._valid_reset(session, token, now, lock=True)
        user = reset.user
        reset.used_at = now
        user.password_hash = hash_password(new_password)
        AuthSessionRepository(session).delete_for_user(user.id)
        LoginFailureRepository(session).clear_email(user.email)
        audit_service.record(
            session,
            "auth.password_reset",
            actor_user_id=user.id,
            actor_email=user.email,
            target_type="user",
            target_id=user.id,
            ip=client.ip,
        )
        log.info("auth.password_reset.used", user_id=user.id, ip=client.ip)
        return user

    @staticmethod
    def _valid_reset(
        session: Session, token: str, now: datetime, *, lock: bool = False
    ) -> PasswordReset:
        reset = PasswordResetRepository(session).get_by_hash(token_digest(token), lock=lock)
        if reset is None or reset.used_at is not None or reset.expires_at <= now:
            raise NotFound(
                "This reset link does not work: it was used already, replaced by a newer one or "
                "has expired. Ask an owner or admin for a new one."
            )
        if not reset.user.is_active:
            raise NotFound("This account is deactivated. Ask an owner or admin.")
        return reset

    def ensure_owner(
        self, session: Session, email: str | None, password: str | None
    ) -> tuple[User, str | None] | None:
        """On an empty database, create the first owner. Returns it and any generated password."""
        users = UserRepository(session)
        if users.count() > 0:
            return None
        generated = None if password else generate_password()
        user = users.add(
            User(
                email=(email or "owner@surgiai.local").strip().lower(),
                name="Owner",
                role=Role.owner,
                password_hash=hash_password(password or generated or ""),
            )
        )
        audit_service.record(
            session,
            "user.created",
            target_type="user",
            target_id=user.id,
            details={"email": user.email, "role": "owner", "bootstrap": True},
        )
        return user, generated

    def _keep_an_owner(self, session: Session, user: User) -> None:
        if user.is_active and UserRepository(session).count_active_owners(lock=True) <= 1:
            raise Conflict("This is the last owner. Make another user owner first.")

    @staticmethod
    def _check_may_grant(actor: User, role: Role) -> None:
        if role == Role.owner and not has_permission(actor.role, Permission.manage_owners):
            raise Forbidden("Only an owner can grant the owner role.")

    @staticmethod
    def _check_may_manage(actor: User, user: User) -> None:
        if user.role == Role.owner and not has_permission(actor.role, Permission.manage_owners):
            raise Forbidden("Only an owner can change or remove an owner.")


def _refuse_when_throttled(
    failures: LoginFailureRepository,
    settings: Settings,
    email: str,
    ip: str,
    now: datetime,
    message: str,
) -> None:
    window_start = now - timedelta(seconds=settings.login_failure_window_seconds)
    by_email, by_ip = failures.count_since(email=email, ip=ip, since=window_start)
    if max(by_email, by_ip) >= settings.login_max_failures:
        oldest = failures.oldest_since(email=email, ip=ip, since=window_start) or now
        retry_after = settings.login_failure_window_seconds - (now - oldest).total_seconds()
        raise TooManyRequests(
            message,
            headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
        )


def read_phone(text: str | None, default_region: str) -> str | None:
    """A user's WhatsApp phone as typed, as the digits WhatsApp knows it by (None: no phone)."""
    if text is None or not text.strip():
        return None
    return parse_phone_or_refuse(text, default_region).wa_id


def parse_phone_or_refuse(text: str, default_region: str) -> ParsedPhone:
    """A mobile number as typed; without a country code, one of `default_region`. 422 with the
    reason and an example when it is no possible mobile number."""
    try:
        return parse_mobile(text, default_region)
    except NotAMobileNumber as error:
        raise Unprocessable(
            f"phone: {error}. Type a mobile number with its country code, like "
            f"+91 98765 43210, or as dialled in {default_region.upper()}."
        ) from error


def _refuse_taken_phone(session: Session, user: User | None, phone: str | None) -> None:
    if phone is None:
        return
    taken = any(
        other.phone == phone and (user is None or other.id != user.id)
        for other in UserRepository(session).list_with_phone()
    )
    if taken:
        raise Conflict(
            "Another user already has this WhatsApp phone: each phone may belong to "
            "one user, who receives its alerts and may send commands from it."
        )


auth_service = AuthService()
user_service = UserService()
