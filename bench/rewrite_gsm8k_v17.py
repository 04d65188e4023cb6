"""A seventeenth rewrite style for GSM8K problems, written on 2026-12-04 (session 22) without seeing the matcher (nothing
under curation/ read, listed or imported, no repo-wide grep, no decontamination bench, calibration, judge or scoring
script and no ``factory decontam`` run, no results, notes, README, git history, diffs or flag labels read), and never
used for calibration or for reading misses: a held-out check. Of styles 1-16 and the noise style only the module
docstrings (their first 60 lines) were read, to stay clear of them.

It models how a benchmark item looks after it passed through a *medium* rather than a paraphraser: read aloud and
auto-captioned, texted to a friend, typeset in LaTeX, scanned from a printed page, or simplified "for a five-year-old"
by an LLM, with the sentences moved around. The problem stays the same problem: every quantity-bearing fact is kept
(values only change their written form: "16" -> "sixteen", "$1.50" -> "a buck fifty", "1/3" -> "\\frac{1}{3}") and the
same question is asked. Each kind is switched on at random (one register at most, one layout at most); a problem with
fewer than three kinds changing it is redone with one more kind switched on at a time until three do:

1. pronoun resolution: when one person is named and the pronouns agree on one gender, a sentence-initial "She"/"He"
   becomes the name and "Her"/"His" the possessive, and "does she" in the question "does Janet";
2. ELI5 simplification: plain words for harder ones ("purchases" -> "buys", "remainder" -> "what is left",
   "approximately" -> "about", "receives" -> "gets", "additional" -> "more"), long sentences cut at ", and she ..." /
   " and then ..." / ", so ..." into short ones ("Then she ..."), "twice" -> "2 times", a kid-friendly opener;
3. order and emphasis: the fact sentences shuffled (after pronoun resolution they still read), and one fact with a
   number repeated for emphasis ("Remember: she eats three for breakfast every morning.");
4. layout, one of: goal first ("Goal: find how much ...", then "Fact 1: ...", "Fact 2: ..."), a riddle ("Riddle me
   this! ... Now, riddle me this: how ...?"), or a "What we know / What we want" pair;
5. register, one of:
   (a) a spoken transcript (a caption header, speaker tags, "[00:14]" stamps in some), fillers ("um", "uh", "like",
       "you know", "okay so"), false starts ("she -- she eats"), self-corrections on numbers ("four, no wait,
       three"), every number said aloud ("sixteen", "two bucks", "a buck fifty", "twelve hundred", "twenty
       nineteen", "seven thirty", "a third", "twenty-five percent"), "I'll say that again" repeats;
   (b) SMS / chat: lower case, several messages, "u", "r", "2"/"4" for "to"/"for" (only when no 2 or 4 is a number
       of the problem), "w/", "b4", "ppl", "bc", "abt", "tmrw", "wk", "hrs", dropped vowels ("btwn", "ttl", "shd"),
       dropped apostrophes, number words as digits, a star-correction message ("*16"), emoji, "pls help";
   (c) LaTeX: a ``problem`` or ``exercise`` environment, ``\\textbf{Given.}`` with an ``itemize`` or ``enumerate`` of
       the facts, every quantity in math mode ("$16$", "\\$2", "$\\frac{1}{3}$", "$25\\%$", "$3\\times$ as many",
       "$1{,}200$"), ``\\emph{}`` on the name, "\\&" escaped;
   (d) a scanned textbook page: a running header and page number, lines wrapped at a print width with broken
       hyphenation ("mar-\\nket"), OCR letter confusions in words ("rn" <-> "m", "l" -> "1", "cl" -> "d",
       "e" -> "c", "h" -> "b"; never in numbers), an exercise number in the margin.

Pure standard library; deterministic given ``rng``; never raises (a failed step leaves its text as it was).

    >>> import random
    >>> from bench.rewrite_gsm8k_v17 import rewrite
    >>> q = "Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?"
    >>> print(rewrite(q, random.Random(21)))
    [Transcript - study group recording]
    [00:17] TUTOR: Right, so a little brain teaser: Janet has I mean, three apples.
    [00:25] TUTOR: Janet -- Janet bought one... sorry, two more for five bucks.
    [00:33] TUTOR: Okay so the riddle is: how like, many apples does Janet have? Yeah. That's the question.
"""
from __future__ import annotations

import random
import re

# ------------------------------------------------------------------------------------------------ number words
_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORD_VAL = {w: i for i, w in enumerate(_ONES)}
_WORD_VAL.update({w: 10 * i for i, w in enumerate(_TENS) if w})
_ORD = {"1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth", "5th": "fifth", "6th": "sixth",
        "7th": "seventh", "8th": "eighth", "9th": "ninth", "10th": "tenth", "12th": "twelfth", "20th": "twentieth"}
_FRAC = {(1, 2): "a half", (1, 3): "a third", (2, 3): "two thirds", (1, 4): "a quarter", (3, 4): "three quarters",
         (1, 5): "a fifth", (2, 5): "two fifths", (1, 8): "an eighth", (1, 10): "a tenth"}


_DEN = {5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth", 9: "ninth", 10: "tenth", 12: "twelfth", 20: "twentieth",
        100: "hundredth"}


def _frac_words(a: int, b: int) -> str:
    if b in _DEN:
        return ("a " if a == 1 else words(a) + " ") + _DEN[b] + ("s" if a > 1 else "")
    return words(a) + " over " + words(b)


def words(n: int) -> str:
    """English words for a non-negative integer (up to the billions)."""
    if n < 0:
        return "minus " + words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return _TENS[t] + ("-" + _ONES[o] if o else "")
    if n < 1000:
        h, r = divmod(n, 100)
        return _ONES[h] + " hundred" + (" and " + words(r) if r else "")
    for size, name in ((10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand")):
        if n >= size:
            h, r = divmod(n, size)
            return words(h) + " " + name + ((" and " if r < 100 else " ") + words(r) if r else "")
    return str(n)


def _spoken_int(n: int, rng: random.Random, year_ok: bool = False) -> str:
    if year_ok and 1900 <= n <= 2099 and n % 100:
        return words(n // 100) + " " + (words(n % 100) if n % 100 >= 10 else "oh " + words(n % 100))
    if 1100 <= n <= 9999 and n % 100 == 0 and n % 1000 and rng.random() < 0.7:
        return words(n // 100) + " hundred"
    if n >= 1000 and n % 1000 == 0 and rng.random() < 0.3:
        return words(n // 1000) + " grand" if n < 10 ** 5 else words(n)
    return words(n)


_NUM_RE = re.compile(
    r"(?P<money>\$\s?(?P<md>\d[\d,]*)(?:\.(?P<mc>\d{1,2}))?)"
    r"|(?P<clock>\b(?P<ch>\d{1,2}):(?P<cm>\d\d)\b)"
    r"|(?P<pct>\b(?P<pn>\d+(?:\.\d+)?)\s?%)"
    r"|(?P<frac>\b(?P<fa>\d+)/(?P<fb>\d+)\b)"
    r"|(?P<dec>\b(?P<di>\d+)\.(?P<df>\d+)\b)"
    r"|(?P<ordn>\b\d+(?:st|nd|rd|th)\b)"
    r"|(?P<int>\b\d{1,3}(?:,\d{3})+\b|\b\d+\b)")


def _to_int(s: str) -> int:
    return int(s.replace(",", ""))


def spoken_numbers(text: str, rng: random.Random) -> str:
    """Every number as it is said aloud."""
    def money(m: re.Match) -> str:
        d = _to_int(m.group("md"))
        c = int((m.group("mc") or "0").ljust(2, "0"))
        if d == 0 and c:
            return words(c) + " cents" if c != 25 or rng.random() < 0.5 else "a quarter"
        if c == 0:
            if d == 1:
                return rng.choice(["a buck", "one dollar", "a dollar"])
            said = _spoken_int(d, rng)
            return said if said.endswith("grand") else said + rng.choice([" bucks", " dollars", " dollars"])
        if d == 1 and rng.random() < 0.6:
            return "a buck " + words(c)
        if d < 100 and rng.random() < 0.5:
            return words(d) + " " + (words(c) if c >= 10 else "oh " + words(c))
        return _spoken_int(d, rng) + " dollars and " + words(c) + " cents"

    def clock(m: re.Match) -> str:
        h, mi = int(m.group("ch")), int(m.group("cm"))
        if mi == 0:
            return words(h) + " o'clock"
        return words(h) + " " + (words(mi) if mi >= 10 else "oh " + words(mi))

    def dec(i: str, f: str) -> str:
        if f == "5" and rng.random() < 0.6:
            return (words(int(i)) + " and a half") if i != "0" else "a half"
        return words(int(i)) + " point " + " ".join(_ONES[int(ch)] for ch in f)

    def sub(m: re.Match) -> str:
        try:
            if m.group("money"):
                return money(m)
            if m.group("clock"):
                return clock(m)
            if m.group("pct"):
                p = m.group("pn")
                return (dec(*p.split(".")) if "." in p else words(int(p))) + " percent"
            if m.group("frac"):
                a, b = int(m.group("fa")), int(m.group("fb"))
                return _FRAC.get((a, b)) or _frac_words(a, b)
            if m.group("dec"):
                return dec(m.group("di"), m.group("df"))
            if m.group("ordn"):
                return _ORD.get(m.group("ordn"), m.group("ordn"))
            s = m.group("int")
            before = text[max(0, m.start() - 6):m.start()].lower()
            year_ok = "," not in s and bool(re.search(r"(in|since|year|of) $", before))
            return _spoken_int(_to_int(s), rng, year_ok)
        except Exception:
            return m.group(0)
    return _NUM_RE.sub(sub, text)


def words_to_digits(text: str) -> str:
    def sub(m: re.Match) -> str:
        w = m.group(0).lower()
        if "-" in w:
            a, b = w.split("-", 1)
            if a in _WORD_VAL and b in _WORD_VAL and _WORD_VAL[a] >= 20 and _WORD_VAL[b] < 10:
                return str(_WORD_VAL[a] + _WORD_VAL[b])
            return m.group(0)
        return str(_WORD_VAL[w]) if w in _WORD_VAL and w != "zero" else m.group(0)
    return re.sub(r"\b(?:[A-Za-z]+-[a-z]+|[A-Za-z]+)\b(?![-'’])", sub, text)


def latex_numbers(text: str, rng: random.Random, money_math: bool = False) -> str:

    def sub(m: re.Match) -> str:
        g = m.group(0)
        if m.group("money"):
            amt = g.replace("$", "").strip().replace(",", "{,}")
            return "$\\$" + amt + "$" if money_math else "\\$" + amt.replace("{,}", ",")
        if m.group("clock"):
            return g
        if m.group("pct"):
            return "$" + m.group("pn") + "\\%$"
        if m.group("frac"):
            return "$\\frac{" + m.group("fa") + "}{" + m.group("fb") + "}$"
        if m.group("ordn"):
            return "$" + re.sub(r"(\d+)(\w+)", r"\1^{\\text{\2}}", g) + "$" if rng.random() < 0.5 else g
        return "$" + g.replace(",", "{,}") + "$"
    text = text.replace("&", "\\&")
    text = re.sub(r"(?<![$\\])%", "\\%", text)
    text = _NUM_RE.sub(sub, text)
    text = re.sub(r"\$(\d+)\$ times\b", lambda m: "$" + m.group(1) + "\\times$", text)
    text = re.sub(r"^(\(|(?:Fact|Clue) #?)\$(\d+)\$", r"\1\2", text)
    return text


# ------------------------------------------------------------------------------------------------ sentences
_SPLIT = re.compile(r"(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<=[.!?])\s+(?=[\"'‘“A-Z0-9$(])")
_STOP = set("""The A An If He She They It In On At After Before When Each Every How What There This That Then His Her
Their One Two Three Four Five Six Seven Eight Nine Ten For Of To But And So Since While Last Next During Some All Half
Its We I You My Our Your Mr Mrs Ms Dr Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
April May June July August September October November December Christmas Halloween Thanksgiving Easter Also Today
Yesterday Tomorrow Both Over Out From With Together Later First Second Third Finally However Given Suppose Let Which Who
Where Why Is Are Was Were Does Do Did Will Can Could Would Should Not No Yes Most Many Much Only Another Other Instead
Calculate Find Determine Assuming Meanwhile These Those Because Although Once Until As By Now Here Every Any Remember
Again Important Don't Goal Fact Clue Riddle Puzzle Question Let's Okay""".split())


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SPLIT.split(text.strip()) if s.strip()]


def split_problem(text: str) -> tuple[list[str], str]:
    sents = split_sentences(re.sub(r"\s+", " ", text))
    qi = max((i for i, s in enumerate(sents) if s.endswith("?")), default=len(sents) - 1)
    q = sents[qi] if sents else text
    return sents[:qi] + sents[qi + 1:], q


def _lcfirst(s: str) -> str:
    if len(s) > 1 and s[0].isupper() and not s[1].isupper():
        w = re.sub(r"(?:['’]s)?[,:;.]*$", "", s.split(" ", 1)[0])
        if w in _STOP or w.lower() in ("i",):
            return s[0].lower() + s[1:] if w != "I" else s
    return s


def _person(facts: list[str], q: str) -> tuple[str | None, str | None]:
    text = " ".join(facts + [q])
    cands = []
    for m in re.finditer(r"\b([A-Z][a-z]+)(?:['’]s)?\b", text):
        w = m.group(1)
        if w not in _STOP and w not in cands:
            cands.append(w)
    if len(cands) != 1:
        return None, None
    fem = len(re.findall(r"\b(?:she|her|hers|herself)\b", text, re.I))
    mas = len(re.findall(r"\b(?:he|his|him|himself)\b", text, re.I))
    if fem and not mas:
        return cands[0], "f"
    if mas and not fem:
        return cands[0], "m"
    return cands[0], None


def resolve_pronouns(facts: list[str], q: str) -> tuple[list[str], str]:
    name, g = _person(facts, q)
    if not name or not g:
        return facts, q
    subj, poss = ("She", "Her") if g == "f" else ("He", "His")

    def fix(s: str) -> str:
        s = re.sub(r"^" + subj + r"\b", name, s)
        s = re.sub(r"^" + poss + r"\b", name + "'s", s)
        return s
    q2 = fix(q)
    q2 = re.sub(r"\b(does|did|do|will|can|would|is|was)\s+" + subj.lower() + r"\b", r"\1 " + name, q2, count=1)
    return [fix(f) for f in facts], q2


# ------------------------------------------------------------------------------------------------ ELI5
_ELI5 = [(r"\bpurchases\b", "buys"), (r"\bpurchased\b", "bought"), (r"\bpurchase\b", "buy"),
         (r"\bapproximately\b", "about"), (r"\breceives\b", "gets"), (r"\breceived\b", "got"),
         (r"\breceive\b", "get"), (r"\badditional\b", "more"), (r"\bremaining\b", "left over"),
         (r"\bthe remainder\b", "what is left"), (r"\bconsumes\b", "eats"), (r"\brequires\b", "needs"),
         (r"\brequire\b", "need"), (r"\bHowever,\s*", "But "), (r"\btherefore\b", "so"),
         (r"\bdecides to\b", "wants to"), (r"\bdecided to\b", "wanted to"), (r"\btwice\b", "2 times"),
         (r"\bcompleted\b", "finished"), (r"\bcomplete\b", "finish"), (r"\bpurchasing\b", "buying"),
         (r"\bin total\b", "all together"), (r"\bcombined\b", "all together"), (r"\bindividual\b", "single"),
         (r"\bobtain\b", "get"), (r"\bsufficient\b", "enough"), (r"\bdaily\b", "every day"),
         (r"\bweekly\b", "every week"), (r"\bannually\b", "every year"), (r"\bassist\b", "help"),
         (r"\bcommences\b", "starts"), (r"\bduration\b", "time"), (r"\bprior to\b", "before"),
         (r"\bnumerous\b", "many"), (r"\bresidents\b", "people"), (r"\bcustomers\b", "shoppers")]
_ELI5_OPEN = ["Let's make this super simple.", "Here is the story, nice and easy.", "Okay, little buddy, listen.",
              "This is an easy story about numbers.", "Let me say it the easy way."]


def eli5(facts: list[str], q: str, rng: random.Random) -> tuple[list[str], str, list[str]]:
    def simp(s: str) -> str:
        for a, b in _ELI5:
            s = re.sub(a, lambda m, b=b: b[0].upper() + b[1:] if m.group(0)[0].isupper() else b, s)
        return s
    out = []
    for f in facts:
        f = simp(f)
        subj = r"(?=(?:she|he|they|we|I|[A-Z][a-z]+) [a-z])"
        parts = re.split(r",? and then " + subj + r"|, and " + subj + r"|, so " + subj + r"|, then " + subj, f)
        if len(parts) > 1 and all(len(p.split()) >= 3 for p in parts):
            fixed = [parts[0].rstrip(".") + "."]
            for p in parts[1:]:
                p = p.strip().rstrip(".")
                p = "Then " + p if rng.random() < 0.5 else p[0].upper() + p[1:]
                fixed.append(p + ".")
            out.extend(fixed)
        else:
            out.append(f)
    return out, simp(q), [rng.choice(_ELI5_OPEN)]


# ------------------------------------------------------------------------------------------------ order & emphasis
def shuffle_facts(facts: list[str], rng: random.Random) -> list[str]:
    if len(facts) < 2:
        return facts
    out = facts[:]
    for _ in range(4):
        rng.shuffle(out)
        if out != facts:
            break
    return out


_NUMBERISH = re.compile(r"\d|\b(?:" + "|".join(_ONES[1:] + [t for t in _TENS if t] + ["half", "twice", "dozen"])
                        + r")\b", re.I)


def emphasis(facts: list[str], rng: random.Random) -> list[str]:
    cands = [f for f in facts if _NUMBERISH.search(f)]
    if not cands:
        return facts
    f = rng.choice(cands)
    lead = rng.choice(["Remember: ", "Again, ", "Important: ", "Don't forget: ", "Once more: "])
    return facts + [lead + _lcfirst(f)]


# ------------------------------------------------------------------------------------------------ question undo
_PAST = {"have": "had", "make": "made", "buy": "bought", "spend": "spent", "sell": "sold", "eat": "ate", "get": "got",
         "give": "gave", "pay": "paid", "take": "took", "need": "needed", "earn": "earned", "save": "saved",
         "run": "ran", "read": "read", "drive": "drove", "lose": "lost", "win": "won", "keep": "kept", "use": "used"}


def _third(v: str) -> str:
    if v == "have":
        return "has"
    if re.search(r"(s|sh|ch|x|z|o)$", v):
        return v + "es"
    if re.search(r"[^aeiou]y$", v):
        return v[:-1] + "ies"
    return v + "s"


def undo_question(q: str) -> str | None:
    m = re.match(r"^(?:(.*?),\s*)?(how (?:many|much|long|far|old)\b.*?|what\b.*?)\s+(does|do|did)\s+"
                 r"(she|he|they|it|I|we|you|[A-Z][a-z]+(?:['’]s \w+)?|the \w+(?: \w+)?)\s+(\w+)(.*?)\?$", q, re.I)
    if not m:
        return None
    lead, wh, aux, subj, verb, rest = m.groups()
    aux = aux.lower()
    if aux == "did":
        v = _PAST.get(verb.lower(), verb + ("d" if verb.endswith("e") else "ed"))
    elif aux == "does":
        v = _third(verb)
    else:
        v = verb
    core = f"{wh[0].lower()}{wh[1:]} {subj} {v}{rest}"
    if lead:
        core += ", " + (lead[0].lower() + lead[1:] if lead.split(" ", 1)[0] in _STOP else lead)
    return core


# ------------------------------------------------------------------------------------------------ layouts
def layout_goal(facts, q, rng):
    u = undo_question(q)
    goal = ("Goal: find " + u + ".") if u else ("Goal: answer the question \"" + q + "\"")
    lab = rng.choice(["Fact {}: ", "Fact #{} - ", "Clue {}: ", "({}) "])
    lines = [goal] + [lab.format(i + 1) + f for i, f in enumerate(facts)]
    if rng.random() < 0.5:
        lines.append("Question again: " + q)
    return lines


def layout_riddle(facts, q, rng):
    lead = rng.choice(["Riddle me this!", "Here's a riddle for you.", "A little brain teaser:", "Puzzle time!"])
    ask = q[0].lower() + q[1:] if not re.match(r"^[A-Z][a-z]+\b(?!\s*(?:many|much))", q.split(" ")[0]) else q
    if q.split(" ", 1)[0] in _STOP:
        ask = q[0].lower() + q[1:]
    tail = rng.choice(["Now, riddle me this: ", "So tell me: ", "Can you crack it? ", "The riddle is: "])
    return [lead] + facts + [tail + ask]


def layout_know_want(facts, q, rng):
    if rng.random() < 0.5:
        return ["What we know: " + " ".join(facts), "What we want: " + q]
    return ["What we want: " + q, "What we know: " + " ".join(facts)]


# ------------------------------------------------------------------------------------------------ registers
_FILLERS = ["um, ", "uh, ", "so, ", "okay so ", "and, uh, ", "right, so ", "um, so ", "", ""]
_MID = [" like,", " you know,", " uh,", " um,", " I mean,"]


def transcript(lines: list[str], q: str, rng: random.Random, numbers: bool, corrections: bool) -> str:
    text_all = " ".join(lines)
    body = split_sentences(text_all) or [text_all]
    spk = rng.choice([("TUTOR", "STUDENT"), ("Speaker 1", "Speaker 2"), ("TEACHER", "KID"), ("A", "B")])
    stamps = rng.random() < 0.5
    t = rng.randint(3, 40)
    out = [rng.choice(["[Auto-generated captions]", "[Transcript - study group recording]",
                       "Transcript (audio, auto-captioned):", "[voice memo transcription]"])]
    for i, s in enumerate(body):
        if corrections and rng.random() < 0.5:
            nums = list(re.finditer(r"(?<![\d.,$(#])\b(\d+)\b(?![\d.,:/%)])", s))
            if nums:
                m = rng.choice(nums)
                v = int(m.group(1))
                wrong = v + rng.choice([-1, 1, 2]) if v > 1 else v + 1
                fix = rng.choice([", no wait, ", "... sorry, ", " -- no, ", ", I mean, "])
                s = s[:m.start()] + str(wrong) + fix + s[m.start():]
        ws = s.split(" ")
        if len(ws) > 5 and rng.random() < 0.5:
            k = rng.randint(2, len(ws) - 2)
            ws[k] = ws[k] + rng.choice(_MID)
        if len(ws) > 3 and rng.random() < 0.3 and ws[0].isalpha():
            ws[0] = ws[0] + " -- " + (ws[0].lower() if ws[0] in _STOP else ws[0])
        s = " ".join(ws)
        if numbers:
            s = spoken_numbers(s, rng)
        f = rng.choice(_FILLERS)
        if f:
            s = f[0].upper() + f[1:] + _lcfirst(s)
        if i == len(body) - 1 and s.endswith("?") and rng.random() < 0.5:
            s += rng.choice([" Yeah. That's the question.", " ...that's it, that's the whole thing.",
                             " Does that make sense?"])
        who = spk[0] if rng.random() < 0.85 or i == 0 else spk[1]
        pre = f"[00:{t:02d}] " if stamps else ""
        t += rng.randint(3, 9)
        if t >= 60:
            t -= 60
        out.append(f"{pre}{who}: {s}")
    if rng.random() < 0.4:
        out.append(f"{spk[1]}: Wait, can you {rng.choice(['repeat', 'say'])} the question?")
        qq = spoken_numbers(q, rng) if numbers else q
        lead = rng.choice(["Sure, um, ", "Yeah -- ", ""])
        out.append(f"{spk[0]}: {lead}{_lcfirst(qq) if lead else qq}")
    return "\n".join(out)


_SMS = [(r"\byou\b", "u"), (r"\byour\b", "ur"), (r"\bare\b", "r"), (r"\bbefore\b", "b4"), (r"\bpeople\b", "ppl"),
        (r"\bwith\b", "w/"), (r"\bwithout\b", "w/o"), (r"\bbecause\b", "bc"), (r"\babout\b", "abt"),
        (r"\btomorrow\b", "tmrw"), (r"\bweek\b", "wk"), (r"\bweeks\b", "wks"), (r"\bhours\b", "hrs"),
        (r"\bminutes\b", "mins"), (r"\bbetween\b", "btwn"), (r"\btotal\b", "ttl"), (r"\bshould\b", "shd"),
        (r"\bwould\b", "wd"), (r"\bcould\b", "cd"), (r"\breally\b", "rly"), (r"\bpeople's\b", "ppls"),
        (r"\bthanks\b", "thx"), (r"\bplease\b", "pls"), (r"\bmessage\b", "msg"), (r"\bthough\b", "tho"),
        (r"\bwhat\b", "wat"), (r"\bthe\b", "da"), (r"\band\b", "n"), (r"\bokay\b", "ok"), (r"\bgoing to\b", "gonna"),
        (r"\bwant to\b", "wanna"), (r"\bpercent\b", "%"), (r"\bmonths\b", "mos"), (r"\byears\b", "yrs")]
_EMOJI = ["😭", "🙏", "🤔", "😅", "💀", "🤯", "😩", "🥲", "👀", "✌️"]


def sms(lines: list[str], rng: random.Random, corrections: bool) -> str:
    text = words_to_digits(" ".join(lines))
    nums = set(re.findall(r"(?<![\d.])\d+(?:\.\d+)?(?![\d])", text.replace(",", "")))
    text = text.lower().replace("’", "'")
    text = re.sub(r"(\w)'(\w)", r"\1\2", text)
    for a, b in [p for p in _SMS if rng.random() < 0.75]:
        text = re.sub(a, b, text)
    to_for = [(r"\bto\b", "2", "2" not in nums), (r"\bfor\b", "4", "4" not in nums)]
    msgs = [m for m in split_sentences(text.replace(". ", ". \n").replace("? ", "? \n")) if m]
    msgs = [re.sub(r"\s+", " ", m) for part in msgs for m in part.split("\n") if m.strip()]
    if not msgs:
        msgs = [text]
    msgs = [m.rstrip(".") if rng.random() < 0.7 else m for m in msgs]
    out = [rng.choice(["hey can u help w/ this q", "ok so my hw says", "yo quick math q", "pls help me w/ this one",
                       "srsly stuck on this"]) + " " + rng.choice(_EMOJI)]
    for m in msgs:
        out.append(m.strip())
        if corrections and rng.random() < 0.35:
            ns = re.findall(r"(?<![\d.$])(?<!fact )(?<!clue )(?<!#)\d+(?![\d.,:)])", m)
            if ns:
                n = rng.choice(ns)
                wrong = str(int(n) + 1)
                out[-1] = re.sub(r"(?<![\d.$])" + n + r"(?![\d.,])", wrong, out[-1], count=1)
                out.append("*" + n)
    for a, b, ok in to_for:
        if ok and rng.random() < 0.8:
            out = [re.sub(a, b, m) for m in out]
    out.append(rng.choice(["pls help", "idk how to do it", "ty!!", "answer?? " + rng.choice(_EMOJI), "halp"]))
    return "\n".join(out)


def latex(lines: list[str], facts_mode: bool, facts: list[str], q: str, name: str | None,
          rng: random.Random) -> str:
    env = rng.choice(["problem", "exercise", "question"])
    money_math = rng.random() < 0.5

    def tx(s):
        s = latex_numbers(s, rng, money_math)
        if name:
            s = re.sub(r"\b" + name + r"\b", "\\\\emph{" + name + "}", s, count=1)
        return s
    if facts_mode:
        lst = rng.choice(["itemize", "enumerate"])
        body = ["\\textbf{Given.}", "\\begin{" + lst + "}"] + ["  \\item " + tx(f) for f in facts] + \
               ["\\end{" + lst + "}", "\\textbf{" + rng.choice(["Find.", "Question.", "Task."]) + "} " + tx(q)]
    else:
        body = [tx(x) for x in lines]
    head = "\\begin{" + env + "}" + rng.choice(["", "[Word problem]", "[" + str(rng.randint(1, 40)) + "]"])
    return "\n".join([head] + body + ["\\end{" + env + "}"])


_OCR = [("rn", "m"), ("m", "rn"), ("l", "1"), ("cl", "d"), ("e", "c"), ("h", "b"), ("li", "h"), ("I", "l"),
        ("fi", "ﬁ"), ("o", "0"), ("t", "f")]


def ocr(lines: list[str], rng: random.Random) -> str:
    text = " ".join(lines)

    def dmg(m: re.Match) -> str:
        w = m.group(0)
        if rng.random() > 0.12:
            return w
        a, b = rng.choice(_OCR)
        i = w.find(a, 1)
        return w[:i] + b + w[i + len(a):] if i > 0 else w
    text = re.sub(r"\b[A-Za-z]{4,}\b", dmg, text)
    width = rng.randint(44, 64)
    out, line = [], ""
    for wd in text.split(" "):
        if len(line) + 1 + len(wd) <= width:
            line = (line + " " + wd).strip()
            continue
        room = width - len(line) - 2
        if wd.isalpha() and len(wd) >= 6 and room >= 3 and rng.random() < 0.6:
            k = min(room, len(wd) - 3)
            out.append(line + " " + wd[:k] + "-")
            line = wd[k:]
        else:
            out.append(line)
            line = wd
    out.append(line)
    page = rng.randint(12, 240)
    hdr = rng.choice(["CHAPTER {c}  WORD PROBLEMS", "Unit {c} · Problem Solving", "{c}.2 APPLICATIONS",
                      "MATHEMATICS GRADE {c}"]).format(c=rng.randint(2, 9))
    top = f"{page}    {hdr}" if page % 2 == 0 else f"{hdr}    {page}"
    out[0] = f"{rng.randint(1, 30)}. " + out[0]
    return "\n".join([top, ""] + out + (["", str(page)] if rng.random() < 0.3 else []))


# ------------------------------------------------------------------------------------------------ driver
KINDS = ["resolve", "eli5", "shuffle", "emphasis", "layout", "register"]


def _attempt(text: str, on: dict, rng: random.Random) -> tuple[str, int]:
    facts, q = split_problem(text)
    orig_facts, orig_q = facts[:], q
    changed = 0
    pre: list[str] = []

    def step(fn, *a):
        nonlocal changed
        try:
            res = fn(*a)
            return res, True
        except Exception:
            return None, False

    if on.get("resolve"):
        res, ok = step(resolve_pronouns, facts, q)
        if ok and res != (facts, q):
            facts, q = res
            changed += 1
    if on.get("eli5"):
        res, ok = step(eli5, facts, q, rng)
        if ok and (res[0], res[1]) != (facts, q):
            facts, q, pre = res
            changed += 1
    if on.get("shuffle"):
        res, ok = step(shuffle_facts, facts, rng)
        if ok and res != facts:
            facts = res
            changed += 1
    if on.get("emphasis"):
        res, ok = step(emphasis, facts, rng)
        if ok and res != facts:
            facts = res
            changed += 1
    lines = pre + facts + [q]
    lay = on.get("layout")
    if lay:
        fn = {"goal": layout_goal, "riddle": layout_riddle, "kw": layout_know_want}[lay]
        res, ok = step(fn, facts, q, rng)
        if ok and res:
            lines = pre + res
            changed += 1
    reg = on.get("register")
    out = "\n".join(lines) if lay in ("goal", "kw") else " ".join(lines)
    if reg:
        name = None
        try:
            name = _person(orig_facts, orig_q)[0]
        except Exception:
            pass
        fn = {"transcript": lambda: transcript(lines, q, rng, on.get("numbers", True), on.get("corr", True)),
              "sms": lambda: sms(lines, rng, on.get("corr", True)),
              "latex": lambda: latex(lines, lay is None and rng.random() < 0.6, facts, q, name, rng),
              "ocr": lambda: ocr(lines, rng)}[reg]
        res, ok = step(fn)
        if ok and res and res != out:
            out = res
            changed += 1
            if reg == "transcript" and on.get("numbers", True) and re.search(r"\d", text):
                changed += 1
    return out, changed


def rewrite(text: str, rng: random.Random) -> str:
    """Rewrite one GSM8K problem in style 17; never raises, returns ``text`` on a total failure."""
    try:
        if not isinstance(text, str) or not text.strip():
            return text
        on: dict = {}
        for k in ("resolve", "eli5", "shuffle", "emphasis"):
            if rng.random() < 0.45:
                on[k] = True
        if rng.random() < 0.6:
            on["layout"] = rng.choice(["goal", "riddle", "kw"])
        if rng.random() < 0.75:
            on["register"] = rng.choice(["transcript", "sms", "latex", "ocr"])
        on["numbers"] = rng.random() < 0.85
        on["corr"] = rng.random() < 0.6
        best, best_n = text, -1
        order = ["register", "layout", "shuffle", "emphasis", "resolve", "eli5"]
        for _ in range(8):
            state = rng.getstate()
            out, n = _attempt(text, on, rng)
            if n > best_n and out.strip():
                best, best_n = out, n
            if n >= 3:
                break
            rng.setstate(state)
            rng.random()
            for k in order:
                if not on.get(k):
                    on[k] = {"register": rng.choice(["transcript", "sms", "latex", "ocr"]),
                             "layout": rng.choice(["goal", "riddle", "kw"])}.get(k, True)
                    break
            else:
                break
        return best if best.strip() else text
    except Exception:
        return text
