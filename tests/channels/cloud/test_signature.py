from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from surgiai.channels.cloud.signature import sign, verify_signature
from tests.channels.cloud.recorded import load, raw

SECRET = "app-secret-0123456789abcdef"
OLD_SECRET = "app-secret-retired"


class TestSign:
    def test_matches_a_plain_hmac_sha256(self) -> None:
        body = raw("text")
        expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert sign(body, SECRET) == f"sha256={expected}"


class TestVerifySignature:
    def test_valid(self) -> None:
        body = raw("text")
        assert verify_signature(body, sign(body, SECRET), [SECRET])

    def test_upper_case_hex_and_surrounding_space(self) -> None:
        body = raw("text")
        header = "  sha256=" + sign(body, SECRET).removeprefix("sha256=").upper() + " "
        assert verify_signature(body, header, [SECRET])

    def test_wrong_secret(self) -> None:
        body = raw("text")
        assert not verify_signature(body, sign(body, "another-secret"), [SECRET])

    def test_tampered_body(self) -> None:
        body = raw("text")
        header = sign(body, SECRET)
        assert not verify_signature(body.replace(b"trocar", b"TROCAR"), header, [SECRET])

    @pytest.mark.parametrize("header", [None, "", "sha256=", "   "])
    def test_missing(self, header: str | None) -> None:
        assert not verify_signature(raw("text"), header, [SECRET])

    def test_wrong_prefix(self) -> None:
        body = raw("text")
        digest = sign(body, SECRET).removeprefix("sha256=")
        assert not verify_signature(body, f"sha1={digest}", [SECRET])
        assert not verify_signature(body, digest, [SECRET])
        sha1 = hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
        assert not verify_signature(body, f"sha1={sha1}", [SECRET])

    def test_non_ascii_header_is_rejected_not_an_exception(self) -> None:
        assert not verify_signature(raw("text"), "sha256=é" * 10, [SECRET])

    def test_any_of_several_secrets(self) -> None:
        body = raw("text")
        assert verify_signature(body, sign(body, OLD_SECRET), [SECRET, OLD_SECRET])
        assert verify_signature(body, sign(body, SECRET), [SECRET, OLD_SECRET])
        assert not verify_signature(body, sign(body, "third"), [SECRET, OLD_SECRET])

    def test_no_secrets_fails_closed(self) -> None:
        body = raw("text")
        assert not verify_signature(body, sign(body, ""), [])
        assert not verify_signature(body, sign(body, ""), [""])


class TestEscapedUnicode:
    """Meta signs JSON with non-ASCII escaped (`\\u00e9`); only those exact bytes verify."""

    def test_recorded_wire_body_is_ascii(self) -> None:
        body = raw("non_ascii_text")
        assert body.isascii() and b"\\u0921" in body

    def test_escaped_json_verifies(self) -> None:
        payload = load("non_ascii_text")
        wire = json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode()
        assert wire == raw("non_ascii_text")
        assert verify_signature(wire, sign(wire, SECRET), [SECRET])

    def test_reserialised_raw_utf8_does_not_match(self) -> None:
        wire = raw("non_ascii_text")
        header = sign(wire, SECRET)
        reserialised = json.dumps(
            json.loads(wire), ensure_ascii=False, separators=(",", ":")
        ).encode()
        assert reserialised != wire
        assert not verify_signature(reserialised, header, [SECRET])

    def test_reformatted_json_does_not_match(self) -> None:
        wire = raw("non_ascii_text")
        pretty = json.dumps(json.loads(wire), indent=2).encode()
        assert not verify_signature(pretty, sign(wire, SECRET), [SECRET])
