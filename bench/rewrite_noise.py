"""A development "noise" rewrite of GSM8K problems (round 4): not a plausible writer's style but generic damage,
so that a matcher tuned on it learns "same structure" rather than one generator's word lists.

Written after styles 1-4 and 5 existed, knowing only their descriptions (not their misses), and used to develop
and calibrate the round-4 template features (with style 1): styles 4 and 5 stay held out. What it does:

1. each distinct content word (a lowercase word that is not an English function word) is replaced, with
   probability ``p`` and the same way everywhere in the problem, by a random word of the GSM8K *train*
   vocabulary (any part of speech: nouns, verbs, adjectives, units alike);
2. each name is replaced by a random capitalised train word; every number gets a random new value;
3. the fact sentences are shuffled, and with probability 1/2 a sentence of another (random) train problem,
   numbers and all, is inserted somewhere;
4. a random instruction frame goes around it.

    >>> import random
    >>> from bench.rewrite_noise import Noise
    >>> n = Noise(["Ann and Tom sold 4 red kites at the fair."] * 3)
    >>> len(n.rewrite("Janet has 3 apples. She bought 2 more. How many apples does Janet have?", random.Random(0))) > 40
    True
"""

from __future__ import annotations

import random
import re
from collections import Counter

FUNCTION = frozenset("""a an the and or but if then than so as of to in on at by for with from into onto about over under
after before during while until since each every all some any no not many much more most less least few fewer
how what when where which who whom whose why is are was were be been being am has have had do does did can could will
would shall should may might must he she it they we you i me him her us them his its their our your my this that
these those there here up down out off again also only just very too same other another such both either neither
one two three four five six seven eight nine ten hundred thousand half twice times per total left rest""".split())
FRAMES = ["{q}", "Solve: {q}", "Problem.\n{q}\nGive the answer.", "{q}\nThink it through.", "Here is a question. {q}"]


class Noise:
    """Noise rewrites with replacement words drawn from ``corpus`` (the GSM8K train questions)."""

    def __init__(self, corpus: list[str], p: float = 0.35):
        words = Counter(w for t in corpus for w in re.findall(r"\b[a-z]{3,}\b", t))
        self.words = sorted(w for w, k in words.items() if k >= 3 and w not in FUNCTION)
        self.caps = sorted({w for t in corpus for w in re.findall(r"(?<=[a-z,] )[A-Z][a-z]{2,}\b", t)})
        self.sents = [s for t in corpus for s in re.split(r"(?<=[.!?])\s+", t.strip()) if s.endswith(".")]
        self.p = p

    def rewrite(self, q: str, rng: random.Random) -> str:
        swap: dict[str, str] = {}

        def word(m: re.Match) -> str:
            w = m.group()
            if w[0].isupper():
                return swap.setdefault(w, rng.choice(self.caps)) if w.lower() not in FUNCTION else w
            if w in FUNCTION or len(w) < 3:
                return w
            return swap.setdefault(w, rng.choice(self.words) if rng.random() < self.p else w)

        s = re.sub(r"\d+(?:,\d{3})*(?:\.\d+)?", lambda m: str(rng.randint(2, 99)), q)
        sents = [x for x in re.split(r"(?<=[.!?])\s+", s.strip()) if x]
        first = [re.sub(r"\b[A-Za-z]+\b", word, x[:1].lower() + x[1:] if x.split(" ")[0].lower() in FUNCTION else x)
                 for x in sents]
        question = first.pop() if first and first[-1].endswith("?") else None
        rng.shuffle(first)
        if rng.random() < 0.5:
            first.insert(rng.randrange(len(first) + 1), rng.choice(self.sents))
        body = " ".join([*first, question] if question else first)
        return rng.choice(FRAMES).format(q=body[:1].upper() + body[1:])
