from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from surgiai.agents.circuit import CircuitState
from surgiai.agents.health import AgentState


class AgentRead(BaseModel):
    name: str
    description: str
    standby: str | None = Field(description="The agent that answers when this one cannot")
    critical: bool = Field(description="When every option fails, a person takes over")
    state: AgentState
    reason: str | None = Field(description="Why it is not healthy, in words; null when healthy")
    circuit: CircuitState
    disabled: bool
    runs_5m: int = Field(description="Runs that actually ran (not skipped) in the last 5 minutes")
    error_rate_5m: float | None = Field(description="Errors and timeouts over runs; null if idle")
    p50_ms_5m: float | None
    p95_ms_5m: float | None
    runs_1h: int
    error_rate_1h: float | None
    p50_ms_1h: float | None
    p95_ms_1h: float | None
    last_error: str | None = Field(description="The latest failed run within the last hour")
    last_error_at: datetime | None


class WorkerRead(BaseModel):
    worker_id: str = Field(description="host:pid")
    started_at: datetime
    last_beat_at: datetime
    alive: bool = Field(description="Beat within the last 60 seconds")
    threads: int
    embedded: bool = Field(description="Runs inside `surgiai run` beside the API")


class AgentsOverview(BaseModel):
    agents: list[AgentRead]
    workers: list[WorkerRead]


class AgentDisable(BaseModel):
    reason: str | None = Field(default=None, max_length=300)


class AgentSettingRead(BaseModel):
    name: str
    disabled: bool
    changed_at: datetime
    changed_by_user_id: int | None
    reason: str | None


class CrashReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agent: str
    message_id: int | None
    conversation_id: int | None
    occurred_at: datetime
    error_type: str
    error: str
    stack_trace: str


class CrashReportPage(BaseModel):
    items: list[CrashReportRead]
    next_cursor: int | None
