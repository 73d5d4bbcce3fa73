from __future__ import annotations

import httpx
import pytest

from surgiai.channels.base import ErrorReaction
from surgiai.channels.cloud.errors import (
    GraphApiError,
    GraphTransportError,
    classify,
    is_retryable,
    plain_reason,
    retry_delay,
)

R = ErrorReaction
EXPECTED: dict[int, ErrorReaction] = {
    0: R.auth_failed,
    1: R.bug,
    2: R.retry_transient,
    3: R.config,
    4: R.throttled,
    10: R.config,
    33: R.config,
    100: R.bug,
    190: R.auth_failed,
    200: R.config,
    250: R.config,
    299: R.config,
    368: R.pause_number,
    80007: R.throttled,
    130403: R.drop,
    130429: R.throttled,
    130472: R.drop,
    130497: R.drop,
    131000: R.retry_transient,
    131005: R.config,
    131008: R.bug,
    131009: R.bug,
    131016: R.retry_transient,
    131021: R.drop,
    131026: R.recipient_unreachable,
    131031: R.pause_number,
    131037: R.config,
    131042: R.pause_number,
    131045: R.config,
    131047: R.template_required,
    131048: R.pause_number,
    131049: R.marketing_capped,
    131050: R.marketing_opted_out,
    131051: R.bug,
    131052: R.drop,
    131053: R.bug,
    131056: R.retry_later_pair,
    131057: R.retry_transient,
    131063: R.config,
    131064: R.pause_number,
    132000: R.bug,
    132001: R.config,
    132005: R.config,
    132007: R.config,
    132012: R.bug,
    132015: R.config,
    132016: R.config,
    132068: R.config,
    132069: R.config,
    133000: R.config,
    133004: R.retry_transient,
    133005: R.config,
    133010: R.config,
    133015: R.config,
    133016: R.config,
    135000: R.bug,
    137000: R.recipient_unreachable,
}
RETRYABLE = {2, 4, 80007, 130429, 131000, 131016, 131056, 131057, 133004}


class TestClassify:
    @pytest.mark.parametrize(("code", "reaction"), sorted(EXPECTED.items()))
    def test_every_documented_code(self, code: int, reaction: ErrorReaction) -> None:
        assert classify(code) is reaction

    @pytest.mark.parametrize("code", [None, 5, 199, 300, 131999, 999999])
    def test_unknown_codes(self, code: int | None) -> None:
        assert classify(code) is ErrorReaction.unknown
        assert not is_retryable(code)


class TestIsRetryable:
    @pytest.mark.parametrize("code", sorted(EXPECTED))
    def test_exactly_the_documented_set(self, code: int) -> None:
        assert is_retryable(code) is (code in RETRYABLE)


class TestRetryDelay:
    def test_pair_rate_follows_four_to_the_x(self) -> None:
        assert [retry_delay(131056, x) for x in range(6)] == [1, 4, 16, 64, 256, 1024]
        assert retry_delay(131056, 6) is None

    def test_unknown_error_is_bounded(self) -> None:
        delays = [retry_delay(131000, x) for x in range(4)]
        assert delays[:3] == [5, 10, 20] and delays[3] is None

    def test_throughput_backs_off_and_caps(self) -> None:
        assert retry_delay(130429, 0) == 1
        assert retry_delay(130429, 7) == 60

    @pytest.mark.parametrize("code", sorted(RETRYABLE))
    def test_every_retryable_code_has_a_first_delay(self, code: int) -> None:
        delay = retry_delay(code, 0)
        assert delay is not None and delay > 0

    @pytest.mark.parametrize("code", [131047, 131026, 100, 190, 368, None])
    def test_terminal_codes_are_never_retried(self, code: int | None) -> None:
        assert retry_delay(code, 0) is None


class TestPlainReason:
    def test_re_engagement(self) -> None:
        assert plain_reason(131047) == (
            "More than 24 hours since the doctor last wrote; only an approved template can be sent."
        )

    @pytest.mark.parametrize("code", sorted(EXPECTED))
    def test_every_known_code_has_a_sentence(self, code: int) -> None:
        reason = plain_reason(code)
        assert reason.endswith(".") and "not in our error table" not in reason

    def test_details_added_where_they_help_fix_things(self) -> None:
        reason = plain_reason(100, "Param text['body'] must be at most 4096 characters long.")
        assert reason.endswith(
            "Meta says: Param text['body'] must be at most 4096 characters long."
        )
        assert "Meta says" not in plain_reason(131047, "Message failed to send because ...")

    def test_unknown_code_uses_details(self) -> None:
        assert plain_reason(999, "Something new") == "WhatsApp error 999: Something new"
        assert plain_reason(999) == "WhatsApp error 999 (not in our error table)."


def graph_body(code: int, **extra: object) -> dict[str, object]:
    return {
        "error": {
            "message": f"(#{code}) Rate limit hit",
            "type": "OAuthException",
            "code": code,
            "error_data": {
                "messaging_product": "whatsapp",
                "details": "Cloud API message throughput has been reached.",
            },
            "error_subcode": 2494055,
            "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
            **extra,
        }
    }


class TestGraphApiError:
    def test_from_response_reads_every_field(self) -> None:
        error = GraphApiError.from_response(httpx.Response(400, json=graph_body(130429)))
        assert error.code == 130429
        assert error.message == "(#130429) Rate limit hit"
        assert error.title == "Rate limit hit"
        assert error.details == "Cloud API message throughput has been reached."
        assert error.http_status == 400
        assert error.error_type == "OAuthException"
        assert error.error_subcode == 2494055
        assert error.fbtrace_id == "Az8or2yhqkZfEZ-_4Qn_Bam"
        assert error.is_transient is False
        assert error.reaction is ErrorReaction.throttled
        assert error.retryable
        assert "130429" in str(error) and "Az8or2yhqkZfEZ-_4Qn_Bam" in str(error)

    def test_user_facing_fields(self) -> None:
        body = graph_body(
            100,
            is_transient=True,
            error_user_title="Invalid parameter",
            error_user_msg="Check the body length",
            href="https://developers.facebook.com/docs",
        )
        error = GraphApiError.from_body(body, http_status=400)
        assert error.title == "Invalid parameter"
        assert error.user_message == "Check the body length"
        assert error.href == "https://developers.facebook.com/docs"
        assert error.is_transient
        assert not error.retryable  # the code decides, not the flag
        assert error.plain_reason.startswith("WhatsApp rejected a value")

    def test_unknown_code_falls_back_to_is_transient(self) -> None:
        body = {"error": {"message": "odd", "code": 987654, "is_transient": True}}
        assert GraphApiError.from_body(body, http_status=500).retryable
        body = {"error": {"message": "odd", "code": 987654}}
        assert not GraphApiError.from_body(body, http_status=500).retryable

    @pytest.mark.parametrize(
        ("status", "retryable"), [(502, True), (503, True), (429, True), (404, False)]
    )
    def test_non_graph_body(self, status: int, retryable: bool) -> None:
        error = GraphApiError.from_response(httpx.Response(status, text="<html>Bad gateway</html>"))
        assert error.code is None
        assert error.reaction is ErrorReaction.unknown
        assert error.retryable is retryable

    def test_string_code(self) -> None:
        error = GraphApiError.from_body({"error": {"message": "x", "code": "131047"}})
        assert error.code == 131047 and error.reaction is ErrorReaction.template_required


class TestGraphTransportError:
    def test_is_retryable(self) -> None:
        assert GraphTransportError("timeout").retryable
