"""Settings: one typed object read from `SURGIAI_*` environment variables."""

from __future__ import annotations

import ipaddress
import json
import secrets
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from surgiai.kit.chaos import parse_chaos
from surgiai.kit.time import zone

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SURGIAI_", env_file=".env", env_ignore_empty=True, extra="ignore"
    )

    data_dir: Path = Path("./data")
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    admin_email: str | None = None
    admin_password: SecretStr | None = None
    meta_app_secret: SecretStr | None = None
    webhook_verify_token: SecretStr | None = None
    graph_api_base: str = "https://graph.facebook.com"
    graph_api_version: str = "v25.0"
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None
    # The language model may rephrase an answer within this; after it, the template goes out.
    llm_timeout_seconds: Annotated[float, Field(gt=0, le=30)] = 1.5
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    log_level: str = "INFO"
    log_json: bool = False
    # Threads of each process that runs tasks (`surgiai run`'s worker processes, `surgiai worker`).
    worker_threads: Annotated[int, Field(ge=1, le=64)] = 4
    # `surgiai run` runs the tasks in this many processes beside the web process, so that the
    # two use more than one core; 0 runs them in threads of the web process itself.
    worker_processes: Annotated[int, Field(ge=0, le=16)] = 2
    # Login throttling: failures allowed per email and per address inside the window.
    login_max_failures: Annotated[int, Field(ge=1)] = 5
    login_failure_window_seconds: Annotated[int, Field(ge=1)] = 900
    session_ttl_hours: Annotated[int, Field(ge=1)] = 24 * 7
    # Secure cookies need HTTPS; off by default so `make run` works on http://localhost.
    cookie_secure: bool = False
    # Reverse proxies (addresses or CIDR networks, comma-separated) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed. Empty: those headers are ignored, so that no client can
    # pick the address the per-address login limit counts.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # `business_name`, `agent_burst_seconds` and `alert_template*` are where the workspace's
    # settings (`surgiai.workspace`) start; once an admin saves the Settings page, the values
    # saved there apply instead.
    business_name: Annotated[str, Field(min_length=1, max_length=100)] = "SurgiAI"
    # The team's time zone (IANA name): reports count calendar days in it.
    timezone: str = "UTC"
    # The country a phone number typed without its code belongs to (ISO 3166 code).
    default_region: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] = "IN"
    # False: no AI agent answers anything (doctors' messages wait for the team), whatever the
    # Settings page says.
    agents_enabled: bool = True
    # How long the Master Agent waits for a doctor who is still typing (a greeting, a fragment)
    # before answering everything they wrote as one reply.
    agent_burst_seconds: Annotated[float, Field(ge=0, le=60)] = 3.0
    # Health alerts reach admins' phones as free text while their 24 h window is open, else
    # through this approved template (body with one parameter: the alert text), if set.
    alert_template: str | None = None
    alert_template_language: str = "en"
    # Delivery receipts (sent, delivered, read: three webhooks for every message sent) wait up
    # to this long, or for the next doctor's message, to be applied together, so that doctors'
    # messages never queue behind them. 0: apply each at once.
    status_batch_seconds: Annotated[float, Field(ge=0, le=10)] = 0.5
    # Webhook bodies (each at most 3 MB) held by the web process at once; past it a delivery is
    # answered 503 with Retry-After and Meta sends it again. Typical deliveries are a few KB.
    webhook_max_bytes_in_flight: Annotated[int, Field(ge=3 * 1024 * 1024)] = 32 * 1024 * 1024
    # Uploaded documents (PDF catalogues, brochures, policies): a larger file is refused at
    # once (413), a longer one fails with its reason.
    document_max_bytes: Annotated[int, Field(ge=1)] = 20 * 1024 * 1024
    document_max_pages: Annotated[int, Field(ge=1)] = 500
    # A JSON price list (`campaigns.pricing.PriceList`) for campaigns' estimated costs, instead
    # of the built-in estimate of Meta's rates.
    campaign_prices_file: Path | None = None
    # Fault injection for tests and benchmarks (kit/chaos.py); never set in production.
    chaos: str | None = None

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql+psycopg://")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("campaign_prices_file")
    @classmethod
    def _check_campaign_prices_file(cls, value: Path | None) -> Path | None:
        # Readable JSON here; its shape is checked when the app starts (`campaigns.pricing`).
        if value is not None:
            try:
                json.loads(value.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise ValueError(f"{value}: {error}") from error
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("graph_api_base", "llm_base_url")
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/") if value else value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _check_trusted_proxies(cls, value: object) -> list[str]:
        entries = value.split(",") if isinstance(value, str) else value
        if not isinstance(entries, list):
            raise ValueError("must be addresses or CIDR networks separated by commas")
        proxies = []
        for entry in (str(item).strip() for item in entries):
            if not entry:
                continue
            try:
                proxies.append(str(ipaddress.ip_network(entry, strict=False)))
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
        return proxies

    @field_validator("chaos")
    @classmethod
    def _check_chaos(cls, value: str | None) -> str | None:
        parse_chaos(value)
        return value or None

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    @model_validator(mode="after")
    def _check_admin(self) -> Settings:
        if self.admin_password is not None and len(self.admin_password.get_secret_value()) < 8:
            raise ValueError("SURGIAI_ADMIN_PASSWORD must have at least 8 characters")
        if self.admin_email is not None and "@" not in self.admin_email:
            raise ValueError("SURGIAI_ADMIN_EMAIL must be an email address")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'surgiai.db').resolve()}"

    def ensure_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def resolved_secret_key(self) -> str:
        """The signing/encryption key: from the environment, else kept in the data dir."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        self.ensure_data_dir()
        path = self.data_dir / SECRET_KEY_FILE
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()
