"""Shared bits of the command line: settings loading with one-line errors."""

from __future__ import annotations

import sys

from core.kernel.settings import Settings, SettingsError, load_settings


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        print(f"mentorbot: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def fail(message: str, code: int = 2) -> int:
    print(f"mentorbot: {message}", file=sys.stderr)
    return code
