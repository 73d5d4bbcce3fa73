"""Work held on a session until commit (jobs, real-time events) must be dropped exactly as far
as the database rolls back: a rolled-back savepoint takes back only what was registered inside
it, a rolled-back transaction everything."""

from __future__ import annotations

from sqlalchemy.orm import Session, SessionTransaction


def current_transaction(session: Session) -> SessionTransaction | None:
    """The innermost transaction (savepoint or outermost) that work registered now belongs to;
    None before the session has begun one, which makes it the outermost one's."""
    return session.get_nested_transaction() or session.get_transaction()


def rollback_boundary(previous_transaction: SessionTransaction) -> SessionTransaction | None:
    """What a soft rollback took back: the nearest savepoint, or None for the whole
    transaction (a failed flush rolls back its enclosing one, as SQLAlchemy decides)."""
    boundary = previous_transaction
    while not boundary.nested and boundary.parent is not None:
        boundary = boundary.parent
    return boundary if boundary.parent is not None else None


def made_within(transaction: SessionTransaction | None, savepoint: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is savepoint:
            return True
        transaction = transaction.parent
    return False
