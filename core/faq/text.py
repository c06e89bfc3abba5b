"""Text normalisation for FAQ retrieval: words, stop words, synonyms, stems, typo repair."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import snowballstemmer

_WORD_RE = re.compile(r"[a-z0-9]+")
_CONTRACTIONS = (
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'(s|re|ve|ll|d|m)\b"), ""),
)
# Contractions typed without the apostrophe ("dont", "hasnt", "cant"): people often skip it,
# and left alone these would count as words the FAQ does not know. Only forms that are not
# also ordinary words are listed ("wont", "cant" and "id" are rare enough as words here;
# "ill", "were", "well", "shell" are not touched).
_BARE_NOT = re.compile(
    r"\b(do|does|did|is|are|was|were|has|have|had|could|should|would|must|need|ca|wo|ai)nt\b"
)
_BARE_NOT_STEM = {"ca": "can", "wo": "will", "ai": "is"}

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
        # Fillers that say nothing about the topic: left in, they count as words the FAQ
        # does not know and make an in-scope question look off-topic.
        "entirely",
        "completely",
        "totally",
        "basically",
        "exactly",
        "particular",
        "particularly",
        "maybe",
        "probably",
        "somehow",
        "guess",
        "wondering",
        "wonder",
        "quick",
        "else",
        "currently",
        # "that's", "you're" … typed without the apostrophe.
        "thats",
        "theres",
        "heres",
        "youre",
        "theyre",
        "youve",
        "weve",
        "theyve",
        "youll",
        "theyll",
        "whos",
        "wheres",
        "whens",
        "hes",
        "shes",
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


# Chat shorthand people type in a hurry ("can u book the mtg", "perf review"), read as the
# word it stands for, in questions and entries alike. Only forms with no other meaning in a
# mentoring question are listed ("mo", "pto" and "1:1" are not).
SHORTHAND = {
    "u": "you",
    "ur": "your",
    "w": "with",
    "mtg": "meeting",
    "mtgs": "meetings",
    "pls": "please",
    "plz": "please",
    "diff": "difference",
    "perf": "performance",
    "ppl": "people",
    "msg": "message",
    "msgs": "messages",
    "convo": "conversation",
    "convos": "conversations",
    "mgr": "manager",
    "abt": "about",
    "thx": "thanks",
    "wk": "week",
    "wks": "weeks",
}


def normalize(text: str) -> str:
    """Lower-case, fold accents and typographic quotes, expand "n't", drop "'s" and co."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    for pattern, repl in _CONTRACTIONS:
        text = pattern.sub(repl, text)
    return _BARE_NOT.sub(lambda m: _BARE_NOT_STEM.get(m[1], m[1]) + " not", text)


def words(text: str) -> list[str]:
    """All word tokens (letters and digits) of `text`, normalised."""
    return list(_words(text))


@lru_cache(maxsize=16384)
def _words(text: str) -> tuple[str, ...]:
    # Cached: building an index tokenises the same entry texts once per signal.
    return tuple(SHORTHAND.get(w, w) for w in _WORD_RE.findall(normalize(text)))


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


class Synonyms:
    """Word and phrase replacements from the content's synonym table (`faq/_synonyms.yaml`).

    Each alternative (a word or a phrase, e.g. "boss" or "catch up") is replaced by its head
    word ("manager", "meeting") in both the FAQ content and the questions, before stop words
    are dropped, so everyday words meet the words the entries use. Longest match wins.
    """

    def __init__(self, groups: Mapping[str, Sequence[str]] | None = None) -> None:
        self.groups: dict[str, tuple[str, ...]] = {}
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for head, alternatives in (groups or {}).items():
            head_tokens = tuple(words(head))
            self.groups[head] = tuple(alternatives)
            for alt in alternatives:
                alt_tokens = tuple(words(alt))
                if alt_tokens and alt_tokens != head_tokens:
                    self._phrases[alt_tokens] = head_tokens
        self._longest = max((len(k) for k in self._phrases), default=0)
        self.vocabulary = frozenset(
            w for head, alts in self.groups.items() for text in (head, *alts) for w in words(text)
        )

    def __bool__(self) -> bool:
        return bool(self._phrases)

    def __len__(self) -> int:
        return len(self.groups)

    def apply(self, tokens: Sequence[str]) -> list[str]:
        """`tokens` with every alternative replaced by its head's tokens."""
        if not self._phrases:
            return list(tokens)
        out: list[str] = []
        i, n = 0, len(tokens)
        while i < n:
            for size in range(min(self._longest, n - i), 0, -1):
                head = self._phrases.get(tuple(tokens[i : i + size]))
                if head is not None:
                    out.extend(head)
                    i += size
                    break
            else:
                out.append(tokens[i])
                i += 1
        return out

    def canonical_text(self, text: str) -> str:
        """`text` as normalised words, alternatives replaced (input for the scorers)."""
        return " ".join(self.apply(words(text)))


NO_SYNONYMS = Synonyms()

# A word at least this frequent in the spelling dictionary is a real English word: it is
# never "repaired" into a FAQ word ("guild" must not become "build", "dress" not "press").
ENGLISH_MIN_FREQUENCY = 1000


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Common English words (pyspellchecker's bundled English frequency list)."""
    from spellchecker import SpellChecker

    freq = SpellChecker(language="en", distance=1).word_frequency.dictionary
    return frozenset(w for w, n in freq.items() if n >= ENGLISH_MIN_FREQUENCY)


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class TypoFixer:
    """Maps an unknown word to a known one at edit distance 1 (symmetric-delete lookup).

    Covers one inserted, deleted, substituted or swapped letter ("diffrent", "mentorhsip").
    Only words of at least `min_len` letters are repaired, so short words are not guessed, and
    words in `protected` (real words, e.g. `english_words()`) are left as they are.
    """

    def __init__(
        self, vocabulary: Iterable[str], min_len: int = 5, protected: Iterable[str] = ()
    ) -> None:
        self.min_len = min_len
        self.known = set(vocabulary)
        self.protected = frozenset(protected)
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
        if len(word) < self.min_len or word.isdigit() or word in self.protected:
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
