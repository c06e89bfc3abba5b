"""FAQ retrieval quality on tests/faq_eval.yaml (see docs/faq.md for the numbers).

The shipped weights and thresholds were fitted on the `train` items only; `test` items are
held out. Targets: top-1 >= 0.90 on in-scope questions, <= 10% of off-topic questions
answered confidently, p95 `ask` latency < 15 ms.

Known gap, reported honestly: the lexical default reaches ~0.82 top-1 on the held-out split
(0.93 on train), so the test-split accuracy target is tracked by a strict xfail, and a
regression floor guards what we have. The optional hybrid method (installed extra) is held to
a higher floor when present.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.faq.embedding import embedding_available
from core.faq.evaluation import EvalReport, evaluate, load_eval_set
from core.faq.retrieval import HYBRID_METHOD, LEXICAL_METHOD, FaqIndex
from core.faq.store import FaqStore, load_program_defaults
from core.paths import content_dir

TOP1_TARGET = 0.90
OFF_TOPIC_CONFIDENT_MAX = 0.10
P95_MS_MAX = 15.0
# Regression floors on the held-out split (measured: lexical 0.817, hybrid 0.859).
LEXICAL_TEST_FLOOR = 0.80
HYBRID_TEST_FLOOR = 0.84

STORE = FaqStore.load(content_dir())
DEFAULTS = load_program_defaults(content_dir())
ITEMS = load_eval_set(Path(__file__).parent / "faq_eval.yaml", STORE.ids)


def _report(method: str, split: str | None) -> EvalReport:
    index = _index(method)
    items = [i for i in ITEMS if split is None or i.split == split]
    return evaluate(index, items, repeats=2)


_INDEXES: dict[str, FaqIndex] = {}


def _index(method: str) -> FaqIndex:
    if method not in _INDEXES:
        _INDEXES[method] = FaqIndex.build(STORE, DEFAULTS, method=method)
    return _INDEXES[method]


def test_eval_set_is_big_enough_and_unbiased() -> None:
    in_scope = [i for i in ITEMS if i.in_scope]
    off_topic = [i for i in ITEMS if not i.in_scope]
    assert len(in_scope) >= 130 and len(off_topic) >= 30
    assert {i.split for i in ITEMS} == {"train", "test"}
    assert sum(i.split == "test" for i in ITEMS) >= 0.25 * len(ITEMS)
    # Never copied from the content: no eval question equals an entry's own question.
    from core.faq.store import normalize_question

    entry_questions = {normalize_question(q) for e in STORE for q in e.questions}
    assert not [i.question for i in ITEMS if normalize_question(i.question) in entry_questions]


def test_lexical_meets_targets_on_whole_set_and_train() -> None:
    for split in (None, "train"):
        r = _report(LEXICAL_METHOD, split)
        assert r.out_answered <= OFF_TOPIC_CONFIDENT_MAX, (split, r.as_dict())
        assert r.p95_ms < P95_MS_MAX, (split, r.as_dict())
    assert _report(LEXICAL_METHOD, "train").top1 >= TOP1_TARGET


def test_lexical_on_held_out_test_split() -> None:
    r = _report(LEXICAL_METHOD, "test")
    assert r.out_answered <= OFF_TOPIC_CONFIDENT_MAX, r.as_dict()
    assert r.top1 >= LEXICAL_TEST_FLOOR, r.as_dict()
    assert r.top3 >= 0.90, r.as_dict()
    assert r.p95_ms < P95_MS_MAX, r.as_dict()


@pytest.mark.xfail(
    strict=True,
    reason="known gap: lexical top-1 on the held-out split is ~0.82, target 0.90 (docs/faq.md)",
)
def test_lexical_reaches_top1_target_on_held_out_test_split() -> None:
    assert _report(LEXICAL_METHOD, "test").top1 >= TOP1_TARGET


def test_hybrid_when_installed() -> None:
    if not embedding_available():
        pytest.skip("optional extra faq-embeddings is not installed")
    for split in ("train", "test"):
        r = _report(HYBRID_METHOD, split)
        assert r.out_answered <= OFF_TOPIC_CONFIDENT_MAX, (split, r.as_dict())
        assert r.p95_ms < P95_MS_MAX, (split, r.as_dict())
    assert _report(HYBRID_METHOD, "train").top1 >= TOP1_TARGET
    assert _report(HYBRID_METHOD, "test").top1 >= HYBRID_TEST_FLOOR


def test_keyword_baseline_is_clearly_worse() -> None:
    """The measurement can fail: the simplest baseline must not reach the shipped method."""
    base = _report("keyword", None)
    shipped = _report(LEXICAL_METHOD, None)
    assert shipped.top1 >= base.top1 + 0.15
