"""People: who they are in Slack (name, title, time zone) as the bot last saw them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.kernel.clock import Clock
from core.kernel.texts import clean_text
from core.people.models import Person
from core.programs.service import ensure_workspace


@dataclass(frozen=True)
class SlackProfile:
    """What `users.info` tells about a person, reduced to what the program needs."""

    user_id: str
    display_name: str
    title: str | None = None
    timezone: str | None = None
    locale: str | None = None
    email: str | None = None
    is_bot: bool = False
    deleted: bool = False

    def __post_init__(self) -> None:
        # Slack's text is cleaned like a request's (no NUL, control or bidi characters),
        # however the profile was made
        object.__setattr__(self, "display_name", clean_text(self.display_name)[:200])
        object.__setattr__(self, "title", clean_text(self.title or "") or None)

    @classmethod
    def from_users_info(cls, user: Mapping[str, Any]) -> SlackProfile:
        profile = user.get("profile") or {}
        name = (
            profile.get("real_name")
            or user.get("real_name")
            or profile.get("display_name")
            or user.get("name")
            or user.get("id", "")
        )
        return cls(
            user_id=str(user.get("id", "")),
            display_name=str(name),
            title=str(profile.get("title") or "") or None,
            timezone=user.get("tz") or None,
            locale=user.get("locale") or None,
            email=profile.get("email") or None,
            is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
            deleted=bool(user.get("deleted")),
        )


def find_person(session: Session, team_id: str, user_id: str) -> Person | None:
    return session.scalars(
        select(Person).where(Person.team_id == team_id, Person.slack_user_id == user_id)
    ).first()


def upsert_person(
    session: Session, team_id: str, profile: SlackProfile | None, user_id: str, clock: Clock
) -> Person:
    """Create or refresh a person from their Slack profile (when it could be read)."""
    ensure_workspace(session, team_id, clock)
    now = clock.now()
    person = find_person(session, team_id, user_id)
    if person is None:
        person = Person(
            team_id=team_id,
            slack_user_id=user_id,
            display_name=user_id,
            created_at=now,
            updated_at=now,
        )
        session.add(person)
    if profile is not None:
        person.display_name = profile.display_name or person.display_name
        person.title = profile.title or person.title
        person.timezone = profile.timezone or person.timezone
        person.locale = profile.locale or person.locale
        person.email = profile.email or person.email
        person.profile_synced_at = now
        person.unreachable = profile.deleted
        person.updated_at = now
    session.flush()
    return person
