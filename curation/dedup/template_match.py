"""Template matching: rewritten benchmark copies (other values, names, units, wording, order) told apart
from different problems that share a topic.

Both texts are reduced to masked templates (:func:`curation.dedup.masked.template`: numbers -> ``#``,
names -> ``@``, pronouns -> ``@p``, units dropped). A (row, item) pair is then scored by five features:

* ``s``: IDF-weighted masked 2- and 3-gram overlap, the mean of shared / the item's mass and shared / the
  row's mass (IDF over the benchmark's own items, so template phrases every item has weigh nothing);
* ``z``: ``s`` against the item's *null*: (s - mean) / std of the item's ``s`` with every other benchmark
  item. A short, generic item ("how much money does @ have left") matches many problems by chance and
  needs much more than a long, specific one;
* ``u``: IDF-weighted share of the item's content words (order-free, so reordered sentences keep it);
* ``dq``: how many more or fewer quantities the row has than the item (a rewrite keeps the count);
* ``log sd``: how spread the item's null is;
* ``gap``: ``z`` minus the best ``z`` of the row's other items. A rewrite stands out against one item; a
  same-topic problem (ages, marbles) scores alike against several.

The score is ``weights . (s, z, u, dq, log sd, gap)``; a row is contaminated by its best-scoring item when the
score reaches the threshold. The weights are a logistic regression fitted by ``bench/bench_decontam.py
--calibrate`` on the calibration half only (even GSM8K test items' rewrites vs even GSM8K train rows); the
figures in bench/RESULTS.md are on the other halves and on a rewrite style never calibrated on. Only the
few best items per row by ``z`` are scored, so the cost is one sparse product per batch.

    >>> from curation.dedup.benchmarks import load_benchmark
    >>> from curation.dedup.template_match import THRESHOLD, TemplateIndex
    >>> idx = TemplateIndex([("gsm8k_test", it) for it in load_benchmark("gsm8k_test").items])
    >>> item, score, features = idx.best(["Maria's hens lay 20 eggs a day. She eats five for breakfast each morning "
    ...     "and bakes cakes for her pals every day with six. She sells the remainder at the market daily for $3 per "
    ...     "fresh hen egg. How much in euros does she make every day at the market?"])[0]
    >>> item, score >= THRESHOLD
    (('gsm8k_test', '0'), True)
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from curation.dedup.masked import template

FEATURES = ("s", "z", "u", "dq", "log_sd", "gap")
#: fitted by ``python bench/bench_decontam.py --calibrate`` (calibration halves only; see bench/RESULTS.md)
WEIGHTS = (0.79, 0.01, 5.99, -1.49, 2.65, 0.51)
THRESHOLD = -0.14
MAX_DF = 0.1  # content words in more than this share of items weigh nothing
GRAM_MAX_DF = 0.1  # same for masked n-grams
MIN_TEMPLATE_ITEMS = 50  # fewer benchmark items give no usable IDF or null: decontam leaves matching off
Z_MIN = 2.0  # candidate pairs below this z are dropped (a missing runner-up counts as this)
SD_FLOOR = 0.03  # added (in quadrature) to every null std: a few-item null is not certain
_SKIP = frozenset(("#", "@", "@p"))


def _grams(toks: list[str], ns: tuple[int, ...]) -> set[str]:
    return {" ".join(toks[i : i + n]) for n in ns for i in range(len(toks) - n + 1)}


class _Vocab:
    """Terms of the benchmark items with IDF weights; terms no item has are unknown (weight ``unknown``)."""

    def __init__(self, term_sets: list[set[str]], max_df: float = 1.0):
        n = len(term_sets)
        df: dict[str, int] = {}
        for s in term_sets:
            for t in s:
                df[t] = df.get(t, 0) + 1
        # terms in more than max_df of the items say nothing: left out (weight 0, and no sparse entries)
        self.common = frozenset(t for t, d in df.items() if d > max(max_df * n, 1))
        self.ids = {t: k for k, t in enumerate(t for t in df if t not in self.common)}
        self.idf = np.log((n + 1) / (np.array([df[t] for t in self.ids], dtype=float) + 1))
        self.unknown = float(np.log(n + 1))
        self.lookup = {**dict.fromkeys(self.common, -2), **self.ids}
        self.items = self.encode(term_sets)[0].multiply(self.idf[None, :]).tocsr()
        self.mass = np.maximum(np.asarray(self.items.sum(1)).ravel(), 1e-9)

    def encode(self, term_sets: list[set[str]]) -> tuple[sparse.csr_matrix, np.ndarray]:
        """Binary term matrix of ``term_sets`` and each set's IDF mass (an unknown term weighs ``unknown``,
        a common one nothing), in one pass of dictionary look-ups."""
        look = self.lookup
        code = np.fromiter((look.get(t, -1) for s in term_sets for t in s), np.int64)
        row = np.repeat(np.arange(len(term_sets)), [len(s) for s in term_sets])
        weight = np.append(self.idf, [self.unknown, 0.0])  # ..., unknown (-1), common (-2)
        mass = np.bincount(row, weight[np.where(code >= 0, code, len(self.idf) - code - 1)], len(term_sets))
        known = code >= 0
        m = sparse.csr_matrix((np.ones(int(known.sum())), (row[known], code[known])), shape=(len(term_sets), len(self.idf)))
        return m, mass


class TemplateIndex:
    """Masked-template features of benchmark problem statements, with each item's null (see module doc)."""

    def __init__(self, items: list[tuple[str, "object"]], ns: tuple[int, ...] = (2, 3), k: int = 3,
                 null_rows: int = 2000, seed: int = 0):
        self.items = [(bench, it.item_id) for bench, it in items]
        self.ns, self.k = ns, k
        toks = [template(it.prompt) for _, it in items]
        self.grams = _Vocab([_grams(t, ns) for t in toks], max_df=GRAM_MAX_DF)
        self.words = _Vocab([set(t) - _SKIP for t in toks], max_df=MAX_DF)
        self.quantities = np.array([t.count("#") for t in toks])
        self.mu, self.sd = self._null(toks, null_rows, seed)

    def _null(self, toks: list[list[str]], null_rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        # each item's s against (a sample of) the other items: its chance level and spread
        n = len(toks)
        ref = np.arange(n) if n <= null_rows else np.sort(np.random.default_rng(seed).choice(n, null_rows, replace=False))
        r, c, s = self._overlap([_grams(toks[i], self.ns) for i in ref])
        keep = ref[r] != c  # not the item with itself
        c, s = c[keep], s[keep]
        m = np.maximum(len(ref) - np.isin(np.arange(n), ref), 1)  # others per item (zeros included)
        mean = np.bincount(c, s, n) / m
        var = np.bincount(c, s * s, n) / m - mean**2
        return mean, np.sqrt(np.maximum(var, 0) + SD_FLOOR**2)

    def _overlap(self, gram_sets: list[set[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        m, rm = self.grams.encode(gram_sets)
        shared = (m @ self.grams.items.T).tocoo()
        r, c, v = shared.row.astype(np.int64), shared.col.astype(np.int64), shared.data
        rm = np.maximum(rm, 1e-9)
        return r, c, (v / self.grams.mass[c] + v / rm[r]) / 2

    def features(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, item, features) for each row's ``k`` best items by ``z``; features in :data:`FEATURES` order."""
        toks = [template(t) for t in texts]
        r, c, s = self._overlap([_grams(t, self.ns) for t in toks])
        z = (s - self.mu[c]) / self.sd[c]
        near = z >= Z_MIN  # far below any rewrite (their z is 5 and up): not worth sorting
        r, c, s, z = r[near], c[near], s[near], z[near]
        order = np.lexsort((-z, r))
        r, c, s, z = r[order], c[order], s[order], z[order]
        first = np.searchsorted(r, r, "left")
        keep = (np.arange(len(r)) - first) < self.k
        r, c, s, z = r[keep], c[keep], s[keep], z[keep]
        first = np.searchsorted(r, r, "left")  # each row's best item, now at its group's start
        nxt = np.minimum(first + 1, max(len(r) - 1, 0))
        second = np.where((first + 1 < len(r)) & (r[nxt] == r), z[nxt], Z_MIN)  # the row's runner-up
        gap = np.where(np.arange(len(r)) == first, z - second, z - z[first])
        words = self.words.encode([set(t) - _SKIP for t in toks])[0]
        u = np.asarray(words[r].multiply(self.words.items[c]).sum(1)).ravel() / self.words.mass[c]
        q = np.array([t.count("#") for t in toks])
        dq = np.abs(q[r] - self.quantities[c])
        return r, c, np.stack([s, z, u, dq, np.log(self.sd[c]), gap], 1)

    def best(self, texts: list[str], weights: tuple[float, ...] = WEIGHTS) -> dict[int, tuple[tuple[str, str], float, tuple[float, ...]]]:
        """Row index -> ((benchmark, item id), score, features) of its best-scoring item, for rows with any."""
        if not texts or not self.items:
            return {}
        r, c, f = self.features(texts)
        score = f @ np.asarray(weights, dtype=float)
        out: dict[int, tuple[tuple[str, str], float, tuple[float, ...]]] = {}
        for row, item, sc, feats in zip(r.tolist(), c.tolist(), score.tolist(), f.tolist()):
            if row not in out or sc > out[row][1]:
                out[row] = (self.items[item], sc, tuple(feats))
        return out
