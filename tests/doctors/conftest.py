from __future__ import annotations

from pathlib import Path

import pytest

from surgiai.config import Settings
from tests.conftest import make_settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """With the agents on: a doctor's STOP reaches the consent ledger through the opt-out agent."""
    return make_settings(tmp_path, database_url, agents_enabled=True)
