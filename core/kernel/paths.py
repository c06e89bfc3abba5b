"""Where mentorbot finds its files."""

from __future__ import annotations

import os
from pathlib import Path

CONTENT_DIR_ENV = "MENTORBOT_CONTENT_DIR"


def content_dir() -> Path:
    """The `content/` folder: `$MENTORBOT_CONTENT_DIR` if set, else the one in the repo root.

    The repo-root default is the `content/` folder next to the `core/` package.
    """
    override = os.environ.get(CONTENT_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(__file__).resolve().parents[2] / "content"
