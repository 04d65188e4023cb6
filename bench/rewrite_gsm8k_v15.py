"""A fifteenth rewrite style for GSM8K problems, written on 2026-12-04 (session 22) without seeing the matcher (nothing
under curation/ read, listed or imported, no repo-wide grep, no decontamination bench, calibration, judge or scoring
script and no ``factory decontam`` run, no results, notes, git history or flag labels read), and never used for
calibration or for reading misses: a held-out check. Of styles 1-14 and the noise style only the module docstrings
were read, to stay clear of them.

It models how a contaminated test item sits inside a training-corpus *row* rather than how one problem is reworded:
the row is a whole worksheet, exam paper or forum digest in which the item is one of several problems, or an SFT
record that stores the item together with a worked solution; and the item itself has been densely paraphrased,
restructured, re-valued and re-named on the way. The problem stays the same problem (every quantity-bearing fact
kept, values changed consistently, the same question). Each kind is switched on at random; a problem with fewer
than three kinds changing it is redone with one more kind switched on at a time (the document last) until three do:

1. multi-problem document: the item becomes one of 2-5 numbered problems, the others real GSM8K *train* problems
   (``$FACTORY_SHARED_DATA/gsm8k/train.jsonl``, read once; skipped when unreadable), at a random position, in a
   worksheet ("Name: ____ Date: ____", "Solve each problem. Show your work."), an exam section ("SECTION B ...
   Question 3 [4 marks]"), a textbook exercise ("Exercise 7.3 ... (c)"), a forum digest ("Posted by mathmom_77:")
   or a homework-help thread, sometimes with an answer key at the end; with (2) on, a few-shot prompt, a stacked
   chat transcript or "Example N / Solution" pages, the train problems carrying their real GSM8K solutions;
2. problem + worked solution, as SFT corpora store it ("Question: ... Answer: ...", "Q: ... A: Let's think step by
   step.", "User: ... Assistant: ...", "Problem: ... Solution: ... \\boxed{N}", a bare GSM8K line with "#### N"):
   a generic chain of thought built from the problem's own sentences and numbers (facts restated, the question
   restated, running arithmetic with operations guessed from cue words, GSM8K calculator marks ``<<3+2=5>>`` in
   some rows, "so", "therefore", "#### N"); it reads like a solution but need not reach the right answer;
3. dense lexical paraphrase from its own tables, one synonym per problem for each entry: verbs only when an object
   follows ("buys 3" -> "purchases/acquires/picks up 3", "earns $" -> "makes/brings in/takes home $", "uses 2
   eggs" -> "goes through 2 eggs", "costs $4" -> "sells for/goes for/comes to $4"), "wants to" -> "hopes to",
   "decided to" -> "opted to", "is going to" -> "will", nouns (store -> shop, students -> pupils, party ->
   get-together), adjectives (small -> little, extra -> additional), function phrases ("each" -> "every" /
   "apiece", "per" -> "for each", "every day" -> "daily", "in total" -> "altogether"/"in all", "twice the" ->
   "double the", "does she have left" -> "does she still have", "is left" -> "remains", "How many X" -> "What
   number of X", "because" -> "since"), articles made to agree;
4. clause restructuring: a leading "If ..., how many ...?" -> "Given that ..., determine how many ... ." / "When
   ..., how many ...?" / "Suppose .... How many ...?" / "Assuming ..., work out ..."; the question asked before
   the last fact ("Tell me how many ..., bearing in mind that ..."); two facts joined with a semicolon or with "In
   addition,"; a compound sentence split at ", and she ..." / ", so ..." / ", then ..."; "They cost ..." and
   "Each car sells ..." folded into a relative clause (", which cost ...", ", each of which sells ..."); a
   leading "On Monday," / "Yesterday," moved to the end of its sentence;
5. values: every number changed consistently (one new value per old value, digits and number words alike), each
   by steps of its own grain so round numbers stay round and parity holds, larger values stay larger, a value
   that is the sum of two others stays their sum, percentages move to a neighbouring round percentage; kept: 0,
   1, decimals below 1, years, clock times, ordinals, fractions, unit constants ("60 minutes", "12 inches");
6. names: people get other names of the gender read off the pronouns after them (neutral names when unclear),
   surnames after Mr/Mrs/Ms/Dr get other surnames, consistently, possessives too.

Pure standard library; deterministic given ``rng``; never raises (a failed step leaves its text as it was).

    >>> import random
    >>> from bench.rewrite_gsm8k_v15 import rewrite
    >>> q = "Janet has 3 apples. She bought 2 more for $5. How many apples does Janet have?"
    >>> print(rewrite(q, random.Random(9)))
    Question: Tamsin has 6 apples. Also, she bought 3 more for $9. How many apples does Tamsin have?
    Answer: First, Tamsin has 6 apples.
    Also, she bought 3 more for $9.
    Adding these, 6 + 3 = 9 in all.
    We need to find how many apples Tamsin has.
    So, the final answer is 9.
    #### 9
"""

from __future__ import annotations

import json
import os
import random
import re

# ------------------------------------------------------------------------------------------------ train problems
_TRAIN: list[tuple[str, str]] | None = None


def _train() -> list[tuple[str, str]]:
    """The GSM8K train problems (question, answer), read once; empty when the file cannot be read."""
    global _TRAIN
    if _TRAIN is None:
        rows: list[tuple[str, str]] = []
        try:
            base = os.environ.get("FACTORY_SHARED_DATA") or "/work/shared/data"
            with open(os.path.join(base, "gsm8k", "train.jsonl"), encoding="utf-8") as f:
                for line in f:
                    try:
                        d = json.loads(line)
                    except ValueError:
                        continue
                    q = d.get("question") if isinstance(d, dict) else None
                    if isinstance(q, str) and q.strip():
                        rows.append((" ".join(q.split()), str(d.get("answer") or "").strip()))
        except (OSError, UnicodeDecodeError):
            rows = []
        _TRAIN = rows
    return _TRAIN


# ------------------------------------------------------------------------------------------------------ helpers
_ABBR = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Prof|vs|etc|No|approx|a\.m|p\.m)\.$")
PRONOUNS = {"she", "he", "they", "it", "we", "you", "i", "there"}


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9$\"'(])", text.strip())
    out: list[str] = []
    for p in parts:
        if out and _ABBR.search(out[-1]):
            out[-1] += " " + p
        elif p:
            out.append(p)
    return out


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _low(s: str, keep: set[str] | frozenset[str] = frozenset()) -> str:
    """``s`` with its first letter lowered, unless its first word is a name, "I" or an acronym."""
    w = re.match(r"[A-Za-z]+", s)
    if not w:
        return s
    word = w.group()
    if word in ("I", "Mr", "Mrs", "Ms", "Dr", "Miss") or word in keep or word in NAMES_S or \
            (len(word) > 1 and word.isupper()):
        return s
    if word[0].isupper() and word.lower() not in LOWERABLE and word not in STOP and not (
            word.endswith("s") and len(word) > 3 and not re.match(r"[A-Za-z]+['’]", s)):
        return s  # most likely a name
    return s[:1].lower() + s[1:]


NAMES_S = set("""James Charles Chris Marcus Lucas Thomas Nicholas Louis Carlos Agnes Frances Doris Iris Lois Phyllis
Dolores Gladys Alexis Travis Dennis Francis Curtis Douglas Andreas Jonas Silas Elias Tobias Matthias Amos Otis Cyrus
Rufus Julius Marcos Nicolas Jules Miles Myles Wes Gus Ross Jess Tess Bess Cass Lewis Hayes Morris Brooks Collins
Reyes Santos Ramos Torres Flores Gomes Dolores Mercedes Lourdes Paris Tomas Matias Ines Inez Ulysses Achilles
Hercules Zeus Moses Jesus Judas Titus Markus Klaus Hans Lars Nils Mats Anders Rhys Ellis Harris Willis""".split())


def _question_index(sents: list[str]) -> int | None:
    for i in range(len(sents) - 1, -1, -1):
        if "?" in sents[i]:
            return i
    asks = r"\b(?:find|calculate|compute|determine|work out|figure out|tell me|what|how (?:many|much))\b"
    if sents and re.search(asks, sents[-1], re.I):
        return len(sents) - 1
    return None


def _fmt(x: float) -> str:
    if abs(x - round(x)) < 1e-9:
        return str(int(round(x)))
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _a_an(text: str) -> str:
    """Make "a"/"an" agree before a number written in digits."""
    def fix(m: re.Match) -> str:
        n = m.group(2)
        an = n.startswith("8") or re.fullmatch(r"1[18](?:\d{3})*(?:,\d{3})*", n.replace(",", "")) is not None \
            or (len(n.replace(",", "")) in (2, 5) and n.startswith(("11", "18")))
        art = "an" if an else "a"
        return (_cap(art) if m.group(1)[0].isupper() else art) + " " + n
    return re.sub(r"\b([Aa]n?) (\d[\d,]*)", fix, text)


LOWERABLE = set("""the a an she he they it we you his her their its our my your there this that these those each every
if when after before while since on in at for one two three four five six seven eight nine ten some all both many
most half twice then also so but and yesterday today tomorrow last next during how what which who whose find
calculate determine compute from with by once given suppose assuming imagine figure work tell round express note besides
moreover additionally however out over under because""".split())
STOP = set("""The A An If He She They It In On At After Before When Each Every How What Which Who Whose Why Where There
This That These Those Then His Her Their Its For Of To And But So Since While During Some All Half Its We I You My Our
Your Mr Mrs Ms Dr Miss Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June
July August September October November December Christmas Halloween Thanksgiving Easter Valentine New Year Find
Calculate Determine Compute Also Meanwhile Today Yesterday Tomorrow Both Over Out From With Together Later First Second
Third Finally However Currently Given Assuming Suppose Supposing Let Is Are Was Were Does Do Did Will Can Could Would
Should Not No Yes Most Many Much Only Another Other Instead One Two Three Four Five Six Seven Eight Nine Ten Eleven
Twelve Twenty Fifty Hundred Thousand Last Next Every Per Using By To Profit Spanish French English American Italian
Chinese Mexican Canadian German Japanese Indian British Math Science History Art Lego Ferris Santa Mother Father Grandma
Grandpa Uncle Aunt Mom Dad Mommy Daddy Grandmother Grandfather Sunday Saturday Facebook Instagram YouTube Twitter
Internet TV Earth Mars Moon Sun North South East West Street Avenue Road Lake River Mount Park School High Middle
Elementary University College Club Team Company Inc Publisher Store Market Mall City Town County State Island Beach
Ocean Sea Pacific Atlantic Amazon Google Apple Disney Netflix Olympic Olympics Super Bowl Day Week Month Although
Because Unless Until Once Now Even Still Just Here Every Everyone Everybody Nobody Someone Somebody Anyone Anything
Something Nothing Total Altogether Overall Initially Originally Later Afterwards Eventually Lastly Recently Usually
Normally Typically Twice Thrice Double Triple Round Express Give Answer Question Problem Note Assume Consider Write
Use Please Hint Ok OK Oh Well Hi Hello Dear Sir Madam Miss Lady Lord King Queen Prince Princess Captain Coach Doctor
Officer Professor Teacher Chef Farmer Judge Saint Pope Bible Quran Christ God Jesus Buddha""".split())


# ------------------------------------------------------------------------------------------------------- values
_NUM = re.compile(r"(?<![\w./:,\-])(\$?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\d/:]|\.\d|[A-Za-z]|-(?:thirds?|fourths?|"
                  r"fifths?|halves|half|quarters?))(\s*%| percent| per cent)?")
_WORDNUM = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
            "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50}
_NUMWORD = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten",
            11: "eleven", 12: "twelve", 13: "thirteen", 14: "fourteen", 15: "fifteen", 16: "sixteen",
            17: "seventeen", 18: "eighteen", 19: "nineteen", 20: "twenty", 30: "thirty", 40: "forty", 50: "fifty"}
_WORDRE = re.compile(r"(?<![\w-])(" + "|".join(_WORDNUM) + r")(?![\w-])", re.I)
_CONSTANTS = {(60, "minutes"), (60, "seconds"), (60, "mins"), (24, "hours"), (7, "days"), (30, "days"), (31, "days"),
              (365, "days"), (52, "weeks"), (12, "months"), (12, "inches"), (3, "feet"), (16, "ounces"),
              (100, "cents"), (100, "centimeters"), (1000, "meters"), (1000, "grams"), (1000, "milliliters"),
              (4, "quarts"), (8, "ounces"), (4, "legs"), (2, "legs"), (4, "wheels"), (2, "wheels"), (4, "weeks"),
              (10, "dimes"), (4, "quarters"), (5, "nickels")}
_PCTS = [5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90]
_TIMEWORDS = ("a.m", "p.m", "am ", "pm ", "am.", "pm.", "am,", "pm,", "o'clock", "o’clock")


def _grain(v: int) -> int:
    for g in (100000, 50000, 10000, 5000, 1000, 500, 100, 50, 25, 20, 10, 5, 4, 2):
        if v % g == 0 and g * 2 <= v:
            return g
    return 1


def _kept(text: str, start: int, end: int, value: float, whole: str) -> bool:
    after = text[end:end + 14].lower().lstrip()
    before = text[max(0, start - 20):start]
    nxt = re.match(r"[a-z]+", after)
    if value in (0, 1) or "." in whole and value < 1:
        return True
    if "," not in whole and "." not in whole and 1800 <= value <= 2100 and not before.endswith("$"):
        return True  # a year
    if after.startswith(_TIMEWORDS):
        return True
    if nxt and (int(value) if value == int(value) else value, nxt.group()) in _CONSTANTS:
        return True
    prev = re.search(r"([A-Za-z]+)\s*$", before)
    if prev and prev.group(1)[0].isupper() and prev.group(1) not in STOP and not re.search(r"[.!?]\s*\w+\s*$", before):
        return True  # "Route 66", "Publisher 2"
    return False


def _values(text: str, rng: random.Random) -> str:
    occ = []  # (start, end, kind, value, info)
    for m in _NUM.finditer(text):
        whole = m.group(2) + (m.group(3) or "")
        try:
            v = float(whole.replace(",", ""))
        except ValueError:
            continue
        s, e = m.start(2), m.end(3) if m.group(3) else m.end(2)
        if m.group(4):
            if v in (100, 0) or m.group(3):
                continue
            occ.append((s, e, "pct", v, ""))
        elif _kept(text, s, e, v, whole):
            continue
        elif m.group(3):
            occ.append((s, e, "dec", v, m.group(3)))
        else:
            occ.append((s, e, "int", v, "," if "," in m.group(2) else ""))
    for m in _WORDRE.finditer(text):
        w = m.group(1)
        if text[m.end():m.end() + 5].lower().startswith((" of u", " of t")) and w.lower() == "two":
            continue
        v = _WORDNUM[w.lower()]
        if re.search(r"\b" + w + r"-", text, re.I) or re.match(r" of (?:them|us|you|these|those)\b", text[m.end():]) \
                or re.match(r" (?:third|fourth|fifth|sixth|eighth|tenth|half|halves|quarter)", text[m.end():]) \
                or re.search(r"\b(?:all|the) $", text[max(0, m.start() - 5):m.start()]) and \
                re.match(r" of\b", text[m.end():]) or _kept(text, m.start(), m.end(), v, w):
            continue
        occ.append((m.start(), m.end(), "word", float(v), w))
    if not occ:
        return text
    ints = sorted({int(o[3]) for o in occ if o[2] in ("int", "word")})
    new: dict[int, int] = {}
    prev = 1
    for v in ints:
        pick = None
        done = sorted(new)
        for i, a in enumerate(done):
            for b in done[i + 1:]:
                if a + b == v and new[a] + new[b] > prev:
                    pick = new[a] + new[b]
        if pick is None:
            g = _grain(v)
            ks = [-2, -1, 1, 2, 3]
            rng.shuffle(ks)
            for k in ks:
                c = v + k * g
                if c > prev and c >= 2 and c != v:
                    pick = c
                    break
            if pick is None:
                pick = prev + g if prev + g != v else prev + 2 * g
        new[v] = pick
        prev = pick
    pct: dict[float, int] = {}
    dec: dict[float, float] = {}
    out = []
    last = 0
    for s, e, kind, v, info in sorted(occ):
        if s < last:
            continue
        if kind == "pct":
            if v not in pct:
                if int(v) in _PCTS:
                    i = _PCTS.index(int(v))
                    choices = [_PCTS[j] for j in (i - 1, i + 1) if 0 <= j < len(_PCTS)]
                    pct[v] = rng.choice(choices)
                else:
                    pct[v] = int(min(99, max(2, v + rng.choice([-5, 5, 10]))))
            rep = str(pct[v])
        elif kind == "dec":
            if v not in dec:
                g = 0.5 if (v * 2) == int(v * 2) else 0.25 if (v * 4) == int(v * 4) else 10 ** -(len(info) - 1)
                ks = [-2, -1, 1, 2, 3]
                rng.shuffle(ks)
                cands = [v + k * g for k in ks if v + k * g > 0 and (v + k * g != int(v + k * g) or v == int(v))]
                dec[v] = cands[0] if cands else v + 2 * g
            rep = f"{dec[v]:.{len(info) - 1}f}"
            if not text[max(0, s - 1):s] == "$" and dec[v] == int(dec[v]):
                rep = str(int(dec[v]))
        elif kind == "int":
            n = new[int(v)]
            rep = f"{n:,}" if info else str(n)
        else:
            n = new[int(v)]
            rep = _NUMWORD.get(n, str(n))
            if info[0].isupper():
                rep = _cap(rep)
        out.append(text[last:s] + rep)
        last = e
    out.append(text[last:])
    return _a_an("".join(out))


# -------------------------------------------------------------------------------------------------------- names
FEMALE = ["Beatriz", "Ingrid", "Rosalind", "Thandiwe", "Marisol", "Greta", "Keiko", "Noor", "Paloma", "Vesna",
          "Imogen", "Lucinda", "Odette", "Tamsin", "Yara", "Zuzana", "Esme", "Henrike", "Maribel", "Anouk"]
MALE = ["Callum", "Emeka", "Florian", "Gustavo", "Henrik", "Ibrahim", "Lorenzo", "Magnus", "Nikhil", "Osvaldo",
        "Pascal", "Rashid", "Stellan", "Teodor", "Viktor", "Wendell", "Yannick", "Zoltan", "Anselm", "Dmitri"]
NEUTRAL = ["Alex", "Jordan", "Morgan", "Casey", "Robin", "Quinn", "Reese", "Sasha", "Emerson", "Rowan"]
SURNAMES = ["Okonkwo", "Lindqvist", "Ferreira", "Haddad", "Kowalski", "Nakamura", "Abernathy", "Castellanos",
            "Delacroix", "Eriksen", "Fitzgerald", "Gallagher", "Hartmann", "Iwasaki", "Jablonski", "Moreau"]
_CAPWORD = re.compile(r"(?<![\w'’])([A-Z][a-z]{1,14})(?![\w-])")


def _names(text: str, rng: random.Random) -> str:
    sents = _sentences(text)
    cands: dict[str, list[int]] = {}
    initial: set[str] = set()
    pos = 0
    for s in sents:
        start = text.find(s, pos)
        pos = start + len(s)
        for m in _CAPWORD.finditer(s):
            w = m.group(1)
            if w in STOP:
                continue
            after = s[m.end():m.end() + 3]
            if re.match(r" [A-Z]", after) or re.search(r"(?:\b[Tt]he|[A-Z][a-z]+|[A-Z]\.|['’]s)\s$", s[:m.start()]):
                continue  # "Publisher B", "the Reptile House", "Rain Forest", "St. Louis"
            if re.search(r"(Mr|Mrs|Ms|Dr|Miss)\.? $", s[:m.start()]):
                cands.setdefault("~" + w, []).append(start + m.start())
                continue
            if m.start() == 0 or re.search(r"[\"“(]\s*$", s[:m.start()]):
                initial.add(w)
            else:
                cands.setdefault(w, []).append(start + m.start())
    for w in sorted(initial):
        if w in cands:
            continue
        if w.endswith("s") and w not in NAMES_S:
            continue  # "Ducks need ...", "Aliens and Martians ..."
        m = re.search(r"\b" + w + r"(?:'s|’s)?\s+(\w+)", text)
        if m and (m.group(0).find("'") > 0 or m.group(0).find("’") > 0 or m.group(1) in VERBISH or m.group(1) == "and"
                  or re.fullmatch(r"[a-z]+ed", m.group(1))):
            cands[w] = [m.start()]
    person = (r"(?:['’]s\b|\s+(?:" + "|".join(sorted(VERBISH)) +
              r"|[a-z]+ed)\b|\s*[,.?!;:]|\s+(?:or|to|for|with|than)\b)")
    cands = {w: v for w, v in cands.items() if w.startswith("~") or re.search(r"\b" + w + person, text)}
    if not cands:
        return text
    used: set[str] = set()
    mapping: dict[str, str] = {}
    for w in sorted(cands):
        if w.startswith("~"):
            pool = SURNAMES
        else:
            m = re.search(r"\b" + w + r"\b(.*)", text, re.S)
            tail = m.group(1) if m else ""
            p = re.search(r"\b(she|her|herself|he|him|his|himself)\b", tail, re.I)
            if p is None:
                pool = NEUTRAL
            else:
                pool = FEMALE if p.group(1).lower() in ("she", "her", "herself") else MALE
        opts = [n for n in pool if n not in used and n not in text]
        if not opts:
            continue
        n = rng.choice(opts)
        used.add(n)
        mapping[w.lstrip("~")] = n
    if not mapping:
        return text
    keys = sorted(mapping, key=len, reverse=True)
    pat = re.compile(r"(?<![\w'’])(" + "|".join(re.escape(k) for k in keys) + r")\b")
    return pat.sub(lambda m: mapping[m.group(1)], text)


VERBISH = set("""has had is was buys bought wants sells sold makes made goes went gets got needs decides decided
earns spends spent works runs ran can will would could takes took gives gave loves likes saves collects plants bakes
started starts owns pays paid uses used drives walks reads writes eats ate receives received finds found picks picked
wanted needed orders ordered hires hired invites invited baked scored scores did does delivers lives joins visits
brings keeps charges travels drinks jogs swims rides sleeps teaches wins sees are were and""".split())


# ------------------------------------------------------------------------------------------------------ lexicon
_OBJ = (r"(?=\s+\x00?(?:\$|\d|(?:a|an|the|some|his|her|their|its|my|our|your|another|several|two|three|four|five|six|"
        r"seven|eight|nine|ten|twelve|twenty|fifty|hundred|dozen|half|all|enough)\b))")
#: one verb a line: "<when>: 3sg past base -ing = alternative forms | ..." ("_" is a space); <when> is the context it
#: is changed in: "obj" before an object, "num" before a number or "$", "money" before an amount of money
VERB_TABLE = """
obj: buys bought buy buying = purchases purchased purchase purchasing | acquires acquired acquire acquiring
     | picks_up picked_up pick_up picking_up
obj: earns earned earn earning = makes made make making | brings_in brought_in bring_in bringing_in
     | takes_home took_home take_home taking_home
obj: gives gave give giving = hands handed hand handing
obj: needs needed need needing = requires required require requiring
obj: uses used use using = goes_through went_through go_through going_through | utilizes utilized utilize utilizing
obj: eats ate eat eating = consumes consumed consume consuming | polishes_off polished_off polish_off polishing_off
obj: collects collected collect collecting = gathers gathered gather gathering
obj: picks picked pick picking = gathers gathered gather gathering
obj: finds found find finding = discovers discovered discover discovering | comes_across came_across come_across
     coming_across
obj: receives received receive receiving = gets got get getting
obj: gets got get getting = receives received receive receiving | obtains obtained obtain obtaining
obj: saves saved save saving = puts_aside put_aside put_aside putting_aside | sets_aside set_aside set_aside
     setting_aside
obj: hires hired hire hiring = employs employed employ employing
obj: builds built build building = constructs constructed construct constructing
obj: bakes baked bake baking = makes made make making | whips_up whipped_up whip_up whipping_up
obj: plants planted plant planting = puts_in put_in put_in putting_in | sows sowed sow sowing
obj: orders ordered order ordering = requests requested request requesting
obj: donates donated donate donating = contributes contributed contribute contributing
obj: prepares prepared prepare preparing = gets_ready got_ready get_ready getting_ready
obj: fixes fixed fix fixing = repairs repaired repair repairing
money: spends spent spend spending = lays_out laid_out lay_out laying_out | shells_out shelled_out shell_out
     shelling_out
money: pays paid pay paying = hands_over handed_over hand_over handing_over | forks_out forked_out fork_out
     forking_out
money: charges charged charge charging = bills billed bill billing | asks asked ask asking
num: drives drove drive driving = travels traveled travel traveling
num: travels traveled travel traveling = covers covered cover covering
num: runs ran run running = jogs jogged jog jogging
num: reads read read reading = gets_through got_through get_through getting_through
num: costs cost cost costing = sells_for sold_for sell_for selling_for | goes_for went_for go_for going_for
     | comes_to came_to come_to coming_to
"""
#: (pattern, alternatives[, group]): phrases, nouns, adjectives, function words; backreferences allowed; entries of
#: one group (singular and plural) share one draw
PHRASES: list[tuple] = [
    (r"\bdoes (she|he|it) have left\b", [r"does \1 still have", r"does \1 have remaining"]),
    (r"\bdo (they|you|we|I) have left\b", [r"do \1 still have", r"do \1 have remaining"]),
    (r"\bdid (she|he|they|it) have left\b", [r"did \1 still have"]),
    (r"\bis left\b", ["remains", "is left over"]), (r"\bare left\b", ["remain", "are left over"]),
    (r"\b(?:was|were) left\b", ["remained"]),
    (r"\bhow many\b(?= (?!more\b|fewer\b|less\b|times\b|of\b|does\b|do\b|did\b|are\b|is\b|were\b|was\b|will\b|can\b|"
     r"should\b|would\b|could\b|has\b|have\b|had\b|in\b)[a-z]+)", ["what number of", "what quantity of"]),
    (r"\bhow much money\b", ["what amount of money", "what sum of money", "how much cash"]),
    (r"\bhow much(?= (?:does|do|did|will|would|should|is|was|are|were|can)\b)", ["what amount", "what sum"]),
    (r"\bhow long\b(?=[^?]*\b(?:take|takes|took|spend|spends|spent|hours?|minutes?|seconds?|days?|weeks?)\b)",
     ["how much time"]),
    (r"\bin total\b", ["altogether", "in all", "combined", "all together"]),
    (r"\baltogether\b", ["in total", "in all", "all told"]),
    (r"\bin all\b", ["in total", "altogether"]),
    (r"\bthe total number of\b", ["the overall number of", "the combined number of", "the full count of"]),
    (r"(?<!\ba )(?<!\bin )\btotal(?= (?!of\b|number\b|combined\b|overall\b|entire\b)[a-z]+)",
     ["combined", "overall", "entire"]),
    (r"\btwice as\b", ["two times as"]), (r"\btwice the\b", ["double the"]),
    (r"\btwice (?=a |an |per |every |each )", ["two times "]),
    (r"\bhalf of\b", ["one half of", "one-half of"]), (r"\bhalf as\b", ["one-half as"]),
    (r"\bevery day\b", ["daily", "each day", "per day"]), (r"\bevery week\b", ["weekly", "each week"]),
    (r"\bevery month\b", ["monthly", "each month"]), (r"\bevery year\b", ["yearly", "annually", "each year"]),
    (r"\beach day\b", ["every day", "daily"]), (r"\beach week\b", ["every week", "weekly"]),
    (r"\beach month\b", ["every month", "monthly"]),
    (r"(?<=[\d%]) each\b", [" apiece", " per item", " a piece"]),
    (r"(?<=[\d%] dollars) each\b", [" apiece"]), (r"(?<=[\d%] cents) each\b", [" apiece"]),
    (r"(?<!\bthey )(?<!\bwe )(?<!\byou )(?<!\bwho )\beach (?=(?!of\b|other\b|one\b|time\b|way\b)[a-z]+\b)",
     ["every "]),
    (r"\bevery (?=(?!other\b|one\b|single\b|time\b)[a-z]+\b)", ["each "]),
    (r"(?<!miles )(?<!kilometers )(?<!feet )(?<!meters )(?<!words )(?<!km )\bper (?=[a-z])",
     ["for each ", "for every "]),
    (r"\ba lot of\b", ["plenty of", "lots of"]), (r"\blots of\b", ["plenty of", "a lot of"]),
    (r"\bseveral\b", ["a number of", "a few"]),
    (r"\babout (?=\$?\d)", ["roughly ", "around ", "approximately "]), (r"\bapproximately\b", ["about", "roughly"]),
    (r"\bafter (?=(?:she|he|they|it|we|I|you)\b)", ["once "]),
    (r"\bbecause\b", ["since", "as"]), (r", but\b", [", yet", ", though"]),
    (r"(?<!\bthe )(?<!\ban )(?<!\bher )(?<!\bhis )(?<!\btheir )\bonly\b", ["just", "merely"]),
    (r"\balso\b", ["additionally", "likewise", "in addition"]),
    (r"\band then\b", ["and after that", "and afterwards", "and subsequently"]),
    (r"\bThen,? ", ["After that, ", "Next, "]),
    (r"\b(?:is|are) going to\b", ["will"]), (r"\b(?:was|were) going to\b", ["planned to"]),
    (r"\bwants to\b", ["wishes to", "would like to", "hopes to", "plans to"]),
    (r"\bwanted to\b", ["wished to", "hoped to", "planned to"]), (r"\bwant to\b", ["wish to"]),
    (r"\bneeds to\b", ["has to", "must"]), (r"\bneed to\b", ["have to"]), (r"\bneeded to\b", ["had to"]),
    (r"\bdecides to\b", ["chooses to", "opts to", "resolves to"]),
    (r"\b(has|have|had) decided to\b", [r"\1 opted to", r"\1 chosen to"]),
    (r"(?<!has )(?<!have )(?<!had )\bdecided to\b", ["chose to", "opted to", "resolved to"]),
    (r"\bdecide to\b", ["choose to", "opt to"]),
    (r"\bis able to\b", ["can"]), (r"\b(?:was|were) able to\b", ["managed to"]),
    (r"\b(?<!the )starts\b(?! at| from| with)", ["begins"]),
    (r"\b(?<!the )started\b(?! at| from| with| by)", ["began"]),
    (r"\bfinish(es|ed)?\b(?= (?:his|her|their|the|a|an|reading|eating|building|\d))", [r"complete\1"]),
    (r"\bequally\b", ["evenly"]), (r"\bamong\b", ["amongst", "between"]),
    (r"\bthe rest\b", ["the remainder", "the balance"]),
    (r"\bthe remaining(?= (?!of\b|are\b|is\b|were\b|was\b|to\b|in\b|for\b|and\b|on\b)[a-z0-9]+)",
     ["the leftover", "the other"]),
    (r"\b(?:grocery|convenience|department) store\b", ["supermarket"]),
    (r"\bstore\b(?!-)", ["shop", "market"], "store"), (r"\bstores\b(?!-)", ["shops", "markets"], "store"),
    (r"\bchildren\b", ["kids", "youngsters"]), (r"\bkids\b", ["children"]),
    (r"\bstudent(s?)\b", [r"pupil\1"]), (r"\bteacher(s?)\b", [r"instructor\1"]),
    (r"\bfriends\b", ["buddies", "pals"], "friend"), (r"\bfriend\b", ["buddy", "pal"], "friend"),
    (r"\bmoney\b", ["cash"]), (r"\bmom\b", ["mother"]), (r"\bdad\b", ["father"]), (r"\bhouse\b", ["home"]),
    (r"\bparty\b", ["get-together", "gathering"]), (r"\btrip\b", ["journey", "outing"]), (r"\bprice\b", ["cost"]),
    (r"\bbag(s?)\b", [r"sack\1"]), (r"\bboxes\b", ["cartons", "crates"], "box"), (r"\bbox\b", ["carton", "crate"], "box"),
    (r"\bpresent(s?)\b(?! (?:her|his|their|them|it))", [r"gift\1"]), (r"\bgift(s?)\b", [r"present\1"]), (r"\bcompany\b", ["firm", "business"]),
    (r"\bshop\b", ["store"]), (r"\bjob\b", ["position"]), (r"\bcar\b", ["automobile", "vehicle"]),
    (r"\bbig\b", ["large"]), (r"\blarge\b", ["big"]), (r"\bsmall\b", ["little", "tiny"]),
    (r"\bentire\b", ["whole"]), (r"\bwhole\b", ["entire"]), (r"\bextra\b", ["additional"]),
    (r"\bdifferent\b", ["distinct", "separate"]), (r"\bfavorite\b", ["preferred", "beloved"]),
    (r"\b(?<=a )new\b", ["brand-new"]), (r"\bCalculate\b", ["Compute", "Work out", "Figure out"]),
    (r"^Find\b", ["Determine", "Work out"]), (r"\bDetermine\b", ["Find"]),
]


def _expand_verbs() -> list[tuple[str, list[str], str]]:
    tails = {"obj": _OBJ, "num": r"(?=\s+\x00?(?:\$|\d))",
             "money": r"(?=\s+\x00?(?:\$|\d[\d,.]* (?:dollars|cents)\b))"}
    out: list[tuple[str, list[str], str]] = []
    for line in re.sub(r"\n\s+", " ", VERB_TABLE).strip().splitlines():
        when, rest = line.split(":", 1)
        forms, alts = rest.split("=")
        fs = forms.split()
        alt_forms = [[w.replace("_", " ") for w in a.split()] for a in alts.split("|")]
        seen = set()
        for i in (0, 2, 1, 3):  # a form that is both base and past ("cost", "read") is taken as present
            if fs[i] in seen:
                continue
            seen.add(fs[i])
            perf = r"(?<!has )(?<!have )(?<!had )(?<!been )(?<!was )(?<!were )" if i == 1 else ""
            if i == 2 and fs[1] == fs[2]:  # "cost", "read": present plural only after a plural subject
                perf = r"(?:(?<=s )|(?<=they )|(?<=both ))"
            out.append((perf + r"\b" + fs[i] + r"\b" + tails[when.strip()], [a[i] for a in alt_forms], fs[2]))
    return out


#: (pattern, alternatives, group): one on/off draw and one alternative index per group (a verb's forms share one)
_LEX: list[tuple[re.Pattern, list[str], str]] = [
    (re.compile(e[0], re.M if re.search(r"Then|Calculate|Find|Determine", e[0]) else re.M | re.I), e[1], e[2] if len(e) > 2 else e[0])
    for e in PHRASES] + \
    [(re.compile(p, re.M), r, g) for p, r, g in _expand_verbs()]
_ARTICLE_WORDS = sorted({r.split()[0].strip() for _, rs, _ in _LEX for r in rs if r.strip() and r.strip()[0].isalpha()})


def _inside(text: str, i: int) -> bool:
    return text.count("\x00", 0, i) > text.count("\x01", 0, i)


def _lexical(text: str, rng: random.Random, density: float = 0.8) -> str:
    groups: dict[str, tuple[bool, int]] = {}
    for pat, alts, group in _LEX:
        if not pat.search(text):
            continue
        if group not in groups:
            groups[group] = (rng.random() <= density, rng.randrange(len(alts)))
        on, idx = groups[group]
        if not on:
            continue
        alt = alts[idx % len(alts)]

        def rep(m: re.Match, alt: str = alt) -> str:
            if _inside(m.string, m.start()):
                return m.group(0)
            r = m.expand(alt)
            if m.group(0)[:1].isupper():
                r = _cap(r)
            return "\x00" + r + "\x01"
        text = pat.sub(rep, text)
    text = text.replace("\x00", "").replace("\x01", "")
    vowel = [w for w in _ARTICLE_WORDS if w[0].lower() in "aeiou"]
    cons = [w for w in _ARTICLE_WORDS if w[0].lower() not in "aeiou"]
    if vowel:
        text = re.sub(r"\b([Aa]) (?=(?:" + "|".join(map(re.escape, vowel)) + r")\b)", r"\1n ", text)
    if cons:
        text = re.sub(r"\b([Aa])n (?=(?:" + "|".join(map(re.escape, cons)) + r")\b)", r"\1 ", text)
    return text


# ----------------------------------------------------------------------------------------------- un-inversion
IRREG = dict(p.split(":") for p in """have:had make:made spend:spent buy:bought sell:sold get:got pay:paid take:took
eat:ate give:gave read:read run:ran win:won lose:lost leave:left go:went see:saw find:found bring:brought catch:caught
keep:kept write:wrote drive:drove ride:rode grow:grew feed:fed think:thought teach:taught sleep:slept build:built
cut:cut put:put swim:swam fly:flew throw:threw drink:drank send:sent lend:lent hold:held sit:sat stand:stood do:did
become:became begin:began choose:chose come:came draw:drew fall:fell forget:forgot hit:hit know:knew lay:laid lead:led
let:let meet:met quit:quit say:said set:set shoot:shot split:split steal:stole tell:told wear:wore spend:spent
bake:baked earn:earned""".split())
BASE_VERBS = set(IRREG) | set("""need want use cost save collect receive charge make earn owe weigh measure travel walk
jog work play practice study score plant pick harvest produce sell order serve drink eat bake cook count contain hold
lay require expect end get pay spend have buy take give bring remain finish complete reach fill pour share donate
deliver type invest gain lose win read write swim climb hike visit burn sew knit fix paint wash clean mow""".split())


def _third(v: str) -> str:
    if v == "have":
        return "has"
    if v in ("do", "go"):
        return v + "es"
    if re.search(r"(s|sh|ch|x|z|o)$", v):
        return v + "es"
    if re.search(r"[^aeiou]y$", v):
        return v[:-1] + "ies"
    return v + "s"


def _past(v: str) -> str:
    if v in IRREG:
        return IRREG[v]
    if v.endswith("e"):
        return v + "d"
    if re.search(r"[^aeiou]y$", v):
        return v[:-1] + "ied"
    if v in ("stop", "plan", "shop", "drop", "jog", "chop", "skip", "hop", "knit", "ship", "tip", "wrap", "grab"):
        return v + v[-1] + "ed"
    return v + "ed"


def _declarative(q: str) -> str | None:
    """"How many apples does Janet have left?" -> "how many apples Janet has left"; None when unsure."""
    q = q.strip().rstrip("?").strip()
    m = re.match(r"(?i)((?:how (?:many|much|long|old|far)|what|which)(?: [\w’'$-]+){0,5}?) "
                 r"(does|do|did|will|would|should|can|could|must|is|are|was|were) (.+)$", q)
    if not m:
        return None
    wh, aux, rest = m.group(1), m.group(2).lower(), m.group(3)
    if re.search(r"\b(?:does|do|did|is|are|was|were|will)\b", wh, re.I):
        return None
    toks = rest.split()
    wh = _low(wh)
    if aux in ("does", "do", "did"):
        j = next((i for i, t in enumerate(toks) if i >= 1 and t.lower() in BASE_VERBS), None)
        if j is None or j > 4:
            return None
        subj, verb = " ".join(toks[:j]), toks[j].lower()
        if not (subj.lower() in PRONOUNS or re.fullmatch(r"(?:[A-Z][\w’'-]*|the|his|her|their|each|this|that|"
                                                          r"[a-z]+s|and|[A-Z]\w+['’]s)(?: \S+){0,3}", subj)):
            return None
        verb = _past(verb) if aux == "did" else _third(verb) if aux == "does" else verb
        return " ".join([wh, subj, verb] + toks[j + 1:])
    if aux in ("will", "would", "should", "can", "could", "must"):
        j = next((i for i, t in enumerate(toks) if i >= 1 and t.lower() in BASE_VERBS | {"be"}), None)
        if j is None or j > 4:
            return None
        return " ".join([wh, " ".join(toks[:j]), aux] + toks[j:])
    if not toks:
        return None
    if toks[0].lower() in PRONOUNS or (toks[0][0].isupper() and toks[0] not in STOP):
        return " ".join([wh, toks[0], aux] + toks[1:])
    if toks[0].lower() in ("the", "his", "her", "their", "this", "each", "a"):
        if len(toks) > 2 and toks[-1].lower() in ("worth", "now", "left", "today", "old", "tall", "long", "altogether"):
            return " ".join([wh] + toks[:-1] + [aux, toks[-1]])
        if len(toks) <= 7 and not re.search(r"\b(?:if|when|that|who)\b", rest):
            return " ".join([wh] + toks + [aux])
    return None


# ------------------------------------------------------------------------------------------------------ clauses
_WH = r"(?:how|what|which|who|when|where|in how|by how|for how|at what|find|calculate|determine)\b"


def _split_if(q: str) -> tuple[str, str] | None:
    """"If she ..., how many ...?" -> ("she ...", "how many ...?")."""
    m = re.match(r"(?:If|Supposing|Suppose|Assuming|Given that|When)\s+(.+?),\s+(" + _WH + r".*)$", q, re.I)
    if not m or "?" not in m.group(2) and not re.match(r"(?:find|calculate|determine)", m.group(2), re.I):
        return None
    return m.group(1), m.group(2)


def _clauses(text: str, rng: random.Random) -> str:
    sents = _sentences(text)
    if len(sents) < 1:
        return text
    qi = _question_index(sents)
    ops = ["ifq", "askmid", "join", "split", "relative", "front"]
    rng.shuffle(ops)
    n_ops = rng.choice([2, 3, 3, 4])
    applied = 0
    for op in ops:
        if applied >= n_ops:
            break
        before = list(sents)
        try:
            sents, qi = _clause_op(op, sents, qi, rng)
        except Exception:
            sents = before
        if sents != before:
            applied += 1
    return " ".join(sents)


def _clause_op(op: str, sents: list[str], qi: int | None, rng: random.Random) -> tuple[list[str], int | None]:
    sents = list(sents)
    facts = [i for i in range(len(sents)) if i != qi and "?" not in sents[i]]
    if op == "ifq" and qi is not None:
        sp = _split_if(sents[qi])
        if sp and re.match(r"\w+ing\b", sp[0]):
            sp = None
        if sp:
            cond, ask = sp
            dec = _declarative(ask)
            forms = [f"Given that {cond}, {_low(ask)}", f"When {cond}, {_low(ask)}",
                     f"Suppose {cond}. {_cap(ask)}"]
            if dec:
                verb = rng.choice(["determine", "work out", "figure out", "find"])
                forms += [f"Given that {cond}, {verb} {dec}.", f"Assuming {cond}, {verb} {dec}.",
                          f"{_cap(verb)} {dec}, given that {cond}."]
            sents[qi] = rng.choice(forms)
        else:
            dec = _declarative(sents[qi])
            if dec and rng.random() < 0.7:
                sents[qi] = rng.choice(["Determine", "Work out", "Figure out", "Tell me", "Find out"]) + f" {dec}."
    elif op == "askmid" and qi is not None and qi == len(sents) - 1 and len(facts) >= 2 and \
            sents[qi].endswith("?") and re.match(r"(?:How|What|Which)\b", sents[qi]):
        last = facts[-1]
        if last == qi - 1 and ". " not in sents[last] and "; " not in sents[last]:
            dec = _declarative(sents[qi])
            f = _low(sents[last]).rstrip(".!")
            if re.match(r"(?:she|he|they|it|we|I|you|[A-Z]|the|her|his|their)\b", f) and f.split()[0] not in (
                    "Then", "So", "But", "And", "Also"):
                glue = rng.choice([", bearing in mind that ", ", keeping in mind that ", ", knowing that "])
                if dec and rng.random() < 0.6:
                    q = rng.choice(["Tell me", "Work out", "Determine"]) + f" {dec}{glue}{f}."
                else:
                    q = sents[qi].rstrip("?").rstrip() + glue + f + "?"
                sents = sents[:last] + [q]
                qi = len(sents) - 1
    elif op == "join" and len(facts) >= 2:
        pairs = [(a, b) for a, b in zip(facts, facts[1:]) if b == a + 1 and sents[a].endswith(".")
                 and len(sents[a]) + len(sents[b]) < 220]
        if pairs:
            a, b = rng.choice(pairs)
            nxt = sents[b]
            plain = re.match(r"(?:She|He|They|It|[A-Z][a-z]+ (?:" + "|".join(sorted(VERBISH)) + r"))\b", nxt)
            if rng.random() < 0.75 or not plain:
                sents[a] = sents[a][:-1] + "; " + _low(nxt)
            else:
                sents[a] = sents[a] + " " + rng.choice(["In addition, ", "Also, ", "Besides that, "]) + _low(nxt)
            del sents[b]
            if qi is not None and qi > b:
                qi -= 1
    elif op == "split":
        for i in facts:
            m = re.search(r",? (?:and|so|then|and then) (she|he|they|it|we|I|[A-Z][a-z]+) (?=([a-z]+))", sents[i])
            if m and m.group(1)[0].isupper() and m.group(1) != "I" and m.group(2) not in VERBISH - {"and"}:
                continue
            if m and re.search(r"(?:[A-Z][a-z]+, )+[A-Z][a-z]+,?$", sents[i][:m.start()]):
                continue  # a list of names: "Cristina, John, Clarissa and Sarah"
            if m and (m.group(2) in ("and", "or", "both", "each", "all") or not m.group(0).startswith(",")
                      and re.match(r",? (?:so|then)\b", m.group(0))):
                continue
            if m and m.start() > 15 and not sents[i].lower().startswith(("if ", "when ", "after ", "before ")):
                joiner = " ".join(m.group(0).strip(", ").split()[:-1])
                lead = {"and": "", "so": "So ", "then": "Then ", "and then": "Then "}.get(joiner, "")
                subj = m.group(1)
                second = (lead + subj if lead else _cap(subj)) + sents[i][m.end() - 1:]
                sents[i] = sents[i][:m.start()].rstrip(",") + ". " + second
                break
    elif op == "relative":
        for a, b in zip(facts, facts[1:]):
            if b != a + 1 or not sents[a].endswith("."):
                continue
            last = re.search(r"(\w+)\.$", sents[a])
            if not last or last.group(1)[0].isdigit():
                continue
            lw = last.group(1).lower()
            m = re.match(r"(They|These|Each one|Each of them) (cost|costs|weigh|weighs|hold|holds|contain|contains|"
                         r"measure|measures|sell|sells|last|lasts|come|comes|fit|fits|produce|produces|lay|lays|"
                         r"give|gives|need|needs|take|takes|use|uses|eat|eats|require|requires)\b", sents[b])
            m2 = re.match(r"Each (\w+) (?!on\b|in\b|of\b|at\b|from\b|with\b|for\b|that\b|who\b)([a-z]+)\b",
                          sents[b])
            if m and m.group(1) in ("They", "These") and lw.endswith("s"):
                sents[a] = sents[a][:-1] + ", which " + sents[b][len(m.group(1)) + 1:]
            elif m and m.group(1) in ("Each one", "Each of them") and lw.endswith("s"):
                sents[a] = sents[a][:-1] + ", each of which " + sents[b][len(m.group(1)) + 1:]
            elif m2 and lw in (m2.group(1) + "s", m2.group(1) + "es", m2.group(1)[:-1] + "ies"):
                sents[a] = sents[a][:-1] + ", each of which " + sents[b][len("Each " + m2.group(1)) + 1:]
            else:
                continue
            del sents[b]
            if qi is not None and qi > b:
                qi -= 1
            break
    elif op == "front":
        for i in facts:
            m = re.match(r"((?:On|In|During|By) [A-Z]\w+|Yesterday|Today|Last \w+|This \w+|Next \w+|"
                         r"On the \w+ day|Later that day|In the morning|In the afternoon|In the evening), "
                         r"((?:she|he|they|it|we|I|[A-Z][a-z]+)\b[^,;]*)\.$", sents[i])
            if m and len(m.group(2)) < 90 and not re.search(r"\b(?:and|than|then|day|days|on|week|afterwards?|"
                                                             r"before|after|Monday|Tuesday|Wednesday|Thursday|"
                                                             r"Friday|Saturday|Sunday)\b|,", m.group(2)):
                head = m.group(1)
                adv = head[:1].lower() + head[1:]
                sents[i] = _cap(m.group(2)) + " " + adv + "."
                break
    return sents, qi


# ----------------------------------------------------------------------------------------------------- solution
_QTY = re.compile(r"\b(\d+)/(\d+)\b|(\$?)(\d[\d,]*(?:\.\d+)?)(\s*%| percent)?|"
                  r"\b(twice|double|triple|half|a third|a quarter|" + "|".join(_WORDNUM) + r")\b", re.I)
SUB_CUES = set("""gives gave give sells sold spends spent eats ate loses lost uses used fewer less quit quits left away
minus remove removes removed breaks broke broken donates donated pays paid subtract takes took shares shared leaves
drops dropped spills spilled owes costs cost discount off""".split())
_MULT = {"twice": (2.0, "*"), "double": (2.0, "*"), "triple": (3.0, "*"), "half": (2.0, "/"), "a third": (3.0, "/"),
         "a quarter": (4.0, "/")}
MUL_CUES = set("""each every per times apiece a an weekly daily rows""".split())
DIV_CUES = set("""split divided divide among equally between evenly into""".split())


def _quantities(sentence: str, seen_compound: set[float]) -> list[tuple[float, str, bool, str]]:
    """(value, op, money, noun) for each quantity in ``sentence``, op guessed from the words around it."""
    out = []
    for m in _QTY.finditer(sentence):
        before = re.findall(r"[a-z]+", sentence[max(0, m.start() - 32):m.start()].lower())[-4:]
        after = re.findall(r"[a-z]+", sentence[m.end():m.end() + 24].lower())[:3]
        noun = next((w for w in after[:1] if w not in MUL_CUES | SUB_CUES | DIV_CUES and len(w) > 2
                     and w not in ("more", "than", "and", "for", "the", "times", "percent", "of")), "")
        if m.group(1):
            if int(m.group(2)):
                out.append((int(m.group(1)) / int(m.group(2)), "frac", False, ""))
            continue
        if m.group(4):
            try:
                v = float(m.group(4).replace(",", ""))
            except ValueError:
                continue
            if sentence[m.end():m.end() + 1] == "-":
                if v in seen_compound:
                    continue  # "the 400-meter hurdles" again
                seen_compound.add(v)
            if m.group(5):
                out.append((v, "pct", False, ""))
                continue
            if after[:1] == ["times"]:
                out.append((v, "*", False, ""))
                continue
            money = bool(m.group(3)) or after[:1] in (["dollars"], ["dollar"])
            op = "+"
            if set(before) & DIV_CUES or set(after[:2]) & {"equally", "evenly"}:
                op = "/"
            elif set(before[-2:]) & SUB_CUES or set(after[:2]) & {"fewer", "less", "off"}:
                op = "-"
            elif set(before[-3:]) & {"each", "every", "per"} or set(after[:2]) & {"each", "apiece", "per", "an", "a"}:
                op = "*"
            out.append((v, op, money, noun))
        else:
            w = m.group(6).lower()
            v, op = _MULT.get(w, (float(_WORDNUM.get(w, 0)), "+"))
            out.append((v, op, False, noun if op == "+" else ""))
    return out


_MONEY_Q = re.compile(r"\b(?:how much|cost|costs|spend|spent|pay|paid|earn|earns|earned|make|makes|made|money|dollars|"
                      r"profit|price|save|saved|\$)", re.I)
_TEMPL = {"+": ["That makes {s} = {v}{u}.", "Adding these, {s} = {v}{u} in all.", "So there are {s} = {v}{u}."],
          "-": ["After that, {s} = {v}{u} remain.", "Subtracting, {s} = {v}{u}.", "This leaves {s} = {v}{u}."],
          "*": ["This gives {s} = {v}{u}.", "Multiplying, {s} = {v}{u}.", "So that is {s} = {v}{u}."],
          "/": ["Dividing, {s} = {v}{u}.", "Splitting it up gives {s} = {v}{u}."],
          "pct": ["Taking {s} = {v}.", "The percentage part is {s} = {v}."],
          "frac": ["Taking {s} = {v}.", "That fraction is {s} = {v}."]}


def _frac(v: float) -> str:
    for d in range(2, 13):
        if abs(v * d - round(v * d)) < 1e-9:
            return f"{int(round(v * d))}/{d}"
    return _fmt(v)


def _solve(problem: str, rng: random.Random, calc: bool) -> tuple[str, str, str]:
    """A generic chain of thought over ``problem``: (body, final number or "", closing sentence)."""
    sents = _sentences(problem)
    qi = _question_index(sents)
    question = sents[qi] if qi is not None else ""
    facts = [s for i, s in enumerate(sents) if i != qi]
    sp = _split_if(question) if question else None
    if sp:
        facts.append(_cap(sp[0]) + ".")
        question = _cap(sp[1])
    steps: list[str] = []
    acc: dict[bool, float | None] = {False: None, True: None}  # count, money
    last = [False]

    def combine(v: float, op: str, money: bool, noun: str, ctx: str = "") -> None:
        if op in ("pct", "frac"):
            money = last[0]
        a = acc[money]
        if a is None and money and op == "*" and acc[False] is not None:
            a = acc[False]  # a count times a price
        if a is None:
            if op in ("+", "-"):
                acc[money] = v
                last[0] = money
            return
        if op == "-" and a - v < 0:
            op = "+"
        if op == "/" and v == 0:
            op = "+"
        if op in ("pct", "frac"):
            part = round(a * v, 2) if op == "frac" else round(a * v / 100, 2)
            if op == "frac":
                shown = f"{_fmt(a)} x {_frac(v)}"
                expr = f"{_fmt(a)}*{_frac(v)}"
            else:
                shown = f"{_fmt(v)}% of {_fmt(a)}, which is {_fmt(a)} x {_fmt(v)}/100"
                expr = f"{_fmt(a)}*{_fmt(v)}/100"
            val = ("$" if money else "") + (f"<<{expr}={_fmt(part)}>>" if calc else "") + _fmt(part)
            steps.append(rng.choice(_TEMPL[op]).format(s=shown, v=val, u=""))
            if re.search(r"\b(?:off|discount|remaining|left|stolen|eaten|away|lost|tax|taxes|spent|spends|quit|broke|"
                         r"sold|gave|gives|used|uses)\b", ctx):
                c = round(a - part, 2)
                steps.append(rng.choice(["That leaves {a} - {p} = {c}.", "So {a} - {p} = {c} remain."]).format(
                    a=_fmt(a), p=_fmt(part), c=_fmt(c)))
            else:
                c = part
            acc[money] = c
            last[0] = money
            return
        c = a + v if op == "+" else a - v if op == "-" else a * v if op == "*" else a / v
        expr = f"{_fmt(a)}{op}{_fmt(v)}"
        sym = {"*": rng.choice(["x", "*", "×"])}.get(op, op)
        shown = f"{'$' if money else ''}{_fmt(a)} {sym} {'$' if money and op in '+-' else ''}{_fmt(v)}"
        c = round(c, 2)
        val = ("$" if money else "") + (f"<<{expr}={_fmt(c)}>>" if calc else "") + _fmt(c)
        unit = f" {noun}" if noun and not money else ""
        steps.append(rng.choice(_TEMPL[op]).format(s=shown, v=val, u=unit))
        acc[money] = c
        last[0] = money

    first = True
    compounds: set[float] = set()
    for f in facts:
        f_clean = re.sub(r"^(?:(?:Also|Besides that|In addition|Moreover|Then|So|But|And|Next|After that),?\s+|"
                         r"(?:Suppose|Assuming|Given that|Imagine that)\s+)", "", f.strip()).rstrip(".!;")
        f_clean = f_clean[:1].upper() + f_clean[1:]
        if rng.random() < 0.7 or first:
            lead = rng.choice(["First, ", "We know that ", "The problem says "]) if first else \
                rng.choice(["", "Next, ", "We are also told that ", "Also, ", "Then "])
            steps.append(_cap(lead + (_low(f_clean) if lead else f_clean)) + ".")
        first = False
        for v, op, mon, noun in _quantities(f_clean, compounds):
            combine(v, op, mon, noun if noun and re.search(r"\b" + re.escape(noun) + r"\b", question) else "",
                    f_clean.lower())
    if question:
        dec = _declarative(question)
        if re.match(r"(?:Find|Calculate|Compute|Determine|Work out|Figure out|Tell me|Find out)\b", question):
            steps.append("We are asked to " + re.sub(r"^tell me\b", "find", _low(question.rstrip(".?"))) + ".")
        elif dec:
            steps.append(rng.choice(["We need to find ", "Now we want to know ", "The question asks "]) + dec + ".")
        else:
            qs = question.rstrip()
            steps.append("Now the question: " + _low(qs) + ("" if qs[-1:] in ".?!" else "."))
        for v, op, mon, noun in _quantities(question, compounds):
            combine(v, op, mon, "", question.lower())
    money = bool(question and _MONEY_Q.search(question))
    if acc[money] is None:
        money = not money
    final = acc[money]
    ans = _fmt(final) if final is not None else ""
    close = ""
    if ans:
        close = rng.choice(["Therefore, the answer is {a}.", "So the answer is {a}.", "Therefore, {a} is the answer.",
                            "So, the final answer is {a}."]).format(a=("$" if money else "") + ans)
    joiner = "\n" if rng.random() < 0.5 else " "
    return joiner.join(steps), ans, close


#: (template, whether the solution keeps its closing sentence)
_SOLO = [
    ("Question: {q}\nAnswer: {s}\n#### {a}", True),
    ("Q: {q}\nA: Let's think step by step. {s}", True),
    ("User: {q}\n\nAssistant: Let's work through this.\n{s}\nFinal answer: {a}", False),
    ("Problem:\n{q}\n\nSolution:\n{s}\nThe final answer is $\\boxed{{{a}}}$.", False),
    ("{q}\n{s}\n#### {a}", True),
    ("{q}\n{s}\n#### {a}", False),
    ("Input: {q}\nOutput: {s}\nThe answer is: {a}", False),
    ("### Question\n{q}\n\n### Worked solution\n{s}\n\n**Answer:** {a}", True),
]


def _answer_of(ans: str) -> str:
    m = re.search(r"####\s*([^\n]+)", ans)
    return m.group(1).strip() if m else ""


def _strip_calc(s: str) -> str:
    return re.sub(r"<<[^>]*>>", "", s)


# ----------------------------------------------------------------------------------------------------- document
_WS_TITLES = ["Grade 4 Math: Multi-Step Word Problems", "Unit 6 Review - Word Problems", "Homework Sheet 12",
              "Weekly Problem Set", "Math Practice: Real-World Problems", "Summer Review Packet (page 3)",
              "Problem Solving Worksheet B", "5th Grade Math Challenge"]
_FORUM = ["mathmom_77", "kbrown2009", "tutor_dan", "xXgamerXx", "quietlearner", "jess.k", "Ms_Harper_5th",
          "throwaway_hw", "pi_guy", "LunaTutor"]


def _document(item: str, item_sol: tuple[str, str, str] | None, text_q: str, rng: random.Random) -> str | None:
    train = _train()
    if len(train) < 10:
        return None
    k = rng.choice([1, 2, 2, 3, 3, 4])
    picks: list[tuple[str, str]] = []
    norm = " ".join(text_q.split())
    for _ in range(50 * k):
        t = train[rng.randrange(len(train))]
        if t[0] != norm and t not in picks:
            picks.append(t)
        if len(picks) == k:
            break
    k = len(picks)
    if not k:
        return None
    pos = rng.randrange(k + 1)
    if item_sol is not None:
        sol, ans, _ = item_sol
        strip = rng.random() < 0.4
        items = [(q, _strip_calc(a) if strip else a, _answer_of(a)) for q, a in picks]
        mine = (item, _strip_calc(sol) if strip else sol, ans)
        items.insert(pos, mine)
        style = rng.randrange(4)
        fmt = ["Question: {q}\nAnswer: {s}\n#### {a}", "Q: {q}\nA: {s} The answer is {a}.",
               "User: {q}\nAssistant: {s}\nFinal answer: {a}", "Example {i}. {q}\nSolution. {s}\nAnswer: {a}"][style]
        blocks = []
        for i, (q, s, a) in enumerate(items, 1):
            s_body = re.sub(r"\n?####\s*[^\n]*$", "", s).strip()
            s_body += "." if s_body and s_body[-1] not in ".!?)" else ""
            blocks.append(fmt.format(i=i, q=q, s=s_body, a=a))
        head = ["", "", "Solve the following math problems step by step.\n\n",
                "Here are some worked examples.\n\n"][style if style < 2 else rng.randrange(4)]
        return head + "\n\n".join(blocks)
    items2 = [q for q, _ in picks]
    items2.insert(pos, item)
    keys = [_answer_of(a) or "?" for _, a in picks]
    mine_ans = _solve(item, random.Random(rng.random()), False)[1] or "?"
    keys.insert(pos, mine_ans)
    style = rng.randrange(5)
    letters = "abcdefgh"
    if style == 0:
        body = "\n\n".join(f"{i}. {q}" for i, q in enumerate(items2, 1))
        doc = (f"{rng.choice(_WS_TITLES)}\nName: ______________    Date: __________\n\n"
               f"Solve each problem. Show your work.\n\n{body}")
    elif style == 1:
        marks = rng.choice([3, 4, 5])
        body = "\n\n".join(f"Question {i} [{marks} marks]\n{q}" for i, q in enumerate(items2, 1 + rng.randrange(4)))
        doc = (f"SECTION {rng.choice('BCD')}: WORD PROBLEMS ({marks * len(items2)} marks)\n"
               f"Answer ALL questions. Show all working.\n\n{body}")
    elif style == 2:
        body = "\n".join(f"({letters[i]}) {q}" for i, q in enumerate(items2))
        doc = f"Exercise {rng.randint(2, 12)}.{rng.randint(1, 6)}\nSolve the following problems.\n{body}"
    elif style == 3:
        users = rng.sample(_FORUM, len(items2))
        body = "\n\n---\n".join(f"Posted by {u}:\n{q}" for u, q in zip(users, items2))
        doc = f"Daily Math Challenge - digest #{rng.randint(10, 400)}\n\n{body}"
    else:
        body = "\n".join(f"{i}) {q}" for i, q in enumerate(items2, 1))
        head = rng.choice(["help with these homework problems??", "stuck on a few of these",
                           "can anyone check my work"])
        tail = rng.choice(["thanks in advance!!", "any help appreciated", "due tomorrow lol"])
        doc = f"{head}\n\n{body}\n\n{tail}"
    if rng.random() < 0.4:
        doc += "\n\nAnswer key: " + "  ".join(f"{i}) {a}" for i, a in enumerate(keys, 1))
    return doc


# ------------------------------------------------------------------------------------------------------ driver
KINDS = ["values", "names", "clauses", "lexical", "solution", "document"]
_P = {"values": 0.6, "names": 0.6, "clauses": 0.6, "lexical": 0.75, "solution": 0.5, "document": 0.45}


def _step(fn, text: str, *args) -> str:
    try:
        out = fn(text, *args)
        return out if isinstance(out, str) and out.strip() else text
    except Exception:
        return text


def _once(text: str, on: set[str], rng: random.Random) -> tuple[str, int]:
    changed = 0
    t = " ".join(text.split())
    for kind, fn in (("values", _values), ("names", _names), ("clauses", _clauses), ("lexical", _lexical)):
        if kind in on:
            new = _step(fn, t, rng)
            changed += new != t
            t = new
    item_sol = None
    if "solution" in on:
        try:
            sol, ans, close = _solve(t, rng, rng.random() < 0.5)
            if sol and ans:
                item_sol = (sol, ans, close)
        except Exception:
            item_sol = None
    row = t
    if "document" in on:
        try:
            doc = _document(t, item_sol, text, rng)
        except Exception:
            doc = None
        if doc:
            row = doc
            changed += 1 + (item_sol is not None)
            return row, changed
    if item_sol is not None:
        sol, ans, close = item_sol
        templ, keep = rng.choice(_SOLO)
        if keep:
            sol += ("\n" if "\n" in sol else " ") + close
        row = templ.format(q=t, s=sol, a=ans)
        changed += 1
    return row, changed


def rewrite(text: str, rng: random.Random) -> str:
    """Rewrite one GSM8K problem into a corpus row that holds it (see the module docstring)."""
    try:
        if not isinstance(text, str) or not text.strip():
            return text
        on = {k for k in KINDS if rng.random() < _P[k]}
        off = [k for k in KINDS[:-1] if k not in on]
        rng.shuffle(off)
        off += [k for k in KINDS[-1:] if k not in on]  # a document is the last thing added
        out, changed = _once(text, on, rng)
        while changed < 3 and off:
            on.add(off.pop(0))
            out, changed = _once(text, on, rng)
        return out if out and out.strip() else text
    except Exception:
        return text
