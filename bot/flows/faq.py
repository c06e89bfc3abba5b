"""FAQ answers in Slack: wherever someone asks (a DM, a mention in a channel, `/mentoring ask`,
"Browse topics" in App Home), answer from the content store through `core.faq`, say honestly
when the bot does not know, and offer a person.

A question is kept server-side (`core.faq.questions`) so that buttons carry only ids; it goes to
the coordinators only when the person who asked presses "Ask a coordinator". Unanswered
questions and "not helpful" votes are logged for coordinators without a user id. Question
text never goes to the log.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.platform import slack_io
from bot.platform.blocks import Block
from bot.views import faq as views
from core.faq import use_cases as faq
from core.faq.models import GAP_NO_MATCH, GAP_NOT_HELPFUL
from core.faq.questions import PendingQuestion
from core.faq.retrieval import MAX_QUESTION_CHARS, FaqAnswer, FaqIndex, FaqQuestionError
from core.faq.store import FaqContentError, FaqRenderError, FaqStore, load_program_defaults
from core.faq.use_cases import Asker
from core.kernel.paths import content_dir
from core.kernel.texts import mrkdwn, plain

if TYPE_CHECKING:
    from bot.app import MentorApp

logger = logging.getLogger(__name__)

CONTACT_ENTRY = "contact-a-coordinator"
INDEX_CACHE_MAX = 8  # indexes kept (one per distinct program settings)

_MENTION = re.compile(r"<[@!][^>]*>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+\|([^>]*)>")
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def clean_question(text: str) -> str:
    """The question as the person meant it: Slack's mentions and special mentions dropped,
    channel names and link labels kept as words, entities decoded, spaces collapsed."""
    text = _MENTION.sub(" ", text or "")
    text = _CHANNEL.sub(lambda m: "#" + m.group(1), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"\s+", " ", text).strip()


# --- where a reply goes --------------------------------------------------------------------
Respond = Callable[..., Any]


@dataclass
class Reply:
    """Where FAQ messages go, and how the message a button was pressed in is changed.

    kind "dm": the person's DM with the bot; "channel": a channel thread (`thread_ts`);
    "ephemeral": a message only the person sees (slash commands), through `respond`;
    "modal": the topic modal opened from App Home (`view_id`).
    """

    client: WebClient
    user_id: str
    kind: str
    channel: str | None = None
    thread_ts: str | None = None
    message_ts: str | None = None
    respond: Respond | None = None
    view_id: str | None = None

    @classmethod
    def from_action(cls, client: WebClient, body: dict[str, Any], respond: Respond) -> Reply:
        user_id = str((body.get("user") or {}).get("id") or "")
        container = body.get("container") or {}
        if container.get("type") == "view":
            view_id = container.get("view_id") or (body.get("view") or {}).get("id")
            return cls(client, user_id, "modal", view_id=str(view_id or ""))
        if container.get("is_ephemeral"):
            return cls(client, user_id, "ephemeral", respond=respond)
        channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
        message_ts = str(container.get("message_ts") or "") or None
        if channel.startswith("D"):
            return cls(client, user_id, "dm", channel=channel, message_ts=message_ts)
        thread_ts = str(container.get("thread_ts") or "") or message_ts
        return cls(
            client, user_id, "channel", channel=channel, thread_ts=thread_ts, message_ts=message_ts
        )

    def post(self, payload: dict[str, Any]) -> None:
        """A new message (in a modal: the modal's content is replaced)."""
        if self.kind == "modal":
            self.replace(payload)
        elif self.kind == "ephemeral":
            assert self.respond is not None
            self.respond(response_type="ephemeral", replace_original=False, **payload)
        elif self.kind == "channel":
            assert self.channel is not None
            self.client.chat_postMessage(channel=self.channel, thread_ts=self.thread_ts, **payload)
        elif self.channel:
            self.client.chat_postMessage(channel=self.channel, **payload)
        else:
            slack_io.post_dm(self.client, self.user_id, payload)

    def replace(self, payload: dict[str, Any]) -> None:
        """Change the message (or modal) the button was pressed in."""
        if self.kind == "modal" and self.view_id:
            self.client.views_update(
                view_id=self.view_id, view=views.topic_modal(payload["blocks"])
            )
        elif self.kind == "ephemeral":
            assert self.respond is not None
            self.respond(replace_original=True, **payload)
        elif self.channel and self.message_ts:
            slack_io.update_message(self.client, self.channel, self.message_ts, payload)
        else:
            self.post(payload)

    def private(self, payload: dict[str, Any]) -> None:
        """A message only this person sees (in a channel thread: an ephemeral one)."""
        if self.kind == "channel" and self.channel:
            self.client.chat_postEphemeral(
                channel=self.channel, user=self.user_id, thread_ts=self.thread_ts, **payload
            )
        else:
            self.post(payload)


# --- the flow -------------------------------------------------------------------------------
class FaqFlow:
    def __init__(self, mentor: MentorApp) -> None:
        self.mentor = mentor
        self._lock = threading.Lock()
        self._store: FaqStore | None = None
        self._store_failed = False
        self._indexes: OrderedDict[str, FaqIndex] = OrderedDict()
        self._groups: list[tuple[str, list[views.Topic]]] | None = None
        self._templates_data: dict[str, Any] | None = None

    # --- content ---------------------------------------------------------------------------
    def store(self) -> FaqStore | None:
        """The FAQ content, loaded once (None, logged once, when it is broken)."""
        with self._lock:
            if self._store is None and not self._store_failed:
                try:
                    self._store = FaqStore.load(content_dir())
                except FaqContentError as exc:
                    self._store_failed = True
                    logger.error(
                        "the FAQ content has %d problem(s); run `mentorbot content check`",
                        len(exc.problems),
                    )
            return self._store

    def _templates(self) -> dict[str, Any]:
        with self._lock:
            if self._templates_data is None:
                self._templates_data = _faq_templates()
            return self._templates_data

    def small_talk(self, question: str) -> str | None:
        """The reply key for a message that is not a question ("hi", "thanks"), else None."""
        return _small_talk(self._templates()).get(_normal(question))

    def index(self, settings: dict[str, Any]) -> FaqIndex | None:
        """The index for a program's settings: built on first use, then shared (it is
        immutable and thread-safe)."""
        store = self.store()
        if store is None:
            return None
        key = json.dumps(settings, sort_keys=True, default=str)
        with self._lock:
            found = self._indexes.get(key)
            if found is not None:
                self._indexes.move_to_end(key)
                return found
            try:
                built = FaqIndex.build(store, settings, method=self.mentor.settings.faq_method_name)
            except FaqRenderError as exc:
                logger.error("FAQ answers cannot be rendered with a program's settings: %s", exc)
                return None
            self._indexes[key] = built
            while len(self._indexes) > INDEX_CACHE_MAX:
                self._indexes.popitem(last=False)
            return built

    def warm(self) -> threading.Thread:
        """Build the index for the content's default settings in the background, so that the
        first question does not wait while the embedding model encodes the entries (about
        3 s). Later indexes, for programs' own settings, reuse those vectors."""

        def work() -> None:
            try:
                self.index(load_program_defaults(content_dir()))
            except Exception:  # a broken setting is logged by `index`; anything else here
                logger.exception("preparing the FAQ index failed")

        # Not a daemon: stopping the process mid-way would kill the thread inside the model's
        # native code, which aborts the process; instead, exit waits the few seconds left.
        thread = threading.Thread(target=work, name="faq-warm-up", daemon=False)
        thread.start()
        return thread

    def _asker(self, team_id: str, user_id: str) -> Asker:
        return faq.asker(self.mentor.db, team_id, user_id, self.mentor.clock)

    def _answer(self, index: FaqIndex, entry_id: str) -> views.Answer | None:
        try:
            entry = index.store.get(entry_id)
        except KeyError:
            return None
        known = set(index.entry_ids)
        related = [
            (r, index.store.get(r).title) for r in entry.related if r in known and r != entry_id
        ]
        return views.Answer(entry.id, entry.title, index.answer_for(entry.id), related)

    def _contact_answer(self, index: FaqIndex) -> str:
        try:
            return index.answer_for(CONTACT_ENTRY)
        except KeyError:
            return mrkdwn("messages.dm_fallback")

    # --- asking ----------------------------------------------------------------------------
    def ask(self, reply: Reply, team_id: str, user_id: str, text: str) -> None:
        """Answer a question typed anywhere; always replies."""
        question = clean_question(text)
        if not question:
            reply.post(views.note("faq.ask.empty"))
            return
        if len(question) > MAX_QUESTION_CHARS:
            reply.post(views.note("faq.ask.too_long", limit=MAX_QUESTION_CHARS))
            return
        small_talk = self.small_talk(question)
        if small_talk is not None:
            reply.post(views.note(small_talk))
            return
        asker = self._asker(team_id, user_id)
        index = self.index(asker.settings)
        if index is None:
            reply.post(views.note("faq.ask.unavailable"))
            return
        try:
            result = index.ask(question, audience=asker.audience)
        except FaqQuestionError:
            reply.post(views.note("faq.ask.empty"))
            return
        pending_id = self._record(team_id, user_id, asker, question, result)
        logger.info(
            "FAQ %s (entry %s, score %.2f, via %s)",
            result.band,
            result.entry_id,
            result.score,
            reply.kind,
        )
        reply.post(self._result_message(index, result, question, pending_id, asker))

    def _record(
        self, team_id: str, user_id: str, asker: Asker, question: str, result: FaqAnswer
    ) -> int:
        """Keep the question server-side (buttons carry only its id); that id."""
        return faq.record_question(
            self.mentor.db,
            team_id=team_id,
            program_id=asker.program_id,
            user_id=user_id,
            question=question,
            band=result.band,
            entry_id=result.entry_id,
            clock=self.mentor.clock,
        )

    def _vote(
        self,
        team_id: str,
        user_id: str,
        asker: Asker,
        entry_id: str | None,
        pending_id: Any,
        reason: str,
    ) -> tuple[bool, PendingQuestion | None]:
        """Log a gap (an answer that did not help, suggestions that did not fit): (whether it
        was logged now, the question asked if it is the voter's own)."""
        outcome = faq.vote(
            self.mentor.db,
            team_id=team_id,
            program_id=asker.program_id,
            user_id=user_id,
            entry_id=entry_id,
            pending_id=pending_id,
            reason=reason,
            clock=self.mentor.clock,
        )
        return outcome.logged, outcome.own

    def _result_message(
        self, index: FaqIndex, result: FaqAnswer, question: str, pending_id: int, asker: Asker
    ) -> dict[str, Any]:
        if result.band == "answer" and result.entry_id:
            answer = self._answer(index, result.entry_id)
            if answer is not None:
                return views.answer_message(answer, pending_id)
        if result.band == "suggest" and result.suggestions:
            topics = [(s, index.store.get(s).title) for s in result.suggestions]
            return views.suggest_message(topics, pending_id)
        contact = None if asker.coordinators else self._contact_answer(index)
        return views.unknown_message(question, pending_id, contact_answer=contact)

    def answer_if_confident(self, client: WebClient, team_id: str, user_id: str, text: str) -> bool:
        """Post the answer in the person's DM only if the FAQ answers `text` confidently (for
        text typed while another conversation waits for a button). True if it did."""
        question = clean_question(text)
        if not question or len(question) > MAX_QUESTION_CHARS or self.small_talk(question):
            return False
        asker = self._asker(team_id, user_id)
        index = self.index(asker.settings)
        if index is None:
            return False
        result = index.ask(question, audience=asker.audience)
        confident = result.band == "answer" and result.entry_id
        answer = self._answer(index, result.entry_id) if confident and result.entry_id else None
        if answer is None:
            return False
        pending_id = self._record(team_id, user_id, asker, question, result)
        logger.info(
            "FAQ answer (entry %s, score %.2f, during a conversation)",
            result.entry_id,
            result.score,
        )
        slack_io.post_dm(client, user_id, views.answer_message(answer, pending_id))
        return True

    def on_dm(self, client: WebClient, team_id: str, user_id: str, text: str) -> bool:
        """`hooks.on_dm`: a DM no running conversation claimed is a question."""
        if not clean_question(text):
            return False
        self.ask(Reply(client, user_id, "dm"), team_id, user_id, text)
        return True

    # --- buttons ---------------------------------------------------------------------------
    def _own(self, team_id: str, user_id: str, pending_id: Any) -> PendingQuestion | None:
        """The question behind a button, if it is this person's."""
        return faq.own_question(self.mentor.db, pending_id, team_id, user_id, self.mentor.clock)

    def show_topic(
        self, reply: Reply, team_id: str, user_id: str, entry_id: str, pending_id: Any
    ) -> None:
        """A related topic or a "Did you mean" choice: show that entry's answer."""
        index = self.index(self._asker(team_id, user_id).settings)
        answer = self._answer(index, entry_id) if index is not None else None
        if answer is None:
            logger.info("a topic button for an unknown entry was ignored")
            return
        own = self._own(team_id, user_id, pending_id)
        payload = views.answer_message(answer, own.id if own else None)
        if reply.kind in ("modal", "ephemeral"):
            reply.replace(payload)
        else:
            reply.post(payload)

    def feedback(
        self, reply: Reply, team_id: str, user_id: str, token: dict[str, Any], *, helpful: bool
    ) -> None:
        """Was this helpful? Yes: thanks. No: log it, then offer to ask a coordinator."""
        asker = self._asker(team_id, user_id)
        index = self.index(asker.settings)
        entry_id = str(token.get("e") or "")
        answer = self._answer(index, entry_id) if index is not None else None
        if index is None or answer is None:
            logger.info("a feedback button for an unknown entry was ignored")
            return
        if helpful:
            own = self._own(team_id, user_id, token.get("q"))
            if reply.kind == "channel" and own is None:
                reply.private(views.note("faq.answer.thanks"))  # someone else's question
            else:
                reply.replace(
                    views.answer_message(answer, own.id if own else None, feedback="thanks")
                )
            return
        logged, own = self._vote(team_id, user_id, asker, entry_id, token.get("q"), GAP_NOT_HELPFUL)
        logger.info("FAQ entry %s voted not helpful", entry_id)
        if not logged:
            return  # a repeated click: the offer has been made already
        contact = self._contact_answer(index)
        if reply.kind == "modal":
            blocks = views.answer_blocks(answer, None, feedback="not_helpful")
            reply.replace(
                {"text": answer.title, "blocks": blocks + views.browse_offer_blocks(contact)}
            )
            return
        if reply.kind == "channel" and own is None:
            reply.private(views.browse_offer_message(contact, thanks=True))
            return
        reply.replace(views.answer_message(answer, own.id if own else None, feedback="not_helpful"))
        if own is not None and own.status == "open":
            reply.private(self._offer(index, own, asker))
        else:
            reply.private(views.browse_offer_message(contact, thanks=False))

    def none_matched(self, reply: Reply, team_id: str, user_id: str, token: dict[str, Any]) -> None:
        """None of the suggestions fitted: log it, then offer to ask a coordinator."""
        status = faq.question_state(
            self.mentor.db, token.get("q"), team_id, user_id, self.mentor.clock
        )
        if status == "not_yours":
            reply.private(views.note("faq.offer.not_yours"))
            return
        if status in ("expired", "missing"):
            reply.private(views.note("faq.offer.expired"))
            return
        asker = self._asker(team_id, user_id)
        index = self.index(asker.settings)
        if index is None:
            reply.private(views.note("faq.ask.unavailable"))
            return
        logged, own = self._vote(team_id, user_id, asker, None, token.get("q"), GAP_NO_MATCH)
        if not logged or own is None:
            return
        logger.info("FAQ suggestions did not fit (top entry %s)", own.entry_id)
        if own.question is not None:
            # Asking again gives the same suggestions: redraw them without "None of these".
            result = index.ask(own.question, audience=asker.audience)
            topics = [(s, index.store.get(s).title) for s in result.suggestions]
            reply.replace(views.suggest_message(topics, own.id, none_matched=True))
        if own.status == "open":
            reply.private(self._offer(index, own, asker))
        else:
            reply.private(views.note(_STATUS_NOTES.get(own.status, "faq.offer.expired")))

    def _offer(self, index: FaqIndex, pending: PendingQuestion, asker: Asker) -> dict[str, Any]:
        assert pending.question is not None
        contact = None if asker.coordinators else self._contact_answer(index)
        return views.offer_message(pending.question, pending.id, contact_answer=contact)

    # --- escalation ------------------------------------------------------------------------
    def escalate(self, reply: Reply, team_id: str, user_id: str, token: dict[str, Any]) -> None:
        """The person agreed: send their question to the coordinators, and say who."""
        outcome = faq.escalate_question(
            self.mentor.db, token.get("q"), team_id, user_id, self.mentor.clock
        )
        if outcome.status == "not_yours":
            reply.private(views.note("faq.offer.not_yours"))
            return
        if outcome.status in ("escalated", "declined"):
            logger.info("a repeated escalation click changed nothing (status %s)", outcome.status)
            return
        if outcome.status in ("expired", "missing"):
            reply.replace(views.note("faq.offer.expired"))
            return
        assert outcome.question is not None and outcome.pending_id is not None
        if outcome.status == "only_coordinator":
            logger.info("an FAQ question had no other coordinator to go to; nothing was sent")
            reply.replace(views.note("faq.offer.only_coordinator", program=outcome.program))
            return
        if outcome.status == "no_coordinator":
            index = self.index(self._asker(team_id, user_id).settings)
            contact = self._contact_answer(index) if index is not None else ""
            reply.replace(
                views.offer_message(outcome.question, outcome.pending_id, contact_answer=contact)
            )
            return
        self._pass_on(reply, user_id, outcome.question, outcome.pending_id, outcome.coordinators)

    def _pass_on(
        self, reply: Reply, user_id: str, question: str, pending_id: int, coordinators: list[str]
    ) -> None:
        """Send the question to each coordinator; the escalation is finished if anyone got
        it, else undone."""
        sent: list[str] = []
        for coordinator in coordinators:
            try:
                slack_io.post_dm(
                    reply.client, coordinator, views.coordinator_message(user_id, question)
                )
                sent.append(coordinator)
            except SlackApiError as exc:
                logger.warning(
                    "could not pass a question to coordinator %s: %s",
                    coordinator,
                    exc.response.get("error"),
                )
        faq.settle_escalation(self.mentor.db, pending_id, delivered=bool(sent))
        if sent:
            logger.info("an FAQ question was passed to %d coordinator(s)", len(sent))
            reply.replace(views.sent_message(sent))
        else:
            reply.private(views.note("faq.offer.failed"))

    def decline(self, reply: Reply, team_id: str, user_id: str, token: dict[str, Any]) -> None:
        """The person said no: nothing is sent, and the question text is forgotten."""
        outcome = faq.decline_question(
            self.mentor.db, token.get("q"), team_id, user_id, self.mentor.clock
        )
        if outcome == "not_yours":
            reply.private(views.note("faq.offer.not_yours"))
        elif outcome == "declined":
            reply.replace(views.note("faq.offer.declined"))
        elif outcome in ("expired", "missing"):
            reply.replace(views.note("faq.offer.expired"))
        else:  # a repeated click, or the question was passed on meanwhile
            logger.info("a repeated decline click changed nothing (%s)", outcome)

    # --- App Home: browse topics ---------------------------------------------------------
    def topic_groups(self) -> list[tuple[str, list[views.Topic]]]:
        """Topics for the browse list, in the groups of `content/templates/faq.yaml`."""
        if self._groups is not None:
            return self._groups
        store = self.store()
        if store is None:
            return []
        titles = {e.id: e.title for e in store}
        groups: list[tuple[str, list[views.Topic]]] = []
        listed: set[str] = set()
        for label, entry_ids in _browse_groups(self._templates()):
            topics = [(e, titles[e]) for e in entry_ids if e in titles and e not in listed]
            listed.update(e for e, _ in topics)
            if topics:
                groups.append((label, topics))
        rest = [(e, t) for e, t in titles.items() if e not in listed]
        if rest:
            groups.append((plain("faq.browse.other"), rest))
        self._groups = groups
        return groups

    def home_section(self, team_id: str, user_id: str) -> list[Block]:
        """`hooks.on_home_section`: the "Browse topics" menu."""
        return views.browse_blocks(self.topic_groups())

    def open_topic(
        self, client: WebClient, team_id: str, user_id: str, trigger_id: str, entry_id: str
    ) -> None:
        """A topic picked in App Home: its answer in a modal."""
        index = self.index(self._asker(team_id, user_id).settings)
        answer = self._answer(index, entry_id) if index is not None else None
        if answer is None:
            logger.info("a browse choice for an unknown entry was ignored")
            return
        client.views_open(
            trigger_id=trigger_id, view=views.topic_modal(views.answer_blocks(answer, None))
        )

    # --- housekeeping ---------------------------------------------------------------------
    def purge(self) -> None:
        questions, gaps = faq.purge_expired(self.mentor.db, self.mentor.clock)
        if questions or gaps:
            logger.info("FAQ housekeeping: %d expired question(s), %d old gap(s)", questions, gaps)


_STATUS_NOTES = {
    "escalated": "faq.offer.already_sent",
    "declined": "faq.offer.already_declined",
    "expired": "faq.offer.expired",
    "missing": "faq.offer.expired",
}


def _faq_templates() -> dict[str, Any]:
    """`content/templates/faq.yaml` as data (for its browse groups and small-talk phrases)."""
    path = content_dir() / "templates" / "faq.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        logger.warning("cannot read %s: %s", path.name, exc)
        return {}
    return data if isinstance(data, dict) else {}


def _browse_groups(data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """[(label, [entry id, ...]), ...] from `browse_groups`."""
    out: list[tuple[str, list[str]]] = []
    for group in data.get("browse_groups") or []:
        if isinstance(group, dict) and group.get("label"):
            out.append((str(group["label"]), [str(e) for e in group.get("entries") or []]))
    return out


def _small_talk(data: dict[str, Any]) -> dict[str, str]:
    """Normalised phrase -> the template key of its reply, from `small_talk`."""
    found: dict[str, str] = {}
    for kind, spec in (data.get("small_talk") or {}).items():
        if isinstance(spec, dict):
            for phrase in spec.get("phrases") or []:
                found[_normal(str(phrase))] = f"faq.small_talk.{kind}.reply"
    return found


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
