from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from surgiai.auth.models import AuthSession, LoginFailure, PasswordReset, User
from surgiai.auth.roles import Role


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def get_by_email(self, email: str) -> User | None:
        return self.session.scalar(select(User).where(User.email == email))

    def list(self) -> Sequence[User]:
        return self.session.scalars(select(User).order_by(User.id)).all()

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(User)) or 0

    def names(self, user_ids: set[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        rows = self.session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
        return {user_id: name for user_id, name in rows}

    def list_with_phone(self) -> Sequence[User]:
        return self.session.scalars(
            select(User).where(User.phone.is_not(None)).order_by(User.id)
        ).all()

    def count_active_owners(self, *, lock: bool = False) -> int:
        statement = select(User.id).where(User.role == Role.owner, User.is_active.is_(True))
        if lock:
            # Serialises concurrent owner removals on PostgreSQL (SQLite writers already queue).
            statement = statement.with_for_update()
        return len(self.session.scalars(statement).all())

    def add(self, user: User) -> User:
        self.session.add(user)
        self.session.flush()
        return user

    def delete(self, user: User) -> None:
        self.session.delete(user)
        self.session.flush()


class AuthSessionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, auth_session: AuthSession) -> AuthSession:
        self.session.add(auth_session)
        self.session.flush()
        return auth_session

    def get_valid(self, token_hash: str, now: datetime) -> AuthSession | None:
        return self.session.scalar(
            select(AuthSession).where(
                AuthSession.token_hash == token_hash, AuthSession.expires_at > now
            )
        )

    def delete_by_hash(self, token_hash: str) -> None:
        self.session.execute(delete(AuthSession).where(AuthSession.token_hash == token_hash))

    def delete_for_user(self, user_id: int) -> None:
        self.session.execute(delete(AuthSession).where(AuthSession.user_id == user_id))

    def delete_for_user_except(self, user_id: int, token_hash: str) -> int:
        result = self.session.execute(
            delete(AuthSession).where(
                AuthSession.user_id == user_id, AuthSession.token_hash != token_hash
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def delete_expired(self, now: datetime) -> int:
        result = self.session.execute(delete(AuthSession).where(AuthSession.expires_at <= now))
        return int(result.rowcount)  # type: ignore[attr-defined]


class LoginFailureRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, email: str, ip: str) -> None:
        self.session.add(LoginFailure(email=email, ip=ip))
        self.session.flush()

    def count_since(self, *, email: str, ip: str, since: datetime) -> tuple[int, int]:
        by_email = self.session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.email == email, LoginFailure.created_at > since)
        )
        by_ip = self.session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.ip == ip, LoginFailure.created_at > since)
        )
        return int(by_email or 0), int(by_ip or 0)

    def oldest_since(self, *, email: str, ip: str, since: datetime) -> datetime | None:
        return self.session.scalar(
            select(func.min(LoginFailure.created_at)).where(
                or_(LoginFailure.email == email, LoginFailure.ip == ip),
                LoginFailure.created_at > since,
            )
        )

    def clear_email(self, email: str) -> None:
        self.session.execute(delete(LoginFailure).where(LoginFailure.email == email))

    def delete_older_than(self, moment: datetime) -> int:
        result = self.session.execute(delete(LoginFailure).where(LoginFailure.created_at <= moment))
        return int(result.rowcount)  # type: ignore[attr-defined]


class PasswordResetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, reset: PasswordReset) -> PasswordReset:
        self.session.add(reset)
        self.session.flush()
        return reset

    def get_by_hash(self, token_hash: str, *, lock: bool = False) -> PasswordReset | None:
        statement = select(PasswordReset).where(PasswordReset.token_hash == token_hash)
        if lock:
            # Two tabs submitting the same link: the second waits, then finds it spent.
            statement = statement.with_for_update(of=PasswordReset)
        return self.session.scalar(statement)

    def delete_for_user(self, user_id: int) -> None:
        self.session.execute(delete(PasswordReset).where(PasswordReset.user_id == user_id))
