"""Template matching: rewritten benchmark copies (other values, names, units, wording, order) told apart
from different problems that share a topic.

Both texts are reduced to masked templates (:func:`curation.dedup.template_mask.template`: quantities ->
``#`` (fractions ``#/``), people -> ``@``, pronouns -> ``@p``, units and question lead-ins dropped, common
verbs canonical, cut into segments at sentence and clause ends). A (row, item) pair has eighteen features:

* ``s``: IDF-weighted masked 2- and 3-gram overlap (within segments, so reordered or joined sentences keep
  their n-grams), the mean of shared / the item's mass and shared / the row's mass (IDF over the benchmark's
  own items, so template phrases every item has weigh nothing). A row segment with no number that shares
  nothing with the item (a frame: "Think step by step.", "I need to know:") is not counted in the row's mass;
* ``z``: ``s`` against the item's *null*: (s - mean) / std of the item's ``s`` with every other benchmark
  item. A short, generic item ("how much money does @ have left") matches many problems by chance and
  needs much more than a long, specific one;
* ``u``: IDF-weighted share of the item's content words (order-free, so reordered sentences keep it);
* ``dq``: how far apart the row's and the item's quantity counts are, as ranges: a lone "one" may be a
  pronoun, and a row segment about something else (a distractor sentence) may add numbers;
* ``log sd``: how spread the item's null is;
* ``gap``: ``z`` minus the best ``z`` of the row's other candidates. A rewrite stands out against one item; a
  same-topic problem (ages, marbles) scores alike against several;
* ``sf``: the *structure* overlap: 3/4-grams of the template with every word rarer than 10% of the items (the
  things, units, places: ducks, notebooks, credits) one wildcard and a run of wildcards one wildcard, so a
  rewrite that swaps every noun, adds adjectives or renames the units keeps it;
* ``fz``, ``fgap``: ``sf`` against the item's null of ``sf``, and how far it stands out from the row's other
  candidates;
* ``mm``: the plain masked n-gram overlap (:mod:`curation.dedup.masked`: 3-grams, only numbers, names, pronouns
  and units masked, no segments) less its short-item penalty: a second view of the same text, which a rewrite
  that defeats one mask (persona lines, imperative questions, mixed number forms) often leaves to the other;
* ``si``: the item side of ``s`` alone (shared / the item's mass): a rewrite that adds sentences (a frame, a
  distractor, the question asked twice) dilutes the row side, not this;
* ``dmi``, ``dex``: the relation words (:data:`OPS`: times, more, less, than, fractions, percent, each, left, total,
  ...) the item uses and the row does not / the row uses and the item does not, counted. They are common, so the
  overlaps above weigh them nothing, but they are what a problem *does* with its numbers: a rewrite that renames
  every thing keeps them, a same-topic problem (ages, marbles) mostly does not;
* ``ln``: log of the item's template length: a short item stands out less, and the trees may treat it apart;
* ``segcov``, ``segmin``: segment coverage: for each segment (sentence or clause) of the item, the share of its
  distinct tokens found in the row segment that has most of them; their mean and their least. A rewrite states
  every fact of the item somewhere, each in some clause of its own, whatever it adds or moves; a same-topic
  problem shares the opening and the question but tells another fact;
* ``fsegcov``, ``fsegmin``: the same on the structure tokens (every word rarer than 10% of the items one wildcard,
  as for ``sf``), so a clause whose things were all renamed still covers its item clause.

Candidates are each row's ``k`` best items by max(``z``, ``fz``) (a rewrite keeps its words or its structure).
The score is a small boosted-tree model (:mod:`curation.dedup.template_model`, monotone: more overlap never
lowers it) that can say "the same words *or* the same structure", which a weighted sum cannot; a row is
contaminated by its best-scoring item when the score reaches the threshold. The model is fitted by
``bench/calibrate_template.py`` on the calibration half only (even GSM8K test items' rewrites of styles 1-8 and the
development noise vs even GSM8K train rows), and the threshold is the lowest score with at most 0.1%
non-sibling flags on those train rows, each scored by a model fitted without it (4-fold); bench/RESULTS.md reports the other halves and held-out rewrite styles.
The cost is a few sparse products per batch.

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

import re

import numpy as np
from scipy import sparse

from curation.dedup.masked import COMMON, MaskedIndex
from curation.dedup.template_mask import QSEP, SEP, decapitalise, lowercased, parts, quantities, recase, template, uppercased
from curation.dedup.template_model import TreeModel

FEATURES = ("s", "z", "u", "dq", "log_sd", "gap", "sf", "fz", "fgap", "mm", "si", "dmi", "dex", "ln", "segcov", "segmin",
            "fsegcov", "fsegmin")
#: the words that say how a problem's quantities relate (kept by the template; common, so ``s`` and ``u`` weigh
#: them nothing): ``dmi`` / ``dex`` count the ones the item has and the row lacks / the row has and the item lacks
OPS = ("times", "more", "less", "fewer", "than", "#/", "%", "each", "left", "rest", "total", "average", "of")
#: fitted by ``python bench/calibrate_template.py`` (calibration halves only; see bench/RESULTS.md)
MODEL = TreeModel.load()
THRESHOLD = MODEL.threshold
MAX_DF = 0.1  # content words in more than this share of items weigh nothing
GRAM_MAX_DF = 0.1  # same for masked n-grams
FRAME_MAX_DF = 0.2
FRAME_NS = (3, 4)
MIN_TEMPLATE_ITEMS = 50  # fewer benchmark items give no usable IDF or null: decontam leaves matching off
Z_MIN = 2.0  # candidate pairs below this z are dropped (a missing runner-up counts as this)
SD_FLOOR = 0.03  # added (in quadrature) to every null std: a few-item null is not certain
MASKED_N, MASKED_MAX_DF, MASKED_PENALTY = 3, 3, 0.5  # the mm feature: curation.dedup.masked with decontam's defaults
_LOWER_WORDS = re.compile(r"(?<![\w'\u2019])[a-z]+")
_SKIP = ("#", "#/", "%", "@", "@p", SEP, QSEP)  # token ids 0..6: no word (unigram) features
_SEP_IDS = np.array([_SKIP.index(SEP), _SKIP.index(QSEP)], np.uint64)  # no n-gram crosses a segment end
_NUM_IDS = np.array([_SKIP.index("#"), _SKIP.index("#/")], np.uint64)
_ONE = np.uint64(len(_SKIP))  # the id of "#1", a lone "one": a "#" that may be a pronoun


_BITS = 20  # bits per token id in an n-gram code (n <= 3, the top bits say n)


def _distinct(row: np.ndarray, code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((code, row))
    row, code = row[order], code[order]
    new = np.ones(len(row), bool)
    new[1:] = (row[1:] != row[:-1]) | (code[1:] != code[:-1])
    return row[new], code[new]


def _flatten(ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(token ids, row of each token) of all rows."""
    lens = np.fromiter((len(x) for x in ids), np.int64, len(ids))
    tid = np.fromiter((t for x in ids for t in x), np.uint64, int(lens.sum()))
    if len(tid) and int(tid.max()) >= 1 << _BITS:
        raise ValueError(f"template matching: more than {1 << _BITS} distinct tokens in one batch")
    return tid, np.repeat(np.arange(len(ids)), lens)


def _codes(tid: np.ndarray, row_of: np.ndarray, ns: tuple[int, ...], skip: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(row, code) of every distinct token n-gram within each row (rows contiguous in ``tid``; one uint64 each)."""
    counts = np.bincount(row_of) if len(row_of) else np.zeros(0, np.int64)
    end = np.repeat(np.cumsum(counts), counts)
    rows, codes = [], []
    for n in ns:
        m = max(len(tid) - n + 1, 0)
        code = np.full(m, n, np.uint64) << np.uint64(3 * _BITS)
        for k in range(n):
            code |= tid[k : k + m] << np.uint64(_BITS * (n - 1 - k))
        ok = np.arange(m) + n <= end[:m]
        if skip is not None and n == 1:
            ok &= ~np.isin(tid[:m], skip)
        rows.append(row_of[:m][ok])
        codes.append(code[ok])
    return _distinct(np.concatenate(rows), np.concatenate(codes))


def _at(key: np.ndarray, keys: np.ndarray, vals: np.ndarray) -> np.ndarray:
    """``vals`` at ``key`` (0 where ``keys`` lacks it: the pair shares nothing)."""
    order = np.argsort(keys)
    keys, vals = keys[order], vals[order]
    pos = np.minimum(np.searchsorted(keys, key), max(len(keys) - 1, 0))
    return np.where(keys[pos] == key, vals[pos], 0.0) if len(keys) else np.zeros(len(key))


def _spread(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, k) for k in range(counts[owner]) of every owner, flat."""
    owner = np.repeat(np.arange(len(counts)), counts)
    start = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - start[owner]


def _seg_sets(cut: "_Cut", width: int, tid: np.ndarray | None = None) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Binary (segment x token) matrix of each segment's distinct tokens (``tid``, default the cut's; ids under
    ``width``: others are no item's), each row's first segment and its number of segments."""
    tid = cut.tid if tid is None else tid
    keep = tid < np.uint64(width)
    m = sparse.csr_matrix((np.ones(int(keep.sum())), (cut.seg[keep], tid[keep].astype(np.int64))), shape=(cut.n, width))
    m.sum_duplicates()
    m.data[:] = 1.0
    count = np.bincount(cut.row, minlength=cut.n_rows)
    return m, np.cumsum(count) - count, count


def _gap(r: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Each pair's ``z`` minus the best ``z`` of the row's other candidates (:data:`Z_MIN` if it has none);
    ``r`` sorted."""
    best = np.full(int(r.max()) + 1 if len(r) else 0, -np.inf)
    np.maximum.at(best, r, z)
    top = z == best[r]
    count = np.bincount(r[top], minlength=len(best))  # ties: the runner-up is as good
    second = np.full(len(best), -np.inf)
    np.maximum.at(second, r[~top], z[~top])
    second = np.where(count[r] > 1, best[r], np.maximum(second[r], Z_MIN))
    return np.where(top, z - second, z - best[r])


class _Cut:
    """A batch's token ids cut into segments at SEP/QSEP: flat ids by segment, each segment's row, and its
    (fewest, most) quantities (:func:`curation.dedup.template_mask.quantities`); a lone "one" reads as ``#``."""

    def __init__(self, ids: list[list[int]]):
        tid, row_of = _flatten(ids)
        sep = np.isin(tid, _SEP_IDS)
        start = np.ones(len(tid), bool)
        start[1:] = (row_of[1:] != row_of[:-1]) | sep[:-1]
        seg = (np.cumsum(start) - 1)[~sep]
        _, first, self.seg = np.unique(seg, return_index=True, return_inverse=True)  # empty segments dropped
        self.row, self.tid = row_of[~sep][first], tid[~sep]
        self.n_rows, self.n = len(ids), len(first)
        one = self.tid == _ONE
        most = np.bincount(self.seg, np.isin(self.tid, _NUM_IDS) | one, self.n)
        self.q = np.stack([most - np.bincount(self.seg, one, self.n), most], 1)
        self.tid = np.where(one, np.uint64(0), self.tid)

    def codes(self, ns: tuple[int, ...], skip: np.ndarray | None = None, tid: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(segment, code) of the distinct n-grams of each segment."""
        return _codes(self.tid if tid is None else tid, self.seg, ns, skip)

    def by_row(self, seg: np.ndarray, code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _distinct(self.row[seg], code)


class _Vocab:
    """n-gram codes of the benchmark items with IDF weights; codes no item has are unknown (weight ``unknown``)."""

    def __init__(self, row: np.ndarray, code: np.ndarray, n: int, max_df: float = 1.0):
        uniq, df = np.unique(code, return_counts=True)
        # terms in more than max_df of the items say nothing: left out (weight 0, and no sparse entries)
        common = df > max(max_df * n, 1)
        self.common, self.codes = uniq[common], uniq[~common]
        self.idf = np.log((n + 1) / (df[~common] + 1.0))
        self.unknown = float(np.log(n + 1))
        self.items = self.encode(row, code, n)[0].multiply(self.idf[None, :]).tocsr()
        self.mass = np.maximum(np.asarray(self.items.sum(1)).ravel(), 1e-9)

    def encode(self, row: np.ndarray, code: np.ndarray, n_rows: int) -> tuple[sparse.csr_matrix, np.ndarray]:
        """Binary term matrix of distinct (row, code) pairs and each row's IDF mass (an unknown term weighs
        ``unknown``, a common one nothing)."""
        pos = np.minimum(np.searchsorted(self.codes, code), max(len(self.codes) - 1, 0))
        known = self.codes[pos] == code if len(self.codes) else np.zeros(len(code), bool)
        cpos = np.minimum(np.searchsorted(self.common, code), max(len(self.common) - 1, 0))
        common = self.common[cpos] == code if len(self.common) else np.zeros(len(code), bool)
        w = np.where(known, self.idf[pos] if len(self.idf) else 0.0, np.where(common, 0.0, self.unknown))
        m = sparse.csr_matrix((np.ones(int(known.sum())), (row[known], pos[known])), shape=(n_rows, len(self.codes)))
        return m, np.bincount(row, w, n_rows)


class TemplateIndex:
    """Masked-template features of benchmark problem statements, with each item's null (see module doc)."""

    def __init__(self, items: list[tuple[str, "object"]], ns: tuple[int, ...] = (2, 3), k: int = 3,
                 null_rows: int = 2000, seed: int = 0):
        self.items = [(bench, it.item_id) for bench, it in items]
        self.prompts = {(bench, it.item_id): it.prompt for bench, it in items}  # for a judge's second look
        self.ns, self.k = ns, k
        toks = [template(it.prompt) for _, it in items]
        # the benchmark's own lower-case words: in a lower-cased row, any other word is a name (:func:`recase`)
        self.known = frozenset(w for _, it in items for w in _LOWER_WORDS.findall(it.prompt))
        self.tokens: dict[str, int] = {t: k for k, t in enumerate((*_SKIP, "#1"))}
        ids = [[self.tokens.setdefault(t, len(self.tokens)) for t in x] for x in toks]
        self.op_ids = np.array([self.tokens.setdefault(t, len(self.tokens)) for t in OPS], np.uint64)
        self.item_ops = self._ops(_Cut(ids))
        self.log_len = np.log(np.maximum([len(t) for t in toks], 1))
        # no word feature for the masks nor for function words ("do", "if": rewrites drop or swap them)
        self.skip = np.array(sorted({self.tokens[t] for t in (*_SKIP, *COMMON) if t in self.tokens}), np.uint64)
        cut = _Cut(ids)
        self.grams = _Vocab(*cut.by_row(*cut.codes(ns)), len(ids), max_df=GRAM_MAX_DF)
        self.words = _Vocab(*cut.by_row(*cut.codes((1,), self.skip)), len(ids), max_df=MAX_DF)
        # the structure: every word rarer than MAX_DF (the content: ducks, muffins) becomes one wildcard
        self.frame_keep = np.isin(np.arange(len(self.tokens)), (self.words.common & ((1 << _BITS) - 1)).astype(np.int64))
        self.frame_keep[self.skip.astype(np.int64)] = True  # masks and function words stay
        self.frames = _Vocab(*cut.by_row(*self._frame_codes(cut)), len(ids), max_df=FRAME_MAX_DF)
        # segment token sets for segcov / fsegcov: the item's own tokens and its structure (rare words wildcarded)
        self.iseg, self.iseg_start, self.iseg_count = _seg_sets(cut, len(self.tokens))
        self.ifseg = _seg_sets(cut, len(self.frame_keep) + 1, self._frame(cut.tid))[0]
        self.quantities = np.array([quantities(t) for t in toks]).reshape(-1, 2)
        self.masked = MaskedIndex(items, MASKED_N, MASKED_MAX_DF)
        self.masked_penalty = self.masked.penalty(MASKED_PENALTY)
        (self.mu, self.sd), (self.fmu, self.fsd) = self._null(ids, null_rows, seed)

    def _ops(self, cut: _Cut) -> np.ndarray:
        """How often each row uses each word of :data:`OPS` (rows x ops)."""
        order = np.argsort(self.op_ids)
        pos = np.minimum(np.searchsorted(self.op_ids[order], cut.tid), len(OPS) - 1)
        hit = self.op_ids[order][pos] == cut.tid
        key = cut.row[cut.seg[hit]] * len(OPS) + order[pos[hit]]
        return np.bincount(key, minlength=cut.n_rows * len(OPS)).reshape(cut.n_rows, len(OPS)).astype(float)

    def _frame(self, tid: np.ndarray) -> np.ndarray:
        keep, star = self.frame_keep, len(self.frame_keep)
        known = tid < np.uint64(star)
        out = np.full(len(tid), star, np.uint64)
        out[known] = np.where(keep[tid[known].astype(np.int64)], tid[known], np.uint64(star))
        return out

    def _frame_codes(self, cut: _Cut) -> tuple[np.ndarray, np.ndarray]:
        """(segment, code) of the structure n-grams: rare words wildcarded, a run of wildcards one wildcard
        ("3 fresh red apples" and "3 notebooks" are both ``# ~``)."""
        tid = self._frame(cut.tid)
        star = tid == np.uint64(len(self.frame_keep))
        run = np.zeros(len(tid), bool)
        run[1:] = star[1:] & star[:-1] & (cut.seg[1:] == cut.seg[:-1])
        return _codes(tid[~run], cut.seg[~run], FRAME_NS)

    def _frame_overlap(self, cut: _Cut, r: np.ndarray | None = None, c: np.ndarray | None = None):
        """(row, item, structure overlap) for the given pairs, or for every pair that shares a structure n-gram."""
        fm, fmass = self.frames.encode(*cut.by_row(*self._frame_codes(cut)), cut.n_rows)
        if r is None:
            hit = (fm @ self.frames.items.T).tocoo()
            r, c, fs = hit.row.astype(np.int64), hit.col.astype(np.int64), hit.data
        else:
            fs = np.asarray(fm[r].multiply(self.frames.items[c]).sum(1)).ravel()
        return r, c, (fs / self.frames.mass[c] + fs / np.maximum(fmass[r], 1e-9)) / 2

    def _null(self, ids: list[list[int]], null_rows: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
        # each item's s and structure overlap against (a sample of) the other items: chance level and spread
        n = len(ids)
        ref = np.arange(n) if n <= null_rows else np.sort(np.random.default_rng(seed).choice(n, null_rows, replace=False))
        cut = _Cut([ids[i] for i in ref])
        out = []
        for r, c, s in (self._overlap(cut), self._frame_overlap(cut)):
            keep = ref[r] != c  # not the item with itself
            c, s = c[keep], s[keep]
            m = np.maximum(len(ref) - np.isin(np.arange(n), ref), 1)  # others per item (zeros included)
            mean = np.bincount(c, s, n) / m
            var = np.bincount(c, s * s, n) / m - mean**2
            out.append((mean, np.sqrt(np.maximum(var, 0) + SD_FLOOR**2)))
        return out

    def _ids(self, toks: list[list[str]]) -> list[list[int]]:
        local = dict(self.tokens)  # tokens no item has get batch-local ids: their n-grams are unknown
        return [[local.setdefault(t, len(local)) for t in x] for x in toks]

    def _overlap(self, cut: _Cut) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        srow, scode = cut.codes(self.ns)
        m, rm = self.grams.encode(*cut.by_row(srow, scode), cut.n_rows)
        shared = (m @ self.grams.items.T).tocoo()
        r, c, v = shared.row.astype(np.int64), shared.col.astype(np.int64), shared.data
        # a segment with no number that shares nothing with the item (a frame: "think step by step") is not
        # held against the row
        bare = cut.q[:, 1] == 0
        ms, smass = self.grams.encode(srow, scode, cut.n)
        hit = (ms[bare] @ self.grams.items.T).tocoo()
        srow_b = cut.row[bare]
        kept = sparse.csr_matrix((smass[bare][hit.row], (srow_b[hit.row], hit.col)), shape=(cut.n_rows, len(self.items)))
        lm = rm[r] - np.bincount(srow_b, smass[bare], cut.n_rows)[r] + (np.asarray(kept[r, c]).ravel() if len(r) else 0)
        return r, c, (v / self.grams.mass[c] + v / np.maximum(lm, np.maximum(v, 1e-9))) / 2

    def _candidates(self, cut: _Cut) -> tuple[np.ndarray, ...]:
        """(row, item, s, z, sf, fz) of each row's ``k`` best items by max(z, fz): a rewrite that swaps the nouns
        keeps its structure (fz), one that keeps them keeps its masked n-grams (z)."""
        n = len(self.items)
        r, c, s = self._overlap(cut)
        fr, fc, sf = self._frame_overlap(cut)
        z, fz = (s - self.mu[c]) / self.sd[c], (sf - self.fmu[fc]) / self.fsd[fc]
        near, fnear = z >= Z_MIN, fz >= Z_MIN  # far below any rewrite (their z is 5 and up): not worth sorting
        key = np.unique(np.concatenate([r[near] * n + c[near], fr[fnear] * n + fc[fnear]]))
        s, sf = _at(key, r * n + c, s), _at(key, fr * n + fc, sf)
        r, c = key // n, key % n
        z, fz = (s - self.mu[c]) / self.sd[c], (sf - self.fmu[c]) / self.fsd[c]
        order = np.lexsort((-np.maximum(z, fz), r))
        r, c, s, z, sf, fz = r[order], c[order], s[order], z[order], sf[order], fz[order]
        first = np.searchsorted(r, r, "left")
        keep = (np.arange(len(r)) - first) < self.k
        return r[keep], c[keep], s[keep], z[keep], sf[keep], fz[keep]

    def features(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, item, features) for each row's ``k`` best items; features in :data:`FEATURES` order."""
        texts = [recase(decapitalise(t), self.known) if uppercased(t) else recase(t, self.known) if lowercased(t) else t
                 for t in texts]
        toks = [template(t) for t in texts]
        cut = _Cut(self._ids(toks))
        r, c, s, z, sf, fz = self._candidates(cut)
        gap, fgap = _gap(r, z), _gap(r, fz)
        words = self.words.encode(*cut.by_row(*cut.codes((1,), self.skip)), cut.n_rows)[0]
        u = np.asarray(words[r].multiply(self.words.items[c]).sum(1)).ravel() / self.words.mass[c]
        q, iq = self._quantities(cut, r, c), self.quantities[c]
        dq = np.maximum(0, np.maximum(q[:, 0] - iq[:, 1], iq[:, 0] - q[:, 1]))  # (fewest, most) ranges apart
        grams = self.grams.encode(*cut.by_row(*cut.codes(self.ns)), cut.n_rows)[0]
        si = np.asarray(grams[r].multiply(self.grams.items[c]).sum(1)).ravel() / self.grams.mass[c]
        ops = self._ops(cut)[r] - self.item_ops[c]
        dmi, dex = np.maximum(-ops, 0).sum(1), np.maximum(ops, 0).sum(1)
        return r, c, np.stack([s, z, u, dq, np.log(self.sd[c]), gap, sf, fz, fgap, self._masked(texts, r, c), si, dmi, dex,
                               self.log_len[c], *self._coverage(cut, r, c)], 1)

    def _coverage(self, cut: _Cut, r: np.ndarray, c: np.ndarray) -> list[np.ndarray]:
        """``segcov``, ``segmin``, ``fsegcov``, ``fsegmin``: each item segment's best share of its distinct tokens
        (then of its structure tokens) found in one row segment; their mean and their least."""
        if not len(r):
            return [np.zeros(0)] * 4
        pair, k = _spread(self.iseg_count[c])  # (pair, item segment)
        iseg = self.iseg_start[c][pair] + k
        out = []
        for items, tid in ((self.iseg, None), (self.ifseg, self._frame(cut.tid))):
            rseg, rstart, rcount = _seg_sets(cut, items.shape[1], tid)
            ps, j = _spread(rcount[r][pair])  # ((pair, item segment), row segment)
            size = np.maximum(np.asarray(items.sum(1)).ravel()[iseg], 1)
            share = np.asarray(items[iseg[ps]].multiply(rseg[rstart[r][pair][ps] + j]).sum(1)).ravel()
            best = np.zeros(len(pair))
            np.maximum.at(best, ps, share / size[ps])
            least = np.ones(len(r))
            np.minimum.at(least, pair, best)
            out += [np.bincount(pair, best, len(r)) / np.maximum(self.iseg_count[c], 1), least]
        return out

    def _masked(self, texts: list[str], r: np.ndarray, c: np.ndarray) -> np.ndarray:
        """``mm``: the masked n-gram overlap (:mod:`curation.dedup.masked`, a plainer mask: names, pronouns,
        numbers and units only) less its short-item penalty, -1 where the pair shares no counted n-gram."""
        mr, mc, ov = self.masked.overlap(texts)
        n = len(self.items)
        hit = _at(r * n + c, mr * n + mc, ov - self.masked_penalty[mc] + 2.0)  # shifted: 0 means "absent"
        return np.where(hit > 0, hit - 2.0, -1.0)

    def _quantities(self, cut: _Cut, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        """(fewest, most) quantities of row ``r`` as a copy of item ``c``. A rewrite may add numbers (a
        distractor sentence, "here is one from my homework"), so the fewest leaves out a lone "one" and the
        segments with words of their own of which the item has none ("it had rained for 12 days")."""
        seg_row, segq, n = cut.row, cut.q.astype(float), cut.n_rows
        words, mass = self.words.encode(*cut.codes((1,), self.skip), cut.n)
        own = mass > 0
        hit = (words[own] @ self.words.items.T).tocoo()
        shared = sparse.csr_matrix((segq[own][hit.row, 0], (seg_row[own][hit.row], hit.col)), shape=(n, len(self.items)))
        rest = np.bincount(seg_row[~own], segq[~own, 0], n)  # segments of common words only: always count
        fewest = rest[r] + (np.asarray(shared[r, c]).ravel() if len(r) else 0)
        return np.stack([fewest, np.bincount(seg_row, segq[:, 1], n)[r]], 1)

    def best(self, texts: list[str], model: TreeModel | None = None) -> dict[int, tuple[tuple[str, str], float, tuple[float, ...]]]:
        """Row index -> ((benchmark, item id), score, features) of its best-scoring item, for rows with any."""
        if not texts or not self.items:
            return {}
        # a row that may hold several problems, or a problem and its solution, is scored part by part
        # (:func:`curation.dedup.template_mask.parts`): its best-scoring part
        pieces = [(k, p) for k, t in enumerate(texts) for p in parts(t)]
        owner = [k for k, _ in pieces]
        r, c, f = self.features([p for _, p in pieces])
        score = (model or MODEL)(f)
        out: dict[int, tuple[tuple[str, str], float, tuple[float, ...]]] = {}
        for piece, item, sc, feats in zip(r.tolist(), c.tolist(), score.tolist(), f.tolist()):
            row = owner[piece]
            if row not in out or sc > out[row][1]:
                out[row] = (self.items[item], sc, tuple(feats))
        return out
