"""Write what the dashboard's typed client is generated from, without a server:
`python -m surgiai.web.contract DIR` writes DIR/openapi.json (the API), DIR/events.json (the
real-time events, from `web.events`) and DIR/roles.json (which role may do what, from
`auth.roles`). `frontend/scripts/api-client.sh` runs it."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from surgiai.auth.roles import ROLE_PERMISSIONS, Permission, Role
from surgiai.web.events import events_document


def openapi_spec() -> dict[str, Any]:
    from surgiai.all_tasks import task_registry
    from surgiai.app import create_app
    from surgiai.config import Settings
    from surgiai.runtime import Runtime

    with tempfile.TemporaryDirectory(prefix="surgiai-openapi-") as data_dir:
        # Every value is given, so neither SURGIAI_* variables nor an .env file can leak in.
        settings = Settings(
            data_dir=Path(data_dir),
            database_url=f"sqlite:///{data_dir}/surgiai.db",
            redis_url=None,
            secret_key=SecretStr("openapi-dump-only"),
        )
        runtime = Runtime(settings, task_registry())
        try:
            spec: dict[str, Any] = create_app(runtime).app.openapi()
        finally:
            runtime.close()
    return spec


def role_matrix() -> dict[str, list[str]]:
    return {
        role.value: [p.value for p in Permission if p in ROLE_PERMISSIONS[role]] for role in Role
    }


def write(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in (
        ("openapi.json", openapi_spec()),
        ("events.json", events_document()),
        ("roles.json", role_matrix()),
    ):
        text = json.dumps(content, indent=2, ensure_ascii=False) + "\n"
        (directory / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m surgiai.web.contract DIRECTORY")
    write(Path(sys.argv[1]))
