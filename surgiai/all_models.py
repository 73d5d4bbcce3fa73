"""Every domain's tables in one metadata, for Alembic (`db/migrations/env.py`) and the tests."""

from surgiai.agents import models as agent_models
from surgiai.audit import models as audit_models
from surgiai.auth import models as auth_models
from surgiai.campaigns import models as campaign_models
from surgiai.catalogue import models as catalogue_models
from surgiai.commands import models as command_models
from surgiai.conversations import models as conversation_models
from surgiai.db.base import Base
from surgiai.doctors import models as doctor_models
from surgiai.external_events import models as external_event_models
from surgiai.knowledge import models as knowledge_models
from surgiai.media import models as media_models
from surgiai.monitoring import models as monitoring_models
from surgiai.notifications import models as notification_models
from surgiai.numbers import models as number_models
from surgiai.ratelimit import models as ratelimit_models
from surgiai.stats import models as stats_models
from surgiai.templates import models as template_models
from surgiai.worker import models as worker_models
from surgiai.workspace import models as workspace_models

metadata = Base.metadata

__all__ = [
    "agent_models",
    "audit_models",
    "auth_models",
    "campaign_models",
    "catalogue_models",
    "command_models",
    "conversation_models",
    "doctor_models",
    "external_event_models",
    "knowledge_models",
    "media_models",
    "metadata",
    "monitoring_models",
    "notification_models",
    "number_models",
    "ratelimit_models",
    "stats_models",
    "template_models",
    "worker_models",
    "workspace_models",
]
