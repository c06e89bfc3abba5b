"""Program reports for coordinators: statistics, the unmatched and at-risk lists, daily
snapshots, CSV exports and the weekly digest with its chart.

What coordinators see is status and aggregates: every count of people or pairs goes through
the k rule (`core.privacy.service.mask`), and nothing here reads goal text, agreements, check-in
answers or notes. Features that own meetings, agreements and check-ins plug their figures in
with `register_source` (they are optional: a figure without a source is "not tracked yet").
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.coordination.models import ProgramSnapshot
from core.coordination.service import cadence_days
from core.kernel.clock import Clock
from core.kernel.db import add_if_new
from core.matchmaking.models import (
    PAIR_ACTIVE,
    PAIR_COMPLETED,
    PAIR_ENDED_EARLY,
    REQUEST_PENDING,
    MentorRequest,
    Pair,
    Shortlist,
)
from core.people.models import (
    STATUS_ACTIVE,
    STATUS_LEFT,
    STATUS_ONBOARDING,
    Goal,
    Participation,
    Person,
)
from core.people.profiles import taxonomy
from core.privacy.service import Shown, mask, mask_partition, mask_rate, program_k
from core.programs.models import Program
from core.programs.service import program_settings
from core.programs.settings import Targets

STAGES = ("requested", "agreement_pending", "active", "completed", "ended_early")
ROLES = ("mentee", "mentor", "both")
STATUSES = ("onboarding", "active", "paused", "left")

# --- figures other features provide ---------------------------------------------------------

# name -> function(session, program_id) -> value:
#   agreed_pair_ids: set[int]            pairs whose learning agreement is written
#   meetings_by_pair: dict[int, int]     meetings logged per pair
#   last_meeting_by_pair: dict[int, datetime]
#   checkin_counts: tuple[int, int]      (check-ins sent, check-ins answered)
#   goal_progress: dict[str, tuple[int, int]]
#                                        competency id -> (mentees reporting, reporting progress)
#   could_be_better_count: int           active pairs whose latest check-in says "could be
#                                        better" (a count: answers are private to each person)
#   help_requested_pair_ids: set[int]    pairs where someone asked to talk to a coordinator
#   cadence_days_by_pair: dict[int, int] the meeting rhythm a pair agreed on
SOURCE_NAMES = (
    "cadence_days_by_pair",
    "agreed_pair_ids",
    "meetings_by_pair",
    "last_meeting_by_pair",
    "checkin_counts",
    "goal_progress",
    "could_be_better_count",
    "help_requested_pair_ids",
    "unanswered_nudge_pair_ids",
)
_SOURCES: dict[str, Callable[[Session, int], Any]] = {}


def register_source(name: str, fn: Callable[[Session, int], Any]) -> None:
    if name not in SOURCE_NAMES:
        raise ValueError(f"unknown report source {name!r}; known: {', '.join(SOURCE_NAMES)}")
    _SOURCES[name] = fn


def _source(name: str, session: Session, program_id: int) -> Any | None:
    fn = _SOURCES.get(name)
    return fn(session, program_id) if fn is not None else None


# --- raw counts -----------------------------------------------------------------------------


@dataclass
class Counts:
    """Raw counts of one program (stored in snapshots; masked before anyone sees them)."""

    by_role: dict[str, int]
    by_status: dict[str, int]
    by_stage: dict[str, int]
    unmatched: int

    @property
    def participants(self) -> int:
        return sum(self.by_status.values()) - self.by_status.get("left", 0)

    @property
    def pairs(self) -> int:
        return sum(self.by_stage.values())

    def as_dict(self) -> dict[str, int]:
        return {
            **{f"role_{k}": v for k, v in self.by_role.items()},
            **{f"status_{k}": v for k, v in self.by_status.items()},
            **self.by_stage,
            "unmatched": self.unmatched,
        }


def _participations(session: Session, program: Program) -> list[Participation]:
    return list(
        session.scalars(select(Participation).where(Participation.program_id == program.id))
    )


def _is_paused(participation: Participation, now: datetime) -> bool:
    return participation.paused_until is not None and participation.paused_until > now


def _status(participation: Participation, now: datetime) -> str:
    if participation.status == STATUS_LEFT:
        return "left"
    if participation.status == STATUS_ONBOARDING or not participation.confirmed:
        return "onboarding"
    return "paused" if _is_paused(participation, now) else "active"


def _pairs(session: Session, program: Program) -> list[Pair]:
    return list(session.scalars(select(Pair).where(Pair.program_id == program.id)))


def counts(session: Session, program: Program, clock: Clock) -> Counts:
    now = clock.now()
    parts = _participations(session, program)
    by_status = dict.fromkeys(STATUSES, 0)
    by_role = dict.fromkeys(ROLES, 0)
    for p in parts:
        status = _status(p, now)
        by_status[status] += 1
        if status in ("active", "paused") and p.roles in by_role:
            by_role[p.roles] += 1
    pairs = _pairs(session, program)
    agreed = _source("agreed_pair_ids", session, program.id)
    by_stage = dict.fromkeys(STAGES, 0)
    by_stage["requested"] = int(
        session.scalar(
            select(func.count(MentorRequest.id)).where(
                MentorRequest.program_id == program.id, MentorRequest.status == REQUEST_PENDING
            )
        )
        or 0
    )
    for pair in pairs:
        if pair.status == PAIR_ACTIVE:
            if agreed is not None and pair.id not in agreed:
                by_stage["agreement_pending"] += 1
            else:
                by_stage["active"] += 1
        elif pair.status == PAIR_COMPLETED:
            by_stage["completed"] += 1
        elif pair.status == PAIR_ENDED_EARLY:
            by_stage["ended_early"] += 1
    return Counts(by_role, by_status, by_stage, len(unmatched(session, program, clock)))


# --- statistics -----------------------------------------------------------------------------


@dataclass
class Figure:
    """One figure against its target: `value` is None when not shown (group smaller than k)
    or not tracked (`tracked` False)."""

    value: float | None
    target: float | None = None
    tracked: bool = True
    lower_is_better: bool = False

    @property
    def on_track(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value <= self.target if self.lower_is_better else self.value >= self.target


@dataclass
class GroupProgress:
    group: str
    mentees: Shown
    progressing: Figure


@dataclass
class Stats:
    program: str
    k: int
    objectives: list[str]
    participants: Shown
    by_role: dict[str, Shown]
    by_status: dict[str, Shown]
    pairs: Shown
    by_stage: dict[str, Shown]
    active_pairs: Figure
    meetings_per_active_pair: Figure
    days_to_match: Figure
    checkin_response_rate: Figure
    could_be_better: Shown | None = None  # None: not tracked
    goals: list[GroupProgress] = field(default_factory=list)


def _target(targets: Targets, key: str) -> float | None:
    value = targets.get(key)
    return float(value) if isinstance(value, (int, float)) else None


def compute_stats(session: Session, program: Program, clock: Clock) -> Stats:
    settings = program_settings(program)
    k = program_k(settings)
    targets = settings.targets
    raw = counts(session, program, clock)
    participants = raw.participants
    by_status = mask_partition(raw.by_status, k, total_shown=False)
    by_role = mask_partition(raw.by_role, k, total_shown=participants >= k)
    by_stage = mask_partition(raw.by_stage, k, total_shown=raw.pairs >= k)
    pairs = _pairs(session, program)
    active = [p for p in pairs if p.status == PAIR_ACTIVE]
    per_pair = _meetings_figure(session, program, active, k, targets)
    to_match = _days_to_match_figure(session, pairs, k, targets)
    response = _checkin_figure(session, program, k, targets)
    stats = Stats(
        program=program.name,
        k=k,
        objectives=list(settings.objectives),
        participants=mask(participants, k),
        by_role=by_role,
        by_status=by_status,
        pairs=mask(raw.pairs, k),
        by_stage=by_stage,
        active_pairs=Figure(
            float(len(active)) if len(active) >= k else None, _target(targets, "active_pairs")
        ),
        meetings_per_active_pair=per_pair,
        days_to_match=to_match,
        checkin_response_rate=response,
    )
    worse = _source("could_be_better_count", session, program.id)
    if worse is not None:
        stats.could_be_better = mask(int(worse), k)
    stats.goals = _goal_groups(session, program, k, targets, clock)
    return stats


def _meetings_figure(
    session: Session, program: Program, active: list[Pair], k: int, targets: Targets
) -> Figure:
    """Meetings per active pair, if meetings are tracked."""
    meetings = _source("meetings_by_pair", session, program.id)
    if meetings is None:
        return Figure(None, _target(targets, "meetings_per_active_pair"), tracked=False)
    total = sum(int(meetings.get(p.id, 0)) for p in active)
    rate = mask_rate(total, len(active), k)
    return Figure(
        round(rate, 1) if rate is not None else None,
        _target(targets, "meetings_per_active_pair"),
    )


def _days_to_match_figure(session: Session, pairs: list[Pair], k: int, targets: Targets) -> Figure:
    """The median days from a mentee's confirmed profile to their pair (k or more pairs)."""
    waits: list[float] = []
    for pair in pairs:
        mentee = session.get(Participation, pair.mentee_id)
        if mentee is not None and mentee.profile_confirmed_at is not None:
            delta = pair.created_at - mentee.profile_confirmed_at
            waits.append(max(delta.total_seconds(), 0) / 86400)
    median_wait = statistics.median(waits) if len(waits) >= k else None
    return Figure(
        round(median_wait, 1) if median_wait is not None else None,
        _target(targets, "days_to_match"),
        lower_is_better=True,
    )


def _checkin_figure(session: Session, program: Program, k: int, targets: Targets) -> Figure:
    """The percentage of check-ins answered, if check-ins are tracked."""
    checkins = _source("checkin_counts", session, program.id)
    if checkins is None:
        return Figure(None, _target(targets, "checkin_response_rate"), tracked=False)
    sent, answered = int(checkins[0]), int(checkins[1])
    rate = mask_rate(answered, sent, k)
    return Figure(
        round(rate * 100) if rate is not None else None,
        _target(targets, "checkin_response_rate"),
    )


def _goal_groups(
    session: Session, program: Program, k: int, targets: Targets, clock: Clock
) -> list[GroupProgress]:
    """Mentees with goals in each competency group, and the share reporting progress."""
    now = clock.now()
    by_competency = {c.id: c.group_name for c in taxonomy().competencies}
    mentees_by_group: dict[str, set[int]] = {g.name: set() for g in taxonomy().groups}
    rows = session.execute(
        select(Goal.participation_id, Goal.competency_id)
        .join(Participation, Participation.id == Goal.participation_id)
        .where(Participation.program_id == program.id, Participation.status == STATUS_ACTIVE)
    ).all()
    paused = {p.id for p in _participations(session, program) if _is_paused(p, now)}
    for participation_id, competency_id in rows:
        group = by_competency.get(competency_id)
        if group is not None and participation_id not in paused:
            mentees_by_group.setdefault(group, set()).add(participation_id)
    progress = _source("goal_progress", session, program.id)
    reported: dict[str, list[int]] = {}
    if progress is not None:
        for competency_id, (reporting, progressing) in dict(progress).items():
            group = by_competency.get(competency_id)
            if group is not None:
                totals = reported.setdefault(group, [0, 0])
                totals[0] += int(reporting)
                totals[1] += int(progressing)
    target = _target(targets, "goals_progressing")
    out: list[GroupProgress] = []
    for group, members in mentees_by_group.items():
        if progress is None:
            figure = Figure(None, target, tracked=False)
        else:
            reporting, progressing = reported.get(group, [0, 0])
            rate = mask_rate(progressing, reporting, k)
            figure = Figure(round(rate * 100) if rate is not None else None, target)
        out.append(GroupProgress(group, mask(len(members), k), figure))
    return out


# --- lists: unmatched and at risk (names and status only) -----------------------------------


@dataclass(frozen=True)
class Listed:
    user_id: str
    name: str
    status: str  # a key under coordinator.list_status
    other_user_id: str | None = None
    other_name: str | None = None


def unmatched(session: Session, program: Program, clock: Clock) -> list[Listed]:
    """Mentees taking part (confirmed, not paused) with no active mentoring pair."""
    now = clock.now()
    paired = set(
        session.scalars(
            select(Pair.mentee_id).where(Pair.program_id == program.id, Pair.status == PAIR_ACTIVE)
        )
    )
    pending = set(
        session.scalars(
            select(MentorRequest.mentee_id).where(
                MentorRequest.program_id == program.id, MentorRequest.status == REQUEST_PENDING
            )
        )
    )
    choosing = set(
        session.scalars(
            select(Shortlist.mentee_id).where(
                Shortlist.program_id == program.id, Shortlist.status == "open"
            )
        )
    )
    out: list[Listed] = []
    for p in _participations(session, program):
        if _status(p, now) != "active" or not p.is_mentee or p.id in paired:
            continue
        if p.id in pending:
            status = "request_pending"
        elif p.id in choosing:
            status = "choosing"
        else:
            status = "waiting"
        out.append(Listed(p.person.slack_user_id, p.person.display_name, status))
    return sorted(out, key=lambda item: item.name.lower())


def _pair_flags(pair_id: int, silent: set[int], asked: set[int]) -> list[str]:
    """The bot stopped reminding the pair (listed instead of "no_meeting"); someone asked."""
    flags = (("nudges_unanswered", silent), ("asked_for_help", asked))
    return [reason for reason, pair_ids in flags if pair_id in pair_ids]


def at_risk(session: Session, program: Program, clock: Clock) -> list[Listed]:
    """Pairs and people who may need a coordinator's help: reminders to meet left
    unanswered until the bot stopped sending them, no meeting for two meeting cadences, requests about to expire, people Slack can no longer reach, and pairs where
    someone asked to talk to a coordinator. (How check-ins trend is shown as a count in the
    stats only: each person's answers are private.)"""
    now = clock.now()
    settings = program_settings(program)
    out: list[Listed] = []

    def person_of(participation_id: int) -> Person | None:
        participation = session.get(Participation, participation_id)
        return participation.person if participation is not None else None

    def add_pair(mentee_id: int, mentor_id: int, reason: str) -> None:
        mentee, mentor = person_of(mentee_id), person_of(mentor_id)
        if mentee and mentor:
            out.append(
                Listed(
                    mentee.slack_user_id,
                    mentee.display_name,
                    reason,
                    mentor.slack_user_id,
                    mentor.display_name,
                )
            )

    active = [p for p in _pairs(session, program) if p.status == PAIR_ACTIVE]
    last = _source("last_meeting_by_pair", session, program.id)
    agreed = _source("cadence_days_by_pair", session, program.id) or {}
    silent = _source("unanswered_nudge_pair_ids", session, program.id) or set()
    if last is not None:
        for pair in active:
            since = last.get(pair.id) or pair.created_at
            quiet = timedelta(days=2 * int(agreed.get(pair.id) or cadence_days(settings)))
            if pair.id not in silent and now - since >= quiet:
                add_pair(pair.mentee_id, pair.mentor_id, "no_meeting")
    asked = _source("help_requested_pair_ids", session, program.id) or set()
    for pair in active:
        for reason in _pair_flags(pair.id, silent, asked):
            add_pair(pair.mentee_id, pair.mentor_id, reason)
    for req in session.scalars(
        select(MentorRequest).where(
            MentorRequest.program_id == program.id,
            MentorRequest.status == REQUEST_PENDING,
            MentorRequest.expires_at <= now + timedelta(days=1),
        )
    ):
        add_pair(req.mentee_id, req.mentor_id, "request_expiring")
    for p in _participations(session, program):
        if p.status != STATUS_LEFT and p.person.unreachable:
            out.append(Listed(p.person.slack_user_id, p.person.display_name, "unreachable"))
    return out


# --- snapshots ------------------------------------------------------------------------------


def take_snapshot(session: Session, program: Program, clock: Clock) -> ProgramSnapshot:
    """Today's counts of the program (UTC day), taken once; later calls return it."""
    today = clock.now().date()
    existing = session.scalars(
        select(ProgramSnapshot).where(
            ProgramSnapshot.program_id == program.id, ProgramSnapshot.day == today
        )
    ).first()
    if existing is not None:
        return existing
    snapshot = ProgramSnapshot(
        team_id=program.team_id,
        program_id=program.id,
        day=today,
        counts=counts(session, program, clock).as_dict(),
        created_at=clock.now(),
    )
    if add_if_new(session, snapshot):
        return snapshot
    # another replica took it first
    return session.scalars(
        select(ProgramSnapshot).where(
            ProgramSnapshot.program_id == program.id, ProgramSnapshot.day == today
        )
    ).one()


def snapshots(session: Session, program: Program, since: date) -> list[ProgramSnapshot]:
    return list(
        session.scalars(
            select(ProgramSnapshot)
            .where(ProgramSnapshot.program_id == program.id, ProgramSnapshot.day >= since)
            .order_by(ProgramSnapshot.day)
        )
    )


# --- export ---------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue()


def export_participants(session: Session, program: Program, clock: Clock) -> str:
    """Participants and their status: no goals, notes or answers."""
    now = clock.now()
    rows = []
    for p in sorted(_participations(session, program), key=lambda p: p.person.display_name.lower()):
        rows.append(
            [
                p.person.slack_user_id,
                p.person.display_name,
                p.roles if p.roles != "none" else "",
                _status(p, now),
                p.created_at.date().isoformat(),
                p.profile_confirmed_at.date().isoformat() if p.profile_confirmed_at else "",
                p.paused_until.date().isoformat() if _is_paused(p, now) and p.paused_until else "",
                p.capacity if p.is_mentor else "",
            ]
        )
    return _csv(
        [
            "slack_user_id",
            "name",
            "role",
            "status",
            "joined",
            "profile_confirmed",
            "paused_until",
            "mentor_capacity",
        ],
        rows,
    )


def export_pairs(session: Session, program: Program) -> str:
    """Pairs and their status: no agreement, meeting notes or answers."""
    rows = []
    for pair in sorted(_pairs(session, program), key=lambda p: p.created_at):
        mentee = session.get(Participation, pair.mentee_id)
        mentor = session.get(Participation, pair.mentor_id)
        if mentee is None or mentor is None:
            continue
        rows.append(
            [
                pair.id,
                mentee.person.slack_user_id,
                mentee.person.display_name,
                mentor.person.slack_user_id,
                mentor.person.display_name,
                pair.status,
                pair.created_at.date().isoformat(),
                pair.ended_at.date().isoformat() if pair.ended_at else "",
            ]
        )
    return _csv(
        [
            "pair_id",
            "mentee_slack_user_id",
            "mentee_name",
            "mentor_slack_user_id",
            "mentor_name",
            "status",
            "started",
            "ended",
        ],
        rows,
    )


# --- the weekly digest ----------------------------------------------------------------------

DIGEST_FIGURES = ("participants", "active", "agreement_pending", "requested", "unmatched")


@dataclass
class DigestFigure:
    name: str
    now: Shown
    change: int | None  # None: not shown (a group smaller than k, or no figure last week)


@dataclass
class Digest:
    program: str
    k: int
    figures: list[DigestFigure]
    # Who needs attention: counts of the unmatched and at-risk lists (coordinators see those
    # lists by name anyway, so these are not masked).
    unmatched: int
    at_risk: int
    history: list[tuple[date, dict[str, int]]]


def _figure_value(values: Mapping[str, Any], name: str) -> int:
    if name == "participants":
        return sum(int(values.get(f"status_{s}", 0)) for s in STATUSES if s != "left")
    return int(values.get(name, 0))


def digest(session: Session, program: Program, clock: Clock, *, weeks: int = 12) -> Digest:
    k = program_k(program_settings(program))
    today = take_snapshot(session, program, clock)
    week_ago = session.scalars(
        select(ProgramSnapshot)
        .where(
            ProgramSnapshot.program_id == program.id,
            ProgramSnapshot.day <= today.day - timedelta(days=7),
        )
        .order_by(ProgramSnapshot.day.desc())
    ).first()
    figures = []
    for name in DIGEST_FIGURES:
        now_value = _figure_value(today.counts, name)
        before = _figure_value(week_ago.counts, name) if week_ago is not None else None
        change = None
        if before is not None and now_value >= k and before >= k:
            change = now_value - before
        figures.append(DigestFigure(name, mask(now_value, k), change))
    history = [
        (s.day, dict(s.counts))
        for s in snapshots(session, program, today.day - timedelta(weeks=weeks))
    ]
    return Digest(
        program=program.name,
        k=k,
        figures=figures,
        unmatched=len(unmatched(session, program, clock)),
        at_risk=len(at_risk(session, program, clock)),
        history=history,
    )


def pairs_chart(
    history: Sequence[tuple[date, Mapping[str, Any]]],
    k: int,
    *,
    labels: Mapping[str, str],
    title: str,
    hidden_label: str,
) -> bytes:
    """A PNG line chart of pairs by stage over time (see `pairs_figure`)."""
    fig = pairs_figure(history, k, labels=labels, title=title, hidden_label=hidden_label)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def pairs_figure(
    history: Sequence[tuple[date, Mapping[str, Any]]],
    k: int,
    *,
    labels: Mapping[str, str],
    title: str,
    hidden_label: str,
) -> Any:
    """The chart as a matplotlib Figure: one line per stage over the snapshot days, the x
    axis labelled with real dates ("30 Nov", at most about 7 labels, a day either side so a
    single day is still readable). Values below k are not drawn: a shaded band marks where
    "fewer than k" lies, labelled in the chart too when nothing could be drawn."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.dates import DateFormatter, DayLocator
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(8, 4), dpi=100)
    ax = fig.subplots()
    days = [datetime(d.year, d.month, d.day) for d, _ in history]
    drawn = False
    for stage in STAGES:
        values = [int(values.get(stage, 0)) for _, values in history]
        shown = [v if v >= k else float("nan") for v in values]
        drawn = drawn or any(v >= k for v in values)
        ax.plot(days, shown, marker="o", label=labels.get(stage, stage))  # type: ignore[arg-type]
    ax.axhspan(0, k, color="0.9", label=hidden_label)
    top = [int(c.get(s, 0)) for _, c in history for s in STAGES if _num(c.get(s, 0))]
    ax.set_ylim(0, max([k + 1, *top]) * 1.15)
    if days:
        span = (days[-1] - days[0]).days
        ax.set_xlim(days[0] - timedelta(days=1), days[-1] + timedelta(days=1))  # type: ignore[arg-type]
        ax.xaxis.set_major_locator(DayLocator(interval=max(1, (span + 7) // 7)))  # type: ignore[no-untyped-call, unused-ignore]
        ax.xaxis.set_major_formatter(DateFormatter("%d %b"))  # type: ignore[no-untyped-call, unused-ignore]
    if not drawn:
        ax.text(
            0.5, k / 2, hidden_label, ha="center", va="center", transform=ax.get_yaxis_transform()
        )
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    return fig


def chart_date_labels(fig: Any) -> list[str]:
    """The x axis labels of a drawn `pairs_figure` (what a reader sees under the chart)."""
    fig.canvas.draw()
    return [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# The relationship feature's figures register themselves (after everything above exists).
from core.coordination import report_sources  # noqa: E402,F401
