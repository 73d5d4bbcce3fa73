"""The admin command grammar: every production, and the doctor sentences it must not take."""

from __future__ import annotations

import pytest

from surgiai.commands.grammar import Command, agent_key, describe, parse_command

KNOWN_AGENTS = ("greeting", "opt_out", "smart_reply", "human_handoff")


class TestSimpleCommands:
    @pytest.mark.parametrize(
        "text", ["status", "STATUS", "Status?", "health", "how are things?", "/status"]
    )
    def test_status(self, text: str) -> None:
        assert parse_command(text) == Command("status")

    @pytest.mark.parametrize("text", ["help", "Help!", "/help", "commands", "SurgiAI help"])
    def test_help(self, text: str) -> None:
        assert parse_command(text) == Command("help")

    @pytest.mark.parametrize("text", ["yes", "YES", "y", "Confirm.", "ok", "Okay!"])
    def test_confirm(self, text: str) -> None:
        assert parse_command(text) == Command("confirm")

    @pytest.mark.parametrize("text", ["no", "NO.", "n", "cancel", "/cancel"])
    def test_cancel(self, text: str) -> None:
        assert parse_command(text) == Command("cancel")

    def test_none_of_them_needs_confirming(self) -> None:
        for text in ("status", "help", "yes", "no"):
            command = parse_command(text)
            assert command is not None
            assert not command.irreversible


class TestAgentCommands:
    @pytest.mark.parametrize(
        "text",
        [
            "pause agent smart_reply",
            "PAUSE AGENT SMART_REPLY",
            "stop agent smart reply",
            "disable agent smart-reply",
            "turn off agent Smart Reply.",
            "switch off the agent smart reply",
            "pause the smart reply agent",
            "/pause agent smart_reply",
            "surgiai: pause agent smart_reply",
            "please pause agent smart_reply",
        ],
    )
    def test_pause(self, text: str) -> None:
        command = parse_command(text)
        assert command == Command("pause", "agent", "smart_reply")
        assert command.irreversible

    @pytest.mark.parametrize(
        "text",
        [
            "resume agent smart_reply",
            "Start agent smart reply",
            "enable agent SMART-REPLY",
            "turn on agent smart reply!",
            "unpause agent smart_reply",
            "turn on the smart reply agent",
        ],
    )
    def test_resume(self, text: str) -> None:
        command = parse_command(text)
        assert command == Command("resume", "agent", "smart_reply")
        assert not command.irreversible

    def test_a_known_agent_is_named_as_registered(self) -> None:
        command = parse_command("pause agent Smart-Reply", known_agents=["Smart_Reply"])
        assert command == Command("pause", "agent", "Smart_Reply", known=True)

    def test_an_unknown_agent_is_kept_and_flagged(self) -> None:
        command = parse_command("pause agent smart replyy", known_agents=KNOWN_AGENTS)
        assert command == Command("pause", "agent", "smart_replyy", known=False)

    def test_without_a_list_every_agent_counts_as_known(self) -> None:
        command = parse_command("resume agent anything at all")
        assert command == Command("resume", "agent", "anything_at_all", known=True)


class TestCampaignCommands:
    @pytest.mark.parametrize(
        "text",
        [
            "pause campaign Diwali Sale",
            "Stop campaign Diwali Sale",
            "disable the campaign Diwali Sale",
            "turn off the Diwali Sale campaign",
            'pause campaign "Diwali Sale"',
        ],
    )
    def test_pause_keeps_the_name_as_typed(self, text: str) -> None:
        command = parse_command(text)
        assert command == Command("pause", "campaign", "Diwali Sale")
        assert command.irreversible

    @pytest.mark.parametrize(
        "text",
        [
            "resume campaign Diwali Sale",
            "start campaign Diwali Sale",
            "enable the Diwali Sale campaign",
        ],
    )
    def test_resume(self, text: str) -> None:
        assert parse_command(text) == Command("resume", "campaign", "Diwali Sale")

    def test_campaign_names_are_not_checked_against_agents(self) -> None:
        command = parse_command("pause campaign Monsoon", known_agents=KNOWN_AGENTS)
        assert command == Command("pause", "campaign", "Monsoon", known=True)


class TestNotCommands:
    @pytest.mark.parametrize(
        "text",
        [
            "please pause the delivery",
            "status of my order",
            "can you resume my course",
            "what is the status?",
            "I need help with the stapler",
            "help me",
            "stop",
            "STOP",
            "start",
            "pause agent",
            "pause the campaign",
            "stop sending me messages",
            "yes please send 10 boxes",
            "ok thanks",
            "how are things with my order",
            "resume",
            "agent smart reply",
            "pause agent campaign",
            "",
            "  ",
            "/",
        ],
    )
    def test_ordinary_text(self, text: str) -> None:
        assert parse_command(text) is None


class TestAgentKey:
    @pytest.mark.parametrize(
        "name", ["smart_reply", "Smart Reply", "smart-reply", "SMART__REPLY", " smart - reply "]
    )
    def test_spaces_hyphens_and_underscores_are_alike(self, name: str) -> None:
        assert agent_key(name) == "smart_reply"


class TestDescribe:
    def test_pausing_an_agent_asks_for_confirmation(self) -> None:
        command = parse_command("pause agent smart reply")
        assert command is not None
        assert describe(command) == "Pause agent smart_reply? Reply YES to confirm or NO to cancel."

    def test_pausing_a_campaign_asks_for_confirmation(self) -> None:
        command = parse_command("pause campaign Diwali Sale")
        assert command is not None
        assert describe(command) == (
            "Pause campaign Diwali Sale? Reply YES to confirm or NO to cancel."
        )

    def test_resuming_says_what_happens(self) -> None:
        command = parse_command("resume agent smart reply")
        assert command is not None
        assert describe(command) == "Resume agent smart_reply."

    def test_an_unknown_agent_is_named(self) -> None:
        command = parse_command("pause agent smart replyy", known_agents=KNOWN_AGENTS)
        assert command is not None
        assert describe(command) == "There is no agent named smart_replyy."

    @pytest.mark.parametrize(
        ("command", "text"),
        [
            (Command("status"), "Show the status of every agent."),
            (Command("help"), "Show the list of commands."),
            (Command("confirm"), "Confirm the pending command."),
            (Command("cancel"), "Cancel the pending command."),
        ],
    )
    def test_the_others(self, command: Command, text: str) -> None:
        assert describe(command) == text

    def test_a_switch_without_a_target_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="target"):
            describe(Command("pause"))
