"""Mentoring profiles: what a mentee wants to develop, what a mentor can offer, and how they
like to meet. One validated form type serves onboarding, the edit modal and imports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.kernel.paths import content_dir
from core.kernel.texts import plain
from core.people.models import (
    MEETING_FORMATS,
    STATUS_ACTIVE,
    STATUS_LEFT,
    STATUS_ONBOARDING,
    Expertise,
    Goal,
    Participation,
)
from core.people.taxonomy import load_taxonomy
from core.programs.settings import ProgramSettings

ROLES = ("mentee", "mentor", "both")
PRIORITIES = (1, 2, 3)  # top priority, important, nice to have
SUCCESS_MAX_CHARS = 500
NOTES_MAX_CHARS = 500
MAX_EXPERTISE = 10
DEFAULT_CAPACITY = 1


@lru_cache(maxsize=1)
def languages() -> dict[str, str]:
    """Language code -> name, from `content/languages.yaml`."""
    data = yaml.safe_load((content_dir() / "languages.yaml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in (data or {}).items()}


@lru_cache(maxsize=1)
def taxonomy() -> Any:
    return load_taxonomy(content_dir())


def competency_name(competency_id: str) -> str:
    competency = taxonomy().by_id.get(competency_id)
    return competency.name if competency is not None else competency_id


@dataclass
class GoalInput:
    competency_id: str
    success: str | None = None
    priority: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "competency_id": self.competency_id,
            "success": self.success,
            "priority": self.priority,
        }


@dataclass
class ProfileForm:
    role: str | None = None
    goals: list[GoalInput] = field(default_factory=list)
    expertise: list[str] = field(default_factory=list)
    capacity: int | None = None
    meeting_format: str | None = None
    languages: list[str] = field(default_factory=list)
    notes: str | None = None
    confidentiality_ack: bool = False

    @property
    def is_mentee(self) -> bool:
        return self.role in ("mentee", "both")

    @property
    def is_mentor(self) -> bool:
        return self.role in ("mentor", "both")

    def as_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "goals": [g.as_dict() for g in self.goals],
            "expertise": list(self.expertise),
            "capacity": self.capacity,
            "meeting_format": self.meeting_format,
            "languages": list(self.languages),
            "notes": self.notes,
            "confidentiality_ack": self.confidentiality_ack,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProfileForm:
        return cls(
            role=data.get("role"),
            goals=[
                GoalInput(g["competency_id"], g.get("success"), g.get("priority"))
                for g in data.get("goals") or []
            ],
            expertise=list(data.get("expertise") or []),
            capacity=data.get("capacity"),
            meeting_format=data.get("meeting_format"),
            languages=list(data.get("languages") or []),
            notes=data.get("notes"),
            confidentiality_ack=bool(data.get("confidentiality_ack")),
        )

    @classmethod
    def from_participation(cls, participation: Participation) -> ProfileForm:
        return cls(
            role=participation.roles if participation.roles != "none" else None,
            goals=[GoalInput(g.competency_id, g.success, g.priority) for g in participation.goals],
            expertise=[e.competency_id for e in participation.expertise],
            capacity=participation.capacity if participation.is_mentor else None,
            meeting_format=participation.meeting_format,
            languages=list(participation.languages or []),
            notes=participation.notes,
            confidentiality_ack=participation.confidentiality_ack_at is not None,
        )


def clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def check_text(value: str | None, limit: int) -> str | None:
    """An error message when `value` is longer than `limit` characters."""
    if value is not None and len(value) > limit:
        return plain("profile.errors.too_long", limit=limit, length=len(value))
    return None


def validate(form: ProfileForm, settings: ProgramSettings, *, complete: bool) -> dict[str, str]:
    """Problems with a profile form, keyed by field name. `complete` also requires every
    answer that a confirmed profile needs."""
    errors: dict[str, str] = {}
    known = taxonomy().by_id
    max_goals = settings.max_goals
    max_capacity = settings.max_mentor_capacity
    if form.role not in ROLES:
        errors["role"] = plain("profile.errors.role")
    errors.update(_goal_errors(form, known))
    if len(form.goals) > max_goals:
        errors["goals"] = plain("profile.errors.too_many_goals", limit=max_goals)
    if any(c not in known for c in form.expertise):
        errors["expertise"] = plain("profile.errors.unknown_competency")
    elif len(form.expertise) > MAX_EXPERTISE:
        errors["expertise"] = plain("profile.errors.too_many_expertise", limit=MAX_EXPERTISE)
    if form.capacity is not None and not 0 <= form.capacity <= max_capacity:
        errors["capacity"] = plain("profile.errors.capacity", limit=max_capacity)
    if form.meeting_format is not None and form.meeting_format not in MEETING_FORMATS:
        errors["meeting_format"] = plain("profile.errors.meeting_format")
    if any(code not in languages() for code in form.languages):
        errors["languages"] = plain("profile.errors.language")
    problem = check_text(form.notes, NOTES_MAX_CHARS)
    if problem:
        errors["notes"] = problem
    if complete:
        for key, message in _missing_answers(form, max_capacity).items():
            errors.setdefault(key, message)
    return errors


def _goal_errors(form: ProfileForm, known: Mapping[str, Any]) -> dict[str, str]:
    """Problems with each goal: its competency, its success words, its priority."""
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for index, goal in enumerate(form.goals):
        key = f"goal_{index}"
        if goal.competency_id not in known:
            errors[key] = plain("profile.errors.unknown_competency")
        elif goal.competency_id in seen:
            errors[key] = plain("profile.errors.duplicate_goal")
        seen.add(goal.competency_id)
        problem = check_text(goal.success, SUCCESS_MAX_CHARS)
        if problem:
            errors[f"success_{index}"] = problem
        if goal.priority is not None and goal.priority not in PRIORITIES:
            errors[f"priority_{index}"] = plain("profile.errors.priority")
    return errors


def _missing_answers(form: ProfileForm, max_capacity: int) -> dict[str, str]:
    """What a confirmed profile needs and this form lacks."""
    missing: dict[str, str] = {}
    if form.is_mentee and not form.goals:
        missing["goals"] = plain("profile.errors.goals_required")
    if form.is_mentor and not form.expertise:
        missing["expertise"] = plain("profile.errors.expertise_required")
    if form.is_mentor and not form.capacity:
        missing["capacity"] = plain("profile.errors.capacity", limit=max_capacity)
    if not form.confidentiality_ack:
        missing["confidentiality"] = plain("profile.errors.confidentiality")
    return missing


class ProfileInvalid(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def save_profile(
    session: Session,
    participation: Participation,
    form: ProfileForm,
    settings: ProgramSettings,
    clock: Clock,
    *,
    confirm: bool,
) -> Participation:
    """Write a complete, valid profile onto a participation (and confirm it if asked)."""
    errors = validate(form, settings, complete=True)
    if errors:
        raise ProfileInvalid(errors)
    now = clock.now()
    participation.is_mentee = form.is_mentee
    participation.is_mentor = form.is_mentor
    participation.capacity = (form.capacity or DEFAULT_CAPACITY) if form.is_mentor else 0
    participation.meeting_format = form.meeting_format or "either"
    participation.languages = list(form.languages)
    participation.notes = clean_text(form.notes)
    if form.confidentiality_ack and participation.confidentiality_ack_at is None:
        participation.confidentiality_ack_at = now
    # Old rows go first: the unique (participation, competency) keys may be reused.
    participation.goals = []
    participation.expertise = []
    session.flush()
    participation.goals = (
        [
            Goal(
                team_id=participation.team_id,
                competency_id=goal.competency_id,
                success=clean_text(goal.success),
                priority=goal.priority or 2,
                position=position,
            )
            for position, goal in enumerate(form.goals)
        ]
        if form.is_mentee
        else []
    )
    participation.expertise = (
        [
            Expertise(team_id=participation.team_id, competency_id=c)
            for c in dict.fromkeys(form.expertise)
        ]
        if form.is_mentor
        else []
    )
    if confirm and participation.profile_confirmed_at is None:
        participation.profile_confirmed_at = now
    if participation.profile_confirmed_at is not None and participation.status in (
        STATUS_ONBOARDING,
        STATUS_LEFT,
    ):
        participation.status = STATUS_ACTIVE
    participation.updated_at = now
    session.flush()
    return participation


def ordered_goals(goals: Sequence[GoalInput]) -> list[GoalInput]:
    """Goals by priority (top first), then in the order they were chosen."""
    return [g for _, g in sorted(enumerate(goals), key=lambda p: (p[1].priority or 2, p[0]))]
