"""Tables of the FAQ feature.

* `FaqPendingQuestion`: a question someone asked the bot in Slack, kept server-side for a
  short while so that buttons carry only ids (never question text). Only the person who
  asked can pass it to a coordinator; its text is cleared as soon as it has been passed on
  or the person said no, and the whole row is deleted when it expires.
* `FaqGap`: what coordinators read to improve the content (`mentorbot faq gaps`):
  unanswered questions and "not helpful" votes. No user id, by design.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.kernel.models import Base, IntPk, ProgramFk, TeamFk

# FaqGap.reason
GAP_UNANSWERED = "unanswered"  # the FAQ did not know (band "unknown")
GAP_NOT_HELPFUL = "not_helpful"  # "Was this helpful?" -> No
GAP_NO_MATCH = "no_match"  # "Did you mean ...?" -> None of these
GAP_REASONS = (GAP_UNANSWERED, GAP_NOT_HELPFUL, GAP_NO_MATCH)


class FaqPendingQuestion(Base):
    __tablename__ = "faq_pending_questions"
    __table_args__ = (Index("ix_faq_pending_questions_expires_at", "expires_at"),)

    id: Mapped[IntPk]
    team_id: Mapped[TeamFk]
    program_id: Mapped[ProgramFk]
    # Who asked: only they may pass the question on, and coordinators reply to them.
    slack_user_id: Mapped[str] = mapped_column(String(32))
    # The question as typed; None once passed on, declined or expired.
    question: Mapped[str | None] = mapped_column(Text)
    band: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[str | None] = mapped_column(String(100))
    asked_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    # A "not helpful" / "none of these" vote was logged (at most once per question).
    feedback_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]


class FaqGap(Base):
    __tablename__ = "faq_gaps"
    __table_args__ = (Index("ix_faq_gaps_team_id_logged_at", "team_id", "logged_at"),)

    id: Mapped[IntPk]
    team_id: Mapped[str] = mapped_column(ForeignKey("workspaces.team_id", ondelete="CASCADE"))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="SET NULL"))
    # The question as typed; None for a vote on a topic picked from the browse list.
    question: Mapped[str | None] = mapped_column(Text)
    entry_id: Mapped[str | None] = mapped_column(String(100))
    band: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(16))
    logged_at: Mapped[datetime]
