"""Typed text during onboarding: is it a question, or an answer to a button question?

A person may type instead of clicking ("I want a mentor please", "public speaking and
negotiation", "video is best"). When the text answers the current question without doubt,
it is applied exactly like the click; when it is ambiguous it is not guessed. Text that reads
as a question is a question about the program, never an answer.
"""

from __future__ import annotations

import re
from typing import Any

from core.people.profiles import languages, taxonomy

_QUESTION_START = re.compile(
    r"^(can|could|do|does|did|is|are|am|will|would|should|shall|may|might|who|whom|whose|"
    r"what|when|where|why|how|which|isn't|aren't|don't|doesn't|won't)\b",
    re.I,
)


def looks_like_question(text: str, *, strict: bool = False) -> bool:
    """Text ending in "?" is a question; unless `strict` (the answer itself is free text),
    so is one that starts the way questions do."""
    cleaned = text.strip()
    if cleaned.endswith("?"):
        return True
    return not strict and bool(_QUESTION_START.match(cleaned))


_JOIN = re.compile(
    r"\b(join|joining|sign (me )?up|signup|enrol|enroll|get started|start|begin|"
    r"count me in|i'?m in|find a mentor|want a mentor|need a mentor|be a mentor|become a "
    r"mentor|mentee)\b",
    re.I,
)


def wants_to_join(text: str) -> bool:
    """Does a message from someone not taking part say they want to join?"""
    return bool(_JOIN.search(text)) and not text.strip().endswith("?")


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9]+", " ", text.lower()).strip() + " "


_ROLE_PHRASES: dict[str, tuple[str, ...]] = {
    "both": (" both ", " find a mentor and be ", " mentor and mentee ", " mentee and mentor "),
    "mentor": (
        " be a mentor ",
        " become a mentor ",
        " mentor others ",
        " mentor someone ",
        " mentor people ",
        " i can mentor ",
        " as a mentor ",
        " to mentor ",
        " offer ",
    ),
    "mentee": (
        " find a mentor ",
        " want a mentor ",
        " need a mentor ",
        " get a mentor ",
        " looking for a mentor ",
        " mentee ",
        " be mentored ",
        " a mentor please ",
        " a mentor for me ",
    ),
}


def understand_role(text: str) -> str | None:
    words = _words(text)
    found = [role for role, phrases in _ROLE_PHRASES.items() if any(p in words for p in phrases)]
    if "both" in found:
        return "both"
    return found[0] if len(found) == 1 else None


def understand_competencies(text: str) -> list[str]:
    """Competencies named in the text (by name or id), in the order they are named."""
    words = _words(text)
    hits: list[tuple[int, str]] = []
    for group in taxonomy().groups:
        for c in group.competencies:
            for label in (c.name, c.id.replace("-", " ")):
                at = words.find(_words(label))
                if at >= 0:
                    hits.append((at, c.id))
                    break
    ordered = [cid for _, cid in sorted(hits)]
    return list(dict.fromkeys(ordered))


_FORMATS = {
    "remote": (" video ", " remote ", " remotely ", " online ", " call ", " zoom "),
    "in_person": (" in person ", " face to face ", " office ", " coffee "),
    "either": (" either ", " any ", " don t mind ", " both ", " no preference "),
}


def understand_format(text: str) -> str | None:
    words = _words(text)
    found = [f for f, phrases in _FORMATS.items() if any(p in words for p in phrases)]
    return found[0] if len(found) == 1 else None


def understand_languages(text: str) -> list[str]:
    words = _words(text)
    return [code for code, name in languages().items() if _words(name) in words]


_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def understand_count(text: str, limit: int) -> int | None:
    found = {int(n) for n in re.findall(r"\b(\d+)\b", text)}
    found |= {v for k, v in _NUMBERS.items() if f" {k} " in _words(text)}
    if len(found) != 1:
        return None
    count = found.pop()
    return count if 1 <= count <= limit else None


def understand(step: str, text: str, *, capacity_limit: int) -> Any:
    """The answer `text` gives to the button question `step`, or None when it gives none
    without doubt."""
    if step == "role":
        return understand_role(text)
    if step in ("goals", "expertise"):
        return understand_competencies(text) or None
    if step == "format":
        return understand_format(text)
    if step == "languages":
        return understand_languages(text) or None
    if step == "capacity":
        return understand_count(text, capacity_limit)
    return None
