"""Text normalisation for FAQ retrieval: words, stop words, stems, typo repair."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

_WORD_RE = re.compile(r"[a-z0-9]+")
_CONTRACTIONS = (
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'(s|re|ve|ll|d|m)\b"), ""),
)

# Words that carry no topic. Question words are included: "how"/"what"/"who" appear in
# nearly every question, and leaving them in makes off-topic questions look on-topic.
# "not", "no", "none", "both", "more" and "other" are deliberately kept.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "me",
        "my",
        "mine",
        "myself",
        "we",
        "us",
        "our",
        "ours",
        "you",
        "your",
        "yours",
        "yourself",
        "it",
        "its",
        "itself",
        "he",
        "him",
        "his",
        "she",
        "her",
        "hers",
        "they",
        "them",
        "their",
        "theirs",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "is",
        "are",
        "am",
        "be",
        "been",
        "being",
        "was",
        "were",
        "do",
        "does",
        "did",
        "doing",
        "done",
        "have",
        "has",
        "had",
        "having",
        "to",
        "of",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "into",
        "onto",
        "about",
        "as",
        "than",
        "then",
        "so",
        "if",
        "or",
        "and",
        "but",
        "nor",
        "what",
        "whats",
        "how",
        "hows",
        "why",
        "when",
        "where",
        "who",
        "whom",
        "whose",
        "which",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "ll",
        "ve",
        "re",
        "just",
        "also",
        "any",
        "some",
        "anything",
        "something",
        "someone",
        "anyone",
        "thing",
        "things",
        "stuff",
        "pls",
        "plz",
        "please",
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "ok",
        "okay",
        "yes",
        "yeah",
        "um",
        "actually",
        "really",
        "even",
        "anyway",
        "im",
        "id",
        "ive",
        "get",
        "got",
        "getting",
        "gets",
        "go",
        "going",
        "gonna",
        "wanna",
        "want",
        "wants",
        "wanted",
        "like",
        "one",
        "ones",
        "lot",
        "lots",
        "bit",
        "very",
        "much",
        "many",
        "still",
        "already",
        "ever",
        "put",
    ]
)

_stemmer = snowballstemmer.stemmer("english")

# Domain words the stemmer would merge or split wrongly. "mentoring" (the activity) and
# "mentor" (the person) are different questions here ("what is mentoring?" vs "what does a
# mentor do?"), "being mentored" is about the mentee, and British and American spellings
# should meet.
CANONICAL = {
    "mentoring": "mentoring",
    "mentorship": "mentoring",
    "mentorships": "mentoring",
    "mentored": "mentee",
    "programme": "program",
    "programmes": "program",
    "enrol": "enrol",
    "enroll": "enrol",
    "enrolment": "enrol",
    "enrollment": "enrol",
    "organise": "organ",
    "organize": "organ",
}


def normalize(text: str) -> str:
    """Lower-case, fold accents and typographic quotes, expand "n't", drop "'s" and co."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    for pattern, repl in _CONTRACTIONS:
        text = pattern.sub(repl, text)
    return text


def words(text: str) -> list[str]:
    """All word tokens (letters and digits) of `text`, normalised."""
    return _WORD_RE.findall(normalize(text))


def content_words(text: str) -> list[str]:
    """Word tokens without stop words."""
    return [w for w in words(text) if w not in STOPWORDS]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    canonical = CANONICAL.get(word)
    if canonical is not None:
        return canonical
    return str(_stemmer.stemWord(word))


def stems(tokens: Iterable[str]) -> list[str]:
    return [stem(t) for t in tokens]


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class TypoFixer:
    """Maps an unknown word to a known one at edit distance 1 (symmetric-delete lookup).

    Covers one inserted, deleted, substituted or swapped letter ("diffrent", "mentorhsip").
    Only words of at least `min_len` letters are repaired, so short words are not guessed.
    """

    def __init__(self, vocabulary: Iterable[str], min_len: int = 5) -> None:
        self.min_len = min_len
        self.known = set(vocabulary)
        self._by_delete: dict[str, set[str]] = {}
        for word in self.known:
            if len(word) < min_len - 1:
                continue
            for key in _deletes(word) | {word}:
                self._by_delete.setdefault(key, set()).add(word)

    def fix(self, word: str) -> str | None:
        """The known word closest to `word`, `word` itself if known, or None."""
        if word in self.known:
            return word
        if len(word) < self.min_len or word.isdigit():
            return None
        candidates: set[str] = set()
        for key in _deletes(word) | {word}:
            candidates |= self._by_delete.get(key, set())
        candidates = {c for c in candidates if _within_one_edit(word, c)}
        if not candidates:
            return None
        # Deterministic choice: prefer same length (substitution/swap), then alphabetical.
        return min(candidates, key=lambda c: (abs(len(c) - len(word)), c))


def _within_one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if la > lb:
        a, b = b, a
    # b is one longer than a: deleting one letter of b gives a.
    return any(b[:i] + b[i + 1 :] == a for i in range(len(b)))
