"""The pure matching core: explained, exposure-balanced mentor shortlists.

Pure Python + numpy + OR-Tools. No Slack, no database session, no file or network I/O, no
clock. The caller (a service in `core/`) loads people, the taxonomy names and the reason
templates, builds the frozen inputs below and calls :func:`match`.

Overview (see `docs/matching.md` for the full rules and measured figures):

1. Candidates. A mentor is a candidate for a mentee when every hard rule holds: not the same
   person, not in the mentee's reporting line (above or below), not a do-not-pair pair, not a
   previous pair (unless the coordinator allowed it), not excluded by the mentee, remaining
   capacity > 0, and the mentor covers at least one of the mentee's goals.
2. Scores. Developmental fit (goals covered, weighted by priority) is quantised into tiers of
   width ``close_band``; practical fit (working-hours overlap, language, meeting format,
   department) only orders candidates inside a tier. See :class:`Candidate`.
3. Shortlists. Each mentee gets up to ``K`` candidates and each mentor appears in at most
   ``remaining_capacity * F`` shortlists. The assignment is solved exactly as a min-cost flow
   over a pruned candidate set (each mentee's top ``candidates_per_mentee_prune``, plus the
   best-fitting mentees of mentors that few mentees rank near the top).

Eligibility by status (confirmed, active, not paused, same program) is the caller's job: the
core matches whatever people it is given and has no notion of status.

This module is the public face: import from here. The parts live in `core.match_engine`.
"""

from __future__ import annotations

from core.match_engine.constants import (
    MAX_CAPACITY,
    MAX_GOALS,
    PRACTICAL_POINTS,
    PRACTICAL_WEIGHTS,
    DepartmentPreference,
    MeetingFormat,
)
from core.match_engine.constraints import MatchConstraints, MatchSettings
from core.match_engine.entry_points import candidate_pool, greedy_shortlists, match
from core.match_engine.gc_pause import gc_paused
from core.match_engine.inputs import MenteeInput, MentorInput
from core.match_engine.organisation import ManagerGraph, Organisation
from core.match_engine.outputs import (
    CANDIDATE_REASON_CODES,
    UNMATCHED_REASON_CODES,
    Candidate,
    MatchResult,
    Reason,
    Unmatched,
)
from core.match_engine.reasons import ReasonTemplates, render_reasons, render_result
from core.match_engine.size_guard import MatchTooLarge, WorkEstimate, estimate_work
from core.match_engine.timezones import standard_utc_offset_hours, working_overlap_hours

__all__ = [
    "CANDIDATE_REASON_CODES",
    "MAX_CAPACITY",
    "MAX_GOALS",
    "PRACTICAL_POINTS",
    "PRACTICAL_WEIGHTS",
    "UNMATCHED_REASON_CODES",
    "Candidate",
    "DepartmentPreference",
    "ManagerGraph",
    "MatchConstraints",
    "MatchResult",
    "MatchSettings",
    "MatchTooLarge",
    "MeetingFormat",
    "MenteeInput",
    "MentorInput",
    "Organisation",
    "Reason",
    "ReasonTemplates",
    "Unmatched",
    "WorkEstimate",
    "candidate_pool",
    "estimate_work",
    "gc_paused",
    "greedy_shortlists",
    "match",
    "render_reasons",
    "render_result",
    "standard_utc_offset_hours",
    "working_overlap_hours",
]
