"""`render_result` fills in every reason text and keeps everything else of the result.

It builds new candidates, reasons and unmatched entries with plain constructors (for speed), so
each must equal what `dataclasses.replace` with the rendered text gives: no field dropped.
"""

from __future__ import annotations

import dataclasses

from core.matching import (
    MatchConstraints,
    MatchResult,
    MenteeInput,
    MentorInput,
    Organisation,
    match,
    render_result,
)
from core.matchmaking.loading import reason_templates

NAMES = {"c1": "Public speaking", "c2": "Negotiation", "c3": "Hiring"}


def _result() -> MatchResult:
    mentees = [
        MenteeInput("E1", ("c1", "c2"), timezone="Europe/Berlin", languages=frozenset({"en"})),
        MenteeInput("E2", ("c1",), meeting_format="in_person", location="Berlin"),
        MenteeInput("E3", ("c3",)),  # nobody covers it
        MenteeInput("E4", ()),  # no goals
        MenteeInput("E5", ("c2",)),  # only mentor is ruled out
    ]
    mentors = [
        MentorInput(
            "M1",
            frozenset({"c1", "c2"}),
            capacity=2,
            timezone="America/New_York",
            languages=frozenset({"en", "de"}),
            department="Ops",
        ),
        MentorInput("M2", frozenset({"c1"}), meeting_format="in_person", location="London"),
    ]
    return match(
        mentees,
        mentors,
        Organisation({}),
        names=NAMES,
        constraints=MatchConstraints(do_not_pair=frozenset({frozenset({"E5", "M1"})})),
    )


def test_every_field_is_kept_and_every_text_rendered() -> None:
    bare = _result()
    templates = reason_templates()
    rendered = render_result(bare, templates)
    assert rendered.stats is bare.stats
    assert rendered.shortlists.keys() == bare.shortlists.keys()
    assert any(bare.shortlists.values()) and bare.unmatched
    for mentee, cands in bare.shortlists.items():
        expected = [
            dataclasses.replace(
                c,
                reasons=tuple(
                    dataclasses.replace(r, text=templates.render(r.code, r.params))
                    for r in c.reasons
                ),
            )
            for c in cands
        ]
        assert rendered.shortlists[mentee] == expected
        assert all(r.text for c in rendered.shortlists[mentee] for r in c.reasons)
        assert [dict(r.params) for c in rendered.shortlists[mentee] for r in c.reasons] == [
            dict(r.params) for c in cands for r in c.reasons
        ]
    assert rendered.unmatched == [
        dataclasses.replace(u, reason=templates.render(u.reason_code, u.params))
        for u in bare.unmatched
    ]
    assert [dict(u.params) for u in rendered.unmatched] == [dict(u.params) for u in bare.unmatched]
    assert all(u.reason for u in rendered.unmatched)
