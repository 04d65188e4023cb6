"""The template matcher's scoring model: a small boosted tree ensemble over the pair features of
:mod:`curation.dedup.template_match`, read from ``template_model.json`` (written by ``bench/calibrate_template.py``).

A linear score cannot say "the same words, *or* the same structure with other words": a rewrite that keeps
the nouns and one that swaps every noun for another class's both stand out, on different features. Depth-2
trees, monotone in every feature but one (more overlap never lowers the score, more quantity mismatch never
raises it), keep that "or" and stay flat outside the range they were fitted on. No scikit-learn at run time:
each tree is arrays of (feature, threshold, left, right, value), evaluated with numpy.

    >>> import numpy as np
    >>> m = TreeModel(["a", "b"], 0.5, [[[0, 1.0, 1, 2, 0.0], [-1, 0.0, -1, -1, -1.0], [-1, 0.0, -1, -1, 2.0]]], 0.0)
    >>> m(np.array([[0.5, 9.0], [3.0, 9.0]])).tolist()
    [-0.5, 2.5]
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).with_name("template_model.json")


class TreeModel:
    """Sum of regression trees plus a baseline; a node is [feature, threshold, left, right, value] (feature -1:
    a leaf with ``value``; ``x[feature] <= threshold`` goes left)."""

    def __init__(self, features: list[str], baseline: float, trees: list[list[list[float]]], threshold: float):
        self.features, self.baseline, self.threshold = list(features), float(baseline), float(threshold)
        self.trees = trees
        width = max((len(t) for t in trees), default=1)
        nodes = np.zeros((len(trees), width, 5))
        nodes[:, :, 0] = -1  # padding: leaves of value 0
        for k, tree in enumerate(trees):
            nodes[k, : len(tree)] = tree
        self.feat, self.thr, self.value = nodes[:, :, 0].astype(np.int64), nodes[:, :, 1], nodes[:, :, 4]
        self.left, self.right = nodes[:, :, 2].astype(np.int64), nodes[:, :, 3].astype(np.int64)
        self.depth = width  # an upper bound on any path's length

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Scores (log-odds) of the rows of ``x`` (columns in :attr:`features` order)."""
        x = np.asarray(x, dtype=float).reshape(-1, len(self.features))
        t = np.arange(len(self.trees))[:, None]
        node = np.zeros((len(self.trees), len(x)), np.int64)
        for _ in range(self.depth):
            f = self.feat[t, node]
            if (f < 0).all():
                break
            go_left = x[np.arange(len(x))[None, :], np.maximum(f, 0)] <= self.thr[t, node]
            node = np.where(f < 0, node, np.where(go_left, self.left[t, node], self.right[t, node]))
        return self.baseline + self.value[t, node].sum(0)

    def to_json(self) -> str:
        return json.dumps({"features": self.features, "baseline": self.baseline, "threshold": self.threshold,
                           "trees": self.trees}, separators=(",", ":"))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "TreeModel":
        try:
            d = json.loads(Path(path).read_text())
            return cls(d["features"], d["baseline"], d["trees"], d["threshold"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path}: not a template model ({e})") from e
