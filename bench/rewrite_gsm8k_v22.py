"""A twenty-second rewrite style for GSM8K problems, written on 2026-12-05 (session 25) without seeing the matcher
(nothing under curation/, factory/, verifiers/, ground/, students/, teachers/ or tests/ read, listed or imported, no
repo-wide grep, no decontamination bench, calibration, judge or scoring script and no ``factory decontam`` run, no
results, notes, README, git history, diffs or flag labels read), and never used for calibration or for reading
misses: a held-out check. Of styles 1-21 and the noise style only the module docstrings (their first 60 lines) were
read, to stay clear of them.

It models a *human re-teller* of the item -- a storyteller, a script writer, a flash-card maker -- who changes how
the story refers to its people and things and how its clauses hang together, rather than its words or its numbers.
The problem stays the same problem: every quantity-bearing fact keeps its role and its value (only the written form
of a small whole number may change, "16" <-> "sixteen"), the solution steps are the same and the same thing is asked.
Each kind is switched on at random per problem; a problem with fewer than three kinds changing it is redone from the
original with one more kind switched on at a time until three do (or all are on). The kinds:

1. presentational introduction and epithets: when one person is named, the story first presents them ("This is a
   story about someone named Janet.", "Let me tell you about a person called Josh.") and some later mentions become
   an epithet of the narrator ("She sells ..." -> "Our friend sells ...", "Janet's flock" -> "our heroine's flock",
   "the fellow" for a man), so the chain of referring expressions differs; an indefinite subject is brought in by
   an existential ("A raspberry bush has 6 clusters ..." -> "There is a raspberry bush that has 6 clusters ...",
   "A new program had 60 downloads ..." -> "There was a new program that had 60 downloads ...");
2. topic-comment (left dislocation): a fact whose subject is a name, a name's thing or "the <noun>" is split into a
   topic and a comment with a resumptive pronoun ("Janet's ducks lay 16 eggs per day." -> "As for Janet's ducks,
   they lay 16 eggs per day." / "Janet's ducks -- they lay ..." / "When it comes to Josh, he buys ...");
3. absolute "with" constructions: two adjacent facts fused, the first demoted to a "with" + -ing clause ("Janet's
   ducks lay 16 eggs per day. She eats three ..." -> "With Janet's ducks laying 16 eggs per day, she eats three
   ..."; "He buys a house for $80,000." -> "With him buying a house for $80,000, ..."; a past verb becomes "having"
   + participle);
4. the question voiced by a bystander as an indirect question, inversion undone with agreeing verbs ("How much in
   dollars does she make every day at the farmers' market?" -> "A curious neighbour wants to know how much in
   dollars she makes every day at the farmers' market."; "How many X are there?" -> "... how many X there are";
   "What is the total?" -> "... what the total is"); a leading "If ..., " stays in front; a question it cannot
   undo is handed over whole ("Here is what the bookkeeper asks: ...?");
5. number words, one direction per problem: small whole numbers spelled out ("16" -> "sixteen", "25" ->
   "twenty-five"; money, decimals, fractions, percentages, times and thousands left alone) or number words to
   digits ("three" -> "3");
6. emphasis on values: "exactly" / "precisely" / "a full" put before some counts after a verb or a preposition
   ("lay exactly 16 eggs", "for precisely $2"), the value unchanged;
7. carrier, one of: a screenplay page (a scene heading read off the story's place, "INT. FARMERS' MARKET - DAY",
   the facts as action lines with the named people in capitals on first mention, the question spoken by a
   NARRATOR (V.O.), "FADE OUT."), a comic-strip script ("PANEL 1 / CAPTION: ...", the question in a speech
   bubble), or a flash-card deck export (an Anki-style tab-separated note with "#separator:tab" headers, the
   problem on the front, an empty back and tags).

Pure standard library; deterministic given ``rng``; never raises (a failed step leaves its text as it was).

    >>> import random
    >>> from bench.rewrite_gsm8k_v22 import rewrite
    >>> q = "Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?"
    >>> print(rewrite(q, random.Random(0)).replace(". ", ".\\n"))
    With Janet having 3 apples, she bought precisely 2 more for $5.
    The bookkeeper is wondering how many apples Janet has.
    >>> print(rewrite(q, random.Random(3)))
    COMIC SCRIPT - PAGE 1
    <BLANKLINE>
    PANEL 1
    CAPTION: This is a story about someone named Janet.
    <BLANKLINE>
    PANEL 2
    CAPTION: With Janet having 3 apples, she bought exactly 2 more for $5.
    <BLANKLINE>
    PANEL 3
    SPEECH BUBBLE (teacher): A classmate wants to know how many apples Janet has.
    >>> _undo_question("How many apples does Janet have?")
    'how many apples Janet has'
    >>> _undo_question("How much did he spend on the trip?")
    'how much he spent on the trip'
    >>> _absolute("Janet's ducks lay 16 eggs per day.", "She eats three.")
    "With Janet's ducks laying 16 eggs per day, she eats three."
    >>> _dislocate("Josh buys a house for $80,000.", {"Josh": "m"}, 0)
    'As for Josh, he buys a house for $80,000.'
"""

from __future__ import annotations

import random
import re

__all__ = ["rewrite"]

# ----------------------------------------------------------------------------------------------------------------
# small helpers

_APOS = "'\u2019"
_STOP_CAPS = {
    "The", "A", "An", "If", "How", "What", "Which", "Who", "When", "Where", "Why", "She", "He", "They", "It", "I",
    "We", "You", "Each", "Every", "In", "On", "At", "After", "Before", "Then", "So", "But", "And", "For", "Of",
    "To", "With", "There", "This", "That", "These", "Those", "Her", "His", "Their", "Its", "My", "Our", "Your",
    "Mr", "Mrs", "Ms", "Dr", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
    "Half", "Some", "All", "Most", "During", "Since", "Until", "While", "From", "As", "Also", "Today",
    "Yesterday", "Tomorrow", "Last", "Next", "First", "Second", "Third", "Finally", "However", "Altogether",
    "Calculate", "Find", "Determine", "Assuming", "Given", "Suppose", "Now", "Both", "Out", "By", "Over",
    "Christmas", "Halloween", "Easter", "Thanksgiving", "Valentine", "English", "Spanish", "French", "American",
    "Math", "Is", "Are", "Was", "Were", "Do", "Does", "Did", "Can", "Will", "Would", "Could", "Should", "Let",
    "Mother", "Father", "Mom", "Dad", "Grandma", "Grandpa", "Jr", "St", "Not", "No", "Any", "Many", "Much",
    "Only", "Just", "Instead", "Because", "Although", "Unlike", "Like", "Meanwhile", "Later", "Earlier",
    "Currently", "Initially", "Originally", "Usually", "Normally", "Together", "Among", "Between", "Another",
    "Other", "Everyone", "Nobody", "Someone", "Everybody",
}
_ABBREV = re.compile(r"(?:(?:^|\s)(?:Mr|Mrs|Ms|Dr|St|Jr|vs|etc|a\.m|p\.m|approx|No)\.)$")

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _num_word(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return _TENS[t] + ("-" + _ONES[o] if o else "")
    if n == 100:
        return "one hundred"
    raise ValueError(n)


_WORD_NUM = {_num_word(i): i for i in range(0, 101)}


def _split_sentences(text: str) -> list[str]:
    parts = []
    buf = ""
    for piece in re.split(r"(?<=[.!?])\s+", text.strip()):
        buf = (buf + " " + piece) if buf else piece
        if _ABBREV.search(buf) or re.search(r"(?:^|\s)[A-Z]\.$", buf):
            continue
        parts.append(buf)
        buf = ""
    if buf:
        parts.append(buf)
    return [p.strip() for p in parts if p.strip()]


def _lc_first(s: str, names: dict) -> str:
    if not s:
        return s
    w = re.match(r"[A-Za-z]+", s)
    if w and (w.group(0) in names or w.group(0) == "I"):
        return s
    return s[0].lower() + s[1:]


def _uc_first(s: str) -> str:
    return s[0].upper() + s[1:] if s else s


def _find_names(text: str) -> list[str]:
    sents = _split_sentences(text)
    seen: list[str] = []
    counts: dict[str, int] = {}
    for s in sents:
        for m in re.finditer(r"\b([A-Z][a-z]{2,})\b", s):
            w = m.group(1)
            if w in _STOP_CAPS:
                continue
            counts[w] = counts.get(w, 0) + 1
            if w not in seen:
                seen.append(w)
    # a capitalised word only at a sentence start and never followed by 's or a verb is likely no name;
    # keep words seen mid-sentence, with a possessive, or more than once
    out = []
    for w in seen:
        mid = re.search(r"[a-z,;]\s+" + w + r"\b", text)
        poss = re.search(r"\b" + w + "[" + _APOS + "]s\\b", text)
        if mid or poss or counts[w] > 1 or re.search(r"(?:^|[.!?]\s+)" + w + r"\s+[a-z]+s\b", text):
            out.append(w)
    return out


def _genders(text: str, names: list[str]) -> dict[str, str]:
    fem = len(re.findall(r"\b(?:she|her|hers|herself)\b", text, re.I))
    mas = len(re.findall(r"\b(?:he|him|his|himself)\b", text, re.I))
    g: dict[str, str] = {}
    if len(names) == 1:
        if fem and not mas:
            g[names[0]] = "f"
        elif mas and not fem:
            g[names[0]] = "m"
        return g
    # several names: read the first pronoun after each name, before the next name
    for n in names:
        m = re.search(r"\b" + n + r"\b(.*)", text, re.S)
        if not m:
            continue
        rest = m.group(1)
        cut = len(rest)
        for o in names:
            if o != n:
                mm = re.search(r"\b" + o + r"\b", rest)
                if mm:
                    cut = min(cut, mm.start())
        seg = rest[:cut]
        f = re.search(r"\b(?:she|her|herself)\b", seg, re.I)
        h = re.search(r"\b(?:he|him|his|himself)\b", seg, re.I)
        if f and not h:
            g[n] = "f"
        elif h and not f:
            g[n] = "m"
    return g


# ----------------------------------------------------------------------------------------------------------------
# verbs

_IRREG = {
    # base: (3sg, past, past participle, ing)
    "have": ("has", "had", "had", "having"), "be": ("is", "was", "been", "being"),
    "do": ("does", "did", "done", "doing"), "go": ("goes", "went", "gone", "going"),
    "make": ("makes", "made", "made", "making"), "buy": ("buys", "bought", "bought", "buying"),
    "sell": ("sells", "sold", "sold", "selling"), "spend": ("spends", "spent", "spent", "spending"),
    "pay": ("pays", "paid", "paid", "paying"), "get": ("gets", "got", "gotten", "getting"),
    "give": ("gives", "gave", "given", "giving"), "take": ("takes", "took", "taken", "taking"),
    "eat": ("eats", "ate", "eaten", "eating"), "lay": ("lays", "laid", "laid", "laying"),
    "run": ("runs", "ran", "run", "running"), "drive": ("drives", "drove", "driven", "driving"),
    "ride": ("rides", "rode", "ridden", "riding"), "write": ("writes", "wrote", "written", "writing"),
    "read": ("reads", "read", "read", "reading"), "swim": ("swims", "swam", "swum", "swimming"),
    "see": ("sees", "saw", "seen", "seeing"), "find": ("finds", "found", "found", "finding"),
    "keep": ("keeps", "kept", "kept", "keeping"), "leave": ("leaves", "left", "left", "leaving"),
    "lose": ("loses", "lost", "lost", "losing"), "win": ("wins", "won", "won", "winning"),
    "bring": ("brings", "brought", "brought", "bringing"), "catch": ("catches", "caught", "caught", "catching"),
    "teach": ("teaches", "taught", "taught", "teaching"), "think": ("thinks", "thought", "thought", "thinking"),
    "fly": ("flies", "flew", "flown", "flying"), "grow": ("grows", "grew", "grown", "growing"),
    "draw": ("draws", "drew", "drawn", "drawing"), "throw": ("throws", "threw", "thrown", "throwing"),
    "know": ("knows", "knew", "known", "knowing"), "begin": ("begins", "began", "begun", "beginning"),
    "sit": ("sits", "sat", "sat", "sitting"), "put": ("puts", "put", "put", "putting"),
    "cut": ("cuts", "cut", "cut", "cutting"), "cost": ("costs", "cost", "cost", "costing"),
    "hit": ("hits", "hit", "hit", "hitting"), "set": ("sets", "set", "set", "setting"),
    "send": ("sends", "sent", "sent", "sending"), "lend": ("lends", "lent", "lent", "lending"),
    "build": ("builds", "built", "built", "building"), "feed": ("feeds", "fed", "fed", "feeding"),
    "sleep": ("sleeps", "slept", "slept", "sleeping"), "meet": ("meets", "met", "met", "meeting"),
    "hold": ("holds", "held", "held", "holding"), "tell": ("tells", "told", "told", "telling"),
    "say": ("says", "said", "said", "saying"), "stand": ("stands", "stood", "stood", "standing"),
    "break": ("breaks", "broke", "broken", "breaking"), "choose": ("chooses", "chose", "chosen", "choosing"),
    "drink": ("drinks", "drank", "drunk", "drinking"), "sing": ("sings", "sang", "sung", "singing"),
    "come": ("comes", "came", "come", "coming"), "become": ("becomes", "became", "become", "becoming"),
    "shoot": ("shoots", "shot", "shot", "shooting"), "bake": ("bakes", "baked", "baked", "baking"),
    "fall": ("falls", "fell", "fallen", "falling"), "forget": ("forgets", "forgot", "forgotten", "forgetting"),
    "wear": ("wears", "wore", "worn", "wearing"), "hang": ("hangs", "hung", "hung", "hanging"),
    "shop": ("shops", "shopped", "shopped", "shopping"), "plan": ("plans", "planned", "planned", "planning"),
    "stop": ("stops", "stopped", "stopped", "stopping"), "save": ("saves", "saved", "saved", "saving"),
    "use": ("uses", "used", "used", "using"), "need": ("needs", "needed", "needed", "needing"),
    "earn": ("earns", "earned", "earned", "earning"), "walk": ("walks", "walked", "walked", "walking"),
    "mean": ("means", "meant", "meant", "meaning"), "dig": ("digs", "dug", "dug", "digging"),
    "fit": ("fits", "fit", "fit", "fitting"), "split": ("splits", "split", "split", "splitting"),
}
_FROM_3SG = {v[0]: k for k, v in _IRREG.items()}
_FROM_PAST = {v[1]: k for k, v in _IRREG.items()}
_NOT_VERB_S = {"is", "was", "has", "as", "his", "its", "this", "thus", "plus", "less", "across", "always",
               "sometimes", "times", "hours", "minutes", "days", "weeks", "years", "dollars", "cents", "miles",
               "less", "unless", "perhaps", "besides", "towards", "afterwards", "pounds", "guests", "students",
               "also", "likes", "us", "yes", "bus", "gas", "class", "glass", "grass", "dress", "boss"}
_MODALS = {"can", "will", "would", "could", "should", "must", "may", "might", "shall", "does", "do", "did",
           "also", "only", "just", "then", "still", "always", "never", "usually", "often", "already"}


def _base_of_3sg(w: str) -> str | None:
    if w in _FROM_3SG:
        return _FROM_3SG[w]
    if len(w) < 3 or not w.endswith("s") or w.endswith("ss") or w in _NOT_VERB_S:
        return None
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if re.search(r"(?:ch|sh|x|z|ss|o)es$", w):
        return w[:-2]
    return w[:-1]


def _ing(base: str) -> str:
    if base in _IRREG:
        return _IRREG[base][3]
    if base.endswith("ie"):
        return base[:-2] + "ying"
    if base.endswith("e") and not base.endswith(("ee", "ye", "oe")) and len(base) > 2:
        return base[:-1] + "ing"
    return base + "ing"


def _third(base: str) -> str:
    if base in _IRREG:
        return _IRREG[base][0]
    if re.search(r"[^aeiou]y$", base):
        return base[:-1] + "ies"
    if re.search(r"(?:ch|sh|x|z|s|o)$", base):
        return base + "es"
    return base + "s"


def _past(base: str) -> str:
    if base in _IRREG:
        return _IRREG[base][1]
    if base.endswith("e"):
        return base + "d"
    if re.search(r"[^aeiou]y$", base):
        return base[:-1] + "ied"
    return base + "ed"


_BASE_VERBS = set(_IRREG) | {"lay", "want", "need", "like", "love", "work", "play", "live", "plant", "pick", "help",
                             "watch", "visit", "own", "cook", "clean", "paint", "jump", "decide", "earn", "save",
                             "spend", "collect", "share", "order", "rent", "charge", "contain", "weigh", "produce",
                             "receive", "plan", "start", "finish", "travel", "walk", "use", "try", "carry"}


def _looks_verb(w: str) -> bool:
    w = w.lower()
    if w in ("is", "are", "was", "were", "has", "have", "had", "can", "will", "would", "could", "should", "must",
             "does", "do", "did", "also", "only", "just", "always", "usually", "often", "never", "still"):
        return True
    if w in _FROM_3SG or w in _FROM_PAST or w in _BASE_VERBS:
        return True
    if w.endswith("ed") and len(w) > 4:
        return True
    b = _base_of_3sg(w)
    return b is not None and len(w) > 3


# ----------------------------------------------------------------------------------------------------------------
# kind 4: indirect question

_SUBJ_PRON = {"she", "he", "they", "it", "i", "we", "you"}


def _undo_question(q: str) -> str | None:
    """``"How many apples does Janet have?"`` -> ``"how many apples Janet has"``; None when unsure."""
    s = q.strip()
    if not s.endswith("?"):
        return None
    s = s[:-1].strip()
    toks = s.split()
    if len(toks) < 3:
        return None
    low = [t.lower().strip(",") for t in toks]
    if low[0] not in ("how", "what", "which"):
        return None
    aux_set = {"do", "does", "did", "is", "are", "was", "were", "will", "can", "would", "could", "should", "has",
               "have", "had", "must", "shall", "may", "might"}
    if not any(t in aux_set for t in low[1:]):
        # no inversion at all ("What percentage of the students enrolled in jazz?"): same order
        return low[0] + " " + " ".join(toks[1:])
    ai = None
    for i in range(1, min(len(toks), 9)):
        if low[i] in aux_set:
            ai = i
            break
        if re.search(r"[;:]", toks[i]):
            return None
    if ai is None:
        return None
    wh = toks[:ai]
    aux = low[ai]
    rest = toks[ai + 1:]
    if not rest or toks[ai].endswith(","):
        return None
    r0 = rest[0]
    titles = ("Mr.", "Mrs.", "Ms.", "Dr.", "Mr", "Mrs", "Ms", "Dr")
    if aux not in ("do", "does", "did") and r0[0].islower() and r0.lower() not in _SUBJ_PRON \
            and r0.lower() not in ("there", "the", "her", "his", "their", "its", "my", "your", "our", "each",
                                   "this", "that", "these", "those", "a", "an", "all", "both") \
            and len(wh) > 1:
        # the wh-phrase is the subject ("How many liters were left?"): the order is already the indirect one
        return low[0] + " " + " ".join(toks[1:])
    # subject: pronoun, name (possibly possessive + noun), determiner + noun, or "there"
    if r0 in titles and len(rest) > 1:
        rest = [r0 + " " + rest[1]] + rest[2:]
        r0 = rest[0]
    simple = False
    coord = False
    if r0.lower() in _SUBJ_PRON or r0.lower() == "there" or (r0[0].isupper() and re.match(r"^(?:(?:Mr|Mrs|Ms|Dr)"
                                                                                             r"\.? )?[A-Za-z]+$",
                                                                                             r0)):
        j = 1
        simple = True
        if r0[0].isupper() and r0.lower() not in _SUBJ_PRON and len(rest) > 2 and rest[1].lower() == "and" \
                and rest[2][0].isupper():
            j = 3
            coord = True
    elif (re.match(r"^(?:(?:Mr|Mrs|Ms|Dr)\.? )?[A-Z][a-z]+[" + _APOS + r"]s$", r0)
          or r0.lower() in ("the", "her", "his", "their", "its", "my", "your", "our", "each", "this", "that", "a",
                            "an", "these", "those", "all", "both") or r0.isdigit() or r0.lower() in _WORD_NUM) \
            and len(rest) > 1:
        if aux in ("is", "are", "was", "were", "has", "have", "had"):
            j = 2
        else:
            # the subject runs up to the first known base verb
            j = 0
            for k in range(1, min(len(rest), 5)):
                if rest[k].lower() in _BASE_VERBS:
                    j = k
                    if k + 1 < len(rest) and rest[k + 1].lower() in _BASE_VERBS:
                        j = k + 1
                    break
            if j == 0:
                return None
    else:
        return None
    subj = rest[:j]
    after = rest[j:]
    subj_s = " ".join(subj)
    if subj[0].lower() in _SUBJ_PRON and subj[0] != "I":
        subj_s = subj_s[0].lower() + subj_s[1:]
    plural = coord or subj[0].lower() in ("they", "we", "you", "i") or \
        (j >= 2 and subj[-1].lower().endswith("s") and not subj[-1].lower().endswith("ss"))
    if aux not in ("do", "does", "did"):
        if wh[0].lower() in ("what", "which") and len(wh) == 1 and aux in ("is", "was", "are", "were"):
            body = " ".join(rest)
            if re.search(r"\b(?:if|when|after|before|than|and|who|which|that)\b", body) or len(rest) > 9:
                return None
            return wh[0].lower() + " " + body + " " + aux
        if not simple and aux in ("is", "are", "was", "were", "has", "have", "had"):
            return None
        out = wh + [subj_s, aux] + after
        out[0] = out[0].lower()
        return " ".join(out)
    # do-support
    adv = []
    if after and after[0].lower() in ("both", "all", "each", "also", "still", "ever", "really", "actually", "usually",
                                      "now", "just", "only", "together"):
        adv, after = [after[0]], after[1:]
    if not after:
        return None
    verb = after[0]
    vl = verb.lower()
    if not vl.isalpha() or vl in _MODALS or (vl.endswith("s") and not vl.endswith("ss")) or vl.endswith("ly") \
            or vl in ("little", "big", "new", "old", "younger", "older", "total", "own", "best", "first"):
        return None
    if aux == "did":
        nv = _past(vl)
    elif aux == "does":
        if plural:
            return None
        nv = _third(vl)
    else:
        nv = vl
    out = wh + [subj_s] + adv + [nv] + after[1:]
    out[0] = out[0].lower()
    return " ".join(out)


_ASKERS = ["A curious neighbour", "The bookkeeper", "A classmate", "Someone at home", "The teacher",
           "A friend of the family"]
_FRAMES = ["{a} wants to know {q}.", "{a} is trying to work out {q}.", "{a} asks {q}.",
           "{a} would like to find out {q}.", "{a} is wondering {q}."]


def _voice_question(q: str, rng: random.Random) -> str:
    asker = rng.choice(_ASKERS)
    pre, core = ("", q)
    last = None
    for m in re.finditer(r",\s+(?=(?:how|what|which)\b)", q, re.I):
        last = m
    if last is not None and not re.match(r"(?:how|what|which)\b", q, re.I):
        pre, core = q[:last.end()], q[last.end():]
    core = re.sub(r"^(what|how)['\u2019]s\b", lambda mm: mm.group(1) + " is", core, flags=re.I)
    und = _undo_question(_uc_first(core))
    if und is not None:
        body = rng.choice(_FRAMES).format(a=asker if not pre else asker[0].lower() + asker[1:], q=und)
        return pre + body
    return "Here is what " + asker[0].lower() + asker[1:] + " asks: " + q


# ----------------------------------------------------------------------------------------------------------------
# kind 3: "with" absolute

_OBJ = {"she": "her", "he": "him", "they": "them", "i": "me", "we": "us", "it": "it", "you": "you"}
_PASTS_EXTRA = {"laid", "paid", "fed", "read"}


def _subject_split(s: str) -> tuple[str, str, str] | None:
    """Split "Subj verb rest" -> (subj, verb, rest) for simple subjects."""
    m = re.match(r"^(She|He|They|It|I|We|The\s+[a-z]+|(?:Her|His|Their)\s+[a-z]+|"
                 r"[A-Z][a-z]+(?:[" + _APOS + r"]s\s+[a-z]+)?)\s+([a-z]+)\b(.*)$", s)
    if not m:
        return None
    subj, verb, rest = m.group(1), m.group(2), m.group(3)
    if not _looks_verb(verb):
        return None
    first = re.sub("[" + _APOS + "]s$", "", subj.split()[0])
    if first in _STOP_CAPS and not (subj in ("She", "He", "They", "It", "I", "We") or
                                    (len(subj.split()) == 2 and first in ("The", "Her", "His", "Their"))):
        return None
    return subj, verb, rest


def _ing_phrase(verb: str, subj_plural: bool) -> str | None:
    v = verb.lower()
    if v in _MODALS or v in ("and", "or", "who", "which", "that"):
        return None
    if v in ("is", "are", "am"):
        return "being"
    if v in ("was", "were"):
        return "having been"
    if v in ("has", "have"):
        return "having"
    if v == "had":
        return "having had"
    if v in _FROM_PAST or v.endswith("ed") or v in _PASTS_EXTRA:
        base = _FROM_PAST.get(v)
        if base:
            return "having " + _IRREG[base][2]
        if v.endswith("ed") and len(v) > 4:
            return "having " + v
        return None
    if subj_plural:
        if v in _IRREG or re.search(r"(?:ay|ow|ee|at|ell|uy|ive|ake|ite|ide|ead|ill|ork|alk|ook|ash|earn|end|"
                                    r"ave|ect|eed|ose|ant)$", v):
            return _ing(v)
        return None
    base = _base_of_3sg(v)
    if base is None:
        return None
    return _ing(base)


def _absolute(s1: str, s2: str, names: tuple = ()) -> str | None:
    if not s1.endswith(".") or s2.endswith("?") or re.search(r"\band\b|\bbut\b|\bwho\b|\bwhich\b|,|;", s1) \
            or re.match(r"(?:But|However|Yet|Although|Though|So|Therefore|Instead)\b", s2) \
            or re.search(r"\bused to\b", s1):
        return None
    sp = _subject_split(s1[:-1])
    if sp is None:
        return None
    subj, verb, rest = sp
    plural = subj in ("They", "We", "I") or bool(re.search(r"[a-z]s$", subj.split()[-1])) and \
        not subj.split()[-1].endswith("ss") and len(subj.split()) > 1
    if len(subj.split()) == 1 and subj not in ("They", "We", "I"):
        plural = False
    ph = _ing_phrase(verb, plural)
    if ph is None:
        return None
    if verb in ("is", "are", "was", "were") and re.match(r"\s+going to\b", rest):
        return None
    if verb in ("is", "are", "was", "were") and re.match(r"\s+(?:[a-z]+ly\s+)?[a-z]+ing\b", rest):
        ph = ""
        rest = rest.lstrip()
    if subj.lower() in _OBJ:
        subj2 = _OBJ[subj.lower()]
    elif subj.split()[0] in ("The", "Her", "His", "Their"):
        subj2 = subj[0].lower() + subj[1:]
    else:
        subj2 = subj
    first = re.match(r"[A-Za-z]+", s2)
    s2b = re.sub(r"^(?:Then|And|So|Also),?\s+", "", s2)
    first = re.match(r"[A-Za-z]+", s2b)
    if first and (first.group(0) in _STOP_CAPS or first.group(0) in (
            "While", "Unless", "Once", "Whenever", "Despite", "Due", "Additionally", "Moreover", "Besides",
            "Overall", "Each", "Every", "Its", "Currently", "Afterward", "Afterwards", "Later", "Unfortunately",
            "Fortunately", "Recently", "Usually", "Lastly", "Eventually", "Luckily", "Sadly", "Typically",
            "Altogether", "Everyone", "Everything", "Nothing", "Half", "Some") or (
            first.group(0).endswith("ly") and first.group(0) not in names and len(first.group(0)) > 6)) \
            and first.group(0) != "I":
        s2b = s2b[0].lower() + s2b[1:]
    return "With " + subj2 + " " + (ph + rest if ph else rest) + ", " + s2b


# ----------------------------------------------------------------------------------------------------------------
# kind 2: topic-comment


def _dislocate(s: str, genders: dict, form: int) -> str | None:
    if not s.endswith(".") or s.count(",") > 3:
        return None
    m = re.match(r"^([A-Z][a-z]+)(?:([" + _APOS + r"]s)\s+([a-z]+))?\s+([a-z]+)\b(.*)$", s)
    topic = None
    pron = None
    rest = None
    if m and m.group(1) in genders and _looks_verb(m.group(4)):
        name = m.group(1)
        if m.group(2):
            noun = m.group(3)
            topic = name + m.group(2) + " " + noun
            pron = "they" if noun.endswith("s") and not noun.endswith("ss") else "it"
        else:
            topic = name
            pron = "she" if genders[name] == "f" else "he"
        rest = m.group(4) + m.group(5)
    else:
        if "," in s:
            return None
        m2 = re.match(r"^The\s+([a-z]+)\s+(has|have|is|are|was|were|holds|contains|sells|costs|had|needs|"
                      r"charges|makes|offers|takes|uses|gets)\b(.*)$", s)
        if not m2:
            return None
        noun = m2.group(1)
        topic = "the " + noun
        pron = "they" if (noun.endswith("s") and not noun.endswith("ss")) else "it"
        if pron == "they" and m2.group(2) in ("has", "is", "was", "holds", "contains", "sells", "costs", "needs",
                                               "charges", "makes", "offers", "takes", "uses", "gets"):
            return None
        rest = m2.group(2) + m2.group(3)
    if form == 0:
        return "As for " + topic + ", " + pron + " " + rest
    if form == 1:
        return _uc_first(topic) + " \u2014 " + pron + " " + rest
    return "When it comes to " + topic + ", " + pron + " " + rest


# ----------------------------------------------------------------------------------------------------------------
# kind 1: introduction and epithets

_EPI = {"f": ["our friend", "our heroine", "the lady"], "m": ["our friend", "our hero", "the fellow"]}
_INTRO = ["This is a story about someone named {n}.", "Let me tell you about a person called {n}.",
          "Meet {n}.", "Picture someone by the name of {n}."]


def _epithets(sents: list[str], touched: set, name: str, gender: str, rng: random.Random) -> tuple[list[str], bool]:
    epi = rng.choice(_EPI[gender])
    pron = "She" if gender == "f" else "He"
    poss = "Her" if gender == "f" else "His"
    out = list(sents)
    changed = False
    first_seen = False
    n_done = 0
    for i, s in enumerate(out):
        if i in touched or s.endswith("?"):
            if re.search(r"\b" + name + r"\b", s):
                first_seen = True
            continue
        if not first_seen:
            if re.search(r"\b" + name + r"\b", s):
                first_seen = True
            continue
        if n_done >= 2:
            break
        new = s
        if re.match(pron + r"\b", s):
            new = _uc_first(epi) + s[len(pron):]
        elif re.match(poss + r"\b", s):
            new = _uc_first(epi) + "'s" + s[len(poss):]
        elif re.search(r"\b" + name + r"\b", s[1:]):
            ref = r"(?:(?:Mr|Mrs|Ms|Dr|Miss)\.?\s+)?" + name
            new = re.sub(r"(?<=\s)" + ref + r"(?=[" + _APOS + r"]s\b)", epi, s, count=1)
            if new == s:
                new = re.sub(r"(?<=[a-z,]\s)" + ref + r"\b", epi, s, count=1)
        if new != s:
            out[i] = new
            touched.add(i)
            changed = True
            n_done += 1
    return out, changed


def _existential(s: str) -> str | None:
    """``"A raspberry bush has 6 clusters."`` -> ``"There is a raspberry bush that has 6 clusters."``"""
    m = re.match(r"^(A|An)\s+((?:[a-z][a-z-]*\s+){0,3}?[a-z][a-z-]*)\s+([a-z]+)\b(.*)$", s)
    if not m or not s.endswith("."):
        return None
    verb = m.group(3)
    past = verb in ("had", "was") or verb in _FROM_PAST
    finite = verb in ("has", "had", "is", "was", "can", "will", "could", "would", "must") or past or (
        _base_of_3sg(verb) is not None and not verb.endswith("ed"))
    if not finite or any(w in ("of", "and", "with", "in", "on", "at", "for", "to", "from", "who", "that", "which")
                         for w in m.group(2).split()):
        return None
    if m.group(2).split()[0] in ("few", "lot", "couple", "number", "total", "third", "quarter", "half", "dozen",
                                 "pair", "bit", "little", "fifth", "tenth", "hundred", "thousand", "new", "certain"):
        return None
    if re.search(r",\s*and\b|\band if\b|\band (?:a|an|the|his|her|their|each|every)\b", m.group(4)):
        return None
    return ("There was " if past else "There is ") + m.group(1).lower() + " " + m.group(2) + " that " + verb + \
        m.group(4)


# ----------------------------------------------------------------------------------------------------------------
# kinds 5 and 6: numbers

_PLAIN_INT = re.compile(r"(?<![\d$£€.,:/\w-])(?<!\d )(?<!Grade )(?<!grade )(?<!Room )(?<!Chapter )(?<!page )"
                        r"(?<!Page )(?<!No\. )(?<!number )(\d{1,3})(?![\d%:/\w]|[.,]\d| \d)")


def _to_words(s: str) -> str:
    def rep(m):
        n = int(m.group(1))
        if n > 100 or m.group(1).startswith("0") and n != 0:
            return m.group(0)
        return _num_word(n)
    return _PLAIN_INT.sub(rep, s)


_WORD_RE = re.compile(r"\b(" + "|".join(sorted((w for w in _WORD_NUM if w not in ("zero", "one")),
                                                 key=len, reverse=True)) + r")\b(?!-)", re.I)


def _to_digits(s: str) -> str:
    def rep(m):
        w = m.group(1)
        nxt = s[m.end():m.end() + 12].lower()
        if re.match(r"\s*(?:times|of them|hundred|thousand|million|percent|quarters?|halves|thirds|fifths)",
                    nxt):
            return w
        return str(_WORD_NUM[w.lower()])
    return _WORD_RE.sub(rep, s)


def _emphasise(s: str, rng: random.Random) -> str:
    word = rng.choice(["exactly", "precisely"])
    done = [0]

    def rep(m):
        if done[0] >= 2 or rng.random() < 0.35:
            return m.group(0)
        done[0] += 1
        return m.group(1) + word + " " + m.group(2)
    pat = re.compile(r"\b((?:lay|lays|has|have|had|buys|bought|sells|sold|eats|ate|makes|made|pays|paid|for|"
                     r"of|with|costs|cost|is|are|was|were|needs|needed|gets|got|takes|took|uses|used|runs|ran|"
                     r"walks|walked|drives|drove|earns|earned|spends|spent|collects|collected|reads|read)\s+)"
                     r"(\$?\d[\d,]*(?:\.\d+)?)(?![\d.]|,\d)(?!\s*(?:times|%|percent))")
    return pat.sub(rep, s)


# ----------------------------------------------------------------------------------------------------------------
# kind 7: carriers

_PLACES = [("farmers' market", "FARMERS' MARKET"), ("market", "MARKET"), ("bakery", "BAKERY"),
           ("school", "SCHOOL CLASSROOM"), ("store", "STORE"), ("shop", "SHOP"), ("farm", "FARM"),
           ("kitchen", "KITCHEN"), ("restaurant", "RESTAURANT"), ("zoo", "ZOO"), ("park", "PARK"),
           ("garden", "GARDEN"), ("office", "OFFICE"), ("library", "LIBRARY"), ("house", "HOUSE"),
           ("beach", "BEACH"), ("party", "PARTY")]


def _carrier(facts: list[str], question: str, names: list[str], rng: random.Random) -> str:
    kind = rng.randrange(3)
    joined = " ".join(facts + [question]).lower()
    if kind == 0:
        place = "QUIET ROOM"
        for k, v in _PLACES:
            if k in joined:
                place = v
                break
        head = ("EXT." if place in ("FARMERS' MARKET", "MARKET", "FARM", "ZOO", "PARK", "GARDEN", "BEACH")
                else "INT.") + " " + place + " - " + rng.choice(["DAY", "MORNING", "EVENING"])
        lines = [rng.choice(["FADE IN:", "COLD OPEN"]), "", head, ""]
        seen = set()
        for f in facts:
            g = f
            for n in names:
                if n not in seen and re.search(r"\b" + n + r"\b", g):
                    g = re.sub(r"\b" + n + r"\b", n.upper(), g, count=1)
                    seen.add(n)
            lines.append(g)
            lines.append("")
        lines += ["NARRATOR (V.O.)", rng.choice(["(to camera)", "(slowly)", "(leaning in)"]), question, "",
                  "FADE OUT."]
        return "\n".join(lines)
    if kind == 1:
        lines = [rng.choice(["COMIC SCRIPT - PAGE 1", "Strip #14", "Page One (four panels)"])]
        k = 1
        chunk = max(1, (len(facts) + 2) // 3)
        for i in range(0, len(facts), chunk):
            lines.append("")
            lines.append("PANEL %d" % k)
            for f in facts[i:i + chunk]:
                lines.append("CAPTION: " + f)
            k += 1
        lines += ["", "PANEL %d" % k, rng.choice(["SPEECH BUBBLE (teacher): ", "BALLOON (kid, puzzled): ",
                                                   "THOUGHT BUBBLE: "]) + question]
        return "\n".join(lines)
    front = " ".join(facts + [question]).replace("\t", " ").replace("\n", " ")
    tags = rng.choice(["math::word-problems", "grade4 arithmetic", "maths::story-problems review"])
    return "#separator:tab\n#html:false\n#tags column:3\n" + front + "\t\t" + tags


# ----------------------------------------------------------------------------------------------------------------
# main


def _apply(text: str, on: list[int], rng: random.Random) -> tuple[str, int]:
    sents = _split_sentences(text)
    if not sents:
        return text, 0
    qi = None
    for i in range(len(sents) - 1, -1, -1):
        if sents[i].endswith("?"):
            qi = i
            break
    if qi is None:
        qi = len(sents) - 1
    facts = sents[:qi] + sents[qi + 1:]
    question = sents[qi]
    names = _find_names(text)
    genders = _genders(text, names)
    touched: set = set()
    nchanged = 0

    if 4 in on:
        try:
            nq = _voice_question(question, rng)
            if nq != question:
                question = nq
                nchanged += 1
        except Exception:
            pass
    if 3 in on:
        try:
            done = False
            idx = list(range(len(facts) - 1))
            rng.shuffle(idx)
            for i in idx:
                if i in touched or i + 1 in touched:
                    continue
                r = _absolute(facts[i], facts[i + 1], tuple(names))
                if r:
                    facts = facts[:i] + [r] + facts[i + 2:]
                    touched = {j if j < i else j - 1 for j in touched}
                    touched.add(i)
                    done = True
                    break
            if done:
                nchanged += 1
        except Exception:
            pass
    if 2 in on:
        try:
            done = 0
            form = rng.randrange(3)
            for i, f in enumerate(facts):
                if i in touched or done >= 2:
                    continue
                r = _dislocate(f, genders, form)
                if r and rng.random() < 0.8:
                    facts[i] = r
                    touched.add(i)
                    done += 1
            if done:
                nchanged += 1
        except Exception:
            pass
    if 1 in on:
        try:
            main = names[0] if len(names) == 1 and names[0] in genders else None
            ex = 0
            for i, f in enumerate(facts):
                if i in touched or ex >= 2:
                    continue
                r = _existential(f)
                if r:
                    facts[i] = r
                    touched.add(i)
                    ex += 1
            if ex and not main:
                nchanged += 1
            if main:
                new, ch = _epithets(facts, touched, main, genders[main], rng)
                tm = re.search(r"\b((?:Mr|Mrs|Ms|Dr|Miss)\.?\s+)" + main + r"\b", text)
                intro = rng.choice(_INTRO).format(n=(tm.group(1) if tm else "") + main)
                facts = [intro] + new
                touched = {j + 1 for j in touched} | {0}
                nchanged += 1
        except Exception:
            pass
    if 5 in on:
        try:
            before = facts + [question]
            if rng.random() < 0.6:
                facts = [_to_words(f) for f in facts]
                question = _to_words(question)
            else:
                facts = [_to_digits(f) for f in facts]
                question = _to_digits(question)
            if facts + [question] != before:
                nchanged += 1
        except Exception:
            pass
    if 6 in on:
        try:
            before = list(facts)
            facts = [_emphasise(f, rng) for f in facts]
            if facts != before:
                nchanged += 1
        except Exception:
            pass
    facts = [_uc_first(f) for f in facts]
    question = _uc_first(question)
    if 7 in on:
        try:
            out = _carrier(facts, question, names, rng)
            return out, nchanged + 1
        except Exception:
            pass
    if qi == len(sents) - 1:
        return " ".join(facts + [question]), nchanged
    # the question was not last: keep its place
    return " ".join(facts[:qi] + [question] + facts[qi:]), nchanged


def rewrite(text: str, rng: random.Random) -> str:
    """Rewrite one GSM8K problem in this style (the same problem, other reference chains and clause shapes)."""
    try:
        kinds = [1, 2, 3, 4, 5, 6, 7]
        probs = {1: 0.6, 2: 0.6, 3: 0.6, 4: 0.7, 5: 0.5, 6: 0.4, 7: 0.4}
        on = [k for k in kinds if rng.random() < probs[k]]
        seed = rng.random()
        best = text
        while True:
            out, n = _apply(text, on, random.Random(seed))
            if out != text:
                best = out
            if n >= 3 or len(on) == len(kinds):
                break
            off = [k for k in kinds if k not in on]
            on = sorted(on + [rng.choice(off)])
        return best
    except Exception:
        return text
