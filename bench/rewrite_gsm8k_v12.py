"""A twelfth rewrite style for GSM8K problems, written on 2026-12-04 (session 21) without seeing the matcher
(nothing under curation/ read or imported, no decontamination bench, calibration, judge or clean-FP script and no
``factory decontam`` run, no results or flag labels read), and never used for calibration or for reading misses: a
held-out check. Of styles 1-11 and the noise style only the module docstrings were read, to stay clear of them.

It models two sources of disguised contamination, mixed per problem: (A) an LLM asked to "make this word problem
longer and more engaging for kids" / "rewrite it as a story", and (B) web-scrape / OCR damage, applied lightly on
top of (A) or on the original text. The problem stays the same problem: every fact is kept, the quantities keep
their roles and the solution steps are the same; values are kept except where a unit conversion restates one
("2 hours" -> "120 minutes"). A problem is drawn into one of three modes (story + noise, story only, scrape on
the original); each kind of its mode is switched on at random, and a problem with fewer than three kinds
changing it is redone with all of its mode's kinds on (then with all eight):

1. narrative dressing: an opening story sentence (a made-up town, a season, "Gather round, kids"), a descriptive
   appositive on the main person's first mention ("Janet, who lives in a cozy cottage at the end of Maple
   Lane, ..."), a harmless adjective on the first mention of some counted things ("16 lovely eggs"), a mood
   clause on a fact ("..., much to everyone's delight.") and a number-free scene sentence between facts;
2. dialogue: a fact whose subject is a named person or she/he becomes a first-person quote with agreeing verb
   and pronouns ('"I buy a house for $80,000," said Josh.'); otherwise a fact is quoted by a storyteller
   ('"She bought 2 more for $5," Grandma explained.');
3. synonyms from its own list, for verbs (buys -> snaps up / shops for, eats -> munches on, walks -> strolls,
   collects -> gathers, "wants to" -> "wishes to", earns -> pockets, ...) and for many nouns ("the store" ->
   "the shop", kids -> youngsters, house -> cottage, friends -> pals, party -> celebration, ...), the same way
   everywhere (a phrasal replacement is skipped before an object pronoun: "bought her");
4. cleft and passive: "Tom bought 3 apples." -> "It was Tom who bought 3 apples." or "3 apples were bought by
   Tom.";
5. the question asked chattily at the end: undone from its inverted form where the pattern is clear ("How many
   apples does Janet have left?" -> "Can you figure out how many apples Janet has left?", "What is the total
   cost?" -> "Can you work out what the total cost is?"), or given a chatty lead-in / tail ("Put on your
   thinking cap! How many ...?", "... Give it a try!");
6. unit conversions done consistently in the facts (not in the question): "N hours" -> "60N minutes", "half an
   hour" -> "30 minutes", "N weeks" -> "7N days", "$1.50" -> "150 cents" (under $10), "N dozen" / "a dozen" /
   "half a dozen" -> 12N / 12 / 6;
7. typing / OCR damage: one to three typos in long words (two interior letters swapped or one dropped; never in
   numbers), a missing space after punctuation (never between two digits), a word broken across a line with a
   hyphen ("num-\\nber");
8. scrape markup: HTML entities (&amp; &#39; &quot; &nbsp;), unicode look-alikes (non-breaking spaces, curly
   quotes, en dashes, fullwidth digits in at most one number), a stray page-header line ("Page 3 of 12",
   "Worksheet 4B") and an exercise label ("Ex. 7)", "(b)", "Problem 12.").

Pure standard library; deterministic given ``rng``; never raises (a failed step leaves its text as it was).

    >>> import random
    >>> from bench.rewrite_gsm8k_v12 import rewrite
    >>> q = "Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?"
    >>> print(rewrite(q, random.Random(0)))
    Janet has 3 apples.She&nbsp;shopped for 2 more for $5. Can you figure out how many apples Janet has?
"""

from __future__ import annotations

import random
import re


# --------------------------------------------------------------------------------------------------- word lists
def _words(block: str) -> list[str]:
    return block.split()


STOP = set(_words("""The A An If He She They It In On At After Before When Each Every How What There This That Then His Her
Their One Two Three Four Five Six Seven Eight Nine Ten For Of To But And So Since While Last Next During Some All Half
Its We I You My Our Your Mr Mrs Ms Dr Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
April May June July August September October November December Christmas Halloween Thanksgiving Easter Find Calculate
Determine Also Meanwhile Today Yesterday Tomorrow Both Over Out From With Together Later First Second Third Finally
However Currently Given Assuming Suppose Let Which Who Where Why Is Are Was Were Does Do Did Will Can Could Would
Should Not No Yes Most Many Much Only Another Other Instead New Mother Father Mom Dad Grandma Grandpa Uncle Aunt
Santa Valentine Lego If Unfortunately Luckily Now Once Every Any Because Although Though These Those Here Up
Ferris American English Spanish French Chinese Italian Mexican Canadian German Math Science"""))
ADVERBS = {"always", "also", "usually", "often", "then", "now", "only", "still", "just", "already", "never", "sometimes",
           "first", "later", "finally", "initially", "currently", "normally", "typically"}
MODALS = {"can", "could", "will", "would", "should", "must", "might", "may"}
IRREG_PAST = dict(p.split(":") for p in _words("""have:had make:made spend:spent buy:bought sell:sold get:got pay:paid
take:took eat:ate give:gave read:read run:ran win:won lose:lost leave:left go:went see:saw find:found bring:brought
catch:caught keep:kept sleep:slept swim:swam ride:rode write:wrote do:did feed:fed grow:grew throw:threw hold:held
put:put cut:cut cost:cost sit:sat stand:stood think:thought teach:taught fly:flew draw:drew build:built send:sent
lend:lent feel:felt meet:met break:broke choose:chose begin:began drink:drank sing:sang plan:planned stop:stopped
shop:shopped jog:jogged chop:chopped drop:dropped skip:skipped hit:hit let:let set:set say:said tell:told know:knew
become:became come:came fall:fell forget:forgot hide:hid wear:wore hang:hung dig:dug spin:spun sweep:swept
mean:meant lay:laid freeze:froze steal:stole shake:shook drive:drove bake:baked make:made be:was snap:snapped
rake:raked"""))
COORD_VERBS = set(IRREG_PAST) | set(_words("""turn realize notice need travel use receive start decide want like love
walk earn save spend charge collect pick plant cook return visit paint work play order add fill wash help finish plan
try hope stay open close answer ask call watch"""))
PAST_FORMS = set(IRREG_PAST.values()) | {"had", "was", "were", "did"}
# synonyms: word -> choices; the first letter's case is kept
SYN = {
    "buys": ["snaps up", "shops for"], "bought": ["snapped up", "shopped for"], "buy": ["snap up", "shop for"],
    "eats": ["munches on", "gobbles up"], "ate": ["munched on", "gobbled up"], "eat": ["munch on", "gobble up"],
    "walks": ["strolls", "wanders"], "walked": ["strolled", "wandered"], "walk": ["stroll", "wander"],
    "collects": ["gathers"], "collected": ["gathered"], "collect": ["gather"],
    "wants to": ["wishes to"], "wanted to": ["wished to"], "wants": ["would like"], "gives": ["hands"], "gave": ["handed"], "give": ["hand"],
    "picks": ["plucks"], "picked": ["plucked"],
    "earns": ["pockets", "brings home"], "earned": ["pocketed", "brought home"], "earn": ["pocket", "bring home"],
    "receives": ["is handed"], "received": ["was handed"], "finds": ["comes across", "discovers"],
    "found": ["came across", "discovered"], "jumps": ["leaps"], "jumped": ["leaped"], "drinks": ["sips"],
    "drank": ["sipped"], "cooks": ["whips up"], "cooked": ["whipped up"], "invites": ["asks over"],
    "invited": ["asked over"], "watches": ["views"], "watched": ["viewed"], "loves": ["adores"], "loved": ["adored"],
    "likes": ["enjoys"], "liked": ["enjoyed"], "fixes": ["repairs"], "fixed": ["repaired"], "begins": ["starts"],
    "began": ["started"], "travels": ["journeys"], "traveled": ["journeyed"], "prepares": ["gets ready"],
    "the store": ["the shop"], "a store": ["a shop"], "kids": ["youngsters"],
    "children": ["little ones", "youngsters"], "house": ["cottage", "home"], 
     "friends": ["pals", "chums"], "friend": ["pal", "chum"], "mother": ["mom"],
    "father": ["dad"], "big": ["enormous"], "small": ["tiny"], "large": ["huge"], "trip": ["journey"],
    "party": ["celebration"], "job": ["line of work"], "gift": ["present"],
    "gifts": ["presents"], "teacher": ["schoolteacher"], "boss": ["manager"],
    "beach": ["seashore"], "town": ["village"], "road": ["lane"], "boy": ["lad"], "girl": ["lass"],
    "started": ["began"], "starts": ["begins"], "quickly": ["speedily"], "happy": ["glad"], "the shop": ["the store"],
}
SYN_ANY = re.compile(r"\b(" + "|".join(sorted(SYN, key=len, reverse=True)) + r")\b(?![-'\u2019])", re.IGNORECASE)
OBJ_PRON = re.compile(r" (?:her|him|them|me|us|you|it)\b")
# verbs whose "N things" object may go into the passive: 3sg, past -> participle
PASSIVE = {"buys": "bought", "bought": "bought", "sells": "sold", "sold": "sold", "picks": "picked",
           "picked": "picked", "collects": "collected", "collected": "collected", "bakes": "baked", "baked": "baked",
           "makes": "made", "made": "made", "eats": "eaten", "ate": "eaten", "finds": "found", "found": "found",
           "plants": "planted", "planted": "planted", "catches": "caught", "caught": "caught", "writes": "written",
           "wrote": "written", "orders": "ordered", "ordered": "ordered", "receives": "received",
           "received": "received", "builds": "built", "built": "built", "paints": "painted", "painted": "painted",
           "knits": "knitted", "knitted": "knitted", "grows": "grown", "grew": "grown", "draws": "drawn",
           "drew": "drawn", "prints": "printed", "printed": "printed"}
UNITS = set(_words("""times hours hour minutes minute seconds second days day weeks week months month years year dollars
dollar cents cent miles mile feet foot inches inch pounds pound ounces ounce kilograms grams meters liters gallons
percent points degrees dozen dozens more less fewer of in per people km kg cm mph"""))
ADJ = ["lovely", "wonderful", "splendid", "marvelous", "fantastic", "terrific"]
OPENERS = ["Gather round, kids, because this story is full of numbers!",
           "This story takes place in the little town of Pinewood, where the streets are lined with maple trees.",
           "It was a bright and breezy morning in the village of Willowbrook.",
           "Once upon a time, in a town tucked between two green hills, there was a very busy week.",
           "Here is a fun little tale from the sunny seaside town of Coral Bay.",
           "Autumn had just arrived in Maplewood, and the leaves were turning gold and red.",
           "Let me tell you a story about a very busy day."]
APPOS = [", who lives in a cozy cottage at the end of Maple Lane,", ", who always has a big smile,",
         ", well known around town for a love of puzzles,", ", who never misses a chance for an adventure,",
         ", the most curious person on the whole street,", ", who hums a happy tune wherever they go,"]
MOODS = [", much to everyone's delight", ", just as planned", ", which made everyone smile",
         ", as cheerful as ever", ", without any fuss"]
SCENES = ["The sun was shining brightly.", "Everyone was in a great mood.", "A gentle breeze drifted through the window.",
          "Somewhere nearby, a dog barked happily.", "It was shaping up to be a very good day."]
TAGS_NAME = ["said {n}", "{n} announced proudly", "{n} explained", "{n} told everyone", "said {n} with a grin"]
TAGS_PRON = ["{p} said", "{p} added", "{p} explained", "{p} went on", "{p} said cheerfully"]
TELLERS = ["Grandma", "the storyteller", "Grandpa", "our narrator", "the teacher", "Aunt Rosie", "Uncle Bert"]
Q_WRAP = ["Can you figure out {q}?", "Can you work out {q}?", "Do you think you can tell us {q}?",
          "Let's see if you can find out {q}!", "Now, can you help us discover {q}?"]
Q_LEAD = ["Put on your thinking cap! ", "Now here's the big question: ", "Think you can solve it? ",
          "Ready for the puzzle? ", "Okay, detectives! "]
Q_TAIL = [" Give it a try!", " Let's find out together!", " Good luck!", " Take your time!"]
HEADERS = ["Page {a} of {b}", "Worksheet {a}B", "Unit {a} - Review", "Grade 3 Math | Page {a}",
           "Chapter {a} Practice Set", "Name: ____________  Date: ______"]
LABELS = ["Ex. {a}) ", "({l}) ", "Problem {a}. ", "{a}. ", "Q{a}: ", "Exercise {a}{l}. "]
ABBREV = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|vs|etc|a\.m|p\.m)\.$")
NUM = r"\$?\d[\d,]*(?:\.\d+)?"


# ----------------------------------------------------------------------------------------------------- helpers
def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    out: list[str] = []
    for p in parts:
        if out and (ABBREV.search(out[-1]) or not re.match(r"[A-Z\"'$\d(\u201c]", p)):
            out[-1] += " " + p
        else:
            out.append(p)
    return [s for s in out if s]


def _case(src: str, new: str) -> str:
    return new[:1].upper() + new[1:] if src[:1].isupper() else new


def _third(verb: str) -> str:
    if verb in ("have", "has"):
        return "has"
    if verb == "do":
        return "does"
    if verb == "be":
        return "is"
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if len(verb) > 2 and verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _past(verb: str) -> str:
    if verb in IRREG_PAST:
        return IRREG_PAST[verb]
    if verb.endswith("e"):
        return verb + "d"
    if len(verb) > 2 and verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


def _base(verb: str) -> str | None:
    """3sg present -> base form, None when it does not look like one."""
    special = {"has": "have", "is": "am", "does": "do", "goes": "go"}
    if verb in special:
        return special[verb]
    if not verb.endswith("s") or verb.endswith("ss") or len(verb) < 3:
        return None
    if verb.endswith("ies") and len(verb) > 4:
        return verb[:-3] + "y"
    if verb.endswith(("ches", "shes", "sses", "xes", "zzes", "oes")):
        return verb[:-2]
    return verb[:-1]


def _gender(text: str) -> str | None:
    fem = len(re.findall(r"\b(?:she|her|hers|herself)\b", text, re.IGNORECASE))
    mas = len(re.findall(r"\b(?:he|his|him|himself)\b", text, re.IGNORECASE))
    if fem and not mas:
        return "f"
    if mas and not fem:
        return "m"
    return None


def _names(text: str) -> list[str]:
    found: list[str] = []
    for m in re.finditer(r"(?<![A-Za-z.'\u2019])([A-Z][a-z]{2,})\b(?![.'\u2019][A-Za-z])", text):
        w = m.group(1)
        before = text[max(0, m.start() - 5):m.start()]
        if w in STOP or re.search(r"(?:Mr|Mrs|Ms|Dr)\.? ?$", before):
            continue
        if w not in found:
            found.append(w)
    return found


# --------------------------------------------------------------------------------------------- kind 1: narrative
def _narrative(sents: list[str], text: str, rng: random.Random) -> list[str]:
    out = list(sents)
    facts = len(out) - 1
    names = _names(text)
    # appositive on the main person's first sentence-initial mention
    if names and rng.random() < 0.7:
        n = names[0]
        for i in range(facts):
            m = re.match(rf"{n} (?=[a-z])", out[i])
            if m and not re.match(rf"{n} (?:and|or|is|was|'s)\b", out[i]):
                out[i] = n + rng.choice(APPOS) + out[i][len(n):]
                break
    # adjectives on first mentions of counted plural nouns
    seen: set[str] = set()

    def adj(m: re.Match) -> str:
        noun = m.group(2)
        if noun in seen or len(seen) >= 2 or noun.lower() in UNITS or not noun.endswith("s") or rng.random() < 0.5:
            return m.group()
        seen.add(noun)
        return f"{m.group(1)} {rng.choice(ADJ)} {noun}"

    for i in range(facts):
        out[i] = re.sub(r"(\b\d[\d,]*) ([a-z]{4,})\b(?!-)", adj, out[i], count=2)
    # a mood clause on one plain fact sentence
    who = "|".join(["She", "He", "They"] + [re.escape(n) for n in names])
    cand = [i for i in range(facts) if out[i].endswith(".") and re.match(rf"(?:{who}) [a-z]", out[i])
            and '"' not in out[i] and len(out[i]) < 160]
    if cand and rng.random() < 0.6:
        i = rng.choice(cand)
        out[i] = out[i][:-1] + rng.choice(MOODS) + "."
    if facts >= 2 and rng.random() < 0.5:
        out.insert(rng.randint(1, facts), rng.choice(SCENES))
    if rng.random() < 0.75:
        out.insert(0, rng.choice(OPENERS))
    return out


# ---------------------------------------------------------------------------------------------- kind 2: dialogue
ROLES = {"f": r"\b(?:mom|mother|sister|daughter|wife|aunt|grandma|grandmother|girlfriend|woman|girl|niece|queen|lady|"
              r"mum|women|girls|sisters|daughters)\b",
         "m": r"\b(?:dad|father|brother|son|husband|uncle|grandpa|grandfather|boyfriend|man|boy|nephew|king|men|boys|"
              r"brothers|sons)\b"}


def _first_person(s: str, name: str | None, gender: str | None, one_person: bool, text: str = "") -> str | None:
    """'Tom buys 3 pens for his sister.' -> 'I buy 3 pens for my sister.' or None."""
    m = re.match(rf"^(She|He|[A-Z][a-z]+) ((?:(?:{'|'.join(sorted(ADVERBS))}) )?)([a-z]+)(.*)\.$", s)
    if not m:
        return None
    subj, adv, verb, rest = m.groups()
    if subj in ("She", "He"):
        if gender is None or (subj == "She") != (gender == "f"):
            return None
    elif subj != name:
        return None
    if verb in MODALS or verb in PAST_FORMS or verb.endswith("ed"):
        new = verb
    elif verb == "was":
        new = "was"
    else:
        b = _base(verb)
        if b is None:
            return None
        new = b
    if verb in ("is",) and adv:
        return None
    pron = r"\b(she|he|her|his|him|herself|himself)\b"
    if any(n not in STOP and n != name for n in re.findall(r"(?<=[a-z,] )[A-Z][a-z]+\b", rest)):
        return None  # another person is in the sentence
    if re.search(pron, rest, re.IGNORECASE) or subj in ("She", "He"):
        if not one_person or gender is None or re.search(ROLES[gender], text):
            return None
        if re.search(r"\b(?:and|but) (?:she|he) [a-z]+s\b", rest):
            return None

        def sw(p: re.Match) -> str:
            w = p.group(1).lower()
            after = rest[p.end():p.end() + 6]
            if w in ("she", "he"):
                return "I"
            if w in ("herself", "himself"):
                return "myself"
            if w == "him":
                raise ValueError("object pronoun: most likely another person")
            if w == "his":
                return "my"
            # her: object before punctuation or a preposition/article (another person), else possessive
            if re.match(r"(?:[.,;!?]|$| (?:a|an|the|to|for|and|some|\d|\$|with|at|in|on|up|out|back)\b)", after):
                raise ValueError("object pronoun: most likely another person")
            return "my"

        try:
            rest = re.sub(pron, sw, rest)
        except ValueError:
            return None
    def coord(v: re.Match) -> str:
        b = _base(v.group(2))
        if v.group(2) in ("has", "is", "does"):
            b = {"has": "have", "is": "am", "does": "do"}[v.group(2)]
        elif b is None or b not in COORD_VERBS:
            raise ValueError("ambiguous coordinated -s word")
        return f"{v.group(1)}{b}"

    try:  # "... and eats 2 a night": a coordinated verb agrees with "I" too; an unknown -s word stops it
        if re.search(r"\b(?:that|which|who|whose)\b", rest) and re.search(r"\b(?:and|but|or) ", rest):
            return None
        rest = re.sub(r"(\b(?:and|but|or) (?:then |also |later |now |only )?)([a-z]+s)\b", coord, rest)
    except ValueError:
        return None
    adverbs = "|".join(sorted(ADVERBS))

    def agree(v: re.Match) -> str:
        w = v.group(2)
        b = None if w in ADVERBS or w in ("was", "has", "is", "does") else _base(w)
        return f"I {v.group(1)}{b or {'has': 'have', 'is': 'am', 'does': 'do'}.get(w, w)}"

    rest = re.sub(rf"\bI ((?:(?:{adverbs}) )?)([a-z]+)\b", agree, rest)
    return f"I {adv}{new}{rest}"


def _dialogue(sents: list[str], text: str, rng: random.Random) -> list[str]:
    out = list(sents)
    names = _names(text)
    gender = _gender(text)
    name = names[0] if names else None
    one = len(names) == 1
    idx = [i for i in range(len(out) - 1) if '"' not in out[i] and out[i].endswith(".")]
    rng.shuffle(idx)
    tellers = list(TELLERS)
    rng.shuffle(tellers)
    for done, i in enumerate(idx[:2]):
        if done and rng.random() < 0.7:
            break
        s = out[i]
        fp = _first_person(s, name, gender, one, text)
        if fp is not None:
            if s.startswith(("She ", "He ")):
                tag = rng.choice(TAGS_PRON).format(p=s.split()[0].lower())
            else:
                tag = rng.choice(TAGS_NAME).format(n=name)
            out[i] = f'"{fp}," {tag}.'
        else:
            body = s[:-1]
            teller = tellers.pop()
            if rng.random() < 0.5:
                out[i] = f'"{body}," {teller} {rng.choice(["explained", "said", "added with a wink", "read aloud"])}.'
            else:
                out[i] = f'{teller[0].upper()}{teller[1:]} {rng.choice(["leaned in and said", "smiled and said", "began"])}, "{body}."'
    return out


# ---------------------------------------------------------------------------------------------- kind 3: synonyms
def _synonyms(text: str, rng: random.Random) -> str:
    keys = sorted({m.group(1).lower() for m in SYN_ANY.finditer(text)})
    if not keys:
        return text
    rng.shuffle(keys)
    pick = rng.randrange(2)
    chosen = {k: SYN[k][pick % len(SYN[k])] for k in keys[:max(2, int(len(keys) * 0.8))]}
    # do not touch compounds ("store owner", "car wash") or possessive-led question words
    alts = "|".join(re.escape(k).replace(r"\ ", " ") for k in sorted(chosen, key=len, reverse=True))
    pat = re.compile(r"\b(" + alts + r")\b(?![-'\u2019])", re.IGNORECASE)

    def sub(m: re.Match) -> str:
        w = m.group(1)
        low = w.lower()
        if low not in chosen or (w[0].isupper() and m.start() > 0 and text[m.start() - 2:m.start()] not in (". ", "? ", "! ")):
            return w
        if " " in chosen[low] and OBJ_PRON.match(text, m.end()):  # "bought her" must not become "shopped for her"
            return w
        return _case(w, chosen[low])

    out = pat.sub(sub, text)
    return re.sub(r"\b([Aa]) (?=[aeiou][a-z])", r"\1n ", out)


# ------------------------------------------------------------------------------------------ kind 4: cleft/passive
def _cleft(sents: list[str], text: str, rng: random.Random) -> list[str]:
    out = list(sents)
    names = set(_names(text))
    idx = list(range(len(out) - 1))
    rng.shuffle(idx)
    for i in idx:
        s = out[i]
        m = re.match(r"^([A-Z][a-z]+|She|He) ([a-z]+) (an?|\d[\d,]*) ([a-z]+(?: [a-z]+)?)(.*)\.$", s)
        if m and m.group(2) in PASSIVE and (m.group(1) in names or m.group(1) in ("She", "He")) \
                and not re.match(r"(?:and|more|of|to|for|in|on|at)\b", m.group(4)) and rng.random() < 0.5:
            subj, verb, num, noun, rest = m.groups()
            noun_words = noun.split()
            if len(noun_words) == 2 and (noun_words[0].endswith("s") or not noun_words[1].endswith("s")
                                         or noun_words[1] in ("is", "was", "has", "as", "this", "his", "its")):
                noun, rest = noun_words[0], " " + noun_words[1] + rest
            if noun_words[0] in UNITS or re.search(r",| and | but ", rest):
                continue
            if rest and not re.match(r"(?:,| (?:for|from|at|in|on|to|with|last|this|yesterday|each|that|which|"
                                     r"every|per|over|during)\b)", rest):
                continue
            if re.search(r"\b(?:she|he|her|his|him)\b", rest, re.IGNORECASE) and subj not in ("She", "He"):
                continue
            agent = {"She": "her", "He": "him"}.get(subj, subj)
            single = num in ("a", "an", "1")
            past = verb in PAST_FORMS or verb.endswith(("ed", "ew", "ote", "ought", "ught", "ld", "ilt", "und"))
            be = ("was" if single else "were") if past else ("is" if single else "are")
            art = num[0].upper() + num[1:] if num[0].isalpha() else num
            out[i] = f"{art} {noun} {be} {PASSIVE[verb]} by {agent}{rest}."
            return out
        m = re.match(r"^([A-Z][a-z]+) ([a-z]+)\b(.*)\.$", s)
        if m and m.group(1) in names and re.search(r"\d", s) and not re.match(r"and|or|is|was\b", m.group(2)):
            verb = m.group(2)
            if verb in PAST_FORMS or verb.endswith("ed") or verb in IRREG_PAST.values():
                be = "was"
            elif verb.endswith("s") or verb in MODALS:
                be = "is"
            else:
                continue
            out[i] = f"It {be} {m.group(1)} who {verb}{m.group(3)}."
            return out
    return out


# --------------------------------------------------------------------------------------------- kind 5: question
PRON_SUBJ = {"he", "she", "they", "it", "we", "you", "I"}
NAME_SUBJ = re.compile(r"^(?:[A-Z][a-z]+(?: and [A-Z][a-z]+)?|[A-Z][a-z]+['\u2019]s [a-z]+)(?= [a-z]|$)")
BASE_VERBS = set(IRREG_PAST) | set(_words("""need want cost earn use contain weigh produce receive collect charge owe pick
travel walk work cook plant lack score play fill order raise save remove require serve return pass hold
visit paint spend pay make have get sell buy eat take lose win read run drive""")) - set(_words("""plan set cut hit
let bet shut lay drop stop shop skip chop jog snap rake sweep spin dig hang fall sleep swim ride fly draw break hide
wear tear bear feel mean meet lend build keep sit stand"""))


def _inverted(wh: str, aux: str, tail: str) -> str | None:
    """wh + aux + 'subject verb rest' -> 'wh subject verb-agreed rest', or None."""
    words = tail.split(" ")
    subj_len = 0
    if words[0] in PRON_SUBJ:
        subj_len = 1
    else:
        m = NAME_SUBJ.match(tail)
        if m:
            subj_len = len(m.group().split(" "))
        elif words[0] in ("the", "his", "her", "their", "its"):
            for k in (2, 3):  # "the bakery", "the third house"
                if len(words) > k and words[k] in BASE_VERBS:
                    subj_len = k
                    break
    if not subj_len or len(words) <= subj_len:
        return None
    subj, verb, rest = " ".join(words[:subj_len]), words[subj_len], " ".join(words[subj_len + 1:])
    if not re.fullmatch(r"[a-z]+", verb) or verb in ("and", "of", "in", "for", "to", "the", "a"):
        return None
    if aux == "does":
        v = _third(verb)
    elif aux == "do":
        v = verb
    elif aux == "did":
        v = _past(verb)
    else:
        v = f"{aux} {verb}"
    return f"{wh[0].lower()}{wh[1:]} {subj} {v}" + (f" {rest}" if rest else "")


def _uninvert(q: str) -> str | None:
    """'How many apples does Janet have left?' -> 'how many apples Janet has left' (no '?'), or None."""
    body = q[:-1]
    m = re.match(r"^(How (?:many|much)(?: [^?]*?)?|How (?:long|far|old|fast|tall|often)|What [a-z ]*?) "
                 r"(does|do|did|will|would|can|could|should) (.+)$", body)
    if m:
        return _inverted(*m.groups())
    if re.search(r",|\b(?:if|when|after|before|since|assuming|given)\b|\b[a-z]+ing\b", body):
        return None
    m = re.match(r"^(How (?:many|much) [^?]*?) (is|are|was|were) there\b(.*)$", body)
    if m:
        return f"{m.group(1)[0].lower()}{m.group(1)[1:]} there {m.group(2)}{m.group(3)}"
    m = re.match(r"^(What|How much|How old|How tall|How long|How far) (is|was|are|were) (.+)$", body)
    if not m:
        return None
    wh, aux, tail = m.groups()
    wh = wh[0].lower() + wh[1:]
    words = tail.split(" ")
    if words[0] in PRON_SUBJ:  # "How far is he from home" -> "how far he is from home"
        return f"{wh} {words[0]} {aux}" + (" " + " ".join(words[1:]) if len(words) > 1 else "")
    n = NAME_SUBJ.match(tail)
    if n:
        return f"{wh} {n.group()} {aux}{tail[n.end():]}"
    if words[0] in ("the", "a", "an", "his", "her", "their", "its") or re.match(r"[A-Z][a-z]+['\u2019]s\b", tail):
        return f"{wh} {tail} {aux}"
    return None


def _question(sents: list[str], rng: random.Random) -> list[str]:
    out = list(sents)
    q = out[-1]
    if not q.endswith("?"):
        return out
    pre = ""
    m = re.match(r"^(.*?, )((?:how|what) .*)$", q)
    if m:
        pre, core = m.group(1), m.group(2)
        core = core[0].upper() + core[1:]
    else:
        core = q
    u = _uninvert(core) if rng.random() < 0.75 else None
    if u:
        wrapped = rng.choice(Q_WRAP).format(q=u)
        if pre:
            wrapped = pre + wrapped[0].lower() + wrapped[1:]
        out[-1] = wrapped
    else:
        out[-1] = rng.choice(Q_LEAD) + q
    if rng.random() < 0.35:
        out[-1] += rng.choice(Q_TAIL)
    return out


# ------------------------------------------------------------------------------------------------ kind 6: units
def _fmt(x: float) -> str:
    return f"{round(x):,}" if abs(x - round(x)) < 1e-9 else f"{x:g}"


def _units(sents: list[str], rng: random.Random) -> list[str]:
    out = list(sents)
    n = len(out) - 1 if out and out[-1].endswith("?") else len(out)
    for i in range(n):
        s = out[i]
        s = re.sub(r"\bhalf a dozen\b", "6", s)
        s = re.sub(r"\b[Aa] dozen\b", "12", s)
        s = re.sub(r"\b(\d+) dozen\b(?! (?:of|per|at|for|is|are))",
                   lambda m: _fmt(int(m.group(1)) * 12), s)
        s = re.sub(r"\bhalf an hour\b|\bhalf hour\b", "30 minutes", s)

        def hours(m: re.Match) -> str:
            v = float(m.group(1)) * 60
            if abs(v - round(v)) > 1e-9 or v > 6000:
                return m.group()
            return f"{_fmt(v)} minutes"

        s = re.sub(r"(?<![\d.$])(\d+(?:\.\d+)?) hours?\b(?! and \d)(?!-)", hours, s)
        s = re.sub(r"(?<![\d.$])(\d+) weeks?\b(?!-)", lambda m: f"{_fmt(int(m.group(1)) * 7)} days", s)

        def cents(m: re.Match) -> str:
            d, c = int(m.group(1)), int(m.group(2))
            if d >= 10 or m.group(3) or re.search(r"\ban? $", m.string[:m.start()]):
                return m.group()
            return f"{d * 100 + c} cents"

        s = re.sub(r"\$(\d+)\.(\d\d)\b(\d*)(?! (?:per|each|an|a)\b)?", cents, s)
        out[i] = s
    return out


# ------------------------------------------------------------------------------------------- kind 7: OCR/typing
def _ocr(text: str, rng: random.Random) -> str:
    # typos in long lower-case words
    words = [m for m in re.finditer(r"(?<![\w&#])[a-z]{8,}\b", text)]
    rng.shuffle(words)
    spans: dict[int, tuple[int, str]] = {}
    for m in words[:rng.randint(1, 3)]:
        w = m.group()
        j = rng.randint(1, len(w) - 3)
        if rng.random() < 0.5:
            new = w[:j] + w[j + 1] + w[j] + w[j + 2:]
        else:
            new = w[:j] + w[j + 1:]
        spans[m.start()] = (m.end(), new)
    if spans:
        buf, last = [], 0
        for st in sorted(spans):
            en, new = spans[st]
            buf.append(text[last:st])
            buf.append(new)
            last = en
        buf.append(text[last:])
        text = "".join(buf)
    # a missing space after punctuation (never between digits)
    gaps = [m.start() + 1 for m in re.finditer(r"(?<!\d)[.,;:!?] (?=[A-Za-z\"])", text)]
    if gaps and rng.random() < 0.8:
        for g in sorted(rng.sample(gaps, min(len(gaps), rng.randint(1, 2))), reverse=True):
            text = text[:g] + text[g + 1:]
    # a hyphenated line break inside one long word
    longs = [m for m in re.finditer(r"(?<![\w&#-])[a-z]{9,}\b", text)]
    if longs and rng.random() < 0.6:
        m = rng.choice(longs)
        k = rng.randint(3, len(m.group()) - 3)
        text = text[:m.start() + k] + "-\n" + text[m.start() + k:]
    return text


# -------------------------------------------------------------------------------------------- kind 8: markup
FULL = str.maketrans("0123456789", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19")


def _markup(text: str, rng: random.Random) -> str:
    html = rng.random() < 0.5
    if html:
        text = text.replace("&", "&amp;")
        if rng.random() < 0.8:
            text = re.sub(r"['\u2019]", "&#39;", text)
        if rng.random() < 0.5:
            text = text.replace('"', "&quot;")
        sp = [m.start() for m in re.finditer(r"(?<=[a-z]) (?=[a-z])", text)]
        for p in sorted(rng.sample(sp, min(len(sp), rng.randint(1, 2))), reverse=True):
            text = text[:p] + "&nbsp;" + text[p + 1:]
    else:
        text = re.sub(r"(?<=[A-Za-z])'(?=[a-z])", "\u2019", text)
        qs = iter(range(10 ** 6))
        text = re.sub(r'"', lambda m: "\u201c" if next(qs) % 2 == 0 else "\u201d", text)
        sp = [m.start() for m in re.finditer(r"(?<=\S) (?=\S)", text)]
        for p in rng.sample(sp, min(len(sp), rng.randint(1, 3))):
            text = text[:p] + "\u00a0" + text[p + 1:]
        text = re.sub(r"(?<=[A-Za-z])-(?=[A-Za-z])", "\u2013", text) if rng.random() < 0.7 else text
        nums = [m for m in re.finditer(r"(?<![\d.,])\d+(?![\d.,]\d)", text)]
        if nums and rng.random() < 0.6:
            m = rng.choice(nums)
            text = text[:m.start()] + m.group().translate(FULL) + text[m.end():]
    a, b = rng.randint(2, 14), rng.randint(15, 40)
    if rng.random() < 0.6:
        text = rng.choice(LABELS).format(a=rng.randint(1, 30), l=rng.choice("abcdefgh")) + text
    if rng.random() < 0.5:
        head = rng.choice(HEADERS).format(a=a, b=b)
        text = head + "\n" + text if rng.random() < 0.7 else text + "\n" + head
    return text


# ---------------------------------------------------------------------------------------------------- driver
def _safe(fn, value, *args):
    try:
        res = fn(value, *args)
        return value if res is None or not res else res
    except Exception:  # noqa: BLE001 - a failed step leaves its text as it was
        return value


def _once(question: str, rng: random.Random, kinds: set[int]) -> tuple[str, int]:
    text = re.sub(r"[ \t]+", " ", question.strip())
    changed = 0
    if 3 in kinds:
        new = _safe(_synonyms, text, rng)
        changed += new != text
        text = new
    sents = _sentences(text) or [text]
    for k, fn in ((6, lambda s: _units(s, rng)), (4, lambda s: _cleft(s, text, rng)),
                  (2, lambda s: _dialogue(s, text, rng)), (1, lambda s: _narrative(s, text, rng)),
                  (5, lambda s: _question(s, rng))):
        if k in kinds:
            new = _safe(fn, sents)
            changed += new != sents
            sents = new
    text = " ".join(sents)
    for k, fn in ((7, _ocr), (8, _markup)):
        if k in kinds:
            new = _safe(fn, text, rng)
            changed += new != text
            text = new
    return text, changed


def rewrite(question: str, rng: random.Random) -> str:
    """Rewrite one GSM8K question in style 12 (story retelling and/or scrape noise); never raises."""
    try:
        mode = rng.random()
        if mode < 0.5:  # story, then light noise
            pool = {1: 0.7, 2: 0.6, 3: 0.8, 4: 0.4, 5: 0.8, 6: 0.4, 7: 0.6, 8: 0.6}
        elif mode < 0.75:  # story only
            pool = {1: 0.85, 2: 0.7, 3: 0.85, 4: 0.5, 5: 0.9, 6: 0.5}
        else:  # scrape noise on the original
            pool = {3: 0.3, 5: 0.3, 6: 0.4, 7: 0.9, 8: 0.9}
        kinds = {k for k, p in sorted(pool.items()) if rng.random() < p}
        text, changed = _once(question, rng, kinds)
        if changed < 3:
            text, changed = _once(question, rng, set(pool))
        if changed < 3:
            text, changed = _once(question, rng, set(range(1, 9)))
        return text
    except Exception:  # noqa: BLE001 - never raise on a benchmark item
        return question
