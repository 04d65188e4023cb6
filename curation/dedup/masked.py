"""Masked n-grams: decontamination that survives changed values, names, units and light rewording.

A rewritten benchmark item ("Maria's hens lay 20 eggs a day..." for "Janet's ducks lay 16 eggs per
day...") shares few raw 13-grams with the original. Here both texts are first reduced to a *template*:

* numbers, number words and fractions -> ``#`` (runs of them collapse to one ``#``)
* capitalised words that are not common sentence words -> ``@`` (names, places, brands)
* pronouns -> ``@p``; units, currencies, time words (day, week), articles and "per" are dropped

and the test is **overlap**: the mean of two containments over distinct masked ``n``-grams (default 3),
shared / the item's and shared / the row's. Not "any shared n-gram", because templates make short n-grams
generic ("how many # does @ have"): n-grams found in more than ``max_df`` benchmark items are not counted
at all, and the row side keeps a different problem on the same template from passing as a copy. A row is
contaminated when its best item's overlap reaches the threshold plus ``k / sqrt(item n-grams)``: short
items need more (see bench/RESULTS.md for the numbers).

    >>> from curation.dedup.benchmarks import BenchmarkItem
    >>> from curation.dedup.masked import MaskedIndex, template
    >>> template("Janet's ducks lay 16 eggs per day and she sells them for $2 each.")
    ['@', 's', 'ducks', 'lay', '#', 'eggs', 'and', '@p', 'sells', '@p', 'for', '#', 'each']
    >>> idx = MaskedIndex([("b", BenchmarkItem("7", "", "Janet's ducks lay 16 eggs per day. She eats three."))], n=3)
    >>> idx.best(["Maria's ducks lay twenty eggs per day! He eats 5."])
    {0: ('b', '7', 1.0, 1.0)}
"""

from __future__ import annotations

import functools
import re

import numpy as np

from curation.dedup import fold, ngram_hashes

_TOKEN_RE = re.compile(r"\d+(?:[.,/]\d+)*|[^\W\d_]+")
_SENT_END = re.compile(r"[.!?:;\n]")
_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion dozen dozens half halves twice thrice double triple quarter quarters third thirds fourth fifths"
NUMBER_WORDS = frozenset((_ONES + " " + _TENS).split())
UNITS = frozenset("""dollar dollars cent cents euro euros pound pounds usd mile miles km kilometer kilometers kilometre kilometres
meter meters metre metres cm mm inch inches foot feet yard yards kg kilogram kilograms gram grams g lb lbs ounce ounces oz
liter liters litre litres ml gallon gallons quart quarts cup cups hour hours minute minutes second seconds min mins hr hrs
day days week weeks month months year years percent""".split())
#: dropped: they carry no template information and rewrites add or remove them freely
FILLER = frozenset("a an the per some".split())
PRONOUNS = frozenset("he she him her his hers they them their theirs".split())
#: capitalised words that are not names (sentence starters and the like)
COMMON = frozenset("""i if how what when where which who why whose there then than this that these those it its
after before during while each every all some one two three four five six seven eight nine ten first second third
last next on in at for from to by with without of and but or so as the a an is are was were be been has have had
does do did can could will would should may might must let find calculate determine given suppose assume now today
yesterday tomorrow monday tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december mr mrs ms dr""".split()) | PRONOUNS


@functools.lru_cache(maxsize=1 << 16)  # a corpus repeats its words: decide each (word, position kind) once
def _mask(tok: str, sentence_start: bool) -> str | None:
    low = tok.lower()
    if tok[0].isdigit() or low in NUMBER_WORDS:
        return "#"
    if low in UNITS or low in FILLER:
        return None
    if low in PRONOUNS:
        return "@p"
    if tok[0].isupper() and low not in COMMON and not (sentence_start and low.endswith("ly")):
        return "@"
    return low


def template(text: str) -> list[str]:
    """The masked token sequence of ``text`` (see module docstring)."""
    text = fold(text).replace("’", "'")  # fold applies NFKC to any non-ASCII text
    out: list[str] = []
    last_end = 0
    for m in _TOKEN_RE.finditer(text):
        start = not out or bool(_SENT_END.search(text, last_end, m.start()))
        last_end = m.end()
        t = _mask(m.group(), start)
        if t is None or (t == "#" and out and out[-1] == "#"):
            continue
        out.append(t)
    return out


class MaskedIndex:
    """Distinct masked n-grams of benchmark problem statements, with the items that own each."""

    def __init__(self, items: list[tuple[str, "object"]], n: int = 3, max_df: int = 3, min_grams: int = 4):
        self.n, self.min_grams = n, min_grams
        self.items = [(bench, it.item_id) for bench, it in items]
        grams = [np.unique(ngram_hashes([template(it.prompt)], n, short="whole")[0]) for _, it in items]
        allh = np.concatenate(grams) if grams else np.zeros(0, np.uint64)
        uniq, df = np.unique(allh, return_counts=True)
        generic = uniq[df > max_df]
        self.grams = [g[~np.isin(g, generic)] for g in grams]
        self.size = np.array([len(g) if len(g) >= min_grams else 0 for g in self.grams], dtype=np.int64)
        owner = np.repeat(np.arange(len(items)), [len(g) for g in self.grams])
        flat = np.concatenate(self.grams) if self.grams else np.zeros(0, np.uint64)
        order = np.argsort(flat, kind="stable")
        self.bank, self.owner = flat[order], owner[order]

    def _row_grams(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        flat, off = ngram_hashes([template(t) for t in texts], self.n, short="whole")
        doc = np.repeat(np.arange(len(texts)), np.diff(off))
        pairs = np.unique(np.stack([doc, flat.view(np.int64)]), axis=1)  # distinct n-grams per row
        return pairs[0], pairs[1].view(np.uint64)

    def overlap(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, item, overlap) for every row/item pair sharing a counted n-gram. ``overlap`` is the mean of
        the two containments: shared / the item's counted n-grams, and shared / the row's distinct n-grams
        (a different problem built on the same template has much that the item has not)."""
        if not texts or not len(self.bank):
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        doc, flat = self._row_grams(texts)
        row_size = np.bincount(doc, minlength=len(texts))
        lo, hi = np.searchsorted(self.bank, flat, "left"), np.searchsorted(self.bank, flat, "right")
        cnt = hi - lo
        rows = np.repeat(doc, cnt)
        # positions lo..hi-1 of each hit, flattened without a Python loop
        pos = np.repeat(lo - np.concatenate([[0], np.cumsum(cnt)[:-1]]), cnt) + np.arange(int(cnt.sum()))
        key, shared = np.unique(rows * len(self.items) + self.owner[pos], return_counts=True)
        r, i = key // len(self.items), key % len(self.items)
        # an item or a row of fewer than min_grams counted n-grams is too short to judge by overlap: "What is
        # 25 + 17?" is the one 3-gram "what is #", which many items hold ("... what is half the number ..."),
        # so its row containment was 1.0 and every such row a "copy" (exact and near-copy checks cover short rows)
        ok = (self.size[i] > 0) & (row_size[r] >= self.min_grams)
        r, i, shared = r[ok], i[ok], shared[ok]
        return r, i, (shared / self.size[i] + shared / np.maximum(row_size[r], 1)) / 2

    def penalty(self, k: float) -> np.ndarray:
        """Per item, ``k / sqrt(counted n-grams)``: what a short item's threshold rises by. A 10-gram item
        shares a third of its n-grams with many same-topic problems by chance; a 60-gram item does not."""
        return k / np.sqrt(np.maximum(self.size, 1))

    def best(self, texts: list[str], k: float = 0.0) -> dict[int, tuple[str, str, float, float]]:
        """Row index -> (benchmark, item id, overlap, overlap - penalty) of the item with the highest
        ``overlap - k / sqrt(item n-grams)``, for rows with any overlap."""
        r, i, c = self.overlap(texts)
        m = c - self.penalty(k)[i]
        out: dict[int, tuple[str, str, float, float]] = {}
        for row, item, cont, margin in zip(r.tolist(), i.tolist(), c.tolist(), m.tolist()):
            if row not in out or margin > out[row][3]:
                out[row] = (*self.items[item], cont, margin)
        return out

    def pair(self, text: str, items: list[int]) -> list[float]:
        """Overlap of ``text`` with each benchmark item in ``items`` (their indices)."""
        g = np.unique(ngram_hashes([template(text)], self.n, short="whole")[0])
        if len(g) < self.min_grams:  # too short to judge by overlap (see overlap)
            return [0.0] * len(items)
        return [float((np.isin(self.grams[k], g).sum() / self.size[k] + np.isin(self.grams[k], g).sum() / max(len(g), 1)) / 2)
                if self.size[k] else 0.0 for k in items]
