"""The learning agreement: the mentee drafts it, the mentor confirms it or suggests changes;
it is active only once both have confirmed. Every change bumps `version`, and buttons carry
the version they were drawn for, so a stale or repeated click changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.people.models import MEETING_FORMATS, Goal, Participation
from core.people.profiles import competency_name
from core.programs.settings import ProgramSettings
from core.relationships.models import (
    AGREEMENT_ACTIVE,
    AGREEMENT_CHANGES,
    AGREEMENT_PROPOSED,
    CADENCE_DAYS,
    Agreement,
    Relationship,
)
from core.relationships.service import (
    Member,
    PairInfo,
    RelationshipError,
    add_months,
    agreement_of,
    cadence_days,
    ensure_relationship,
    send_now,
    settings_for,
)

GOAL_TITLE_MAX = 150
SUCCESS_MAX = 500
SUGGESTION_MAX = 1000


@dataclass
class AgreementForm:
    goals: list[dict[str, str]] = field(default_factory=list)  # [{"title", "success"}]
    cadence: str = "biweekly"
    meeting_format: str = "either"
    duration_months: int = 6
    ground_rules: bool = False


def durations(settings: ProgramSettings) -> list[int]:
    return list(settings.duration_choices)


def default_form(session: Session, info: PairInfo) -> tuple[AgreementForm, int | None]:
    """What the agreement modal starts with: the current draft, else the mentee's goals and
    the program defaults. Returns (form, version of the draft or None)."""
    settings = settings_for(session, info.program_id)
    agreement = agreement_of(session, info.pair_id)
    if agreement is not None:
        return (
            AgreementForm(
                goals=[dict(g) for g in agreement.goals],
                cadence=agreement.cadence,
                meeting_format=agreement.meeting_format,
                duration_months=agreement.duration_months,
                ground_rules=agreement.mentee_confirmed_at is not None,
            ),
            agreement.version,
        )
    mentee = session.get(Participation, info.mentee.participation_id)
    goals: list[Goal] = list(mentee.goals) if mentee is not None else []
    fmt = mentee.meeting_format if mentee is not None else "either"
    return (
        AgreementForm(
            goals=[
                {"title": competency_name(g.competency_id), "success": g.success or ""}
                for g in goals
            ],
            cadence=settings.default_cadence,
            meeting_format=fmt if fmt in MEETING_FORMATS else "either",
            duration_months=settings.duration_months,
        ),
        None,
    )


def validate(form: AgreementForm, settings: ProgramSettings) -> dict[str, str]:
    """Problems by field name (`goal_<n>`, `success_<n>`, `cadence`, ...); empty when fine.
    Values are template keys under `relationship.errors`."""
    errors: dict[str, str] = {}
    goals = [g for g in form.goals if (g.get("title") or "").strip()]
    if not goals:
        errors["goal_1"] = "goal_required"
    for n, goal in enumerate(form.goals, start=1):
        title = (goal.get("title") or "").strip()
        success = (goal.get("success") or "").strip()
        if len(title) > GOAL_TITLE_MAX:
            errors[f"goal_{n}"] = "too_long"
        if len(success) > SUCCESS_MAX:
            errors[f"success_{n}"] = "too_long"
        if success and not title:
            errors[f"goal_{n}"] = "goal_for_success"
    if form.cadence not in CADENCE_DAYS:
        errors["cadence"] = "cadence"
    if form.meeting_format not in MEETING_FORMATS:
        errors["format"] = "format"
    if form.duration_months not in durations(settings):
        errors["duration"] = "duration"
    if not form.ground_rules:
        errors["ground_rules"] = "ground_rules"
    return errors


def _clean_goals(form: AgreementForm) -> list[dict[str, str]]:
    return [
        {"title": g["title"].strip(), "success": (g.get("success") or "").strip()}
        for g in form.goals
        if (g.get("title") or "").strip()
    ]


class AgreementInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("agreement form is invalid")
        self.errors = errors


def submit_draft(
    session: Session,
    info: PairInfo,
    member: Member,
    form: AgreementForm,
    version: int | None,
    now: datetime,
) -> list[int]:
    """The mentee proposes the agreement (first draft or a revision). Returns ledger ids to
    send now (the mentor's copy to confirm)."""
    if member.role != "mentee":
        raise RelationshipError("only_mentee_drafts", partner=info.mentee.name)
    errors = validate(form, settings_for(session, info.program_id))
    if errors:
        raise AgreementInvalid(errors)
    ensure_relationship(session, info, now)
    values = {
        "goals": _clean_goals(form),
        "cadence": form.cadence,
        "meeting_format": form.meeting_format,
        "duration_months": form.duration_months,
        "status": AGREEMENT_PROPOSED,
        "proposed_at": now,
        "mentee_confirmed_at": now,
        "mentor_confirmed_at": None,
        "suggestion": None,
        "updated_at": now,
    }
    agreement = agreement_of(session, info.pair_id)
    if agreement is None:
        if version is not None:
            raise RelationshipError("stale")
        try:
            with session.begin_nested():
                agreement = Agreement(
                    team_id=info.team_id, pair_id=info.pair_id, version=1, **values
                )
                session.add(agreement)
        except IntegrityError:
            raise RelationshipError("stale") from None
    else:
        if agreement.status == AGREEMENT_ACTIVE:
            raise RelationshipError("already_active")
        if version is not None and version != agreement.version:
            raise RelationshipError("stale")
        _update_unchanged(session, agreement, version=agreement.version + 1, **values)
        session.refresh(agreement)
    return send_now(
        session,
        info,
        "agreement_review",
        now,
        to=[info.mentor],
        period=f"v{agreement.version}",
        payload={"version": agreement.version},
    )


def confirm(
    session: Session, info: PairInfo, member: Member, version: Any, now: datetime
) -> list[int]:
    """The mentor confirms the mentee's draft: the agreement becomes active for both."""
    agreement = _for_mentor(session, info, member, version)
    _update_unchanged(
        session,
        agreement,
        Agreement.status == AGREEMENT_PROPOSED,
        status=AGREEMENT_ACTIVE,
        mentor_confirmed_at=now,
        activated_at=now,
        updated_at=now,
    )
    relationship, _ = ensure_relationship(session, info, now)
    settings = settings_for(session, info.program_id)
    every = cadence_days(agreement.cadence)
    session.execute(
        update(Relationship)
        .where(Relationship.id == relationship.id)
        .values(
            active_since=now,
            cadence_days=every,
            ends_at=add_months(now, agreement.duration_months),
            term_asked_at=None,
            agreement_nudge_at=None,
            next_meeting_nudge_at=now + timedelta(days=every),
            meeting_epoch=Relationship.meeting_epoch + 1,
            next_checkin_at=now + timedelta(days=settings.checkin_first_days),
        )
    )
    return send_now(session, info, "agreement_active", now, period=f"v{agreement.version}")


def suggest_changes(
    session: Session, info: PairInfo, member: Member, version: Any, text: str, now: datetime
) -> list[int]:
    """The mentor asks for changes: the mentee gets them and revises the draft."""
    text = text.strip()
    if not text:
        raise AgreementInvalid({"suggestion": "empty"})
    if len(text) > SUGGESTION_MAX:
        raise AgreementInvalid({"suggestion": "too_long"})
    agreement = _for_mentor(session, info, member, version)
    _update_unchanged(
        session,
        agreement,
        Agreement.status == AGREEMENT_PROPOSED,
        status=AGREEMENT_CHANGES,
        suggestion=text,
        version=agreement.version + 1,
        mentee_confirmed_at=None,
        updated_at=now,
    )
    return send_now(
        session,
        info,
        "agreement_changes",
        now,
        to=[info.mentee],
        period=f"v{agreement.version + 1}",
        payload={"version": agreement.version + 1},
    )


def _update_unchanged(
    session: Session, agreement: Agreement, *conditions: Any, **values: Any
) -> None:
    """Update the agreement only if nobody changed it since it was read (same version, and
    `conditions`); otherwise the click or submission is stale."""
    result = session.execute(
        update(Agreement)
        .where(Agreement.id == agreement.id, Agreement.version == agreement.version, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise RelationshipError("stale")


def _for_mentor(session: Session, info: PairInfo, member: Member, version: Any) -> Agreement:
    if member.role != "mentor":
        raise RelationshipError("only_mentor_confirms", partner=info.mentor.name)
    agreement = agreement_of(session, info.pair_id)
    if agreement is None:
        raise RelationshipError("no_draft", partner=info.mentee.name)
    if agreement.status == AGREEMENT_ACTIVE:
        raise RelationshipError("already_active")
    if agreement.status != AGREEMENT_PROPOSED or version != agreement.version:
        raise RelationshipError("stale")
    return agreement
