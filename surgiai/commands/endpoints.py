"""Admin commands typed on the dashboard: the same grammar, permissions and answers as from an
admin's phone."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from surgiai.auth.dependencies import CurrentUser
from surgiai.commands.service import CommandStatus, admin_command_service
from surgiai.dependencies import DbSession
from surgiai.kit.schemas import Flag

router = APIRouter(prefix="/api/v1", tags=["agents"])


class CommandRequest(BaseModel):
    text: str = Field(min_length=1, max_length=500, examples=["pause agent greeting"])
    # The dashboard asks in its own dialog, then sends the command again confirmed.
    confirm: Flag = False


class CommandAnswer(BaseModel):
    status: CommandStatus
    message: str


@router.post("/commands", response_model=CommandAnswer)
def run_command(body: CommandRequest, user: CurrentUser, session: DbSession) -> CommandAnswer:
    """Run an admin command (`status`, `help`, `pause agent X`, `resume agent X`, `yes`, `no`).

    Any logged-in user may send one; what it may do follows the role (`status` and `help`
    need `read`, pause and resume `manage_settings`). A command the role does not allow is
    answered 200 with `status: "refused"` and a message saying why, as it would be on
    WhatsApp, and changes nothing. A pause without `confirm: true` answers
    `confirmation_required` with the question to ask.
    """
    result = admin_command_service.run_text(
        session, user, body.text, confirmed=body.confirm, channel="dashboard"
    )
    return CommandAnswer(status=result.status, message=result.message)
