"""Recorded Cloud API webhook bodies in `fixtures/`, in the shapes of CLOUD_API.md §3.3-3.5."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def raw(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def load(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(raw(name))
    return body


def names() -> list[str]:
    return sorted(path.stem for path in FIXTURES.glob("*.json"))
