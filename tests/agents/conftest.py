from __future__ import annotations

from pathlib import Path

import pytest

from surgiai.config import Settings
from tests.conftest import make_settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url, agents_enabled=True)
