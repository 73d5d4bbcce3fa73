from __future__ import annotations

import pytest

from surgiai.channels.cloud.signature import sign
from surgiai.channels.cloud.webhooks import (
    signature_header,
    subscription_challenge,
    verify_request,
)
from tests.channels.cloud.recorded import raw

TOKEN = "verify-me-please"


class TestSubscriptionChallenge:
    def test_answers_the_challenge(self) -> None:
        params = {"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "1158201444"}
        assert subscription_challenge(params, TOKEN) == "1158201444"

    @pytest.mark.parametrize(
        "params",
        [
            {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
            {"hub.mode": "unsubscribe", "hub.verify_token": TOKEN, "hub.challenge": "1"},
            {"hub.verify_token": TOKEN, "hub.challenge": "1"},
            {"hub.mode": "subscribe", "hub.challenge": "1"},
            {"hub.mode": "subscribe", "hub.verify_token": TOKEN},
        ],
    )
    def test_refuses(self, params: dict[str, str]) -> None:
        assert subscription_challenge(params, TOKEN) is None

    def test_refuses_when_no_token_is_configured(self) -> None:
        params = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
        assert subscription_challenge(params, "") is None


class TestVerifyRequest:
    def test_header_name_is_case_insensitive(self) -> None:
        body = raw("status_read")
        value = sign(body, "s3cret")
        assert signature_header({"x-hub-signature-256": value}) == value
        assert verify_request(body, {"X-HUB-SIGNATURE-256": value}, ["s3cret"])

    def test_legacy_sha1_header_is_ignored(self) -> None:
        body = raw("status_read")
        assert not verify_request(body, {"X-Hub-Signature": "sha1=abc"}, ["s3cret"])
