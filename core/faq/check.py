"""`check_content`: everything that can be wrong with the FAQ content, as readable lines."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.faq.mrkdwn import SECTION_TEXT_LIMIT
from core.faq.store import (
    PROGRAM_DEFAULTS_FILE,
    FaqContentError,
    FaqRenderError,
    load_program_defaults,
    scan_entries,
    scan_synonyms,
)

# Each answer must fit in ONE Slack section block (3,000 characters). Content is checked
# against a smaller budget, rendered with the default settings, so that real program
# settings (longer names, several coordinators, a long materials link) still fit.
ANSWER_BUDGET = 2500
assert ANSWER_BUDGET <= SECTION_TEXT_LIMIT


def check_content(content_dir: Path, program: Mapping[str, Any] | None = None) -> list[str]:
    """Check the FAQ content; return `"<relative file>: <problem>"` lines (empty when fine).

    Checks: front matter schema (required keys, types, audience, id = file name), unique ids,
    unique questions across entries (ignoring case and punctuation), `related` ids exist,
    the synonym table `faq/_synonyms.yaml` (see `scan_synonyms`), every answer renders with the program settings (default: `program_defaults.yaml`) under
    StrictUndefined, and the rendered mrkdwn fits in one section (<= ANSWER_BUDGET chars).
    """
    content_dir = Path(content_dir)
    entries, problems = scan_entries(content_dir)
    problems += scan_synonyms(content_dir, entries)[1]
    if program is None:
        try:
            program = load_program_defaults(content_dir)
        except FaqContentError as exc:
            return problems + exc.problems
    for entry in entries:
        rel = entry.path.relative_to(content_dir).as_posix()
        try:
            text = entry.render(program)
        except FaqRenderError as exc:
            problems.append(f"{rel}: {exc} (rendering with {PROGRAM_DEFAULTS_FILE})")
            continue
        if not text.strip():
            problems.append(f"{rel}: the answer renders to empty text")
        elif len(text) > ANSWER_BUDGET:
            problems.append(
                f"{rel}: the rendered answer is {len(text)} characters; keep it within "
                f"{ANSWER_BUDGET} so it fits in one Slack section"
            )
    return problems
