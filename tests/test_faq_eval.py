"""FAQ retrieval quality on tests/faq_eval.yaml (numbers and their history: docs/faq.md).

Targets from the issue: top-1 >= 0.90 on in-scope questions, <= 10% of off-topic questions
answered confidently, p95 `ask` latency < 15 ms.

Splits: `train` is the only one anything was tuned or fitted on; `test` was held out since the
first version; `final` was written in one go after all tuning of the second version and
evaluated once. "Held-out" means test + final.

Reported honestly: the whole set (0.907) and the test split (0.915) meet the 0.90 top-1
target, but the held-out splits together reach 0.865 (final alone 0.824), so the held-out
assertions guard the achieved floors rather than 0.90. docs/faq.md explains why.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from core.faq.embedding import embedding_available
from core.faq.evaluation import EvalReport, evaluate, load_eval_set, select
from core.faq.retrieval import HYBRID_METHOD, LEXICAL_METHOD, FaqIndex, default_method
from core.faq.store import FaqStore, load_program_defaults, normalize_question
from core.paths import content_dir

TOP1_TARGET = 0.90
OFF_TOPIC_CONFIDENT_MAX = 0.10
P95_MS_MAX = 15.0
# Achieved on the held-out splits by the shipped lexical method (measured 0.865 held-out,
# 0.824 final, 0.915 test; top-3 0.962 held-out). Floors, not the target: see docs/faq.md.
HELD_OUT_TOP1_FLOOR = 0.86
FINAL_TOP1_FLOOR = 0.82
HELD_OUT_TOP3_FLOOR = 0.95

STORE = FaqStore.load(content_dir())
DEFAULTS = load_program_defaults(content_dir())
ITEMS = load_eval_set(Path(__file__).parent / "faq_eval.yaml", STORE.ids)


@pytest.fixture(scope="module")
def lexical() -> FaqIndex:
    return FaqIndex.build(STORE, DEFAULTS, method=LEXICAL_METHOD)


_REPORTS: dict[tuple[int, str], EvalReport] = {}


def report(index: FaqIndex, split: str) -> EvalReport:
    key = (id(index), split)
    if key not in _REPORTS:
        _REPORTS[key] = evaluate(index, select(ITEMS, split), repeats=2)
    return _REPORTS[key]


def test_eval_set_is_big_enough_and_unbiased() -> None:
    in_scope = [i for i in ITEMS if i.in_scope]
    off_topic = [i for i in ITEMS if not i.in_scope]
    assert len(in_scope) >= 250 and len(off_topic) >= 80
    assert {i.split for i in ITEMS} == {"train", "test", "final"}
    final = select(ITEMS, "final")
    assert sum(i.in_scope for i in final) >= 70 and sum(not i.in_scope for i in final) >= 20
    # The final split covers most entries, not a few easy ones.
    assert len({i.expect for i in final if i.in_scope}) >= 40
    held_out = select(ITEMS, "held-out")
    assert len(held_out) >= 0.4 * len(ITEMS)
    # Never copied from the content: no eval question equals an entry's own question.
    entry_questions = {normalize_question(q) for e in STORE for q in e.questions}
    assert not [i.question for i in ITEMS if normalize_question(i.question) in entry_questions]
    # No question is asked twice (a train copy of a held-out question would leak it).
    counts = Counter(normalize_question(i.question) for i in ITEMS)
    assert not [q for q, n in counts.items() if n > 1]


@pytest.mark.parametrize("split", ["train", "test", "final", "held-out", "all"])
def test_off_topic_and_latency_targets_on_every_split(lexical: FaqIndex, split: str) -> None:
    r = report(lexical, split)
    assert r.n_out > 0
    assert r.out_answered <= OFF_TOPIC_CONFIDENT_MAX, r.as_dict()
    assert r.p95_ms < P95_MS_MAX, r.as_dict()


def test_top1_target_on_the_whole_set(lexical: FaqIndex) -> None:
    r = report(lexical, "all")
    assert r.top1 >= TOP1_TARGET, r.as_dict()
    assert report(lexical, "train").top1 >= TOP1_TARGET


def test_top1_target_on_the_original_test_split(lexical: FaqIndex) -> None:
    r = report(lexical, "test")
    assert r.top1 >= TOP1_TARGET, r.as_dict()


def test_held_out_floors(lexical: FaqIndex) -> None:
    """Held out (test + final): below the 0.90 target, so the achieved level is guarded."""
    held_out = report(lexical, "held-out")
    assert held_out.top1 >= HELD_OUT_TOP1_FLOOR, held_out.as_dict()
    assert held_out.top3 >= HELD_OUT_TOP3_FLOOR, held_out.as_dict()
    final = report(lexical, "final")
    assert final.top1 >= FINAL_TOP1_FLOOR, final.as_dict()
    # Wrong confident answers stay rare where the questions are new.
    assert held_out.answered_wrong <= 0.05, held_out.as_dict()


def test_hybrid_is_optional_and_explicit() -> None:
    """Without the optional extra, only the lexical method exists; with it, it must work."""
    assert default_method() == LEXICAL_METHOD
    if not embedding_available():
        with pytest.raises(ValueError, match="faq-embeddings"):
            FaqIndex.build(STORE, DEFAULTS, method=HYBRID_METHOD)
        return
    hybrid = FaqIndex.build(STORE, DEFAULTS, method=HYBRID_METHOD)
    for split in ("train", "held-out"):
        r = report(hybrid, split)
        assert r.out_answered <= OFF_TOPIC_CONFIDENT_MAX, (split, r.as_dict())
        assert r.p95_ms < P95_MS_MAX, (split, r.as_dict())


def test_keyword_baseline_is_clearly_worse(lexical: FaqIndex) -> None:
    """The measurement can fail: the simplest baseline must not reach the shipped method."""
    base = evaluate(FaqIndex.build(STORE, DEFAULTS, method="keyword"), ITEMS)
    assert report(lexical, "all").top1 >= base.top1 + 0.25
