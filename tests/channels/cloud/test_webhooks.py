from __future__ import annotations

import pytest

from surgiai.channels.base import UnreadableWebhook, WebhookAccounts
from surgiai.channels.cloud.adapter import CloudWebhooks
from surgiai.channels.cloud.signature import sign
from surgiai.channels.cloud.webhooks import (
    MAX_NESTING,
    accounts_named,
    check_envelope,
    decode,
    subscription_challenge,
)
from surgiai.kit.jsondepth import nesting_depth
from tests.channels.cloud.recorded import FIXTURES, raw

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


class TestEnvelope:
    def test_a_whatsapp_business_account_webhook_passes(self) -> None:
        check_envelope(raw("status_read"))

    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            (b"not json", "not valid JSON"),
            (b"[1, 2]", "Not a WhatsApp webhook"),
            (b'{"object": "page", "entry": []}', "Not a WhatsApp webhook"),
        ],
    )
    def test_anything_else_is_refused_with_a_reason(self, body: bytes, reason: str) -> None:
        with pytest.raises(UnreadableWebhook, match=reason):
            check_envelope(body)

    def test_a_body_nested_deeper_than_any_real_one_is_refused_before_parsing(self) -> None:
        deep = b'{"object":"whatsapp_business_account","entry":' + b"[" * 1000 + b"]" * 1000 + b"}"
        with pytest.raises(UnreadableWebhook, match="nests 1001 levels deep"):
            check_envelope(deep)
        with pytest.raises(UnreadableWebhook, match="nests 1001 levels deep"):
            decode(deep)

    def test_every_recorded_payload_is_well_within_the_depth_limit(self) -> None:
        for path in FIXTURES.glob("*.json"):
            assert nesting_depth(path.read_bytes()) <= MAX_NESTING - 16, path.name

    def test_names_each_changes_number_or_else_its_business_account(self) -> None:
        assert check_envelope(raw("status_read")) == WebhookAccounts(
            frozenset({"106540352242922"}), frozenset()
        )
        management = {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": "102290129340398", "changes": [{"field": "x", "value": {}}]},
                {"changes": [{"field": "x", "value": {}}]},
                {"id": "7", "changes": []},
            ],
        }
        assert accounts_named(management) == WebhookAccounts(
            frozenset(), frozenset({"102290129340398", ""})
        )


class TestCloudWebhooks:
    """The provider's side of `POST /webhooks/whatsapp`, as the receiver uses it."""

    def test_names_the_configured_secret_that_signs(self) -> None:
        webhooks = CloudWebhooks()
        body = raw("non_ascii_text")
        secrets = ["rotated-out", "s3cret"]
        assert webhooks.signing_secrets(body, sign(body, "s3cret"), secrets) == ["s3cret"]
        assert webhooks.signing_secrets(body, sign(body, "rotated-out"), secrets) == ["rotated-out"]
        assert webhooks.signing_secrets(body, sign(body, "nope"), secrets) == []
        assert webhooks.signing_secrets(body, "sha1=abc", secrets) == []

    @pytest.mark.parametrize(
        ("header", "well_formed"),
        [
            ("sha256=" + "a1" * 32, True),
            (" SHA256=" + "A1" * 32 + " ", True),
            ("", False),
            ("sha256=", False),
            ("sha256=" + "a1" * 31, False),
            ("sha256=" + "a1" * 33, False),
            ("sha256=" + "g1" * 32, False),
            ("sha1=" + "a1" * 20, False),
            ("a1" * 32, False),
        ],
    )
    def test_the_header_form_is_judged_without_the_body(
        self, header: str, well_formed: bool
    ) -> None:
        assert CloudWebhooks().signature_well_formed(header) is well_formed

    def test_names_its_header_and_limits_as_meta_does(self) -> None:
        webhooks = CloudWebhooks()
        assert webhooks.signature_header.lower() == "x-hub-signature-256"
        assert webhooks.max_body_bytes == 3 * 1024 * 1024
        assert webhooks.source == "whatsapp_cloud"
