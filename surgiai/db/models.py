"""Imports every domain's tables so Alembic and tests see one complete metadata."""

from surgiai.audit import models as audit_models
from surgiai.auth import models as auth_models
from surgiai.db.base import Base

metadata = Base.metadata

__all__ = ["audit_models", "auth_models", "metadata"]
