"""Lexical scorers for FAQ retrieval.

Every scorer is built once from the entries' fields and then maps a question to one score
per entry in [0, 1] (1 = the question is fully covered by the entry). They share a
`QueryAnalyzer`, so a question is normalised, typo-repaired and stemmed the same way for all.

Scorers (compared in docs/faq.md, measured by benchmarks/bench_faq.py):

* `KeywordOverlapScorer`: the baseline: share of the question's words found in the entry.
* `Bm25Scorer`: Okapi BM25 over stemmed words, either over one weighted document per entry
  (`mode="entry"`, BM25F-style field weights) or as the best matching single question/title
  plus the answer (`mode="qmax"`). Scores are divided by the best score the question could
  reach, and words never seen in the content count against it, so off-topic questions
  score low.
* `TfidfScorer`: cosine similarity of TF-IDF vectors of character n-grams (robust to typos
  and word forms) or of stemmed word uni/bigrams.
* `CombinedScorer`: a weighted mean of other scorers.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from core.faq.text import (
    NO_SYNONYMS,
    STOPWORDS,
    Synonyms,
    TypoFixer,
    content_words,
    english_words,
    stem,
    words,
)

FIELDS = ("questions", "title", "tags", "body")


@dataclass(frozen=True)
class EntryText:
    """The searchable text of one entry."""

    entry_id: str
    questions: tuple[str, ...]
    title: str
    tags: tuple[str, ...]
    body: str  # the answer rendered with the program settings, as plain-ish text


@dataclass(frozen=True)
class Query:
    text: str  # the normalised question: typos repaired, synonyms replaced, stop words kept
    words: tuple[str, ...]  # content words of `text` (unknown words kept as typed)
    stems: tuple[str, ...]  # stems of `words`
    known: tuple[bool, ...]  # whether each word occurs anywhere in the FAQ content


class QueryAnalyzer:
    """Turns a question into content words and stems, the same way the entries were.

    Steps: normalised words; one-letter typos repaired against the content's and the synonym
    table's words (never a real English word, never a stop word); synonyms replaced by their
    head word; stop words dropped; stems. `entries` must already be canonical text
    (`Synonyms.canonical_text`), as `core.faq.retrieval.entry_texts` makes them.
    """

    def __init__(self, entries: Sequence[EntryText], synonyms: Synonyms = NO_SYNONYMS) -> None:
        vocab: set[str] = set()
        for e in entries:
            for text in (*e.questions, e.title, *e.tags, e.body):
                vocab.update(words(text))
        self.vocabulary = frozenset(vocab)
        self.synonyms = synonyms
        self._typos = TypoFixer(
            (w for w in vocab | synonyms.vocabulary if w not in STOPWORDS),
            protected=english_words(),
        )
        self._cache: dict[str, Query] = {}

    def analyze(self, text: str) -> Query:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        tokens = [w if w in STOPWORDS else (self._typos.fix(w) or w) for w in words(text)]
        tokens = self.synonyms.apply(tokens)
        out_words = [w for w in tokens if w not in STOPWORDS]
        known = [w in self.vocabulary for w in out_words]
        query = Query(
            " ".join(tokens),
            tuple(out_words),
            tuple(stem(w) for w in out_words),
            tuple(known),
        )
        if len(self._cache) < 4096:
            self._cache[text] = query
        return query

    def known_only(self, query: Query) -> Query:
        """`query` without the content words the FAQ does not know (stop words kept).

        Scoring this version tells how well the question's *known* words fit an entry, however
        many ordinary words ("surgery", "ages") the FAQ happens never to use.
        """
        if all(query.known):
            return query
        tokens = [w for w in query.text.split() if w in STOPWORDS or w in self.vocabulary]
        keep = [k for k in query.known]
        return Query(
            " ".join(tokens),
            tuple(w for w, k in zip(query.words, keep, strict=True) if k),
            tuple(s for s, k in zip(query.stems, keep, strict=True) if k),
            tuple(k for k in keep if k),
        )


class Scorer(Protocol):
    name: str

    def scores(self, query: Query) -> np.ndarray:
        """One score per entry, in [0, 1]."""
        ...


def _fields(e: EntryText) -> tuple[tuple[str, Sequence[str]], ...]:
    return (
        ("questions", e.questions),
        ("title", (e.title,)),
        ("tags", e.tags),
        ("body", (e.body,)),
    )


def only_field(name: str) -> dict[str, float]:
    """Field weights that use one field only (for per-field signals)."""
    if name not in FIELDS:
        raise ValueError(f"unknown field {name!r}")
    return {f: (1.0 if f == name else 0.0) for f in FIELDS}


def _doc_terms(text: str, all_words: bool = False) -> list[str]:
    return [stem(w) for w in (words(text) if all_words else content_words(text))]


@dataclass
class _Postings:
    """A tiny inverted index: term -> (document numbers, values)."""

    docs: dict[str, np.ndarray] = field(default_factory=dict)
    vals: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, float]]) -> _Postings:
        tmp: dict[str, tuple[list[int], list[float]]] = {}
        for i, row in enumerate(rows):
            for term, value in row.items():
                d, v = tmp.setdefault(term, ([], []))
                d.append(i)
                v.append(value)
        out = cls()
        for term, (d, v) in tmp.items():
            out.docs[term] = np.asarray(d, dtype=np.int64)
            out.vals[term] = np.asarray(v, dtype=np.float64)
        return out

    def dot(self, weights: Mapping[str, float], n_docs: int) -> np.ndarray:
        idx: list[np.ndarray] = []
        val: list[np.ndarray] = []
        for term, w in weights.items():
            d = self.docs.get(term)
            if d is not None:
                idx.append(d)
                val.append(self.vals[term] * w)
        if not idx:
            return np.zeros(n_docs)
        return np.bincount(np.concatenate(idx), np.concatenate(val), minlength=n_docs)


class KeywordOverlapScorer:
    """Baseline: the share of the question's content words that appear in the entry."""

    name = "keyword-overlap"

    def __init__(self, entries: Sequence[EntryText]) -> None:
        self.n = len(entries)
        self._words = [
            set(content_words(" ".join((*e.questions, e.title, *e.tags, e.body)))) for e in entries
        ]

    def scores(self, query: Query) -> np.ndarray:
        q = set(content_words(query.text))
        if not q:
            return np.zeros(self.n)
        return np.array([len(q & w) / len(q) for w in self._words])


class _Bm25Index:
    def __init__(self, rows: Sequence[Mapping[str, float]], k1: float, b: float) -> None:
        self.n = len(rows)
        self.k1, self.b = k1, b
        lengths = np.array([sum(r.values()) for r in rows], dtype=np.float64)
        avg = float(lengths.mean()) if self.n and lengths.mean() > 0 else 1.0
        df = Counter(t for r in rows for t in r)
        self.idf = {t: math.log(1.0 + (self.n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.idf_unknown = math.log(1.0 + (self.n + 0.5) / 0.5)
        norm = k1 * (1.0 - b + b * lengths / avg)
        sat_rows = [
            {t: tf * (k1 + 1.0) / (tf + norm[i]) for t, tf in r.items()} for i, r in enumerate(rows)
        ]
        self.postings = _Postings.from_rows(sat_rows)

    def normalized(self, terms: Iterable[str], unknown_weight: float = 1.0) -> np.ndarray:
        unique = set(terms)
        if not unique:
            return np.zeros(self.n)
        weights = {t: self.idf[t] for t in unique if t in self.idf}
        best = sum(weights.values()) + unknown_weight * self.idf_unknown * (
            len(unique) - len(weights)
        )
        raw = self.postings.dot(weights, self.n)
        return raw / ((self.k1 + 1.0) * best) if best > 0 else raw


class Bm25Scorer:
    """BM25 over stemmed content words with per-field weights."""

    def __init__(
        self,
        entries: Sequence[EntryText],
        *,
        mode: str = "entry",
        k1: float = 1.2,
        b: float = 0.75,
        weights: Mapping[str, float] | None = None,
        body_weight: float = 0.3,
        all_words: bool = False,
    ) -> None:
        if mode not in ("entry", "qmax"):
            raise ValueError(f"unknown BM25 mode {mode!r}")
        self.name = f"bm25-{mode}"
        self.mode = mode
        self.all_words = all_words
        self.n = len(entries)
        w = {"questions": 3.0, "title": 2.0, "tags": 2.0, "body": 1.0, **(weights or {})}
        if mode == "entry":
            rows: list[dict[str, float]] = []
            for e in entries:
                row: dict[str, float] = {}
                for fname, texts in _fields(e):
                    if w[fname] <= 0:
                        continue
                    for text in texts:
                        for t in _doc_terms(text, all_words):
                            row[t] = row.get(t, 0.0) + w[fname]
                rows.append(row)
            self._index = _Bm25Index(rows, k1, b)
        else:
            docs: list[dict[str, float]] = []
            owner: list[int] = []
            for i, e in enumerate(entries):
                tag_text = " ".join(e.tags)
                for text in (*e.questions, e.title, tag_text):
                    terms = Counter(_doc_terms(text, all_words))
                    if terms:
                        docs.append(dict(terms))
                        owner.append(i)
            self._owner = np.asarray(owner, dtype=np.int64)
            self._index = _Bm25Index(docs, k1, b)
            self._body = _Bm25Index(
                [dict(Counter(_doc_terms(e.body, all_words))) for e in entries], k1, b
            )
            self.body_weight = body_weight

    def scores(self, query: Query) -> np.ndarray:
        terms = _doc_terms(query.text, True) if self.all_words else query.stems
        if self.mode == "entry":
            return self._index.normalized(terms)
        per_doc = self._index.normalized(terms)
        best = np.zeros(self.n)
        np.maximum.at(best, self._owner, per_doc)
        if self.body_weight <= 0:
            return best
        body = self._body.normalized(terms)
        return (best + self.body_weight * body) / (1.0 + self.body_weight)


def _char_ngrams(tokens: Iterable[str], lo: int, hi: int) -> list[str]:
    grams: list[str] = []
    for tok in tokens:
        padded = f" {tok} "
        for n in range(lo, hi + 1):
            if len(padded) < n:
                break
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


def _word_ngrams(tokens: Sequence[str], lo: int, hi: int) -> list[str]:
    grams: list[str] = []
    for n in range(lo, hi + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


class TfidfScorer:
    """Cosine similarity of TF-IDF vectors (sublinear tf, smooth idf, L2-normalised)."""

    def __init__(
        self,
        entries: Sequence[EntryText],
        *,
        analyzer: str = "char",
        ngram: tuple[int, int] = (3, 5),
        mode: str = "qmax",
        weights: Mapping[str, float] | None = None,
        body_weight: float = 0.3,
    ) -> None:
        if analyzer not in ("char", "word", "allword") or mode not in ("entry", "qmax"):
            raise ValueError("analyzer must be 'char', 'word' or 'allword', mode 'entry' or 'qmax'")
        self.name = f"tfidf-{analyzer}{ngram[0]}{ngram[1]}-{mode}"
        self.analyzer, self.ngram, self.mode = analyzer, ngram, mode
        self.n = len(entries)
        self.body_weight = body_weight
        w = {"questions": 3.0, "title": 2.0, "tags": 2.0, "body": 1.0, **(weights or {})}

        if mode == "entry":
            counts: list[dict[str, float]] = []
            for e in entries:
                c: dict[str, float] = {}
                for fname, texts in _fields(e):
                    if w[fname] <= 0:
                        continue
                    for text in texts:
                        for g in self._grams_of_text(text):
                            c[g] = c.get(g, 0.0) + w[fname]
                counts.append(c)
            self._idf = self._fit_idf(counts)
            self._index = _Postings.from_rows([self._vector(c) for c in counts])
        else:
            docs: list[dict[str, float]] = []
            owner: list[int] = []
            for i, e in enumerate(entries):
                for text in (*e.questions, e.title, " ".join(e.tags)):
                    grams = dict(Counter(self._grams_of_text(text)))
                    if grams:
                        docs.append({g: float(n) for g, n in grams.items()})
                        owner.append(i)
            bodies: list[dict[str, float]] = [
                {g: float(n) for g, n in Counter(self._grams_of_text(e.body)).items()}
                for e in entries
            ]
            self._idf = self._fit_idf(docs + bodies)
            self._owner = np.asarray(owner, dtype=np.int64)
            self._index = _Postings.from_rows([self._vector(c) for c in docs])
            self._body = _Postings.from_rows([self._vector(c) for c in bodies])
            self._n_docs = len(docs)

    def _grams(self, tokens: Sequence[str]) -> list[str]:
        if self.analyzer == "char":
            return _char_ngrams(tokens, *self.ngram)
        return _word_ngrams([stem(t) for t in tokens], *self.ngram)

    def _grams_of_text(self, text: str) -> list[str]:
        return self._grams(self._tokens(text))

    def _tokens(self, text: str) -> list[str]:
        # "allword" keeps stop words: "how long", "what does a mentor do" and "who" carry
        # meaning that content words alone lose. IDF keeps the very common ones light.
        return words(text) if self.analyzer == "allword" else content_words(text)

    @staticmethod
    def _fit_idf(docs: Sequence[Mapping[str, float]]) -> dict[str, float]:
        n = len(docs)
        df = Counter(g for d in docs for g in d)
        return {g: math.log((1 + n) / (1 + c)) + 1.0 for g, c in df.items()}

    def _vector(self, counts: Mapping[str, float]) -> dict[str, float]:
        vec = {
            g: (1.0 + math.log(tf)) * self._idf.get(g, 0.0) for g, tf in counts.items() if tf > 0
        }
        norm = math.sqrt(sum(v * v for v in vec.values()))
        return {g: v / norm for g, v in vec.items()} if norm > 0 else {}

    def _query_vector(self, query: Query) -> dict[str, float]:
        counts = Counter(self._grams_of_text(query.text))
        # Unknown grams get the highest idf: they make the question less similar to all.
        top = max(self._idf.values(), default=1.0)
        vec = {g: (1.0 + math.log(tf)) * self._idf.get(g, top) for g, tf in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values()))
        return {g: v / norm for g, v in vec.items()} if norm > 0 else {}

    def scores(self, query: Query) -> np.ndarray:
        qv = self._query_vector(query)
        if not qv:
            return np.zeros(self.n)
        if self.mode == "entry":
            clipped: np.ndarray = np.clip(self._index.dot(qv, self.n), 0.0, 1.0)
            return clipped
        per_doc = self._index.dot(qv, self._n_docs)
        best = np.zeros(self.n)
        np.maximum.at(best, self._owner, per_doc)
        if self.body_weight <= 0:
            return np.clip(best, 0.0, 1.0)
        body = self._body.dot(qv, self.n)
        return np.clip((best + self.body_weight * body) / (1.0 + self.body_weight), 0.0, 1.0)


class CombinedScorer:
    """A weighted mean of other scorers' scores."""

    def __init__(self, parts: Sequence[tuple[Scorer, float]], name: str | None = None) -> None:
        total = sum(w for _, w in parts)
        if total <= 0:
            raise ValueError("weights must add up to more than zero")
        self.parts = [(s, w / total) for s, w in parts]
        # The learned weights' total: the fused score times this is the softmax logit the
        # fusion was fitted with (`core.faq.evaluation.fit_fusion_weights`).
        self.scale = total
        self.name = name or "+".join(f"{w:.2f}*{s.name}" for s, w in self.parts)

    def scores(self, query: Query) -> np.ndarray:
        return self.scores_with_parts(query)[0]

    def scores_with_parts(
        self, query: Query, reuse: Mapping[str, np.ndarray] | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The combined scores and each part's own scores.

        `reuse` gives ready scores for parts by name, which are then not computed again.
        """
        reuse = reuse or {}
        parts = [
            reuse[scorer.name] if scorer.name in reuse else scorer.scores(query)
            for scorer, _ in self.parts
        ]
        total = np.zeros_like(parts[0], dtype=np.float64)
        for (_, weight), part in zip(self.parts, parts, strict=True):
            total += weight * part
        return total, parts
