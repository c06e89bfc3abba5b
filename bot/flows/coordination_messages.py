"""What the deliverer sends for coordinators, rendered in the ledger's transaction:
announcements and invitations (one per recipient) and the weekly digest with its chart.
Whether each is still wanted is decided in core (`core.messaging.outbox`)."""

from __future__ import annotations

from functools import partial

from sqlalchemy.orm import Session

from bot.scheduling.deliverer import Attachment, Part, Renderer, RenderTarget
from bot.views import coordination as views
from core.coordination.reports import digest as build_digest
from core.coordination.reports import pairs_chart
from core.kernel.clock import Clock
from core.kernel.texts import plain, unescaped
from core.messaging import outbox
from core.messaging.models import ANNOUNCEMENT, COORDINATOR_DIGEST, INVITATION
from core.messaging.outbox_models import KIND_INVITE


def coordinator_renderers(clock: Clock) -> dict[str, Renderer]:
    return {
        ANNOUNCEMENT: render_announcement,
        INVITATION: render_announcement,
        COORDINATOR_DIGEST: partial(_render_digest, clock),
    }


def render_announcement(session: Session, target: RenderTarget) -> Part | None:
    """An announcement or invitation for one person; None (nothing sent) if they left
    the program (an announcement) or joined it meanwhile (an invitation)."""
    announcement_id = target.payload.get("announcement")
    if not isinstance(announcement_id, int):
        return None
    due = outbox.announcement_to_send(session, announcement_id, target.recipient_id)
    if due is None:
        return None
    if due.kind == KIND_INVITE:
        payload = views.invitation(due.program, due.created_by, program_id=due.program_id)
    else:
        payload = views.announcement(due.program, due.body or "", due.created_by)
    return Part(payload["text"], payload["blocks"])


def _render_digest(clock: Clock, session: Session, target: RenderTarget) -> Part | None:
    """A coordinator's weekly report, built now, with its chart as a file after it; None
    if they no longer coordinate the program."""
    program_id = target.payload.get("program")
    program = (
        outbox.digest_program(session, program_id, target.user_id)
        if isinstance(program_id, int)
        else None
    )
    if program is None:
        return None
    data = build_digest(session, program, clock)
    png = pairs_chart(
        data.history,
        data.k,
        labels=views.chart_labels(),
        # drawn into the image, not a Slack text field: not escaped
        title=unescaped("coordinator.digest.chart_title", program=program.name),
        hidden_label=unescaped("coordinator.fewer_than", k=data.k),
    )
    payload = views.digest(data, program.id)
    chart = Attachment(
        filename="pairs-by-stage.png",
        content=png,
        title=plain("coordinator.digest.chart_title", program=program.name),
        alt_text=plain("coordinator.digest.chart_alt", program=program.name),
    )
    return Part(payload["text"], payload["blocks"], chart)
