"""Settings: read from the environment, one clear line per bad setting, secrets never shown."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.kernel.settings import SettingsError, load_settings


def settings(**env: str):
    return load_settings(_env_file=None, **env)


def test_defaults_without_slack_mean_sandbox_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    s = settings()
    assert s.mode == "none"
    assert s.database_url == "sqlite:///mentorbot.db"
    assert s.slack_api_url == "https://slack.com/api/"


def test_modes_follow_the_tokens() -> None:
    assert settings(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s").mode == "http"
    assert settings(SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1").mode == "socket"


def test_api_url_gets_a_trailing_slash() -> None:
    assert (
        settings(SLACK_API_URL="http://127.0.0.1:9/api").slack_api_url == "http://127.0.0.1:9/api/"
    )


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"MENTORBOT_PORT": "eighty"}, "MENTORBOT_PORT"),
        ({"MENTORBOT_PORT": "70000"}, "MENTORBOT_PORT"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token-secret"}, "SLACK_BOT_TOKEN"),
    ],
)
def test_malformed_setting_is_named_and_not_echoed(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError) as error:
        settings(**env)
    message = str(error.value)
    assert message.startswith(name + ":")
    assert "\n" not in message
    assert "xoxp-user-token-secret" not in message


def test_http_mode_without_signing_secret_is_refused_clearly() -> None:
    s = settings(SLACK_BOT_TOKEN="xoxb-secret-value")
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET") as error:
        s.require_slack()
    assert "xoxb-secret-value" not in str(error.value)


def test_secrets_are_not_in_the_settings_repr() -> None:
    s = settings(SLACK_BOT_TOKEN="xoxb-very-secret", SLACK_SIGNING_SECRET="hush-hush-secret")
    assert "xoxb-very-secret" not in repr(s) and "hush-hush-secret" not in repr(s)


def test_cli_stops_with_one_line_naming_the_setting(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"],
        env={"MENTORBOT_PORT": "not-a-port", "PATH": "", "HOME": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mentorbot: MENTORBOT_PORT:"), result.stderr


def test_faq_method_setting() -> None:
    assert settings().faq_method_name is None  # auto: the hybrid when the model is installed
    assert settings(MENTORBOT_FAQ_METHOD="Lexical").faq_method_name == "lexical"
    assert settings(MENTORBOT_FAQ_METHOD="hybrid").faq_method_name == "hybrid"
    with pytest.raises(SettingsError, match=r"^MENTORBOT_FAQ_METHOD: .*'auto', 'hybrid' or"):
        settings(MENTORBOT_FAQ_METHOD="neural")
