"""The learning agreement, end to end through signed Slack requests and the fake Slack: the
mentee drafts, the mentor suggests changes, the mentee revises, the mentor confirms; only
then is it active, and only the two of them see it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.scheduling.deliverer import Pacer
from core.relationships.models import Agreement, Relationship
from sandbox.harness import BotUnderTest
from tests.relationship_support import (
    ANA,
    BEN,
    TEAM,
    add_to_fake,
    button_value,
    deliveries,
    pressed,
    seed_pair,
)


@pytest.fixture
def pair(slack: BotUnderTest) -> int:
    slack.app.flows.relationship.deliverer.pacer = Pacer(rate=500, burst=100, channel_interval=0)
    add_to_fake(slack, ANA, BEN)
    pair_id = seed_pair(slack.app.db, slack.clock)
    slack.app.hooks.pair_created(slack.app.client, TEAM, pair_id)
    slack.app.wait_idle()
    return pair_id


def agreement(slack: BotUnderTest, pair_id: int) -> Agreement | None:
    with slack.app.db.transaction() as session:
        return session.scalars(select(Agreement).where(Agreement.pair_id == pair_id)).first()


def test_drafted_by_the_mentee_changed_on_request_and_confirmed_by_the_mentor(
    slack: BotUnderTest, pair: int
) -> None:
    d, fake = slack.d, slack.fake
    # Both were invited as soon as the pair was created.
    assert "learning agreement" in fake.last_dm(ANA.user_id).text
    assert "learning agreement" in fake.last_dm(BEN.user_id).text

    # The mentee opens the modal: prefilled with her goals and the program defaults.
    d.click(ANA.user_id, "relationship.agreement.open")
    modal = fake.open_views(ANA.user_id)[-1]
    assert "Public speaking" in str(modal.blocks)
    assert "Give a talk at the all-hands without notes" in str(modal.blocks)
    # Without agreeing to the ground rules it cannot be sent.
    d.submit_view(ANA.user_id, modal, {}, check_required=False)
    assert d.last_submission_outcome == "errors"
    assert "agreement_ground_rules" in fake.open_views(ANA.user_id)[-1].errors
    d.submit_view(
        ANA.user_id,
        modal,
        {
            "agreement_goal_3": {"relationship.agreement.goal.3": "Negotiation <b>&</b> @here"},
            "agreement_cadence": {"relationship.agreement.cadence": "weekly"},
            "agreement_duration": {"relationship.agreement.duration": "3"},
            "agreement_ground_rules": {"relationship.agreement.ground_rules": ["agreed"]},
        },
    )
    assert d.last_submission_outcome == "closed"
    draft = agreement(slack, pair)
    assert draft is not None and draft.status == "proposed" and draft.version == 1
    assert [g["title"] for g in draft.goals] == [
        "Public speaking",
        "Stakeholder management",
        "Negotiation <b>&</b> @here",
    ]
    assert (draft.cadence, draft.duration_months) == ("weekly", 3)
    # Her invitation no longer offers to set it up: it says the draft went to Ben.
    invite = next(m for m in fake.dm_messages(ANA.user_id) if "learning agreement" in m.text)
    assert "relationship.agreement.open" not in str(invite.blocks)
    assert "Draft sent to Ben Okafor" in str(invite.blocks)

    # The mentor sees the draft (escaped) with Confirm / Suggest changes.
    review = fake.last_dm(BEN.user_id)
    assert "drafted your learning agreement" in review.text
    assert "Negotiation &lt;b&gt;&amp;&lt;/b&gt; @here" in str(review.blocks)
    assert "<b>" not in str(review.blocks)
    d.click(BEN.user_id, "relationship.agreement.suggest", in_message=review)
    d.submit_view(
        BEN.user_id,
        None,
        {"suggest_text": {"relationship.agreement.suggest.text": "Could we meet every two weeks?"}},
    )
    changed = agreement(slack, pair)
    assert changed is not None and changed.status == "changes_suggested" and changed.version == 2
    # Not active: no meeting reminders are scheduled.
    with slack.app.db.transaction() as session:
        relationship = session.scalars(select(Relationship)).one()
        assert relationship.active_since is None and relationship.next_meeting_nudge_at is None

    # The old review's buttons are gone: it says what happened instead.
    answered = fake.message(review.channel, review.ts)
    assert answered is not None and "relationship.agreement.confirm" not in str(answered.blocks)
    assert "You suggested changes to Ana Lima" in str(answered.blocks)
    assert agreement(slack, pair).status == "changes_suggested"  # type: ignore[union-attr]

    # The mentee gets the suggestion and revises the draft.
    assert "Could we meet every two weeks?" in str(fake.last_dm(ANA.user_id).blocks)
    d.click(ANA.user_id, "relationship.agreement.open")
    modal = fake.open_views(ANA.user_id)[-1]
    assert "Could we meet every two weeks?" in str(modal.blocks)
    d.submit_view(
        ANA.user_id,
        modal,
        {
            "agreement_cadence": {"relationship.agreement.cadence": "biweekly"},
            "agreement_ground_rules": {"relationship.agreement.ground_rules": ["agreed"]},
        },
    )
    revised = agreement(slack, pair)
    assert revised is not None and revised.status == "proposed" and revised.version == 3
    assert revised.cadence == "biweekly"

    # The mentor confirms the new version: active for both.
    review = fake.last_dm(BEN.user_id)
    confirm_value = button_value(review, "relationship.agreement.confirm")
    d.click(BEN.user_id, "relationship.agreement.confirm", in_message=review)
    active = agreement(slack, pair)
    assert active is not None and active.status == "active"
    assert active.mentee_confirmed_at is not None and active.mentor_confirmed_at is not None
    for user in (ANA.user_id, BEN.user_id):
        assert "is confirmed" in fake.last_dm(user).text
    with slack.app.db.transaction() as session:
        relationship = session.scalars(select(Relationship)).one()
        assert relationship.active_since == slack.clock.now()
        assert relationship.next_meeting_nudge_at == slack.clock.now() + timedelta(days=14)
        assert relationship.next_checkin_at == slack.clock.now() + timedelta(days=30)

    # The review shows what happened instead of its buttons; a double click (its second
    # press sent before the message changed) sends nothing more.
    confirmed = fake.message(review.channel, review.ts)
    assert confirmed is not None and "Agreement confirmed" in str(confirmed.blocks)
    assert "relationship.agreement.confirm" not in str(confirmed.blocks)
    for user in (ANA.user_id, BEN.user_id):  # no set-up button is left anywhere
        assert all(
            "relationship.agreement.open" not in str(m.blocks) for m in fake.dm_messages(user)
        )
    sent = len(fake.calls_to("chat.postMessage"))
    press = pressed(slack, BEN.user_id, "relationship.agreement.confirm", confirm_value)
    assert d.interaction(press).status_code == 200
    slack.app.wait_idle()
    assert len(fake.calls_to("chat.postMessage", ok=True)) == sent

    # Each sees the agreement in their App Home; a third person sees no trace of it.
    for user in (ANA.user_id, BEN.user_id):
        d.open_home(user)
        assert "Stakeholder management" in str(fake.home_view(user).blocks)
    slack.add_person("U_CY", "cy", real_name="Cy Tan")
    d.open_home("U_CY")
    assert "Stakeholder management" not in str(fake.home_view("U_CY").blocks)
    # Every message went out once and was recorded as sent.
    assert all(row.status == "sent" for row in deliveries(slack.app.db))


def test_the_mentor_cannot_draft_and_others_cannot_touch_the_agreement(
    slack: BotUnderTest, pair: int
) -> None:
    d, fake = slack.d, slack.fake
    # The mentor is not offered to set it up: he is told there's nothing to do yet.
    ben_invite = fake.dm_messages(BEN.user_id)[-1]
    assert "Nothing to do until then" in str(ben_invite.blocks)
    assert "relationship.agreement.open" not in str(ben_invite.blocks)
    invite = next(
        m for m in fake.dm_messages(ANA.user_id) if "relationship.agreement.open" in str(m.blocks)
    )
    payload_value = next(
        e["value"] for b in invite.blocks if b.get("type") == "actions" for e in b["elements"]
    )

    def forged(user_id: str) -> dict[str, object]:
        return pressed(slack, user_id, "relationship.agreement.open", payload_value)

    # The mentor replaying the mentee's button cannot draft.
    assert d.interaction(forged(BEN.user_id)).status_code == 200
    slack.app.wait_idle()
    assert fake.open_views(BEN.user_id) == []
    assert "Ana Lima hasn't drafted the agreement yet" in fake.dm_messages(BEN.user_id)[-1].text
    # Someone outside the pair replays Ana's button: refused.
    slack.add_person("U_EVE", "eve", real_name="Eve")
    assert d.interaction(forged("U_EVE")).status_code == 200
    slack.app.wait_idle()
    assert fake.open_views("U_EVE") == []
    assert "someone else's" in str(fake.dm_messages("U_EVE")[-1].blocks)
