"""A fourteenth rewrite style for GSM8K problems, written on 2026-12-04 (session 22) without seeing the matcher (nothing
under curation/ read, listed or imported, no repo-wide grep, no decontamination bench, calibration, judge or scoring
script and no ``factory decontam`` run, no results, notes or flag labels read), and never used for calibration or for
reading misses: a held-out check. Of styles 1-13 and the noise style only the module docstrings were read.

It models what turns up when a benchmark item is reused by someone (or an LLM) told to "write a new problem like this
one, with different numbers, names and objects": a GSM-Symbolic-like re-instantiation of the same template, then laid
out, padded or re-registered. The problem stays the same problem: every quantity-bearing fact keeps its role and the
solution steps are the same. Each kind is switched on at random; a problem with fewer than three kinds changing it is
redone with more of them on (at last all):

1. numbers re-drawn as a template instantiator would, not by one factor: each distinct value gets a larger value of
   its own (the same wherever it appears), chosen so that within a dimension (money, time, age, length, weight,
   volume, counts) a larger value never grows less than a smaller one (sums of parts stay below their totals), a
   product of two values near a larger one stays below it, a whole made of two parts stays their sum, divisibility
   holds (between values, by the problem's fractions, percentages, ratios, multipliers and unit conversions) and
   round numbers stay round; kept: 0-3, percentages, fractions, decimals, multipliers ("3 times"), unit constants
   ("60 minutes", "12 inches", "4 legs", "8 hours a day"), years, clock times, labels, counts the wording pins down
   ("both", "the third month", "four-leaved"), and every number of a problem that pays with a note; number words
   stay words;
2. names re-drawn with the gender read off the pronouns (neutral names where unclear), surnames after Mr/Mrs/Dr; when
   one person alone is named and no kinship or gendered word appears, sometimes the person changes gender and every
   pronoun follows ("she" -> "he", "her" -> "his"/"him");
3. a consistent theme swap from its own table: animals of the same leg count (ducks -> geese), baked goods, fruit,
   stationery, clothes, flowers, vehicles of the same wheel count, containers, and places and events ("farmers'
   market" -> "craft fair", "bake sale" -> "school fair", "birthday party" -> "graduation party"); units to metric
   when one unit of a kind appears ("miles" -> "kilometers"); articles made to agree;
4. localisation of number and money forms: European ("2,50 €", "1.200", euros), Indian ("Rs. 500", "₹1,50,000",
   rupees/paise) or Unicode typography ("½", "3× as many", "80°", "5–7", narrow-space thousands);
5. layout: the question first as an instruction with the facts as "given that" clauses ("Find how much Janet makes
   every day, given that ..., that ..., and that ...") or the reverse ("Given that ..., find ..."); an ordinal
   walk-through ("First, ... Next, ... Finally, ..."); the question first with a self-contained fact moved to the
   front; or a "Given: / • ... / Find: ..." block. The question is undone from its inverted form ("does she make" ->
   "she makes", "did he give" -> "he gave"), a leading "If ..." kept as a trailing "if ...", and a question put first
   gets the name for its "she"/"he";
6. padding: a GSM-IC-style distractor with a number of its own about the main person's life (a neighbour's goldfish,
   a cousin's distance, a diary's pages), chosen not to touch what is asked; an LLM-ish preamble; a closing
   instruction ("Show your work.", "Put your final answer in \\boxed{}.");
7. one register frame: a homework-forum post (lower case, "hrs", "w/", "&", dropped apostrophes, "pls help"), an exam
   item ("Q7. ... [4 marks]", an answer line), or program-of-thought packaging (a ``def solution():`` docstring,
   sometimes with variable stubs named from the text: ``eggs_day = 16``).

Pure standard library; deterministic given ``rng``; never raises (a failed step leaves its text as it was).

    >>> import random
    >>> from bench.rewrite_gsm8k_v14 import rewrite
    >>> q = "Janet has 12 apples. She bought 8 more for $5. How many apples does Janet have?"
    >>> print(rewrite(q, random.Random(0)))
    can someone help me with this one? given:
    · janet has 17 apples.
    · she bought 11 more for €7.
    find: how many apples janet has. i keep getting a weird answer
"""

from __future__ import annotations

import math
import random
import re
from fractions import Fraction


def _w(text: str) -> list[str]:
    """The whitespace-separated words of ``text``."""
    return text.split()

# --------------------------------------------------------------------------------------------------- people
FEMALE = _w("Maya Harper Zoe Chloe Nadia Freya Isla Rosa Leah Clara Ines Esme Talia Vera Naomi Lucia Keira Daphne Tessa "
          "Imogen Paloma Greta Selma Odette Bianca")
MALE = _w("Ethan Felix Owen Marcus Rohan Caleb Declan Elias Nikhil Silas Jasper Anton Wesley Rafael Callum Tobias Emil "
        "Bruno Idris Lorenzo Henrik Malik Quentin Dorian Ansel")
NEUTRAL = _w("Jordan Riley Avery Quinn Rowan Sasha Kendall Skyler Emerson Reese Harley Marlowe")
SURNAMES = _w("Hargrove Delgado Nakamura Fitzgerald Osei Brandt Petrov Lachance Moreno Quigley Vasquez Thorne Adeyemi "
            "Castellano Whitlock")
STOP_CAPS = set(_w("""The A An If He She They It In On At After Before When Each Every How What There This That Then
His Her Their Its We I You My Our Your One Two Three Four Five Six Seven Eight Nine Ten Eleven Twelve Twenty Thirty
Forty Fifty Hundred For Of To But And So Since While Last Next During Some All Half Mr Mrs Ms Dr Miss Monday Tuesday
Wednesday Thursday Friday Saturday Sunday January February March April May June July August September October November
December Christmas Halloween Thanksgiving Easter Valentine Find Calculate Determine Compute Also Meanwhile Today
Yesterday Tomorrow Both Over Out From With Together Later First Second Third Fourth Fifth Finally However Currently
Given Assuming Suppose Let Which Who Where Why Is Are Was Were Does Do Did Will Can Could Would Should Not No Yes Most
Many Much Only Another Other Instead New Spanish French English American Italian Chinese Mexican Canadian German
Japanese Indian British Math Science History Art Lego Ferris Mother Father Grandma Grandpa Uncle Aunt Santa Mom Dad
Mommy Daddy Grandmother Grandfather Sir Madam Lake Mount River Street Avenue Park School Road County City State North
South East West Central High Middle Elementary University College Company Inc Store Market Bank Club Team Grade
Chapter Page Room Route Highway Bus Earth Moon Sun Mars God Internet Google Amazon Facebook Netflix Disney Pokemon
Barbie Starbucks Walmart Target Costco Oreo Skittles Pepsi Coke Ford Toyota Honda Tesla Apple Samsung Nike Europe Asia
Africa America Canada Mexico England France Italy Spain China Japan India Texas California Florida York Paris London
Boston Chicago Any Such Just Even Still Yet Because Although Though Unless Until Whether Per Please Answer Question
Problem Note Total Sale Ice Super Bowl Olympics World Cup Fahrenheit Celsius Spring Summer Fall Autumn Winter Year Day
Week Month Hour Minute Mx Jr Sr St Jan Feb Mar Apr Aug Sep Sept Oct Nov Dec Mon Tue Wed Thu Fri Sat USA US UK TV PE AM
PM Mum Auntie Kid Windows Zoom Excel Customs Oreos Pizza Milk House Bakery Heaven Magic Back Work Several Eventually
Whatever Starting Checking Continuing Traveling Swimming Unhappy Deal Glory Industry Diligence Rome Denmark Caribbean
Russian African Veteran Into Through Hot Pencils Office Dinner Round Good Game Gym Cheesecake Coronavirus Moroccan
Mondays Tuesdays Wednesdays Thursdays Fridays Saturdays Sundays Weekends"""))
VERBISH = set(_w("""has had is was buys bought wants sells sold makes made goes went gets got needs decides decided
earns spends spent works runs ran can will would could takes took gives gave loves likes saves collects plants bakes
started starts owns pays paid uses used drives walks reads writes eats ate receives received finds found picks picked
wanted needed orders ordered hires hired invites invited baked scored scores did does delivers lives joins visits
brings keeps charges travels drinks jogs swims rides sleeps teaches wins sees must should might may began begins plans
planned counts counted shares shared splits divides divided adds added puts put sets set watches watched lost loses
borrows borrowed lends lent owes owed feeds fed grows grew"""))
WEAK_VERBS = set(_w("is was has had can will would could must should might may uses costs and or"))
PLACE_WORDS = set(_w("""Lake Mount River Street Avenue Park School Road County City State North South East West
Central High Middle Elementary University College Company Store Market Bank Club Team Governor President Doctor
Professor Coach Captain Officer Saint San Los Las New Port Fort Bay Island Valley Hill Hills Beach Farm Farms Zoo Mall"""))
GENDERED = re.compile(r"\b(wife|husband|mom|mother|dad|father|sisters?|brothers?|sons?|daughters?|girls?|boys?|"
                      r"grandma|grandpa|grandmother|grandfather|aunt|uncle|niece|nephew|girlfriend|boyfriend|queen|king|"
                      r"lady|ladies|man|woman|men|women|mum|mommy|daddy|gentleman|fiancee?|bride|groom|actress|waitress|"
                      r"Mr|Mrs|Ms|Miss|princess|prince|mama|papa|grandson|granddaughter)\b", re.IGNORECASE)
PRON = re.compile(r"\b(he|him|his|himself|she|her|hers|herself)\b", re.IGNORECASE)
OBJ_NEXT = set(_w("""to for and with a an the that this these those some up back out off home in on at from by as if
than so but or each any all twice half every more how what about into over again later too while when because before
after until since"""))
HER_VERBS = set(_w("""spend make buy eat go take get give clean finish read run walk do sell save carry wash bring
help decide leave stay see find keep learn practice"""))
GIVE_BASE = _w("give buy pay tell ask send offer lend owe show teach charge hand leave get bring make sell take cost let")


def _people(text: str) -> list[tuple[str, str]]:
    """The people named in ``text`` as (name, gender) in order of first mention; gender "f", "m" or "n".

    A capitalised word is a name when it is not a common or place word, not part of a multi-word proper noun, and
    either shows up mid-sentence (not after "to"/"in"/"from"...) followed by a word, or is followed by "'s", a verb
    or another name with a pronoun after it."""
    found: dict[str, list[int]] = {}
    strong: set[str] = set()
    poss: set[str] = set()
    mid: set[str] = set()
    for m in re.finditer(r"\b[A-Z][a-z]{2,}\b", text):
        w = m.group()
        before, after = text[max(0, m.start() - 14):m.start()], text[m.end():m.end() + 24]
        if w in STOP_CAPS or re.search(r"\b(Mr|Mrs|Ms|Dr|Miss|Mx)\.?\s$", before):
            continue
        prev = re.search(r"\b([A-Z][a-z]+)\s$", before)
        nxt_cap = re.match(r"\s([A-Z][a-z]+|[A-Z]\b)", after)
        if (prev and (prev.group(1) not in STOP_CAPS or prev.group(1) in PLACE_WORDS)) or nxt_cap or \
                re.search(r"(\b(a|an|the|A|An|The|his|her|their|my|our|your|its)|[A-Z][a-z]+['’]s)\s$", before):
            found.setdefault(w, []).append(-1)  # part of a multi-word proper noun
            continue
        found.setdefault(w, []).append(m.start())
        nxt = re.match(r"(['’]s\b)|\s?(,\s[A-Z]|\sand\s[A-Z])|\s([a-z]+)", after)
        if nxt and nxt.group(1):
            poss.add(w)
        if nxt and (nxt.group(2) or (nxt.group(3) and nxt.group(3) in VERBISH)):
            strong.add(w)
            if nxt.group(2) or nxt.group(3) not in WEAK_VERBS:
                poss.add(w)  # "Emily bought": a person even without a pronoun
            elif w.endswith("s"):
                found[w].append(-1)  # "Birds had eaten": a plural thing
        start = not before.strip() or re.search(r"[.!?:\"“]\s*$", before)
        if re.search(r"(\b(of|many|much|some|few|more|less|fewer|[a-z]+teen|[a-z]+ty|two|three|four|five|six|seven|"
                     r"eight|nine|ten)|\d)\s$", before) and not (nxt and nxt.group(1)) or w.endswith("ians"):
            found[w].append(-1)  # "bags of Doritos": a thing
        if not start and not re.search(r"\b(to|in|from|at|near|of|on|visit\w*)\s$", before) and \
                (nxt and (nxt.group(1) or nxt.group(3) or nxt.group(2)) or re.match(r"[.,?!;]", after)):
            mid.add(w)
    cands = [w for w, pos in found.items() if min(pos) >= 0 and (w in poss or w in strong or w in mid)]
    cands.sort(key=lambda w: min(found[w]))
    out = []
    starts = sorted((p, w) for w in cands for p in found[w])
    for w in cands:
        f = m_ = 0
        for p, w2 in starts:
            if w2 != w:
                continue
            later = [q for q, _ in starts if q > p]
            seg = text[p:later[0]] if later else text[p:]
            pm = PRON.search(seg)
            if pm:
                if pm.group().lower() in ("he", "him", "his", "himself"):
                    m_ += 1
                else:
                    f += 1
        if w in mid or w in poss or f or m_:
            out.append((w, "f" if f > m_ else "m" if m_ > f else "n"))
    return out


def _her(m: re.Match, text: str) -> str:
    """``her`` as object ("him") or possessive ("his") when it becomes male."""
    nxt = re.match(r"\s*([A-Za-z$0-9]+|[^\sA-Za-z$0-9]|$)", text[m.end():])
    word = nxt.group(1).lower() if nxt else ""
    prev = re.search(r"(\w+)\s+$", text[:m.start()])
    obj = word == "" or not (word[0].isalnum() or word[0] == "$") or word in OBJ_NEXT or word in HER_VERBS
    obj = obj or bool(prev and prev.group(1).lower() in GIVE_VERBS and (word[0].isdigit() or word[0] == "$" or
                                                                      word in WORDNUM or word in ("a", "an", "half")))
    out = "him" if obj else "his"
    return out if m.group()[0].islower() else out.capitalize()


def _flip_gender(text: str, to_male: bool) -> str:
    def sub(m: re.Match) -> str:
        w, low = m.group(), m.group().lower()
        if to_male:
            if low == "her":
                return _her(m, text)
            new = {"she": "he", "hers": "his", "herself": "himself"}.get(low, low)
        else:
            if low == "his":
                nxt = text[m.end():m.end() + 2]
                new = "hers" if not nxt or not re.match(r"\s[A-Za-z$0-9]", nxt) else "her"
            else:
                new = {"he": "she", "him": "her", "himself": "herself"}.get(low, low)
        return new if w[0].islower() else new.capitalize()

    return PRON.sub(sub, text)


def _names(text: str, rng: random.Random, ctx: dict) -> str:
    people = _people(text)
    ctx["people"] = []
    pools = {"f": FEMALE, "m": MALE, "n": NEUTRAL}
    used = {w for w in re.findall(r"[A-Z][a-z]+", text)}
    others = {w for w in re.findall(r"\b[A-Z][a-z]+\b", text) if w not in STOP_CAPS and w.lower() not in LOWERABLE}
    flip = (len(people) == 1 and people[0][1] != "n" and not GENDERED.search(text) and rng.random() < 0.4
            and others <= {people[0][0]}
            and not re.search(r"\b(he|him|his)\b" if people[0][1] == "f" else r"\b(she|her|hers)\b", text, re.IGNORECASE))
    mapping = {}
    for w, g in people:
        g2 = {"f": "m", "m": "f"}[g] if flip else g
        pool = [x for x in pools[g2] if x not in used and x[0] != w[0]]
        new = rng.choice(pool)
        used.add(new)
        mapping[w] = new
        ctx["people"].append((new, g2))
    for w, new in mapping.items():
        text = re.sub(rf"\b{w}\b(['’](?![a-z]))?", lambda m, new=new: new + (m.group(1) + "s" if m.group(1) else ""), text)
    # surnames after a title
    sur = {}
    for m in re.finditer(r"\b(Mr|Mrs|Ms|Dr|Miss)(\.?\s)([A-Z][a-z]+)\b", text):
        if m.group(3) not in sur:
            pool = [x for x in SURNAMES if x not in used]
            sur[m.group(3)] = rng.choice(pool)
            used.add(sur[m.group(3)])
    for w, new in sur.items():
        text = re.sub(rf"\b(Mr|Mrs|Ms|Dr|Miss)(\.?\s){w}\b(['’](?![a-z]))?",
                      lambda m, new=new: m.group(1) + m.group(2) + new + (m.group(3) + "s" if m.group(3) else ""), text)
    if flip:
        text = _flip_gender(text, people[0][1] == "f")
    return text


# --------------------------------------------------------------------------------------------------- theme
_G = [  # groups of (singular, plural) that can stand for each other
    "duck ducks|goose geese|hen hens", "cow cows|goat goats", "pig pigs|horse horses|donkey donkeys",
    "dog dogs|cat cats|rabbit rabbits", "puppy puppies|kitten kittens", "parrot parrots|canary canaries",
    "cookie cookies|brownie brownies|biscuit biscuits", "muffin muffins|scone scones|cupcake cupcakes|bagel bagels",
    "pie pies|tart tarts", "pizza pizzas|calzone calzones", "donut donuts|croissant croissants",
    "apple apples|pear pears|peach peaches|plum plums", "orange oranges|lemon lemons|grapefruit grapefruits",
    "banana bananas|mango mangoes", "strawberry strawberries|cherry cherries|raspberry raspberries",
    "carrot carrots|cucumber cucumbers|zucchini zucchinis", "tomato tomatoes|pepper peppers",
    "candy candies|lollipop lollipops|toffee toffees", "sandwich sandwiches|burrito burritos|hoagie hoagies",
    "pencil pencils|marker markers|crayon crayons", "book books|novel novels|magazine magazines",
    "marble marbles|bead beads|button buttons", "sticker stickers|stamp stamps|postcard postcards",
    "shirt shirts|sweater sweaters|hoodie hoodies", "hat hats|scarf scarves", "dress dresses|skirt skirts",
    "- roses|- tulips|daisy daisies|lily lilies", "car cars|van vans", "bike bikes|scooter scooters",
    "boat boats|canoe canoes", "doll dolls|puppet puppets", "balloon balloons|pinwheel pinwheels",
    "box boxes|crate crates|carton cartons", "bag bags|sack sacks", "jar jars|tub tubs", "bowl bowls|mug mugs",
    "necklace necklaces|bracelet bracelets", "painting paintings|drawing drawings", "lamp lamps|candle candles",
    "chair chairs|stool stools", "watermelon watermelons|pumpkin pumpkins|melon melons",
]
AMBIG = ("orange", "peach", "lime", "cherry", "plum", "lemon")  # also a colour
THEME: list[list[tuple[str, str]]] = [[tuple(p.split()) for p in g.split("|")] for g in _G]
VERB_USE = re.compile(r"\b(?:to|will|would|can|could|must|should|did|does|do|\w+s) (" +
                      "|".join(sorted({w for g in THEME for p in g for w in p if w != "-"}, key=len, reverse=True)) +
                      r") (?:a|an|the|\d)")
PLACES = [["farmers' market", "farmers market", "farmer's market", "farmers’ market", "farmer’s market"],
          ["bake sale"], ["garage sale"], ["grocery store"], ["birthday party"], ["field trip"], ["candy store"],
          ["pet store"], ["coffee shop"], ["lemonade stand"], ["toy store"], ["movie theater"], ["swimming pool"]]
PLACE_NEW = [["craft fair", "weekend market", "flea market"], ["school fair", "charity sale"], ["yard sale", "rummage sale"],
             ["supermarket", "corner shop"], ["graduation party", "holiday party"], ["class trip", "school outing"],
             ["sweet shop"], ["pet shop"], ["café", "coffee house"], ["juice stand", "smoothie stand"], ["toy shop"],
             ["cinema"], ["leisure centre pool"]]
PROTECT = re.compile(r"\b(mallard \w+|hot dogs?|corn dogs?|sea lions?|dog days|top hats?|hard hats?|cat ?walks?|box office|"
                     r"pen pals?|dress (?:shirts?|pants|shoes)|t-shirts?|book fairs?|lily pads?|pepper ?mint)\b", re.IGNORECASE)
UNITS = {"miles": ("kilometers", "L"), "mile": ("kilometer", "L"), "feet": ("meters", "L"), "foot": ("meter", "L"),
         "inches": ("centimeters", "L"), "inch": ("centimeter", "L"), "yards": ("meters", "L"), "yard": ("meter", "L"),
         "pounds": ("kilograms", "W"), "pound": ("kilogram", "W"), "ounces": ("grams", "W"), "ounce": ("gram", "W"),
         "gallons": ("liters", "V"), "gallon": ("liter", "V"), "quarts": ("liters", "V"), "pints": ("liters", "V")}


def _case_sub(text: str, word: str, new: str) -> str:
    """``word`` -> ``new`` everywhere as a whole word (lower case, or capitalised at a sentence start)."""
    def sub(m: re.Match) -> str:
        w = m.group()
        if w[0].isupper():
            if m.start() and not re.search(r"(^|[.!?:]\s+|\n)$", text[:m.start()]):
                return w
            return new[0].upper() + new[1:]
        return new
    return re.sub(rf"\b{re.escape(word)}\b", sub, text, flags=re.IGNORECASE)


def _theme(text: str, rng: random.Random, ctx: dict) -> str:
    guard: dict[str, str] = {}

    def hide(m: re.Match) -> str:
        key = f"\x01{len(guard)}\x02"
        guard[key] = m.group()
        return key

    s = PROTECT.sub(hide, text)
    low = s.lower()
    verbs = {m.group(1) for m in VERB_USE.finditer(low)}  # "needs to book a room", "books 3 nights"
    new_words = []
    for group in THEME:
        present = [p for p in group if any(w != "-" and re.search(rf"\b{w}\b", low) for w in p)]
        verb = any(w in verbs for p in group for w in p)
        if not present or verb or rng.random() < 0.15 or any(re.search(rf"\b{w}\b", low) for w in AMBIG
                                                             if any(w in p for p in group)):
            continue
        free = [p for p in group if p not in present and not re.search(rf"\b{p[1]}\b", low)]
        rng.shuffle(free)
        for p in present:
            if not free:
                break
            q = free.pop()
            if p[0] != "-" and re.search(rf"\b{p[0]}\b", low) and q[0] == "-":
                continue
            for old, new in zip(p, q):
                if old != "-":
                    s = _case_sub(s, old, new)
                    new_words.append(new)
    for olds, news in zip(PLACES, PLACE_NEW):
        for old in olds:
            if old in low and rng.random() < 0.8:
                new = rng.choice(news)
                s = re.sub(re.escape(old), new, s, flags=re.IGNORECASE)
                new_words.append(new)
                break
    # units to metric, when one unit of its kind alone appears and every use is quantitative
    kinds: dict[str, list[str]] = {}
    for u, (_, k) in UNITS.items():
        if re.search(rf"\b{u}\b", low):
            kinds.setdefault(k, []).append(u)
    for us in kinds.values():
        keys = {{"feet": "foot", "inches": "inch"}.get(u, u.rstrip("s")) for u in us}
        if len(keys) > 1 or rng.random() < 0.4 or any(re.search(rf"\b{UNITS[u][0]}\b", low) for u in us):
            continue
        if re.search(r"\b(on foot|(?:his|her|their|my|your|its|the) feet|foot ?(?:race|path|ball))\b", low):
            continue
        for u in us:
            s = re.sub(rf"\b{u}\b", UNITS[u][0], s)
    for w in set(new_words):
        s = re.sub(rf"\b([Aa])n? ({re.escape(w)})\b",
                   lambda m: (m.group(1) + ("n" if m.group(2)[0] in "aeiou" else "")) + " " + m.group(2), s)
    for key, val in guard.items():
        s = s.replace(key, val)
    return s


# --------------------------------------------------------------------------------------------------- numbers
WORDNUM = {w: i for i, w in enumerate(_w("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                       "fourteen fifteen sixteen seventeen eighteen nineteen twenty"))}
WORDNUM.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90})
NUMWORD = {v: k for k, v in WORDNUM.items()}
FRACWORD = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fourth": 4, "fourths": 4,
            "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6, "eighth": 8, "eighths": 8, "tenth": 10, "tenths": 10}
CONST = {"days": {7, 14, 30, 31, 365, 366}, "day": {7}, "hours": {24}, "minutes": {60}, "seconds": {60},
         "months": {12}, "weeks": {52}, "inches": {12}, "feet": {3, 5280}, "ounces": {16}, "cents": {100},
         "centimeters": {100}, "grams": {1000}, "meters": {1000}, "milliliters": {1000}, "quarts": {4}, "cups": {16},
         "pints": {2, 8}, "eggs": {12}, "years": {10, 100}, "pennies": {100}, "nickels": {20}, "dimes": {10},
         "quarters": {4}, "degrees": {90, 180, 360}, "dollars": {100}}
IMPLICIT = [(r"\bweeks?\b", r"\b(days?|daily)\b", 7), (r"\bdays?\b", r"\bhours?\b", 24), (r"\bdozens?\b", r".", 12), (r"\bhours?\b", r"\bminutes?\b", 60),
            (r"\bminutes?\b", r"\bseconds?\b", 60), (r"\byears?\b", r"\bmonths?\b", 12), (r"\bfeet|foot\b", r"\binch", 12),
            (r"\bpounds?\b", r"\bounces?\b", 16), (r"\bgallons?\b", r"\bquarts?\b", 4)]
BODY = set(_w("legs leg wheels wheel eyes eye hands arms wings sides corners tires faces toes fingers"))
DIMS = {"L": _w("miles mile feet foot inches inch yards yard meters meter kilometers kilometer km centimeters centimeter cm "
             "mm"),
        "W": _w("pounds pound ounces ounce grams gram kilograms kilogram kg tons ton lbs"),
        "V": _w("gallons gallon liters liter quarts quart cups cup pints pint milliliters milliliter ml"),
        "T": _w("seconds second minutes minute hours hour days day weeks week months month years year"),
        "$": _w("dollars dollar cents cent bucks")}
UNIT_DIM = {u: d for d, us in DIMS.items() for u in us}
NUM_RE = re.compile(r"(?<![\w.,/:$])(\$?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w/:]|\.\d|,\d{3})"
                    r"|(?<![\w-])(" + "|".join(sorted(WORDNUM, key=len, reverse=True)) + r")(?![\w-])", re.IGNORECASE)


SCALE = {"seconds": 1, "second": 1, "minutes": 60, "minute": 60, "hours": 3600, "hour": 3600, "days": 86400, "day": 86400,
         "weeks": 604800, "week": 604800, "months": 2.6e6, "month": 2.6e6, "years": 3.2e7, "year": 3.2e7, "inches": 1,
         "inch": 1, "feet": 12, "foot": 12, "yards": 36, "yard": 36, "miles": 63360, "mile": 63360, "ounces": 1,
         "ounce": 1, "pounds": 16, "pound": 16, "cups": 8, "cup": 8, "quarts": 32, "gallons": 128, "gallon": 128,
         "cents": 1, "cent": 1, "dollars": 100, "dollar": 100}


def _base(t: dict) -> float:
    """A token's value in the smallest unit of its dimension (minutes and hours compare)."""
    return t["val"] * (100 if t["money"] else SCALE.get(t["unit"], 1))


def _tokens(text: str) -> list[dict]:
    toks = []
    for m in NUM_RE.finditer(text):
        after = text[m.end():m.end() + 40]
        before = text[max(0, m.start() - 24):m.start()]
        unit_m = re.match(r"[\s-]*([a-zA-Z]+)", after)
        unit = unit_m.group(1).lower() if unit_m else ""
        t = {"start": m.start(2) if m.group(2) else m.start(), "end": m.end(), "word": m.group(4), "money": bool(m.group(1)), "fixed": "",
             "comma": bool(m.group(2) and "," in m.group(2)), "unit": unit}
        if m.group(4):
            t["val"] = WORDNUM[m.group(4).lower()]
            t["start"], t["end"] = m.start(4), m.end(4)
            if re.match(r"[\s-]+(hundred|thousand|million|billion|dozen|" + "|".join(FRACWORD) + r")\b", after, re.IGNORECASE):
                t["fixed"] = "frac"
        else:
            t["val"] = int(m.group(2).replace(",", ""))
            if m.group(3):
                t["fixed"] = "decimal"
        v = t["val"]
        if re.match(r"\s*(?:%|percent\b|per cent\b)", after):
            t["fixed"] = "percent"
        elif re.match(r"\s*(?:times\b|x\b|×|-?fold\b)", after) or re.search(r"\b(?:x|×)\s*$", before):
            t["fixed"] = "mult"
        elif re.match(r"\s*(?:a\.m\.|p\.m\.|am\b|pm\b|o['’]clock)", after, re.IGNORECASE):
            t["fixed"] = "clock"
        elif re.search(r"\b(?:[Gg]rade|[Cc]hapter|[Rr]oom|[Rr]oute|No\.|[Nn]umber|[Pp]age|[Aa]partment|[Hh]ighway|"
                       r"[Bb]us|[Ll]evel|[Ss]ize|[Ww]eek|[Dd]ay|[Yy]ear|[Aa]ge|[Aa]ged)\s$", before) and not t["money"]:
            t["fixed"] = "label"
        elif 1900 <= v <= 2100 and not t["money"] and not t["comma"] and unit not in UNIT_DIM:
            t["fixed"] = "year"
        elif re.match(r"[\s-]*(?:dollar\s)?(?:bills?|notes?|coins?)\b", after) and (t["money"] or unit == "dollar"):
            t["fixed"] = "bill"
        elif v <= 3 or (t["word"] and v <= 5):  # small factors and "four runners" stay: products and named groups
            t["fixed"] = "small"
        elif unit in BODY or v in CONST.get(unit, ()) or re.match(
                r"[\s-]*(?:days?|hours?|months?|minutes?|weeks?)\s+(?:a|an|per|each|every|of the)\s+(?:week|day|month|"
                r"hour|year)\b", after) or (v == 12 and re.search(r"\bdozen\b", after[:24])) or \
                re.match(r"[\s-]*\w+\s+(?:in|per|make|makes|equals?|=)\s+(?:a|an|one|1|each|every)\b", after):
            t["fixed"] = "const"
        t["dim"] = "$" if t["money"] or unit in DIMS["$"] else (
            "A" if re.match(r"[\s-]*years?[\s-]+old", after) else UNIT_DIM.get(unit, "C"))
        toks.append(t)
    return toks


def _divisors(text: str, toks: list[dict]) -> tuple[set[int], set[int]]:
    """(denominators a value divisible by them must stay divisible by, unit constants the solution converts by)."""
    frac = {int(b) for b in re.findall(r"(?<![\d.])\d+/(\d+)(?![\d/])", text) if 1 < int(b) <= 1000}
    for w, d in FRACWORD.items():
        if re.search(rf"\b{w}\b" + (r" of\b" if w in ("quarter", "quarters", "fourth") else ""), text, re.IGNORECASE):
            frac.add(d)
    for t in toks:
        if t["fixed"] == "percent" and t["val"]:
            frac.add(100 // math.gcd(t["val"], 100))
    for d in re.findall(r"(?<![\d.])\d*\.\d+", text):  # "$75 at $7.50 a yard": 75 stays a multiple of 15
        p = Fraction(d).limit_denominator(1000).numerator
        if 1 < p <= 1000:
            frac.add(p)
    for a, b in re.findall(r"(?<![\d:])(\d{1,3}):(\d{1,3})(?![\d:]|\s?[ap]\.?m)", text):  # ratio 10:17 splits a total by 27
        if int(b) != 0 and not b.startswith("0") and 1 < int(a) + int(b) <= 1000:
            frac.add(int(a) + int(b))
    frac.discard(1)
    out = set(frac)
    factors = sorted(frac) + [2] * len(re.findall(r"\b(?:twice|double|doubled)\b", text, re.IGNORECASE))
    factors += [3] * len(re.findall(r"\b(?:triple|thrice)\b", text, re.IGNORECASE))
    factors += [t["val"] for t in toks if t["fixed"] == "mult" and t["val"] >= 2]
    for t in toks:  # "3 times as many apples as oranges" out of a total: the total splits into 4 parts
        if t["fixed"] == "mult" and re.match(r"\s*times as (?:many|much)\b", text[t["end"]:]):
            out.add(t["val"] + 1)
    for w, k in (("twice", 3), ("three times", 4), ("half", 3)):
        if re.search(rf"\b{w} as (?:many|much)\b", text, re.IGNORECASE):
            out.add(k)
    out |= set(factors)
    prod = math.prod(factors) if factors else 1
    if 1 < prod <= 1000:
        out.add(prod)  # "half of what is left, then a fourth of that": divisible by 8
    implicit = set()
    for t in toks:
        if t["fixed"] in ("mult", "const", "small") and t["val"] >= 2:
            out.add(t["val"])
    for a, b, d in IMPLICIT:  # unit conversions the solution will make
        if re.search(a, text, re.IGNORECASE) and re.search(b, text, re.IGNORECASE):
            out.add(d)
            implicit.add(d)
    return out, implicit


def _renumber(text: str, rng: random.Random, ctx: dict) -> str:
    toks = _tokens(text)
    if any(t["fixed"] == "bill" for t in toks) or re.search(r"(\w-dollar|\d\s?[£€$]?) (?:bills?|notes?)\b", text):
        return text  # a fixed note pays for the rest: changing the prices could make the change negative
    divs, implicit = _divisors(text, toks)
    fixed_vals = {t["val"] for t in toks if t["fixed"] in ("const", "small")}
    # counts the wording itself pins down: "both"/"either" (2), "the third month" (3), ...
    if re.search(r"\b(both|either|neither|twins?|pair|couple|two of (?:them|us))\b", text, re.IGNORECASE):
        fixed_vals.add(2)
    for w in re.findall(r"\b([a-z]+)-[a-z]|[a-z]-([a-z]+)\b", text.lower()):  # "four-leaved": kept with its compound
        for x in w:
            if x in WORDNUM:
                fixed_vals.add(WORDNUM[x])
    for v, w in enumerate(_w("third fourth fifth sixth seventh eighth ninth tenth"), start=3):
        if re.search(rf"\b{w}\b", text, re.IGNORECASE):
            fixed_vals.add(v)
    # a dimension with a fixed value above a changeable one is left alone (its sums could break)
    frozen = set()
    for t in toks:
        if t["fixed"] == "decimal" and t["dim"] == "$":
            frozen.add("$")  # "$2.25 each or $24 a dozen": a kept price could overtake a changed one
        if t["fixed"] in ("const", "decimal", "small") and any(
                u["dim"] == t["dim"] and not u["fixed"] and _base(u) < _base(t) for u in toks):
            frozen.add(t["dim"])  # "3 hours for 45 + 30 + 50 + 25 minutes of homework"
    change = [t for t in toks if not t["fixed"] and t["dim"] not in frozen and t["val"] not in fixed_vals]
    fixed_ints = {t["val"] for t in toks if t["fixed"] in ("const", "mult") and t["val"] >= 2} | implicit
    change = [t for t in change if not any(k % t["val"] == 0 and k > t["val"] for k in fixed_ints)]
    if not change:
        return text
    dims: dict[int, set[str]] = {}
    for t in change:
        dims.setdefault(t["val"], set()).add(t["dim"])
    values = sorted(dims)
    originals = {t["val"] for t in toks}
    dims_all: dict[int, set[str]] = {}
    for t in toks:
        if t["fixed"] in ("", "small", "const", "decimal"):
            dims_all.setdefault(t["val"], set()).add(t["dim"])
    values_all = sorted(dims_all)
    seen = {u for u in values_all if u not in dims}
    r0 = rng.uniform(1.1, 1.5)
    kept = {t["val"] for t in toks if t["fixed"] in ("small", "const", "mult") and t["val"] >= 2} | \
        (fixed_vals - {0, 1})
    new: dict[int, int] = {}
    for v in values:
        lo = max(v * r0, v + 1)
        for u, nu in new.items():
            if dims[u] & dims[v]:
                lo = max(lo, nu * v / u)
        # "15 squares with 12 lights each" against "200 lights": a product near a larger value keeps below it
        known = sorted(set(new.items()) | {(k, k) for k in kept if k < v})
        cap = max(lo, v * r0 * 1.6)
        for i, (u1, n1) in enumerate(known):
            for u2, n2 in known[i + 1:]:
                if v / 3 <= u1 * u2 <= v and u1 <= 12 and (dims_all.get(u1, set()) | dims_all.get(u2, set())) & dims[v]:
                    lo = max(lo, min(cap, n1 * n2 * v / (u1 * u2)))
        tz = len(str(v)) - len(str(v).rstrip("0"))
        step = 10 ** min(tz, max(0, len(str(v)) - 2)) if tz else (5 if v % 5 == 0 and v >= 15 else 1)
        for level in range(3):  # relax divisibility between values, then by the fixed denominators
            need = ([new[u] for u in new if u >= 2 and v % u == 0 and (u <= 12 or dims[u] & dims[v])]
                    if level == 0 else []) + \
                   ([d for d in divs if v % d == 0] if level < 2 else [])
            lcm = step
            for d in need:
                lcm = lcm * d // math.gcd(lcm, d)
            c = math.ceil(lo / lcm - 1e-9) * lcm
            if c <= lo * (1.3, 2.2, 9)[level] + 1:
                break
        cands = [c + i * lcm for i in range(4) if c + i * lcm != v and (not i or c + i * lcm <= lo * 1.2)] or [c + lcm]
        cands = [c for c in cands if c not in originals] or cands  # "8 roses, 12 daisies": no 12 roses
        new[v] = cands[0] if rng.random() < 0.6 else rng.choice(cands[:3])
        # a whole made of two parts ("2 days ... the other 3 days ... 5 work days") stays their sum
        parts = [(a, b) for a in values_all for b in values_all if a <= b and a + b == v and a in seen and b in seen
                 and dims_all[a] & dims_all[b] & dims_all[v]]
        factors = [(a, b) for a in values_all for b in values_all if 2 <= a <= 12 and a * b == v and a in seen
                   and b in seen]  # "30 days, three times" against "the 90 days"
        same = [t for t in toks if t["val"] < v and t["dim"] in dims_all[v] and t["fixed"] in ("", "small", "const")]
        repeated = [a for a in seen if a >= 2 and a * sum(t["val"] == a for t in same) == v and
                    sum(t["val"] == a for t in same) >= 2]
        if len(same) >= 3 and sum(t["val"] for t in same) == v:  # "10 + 15 + 5 miles ... the 30 miles"
            new[v] = sum(new.get(t["val"], t["val"]) for t in same)
        elif repeated:  # "30 days ... 30 days ... 30 days ... the 90 days"
            new[v] = new.get(repeated[0], repeated[0]) * (v // repeated[0])
        elif parts:
            new[v] = new.get(parts[0][0], parts[0][0]) + new.get(parts[0][1], parts[0][1])
        elif factors:
            new[v] = new.get(factors[0][0], factors[0][0]) * new.get(factors[0][1], factors[0][1])
        seen.add(v)
    out = text
    for t in sorted(change, key=lambda t: -t["start"]):
        nv = new[t["val"]]
        if t["word"]:
            rep = NUMWORD.get(nv, str(nv)) if nv <= 20 else str(nv)
            if t["word"][0].isupper():
                rep = rep[0].upper() + rep[1:]
        else:
            rep = f"{nv:,}" if t["comma"] or (nv >= 10000 > t["val"] and re.search(r"\d,\d{3}", text)) else str(nv)
        out = out[:t["start"]] + rep + out[t["end"]:]
    return out


# --------------------------------------------------------------------------------------------------- localisation
FRAC_GLYPH = {"1/2": "½", "1/3": "⅓", "2/3": "⅔", "1/4": "¼", "3/4": "¾", "1/5": "⅕", "2/5": "⅖", "3/5": "⅗",
              "4/5": "⅘", "1/6": "⅙", "5/6": "⅚", "1/8": "⅛", "3/8": "⅜", "5/8": "⅝", "7/8": "⅞", "1/10": "⅒"}
MONEY_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"


def _lakh(num: str) -> str:
    """Indian digit grouping: 150000 -> 1,50,000."""
    whole, dot, dec = num.replace(",", "").partition(".")
    return num if len(whole) <= 5 else re.sub(r"(\d)(?=(?:\d\d)*\d{3}$)", r"\1,", whole) + dot + dec


def _locale(text: str, rng: random.Random, ctx: dict) -> str:
    coins = re.search(r"\b(quarters?|dimes?|nickels?|pennies|penny)\b", text, re.IGNORECASE)
    profiles = ["uni"] if coins or "£" in text or "€" in text else ["eu", "in", "uni"]
    prof = rng.choice(profiles)
    ctx["locale"] = prof
    s = text
    if prof == "eu":
        sep = rng.choice([".", " "])
        s = re.sub(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w]|,\d{3})",
                   lambda m: m.group(1).replace(",", sep) + (("," + m.group(2)[1:]) if m.group(2) else ""), s)
        after = rng.random() < 0.6
        s = re.sub(r"\$\s?(\d{1,3}(?:[. ]\d{3})+(?:,\d+)?|\d+(?:,\d+)?)", (lambda m: f"{m.group(1)} €") if after else (lambda m: f"€{m.group(1)}"), s)
        for a, b in (("dollars", "euros"), ("dollar", "euro"), ("bucks", "euros")):
            s = re.sub(rf"\b{a}\b", b, s)
    elif prof == "in":
        form = rng.choice(["Rs. {}", "₹{}", "Rs {}", "INR {}"])
        s = re.sub(r"\$\s?(" + MONEY_NUM + r")", lambda m: form.format(_lakh(m.group(1))), s)
        s = re.sub(r"(?<![\w.,])(\d{1,3}(?:,\d{3}){2,}|\d{6,})(?![\w,])", lambda m: _lakh(m.group(1)), s)
        for a, b in (("dollars", "rupees"), ("dollar", "rupee"), ("cents", "paise"), ("bucks", "rupees")):
            s = re.sub(rf"\b{a}\b", b, s)
    else:
        s = re.sub(r"(?<![\d/.])(\d{1,2}/\d{1,2})(?![\d/])", lambda m: FRAC_GLYPH.get(m.group(1), m.group(1)), s)
        s = re.sub(r"(\d) times (as|more|larger|bigger|faster|longer|taller|the)\b", r"\1× \2", s)
        s = re.sub(r"(\d) x (\d)", r"\1 × \2", s)
        s = re.sub(r"(\d) ?degrees\b(?! (?:Celsius|Fahrenheit))", r"\1°", s)
        s = re.sub(r"(\d) ?percent\b", r"\1%", s)
        s = re.sub(r"(\d)-(\d)(?!\d*/)", r"\1–\2", s)
        s = re.sub(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?!\d)", lambda m: m.group().replace(",", "\u202f"), s)
        s = re.sub(r"(?<=\w)'(?=\w)", "’", s)
        s = s.replace("...", "…")
    return s


# --------------------------------------------------------------------------------------------------- sentences
ABBR = re.compile(r"\b(Mr|Mrs|Ms|Dr|St|Jr|Sr|vs|etc|No|approx|Mt|Rs|a\.m|p\.m|i\.e|e\.g|lbs|oz|ft)\.")


def _split(text: str) -> list[str]:
    s = ABBR.sub(lambda m: m.group().replace(".", "\x03"), text)
    parts = re.split(r"(?<=[.!?])\s+(?=[\"“‘'(A-Z0-9$€₹£])", s)
    return [p.replace("\x03", ".").strip() for p in parts if p.strip()]


AUXS = set(_w("does do did will would can could should must might may shall is are was were am has have had"))
BE = {"is", "are", "was", "were", "am"}
BE_DETS = set(_w("the his her their its my our your this that these those each every"))
HAVE = {"has", "have", "had"}
SUBJ = {"he", "she", "it", "they", "we", "you", "i", "there"}
BE_STOP = set(_w("""going now left in on at for after before by than to still currently today there able supposed
expected allowed needed per altogether together worth old older younger taller shorter bigger smaller heavier lighter
more less made being from if when during this that with without"""))
IRREG = dict(p.split(":") for p in _w("""have:had make:made spend:spent take:took get:got buy:bought eat:ate sell:sold
read:read run:ran drink:drank give:gave catch:caught drive:drove lose:lost see:saw put:put do:did win:won find:found
bring:brought ride:rode go:went write:wrote send:sent hold:held throw:threw leave:left swim:swam grow:grew draw:drew
sleep:slept begin:began break:broke fly:flew meet:met feel:felt keep:kept cost:cost pay:paid cut:cut set:set hit:hit
sit:sat stand:stood teach:taught think:thought build:built lend:lent sing:sang ring:rang wear:wore tear:tore
choose:chose speak:spoke steal:stole forget:forgot lay:laid say:said tell:told become:became come:came shoot:shot
feed:fed lead:led dig:dug hang:hung sweep:swept know:knew blow:blew fall:fell hear:heard mean:meant shake:shook
beat:beat spin:spun stick:stuck withdraw:withdrew be:was bet:bet quit:quit spread:spread"""))
BASE_VERBS = set(IRREG) | set(_w("""need earn save use receive weigh collect walk score end travel start pick plant last watch
consume own fill deliver charge play order produce bake count raise remain average owe practice jump expect wash lift
gain reach purchase cover store answer miss move jog type create train profit chop paint remove contain pack harvest
place want clean fit finish borrow stay listen burn plan drop prepare allocate require fold serve contribute perform
lack deposit study share handle supply budget volunteer celebrate enter carry employ redeem attend combine wrap cook
operate ship occupy return mow toss release pass finance assign gather wait hunt install transport afford estimate
record roast pour sew rake change invite dance turn package copy live check ask predict recycle tutor fix visit donate
add work spill sort stack mail invest tip grab clip lay"""))
DOUBLE = set(_w("stop drop shop plan jog hop skip chop ship grab rob tap clap hug beg drag plug wrap knit trim dip rip "
                "slip trip step pat pet mop admit prefer refer occur"))


def _third(v: str) -> str:
    if v in ("have", "be", "do", "go"):
        return {"have": "has", "be": "is", "do": "does", "go": "goes"}[v]
    return v + "es" if re.search(r"(s|x|z|ch|sh)$", v) else v[:-1] + "ies" if re.search(r"[^aeiou]y$", v) else v + "s"


def _past(v: str) -> str:
    if v in IRREG:
        return IRREG[v]
    return v + "d" if v.endswith("e") else v[:-1] + "ied" if re.search(r"[^aeiou]y$", v) else \
        v + v[-1] + "ed" if v in DOUBLE else v + "ed"


GIVE_VERBS = {f(v) for v in GIVE_BASE for f in (str, _third, _past)}


LOWERABLE = set(_w("""the a an he she they it his her their its we you my our your there this that these those each
every if when after before then in on at for during while since some all both half as also however so but and because
although last next yesterday today tomorrow from with of to by over under out only most many much no not another other
instead currently meanwhile finally first second third later now once twice how what which who where why assuming
suppose given let unfortunately luckily fortunately initially originally altogether together overall recently usually
normally sadly already still just even here any few several either neither same such otherwise besides furthermore
moreover eventually suddenly afterwards including excluding yet nevertheless hence therefore thus lastly upon without
within among between along across around about above below like unlike unless until whereas whenever whether
considering knowing according based due daily weekly monthly yearly early nearly exactly approximately typically
generally certainly apparently actually everyone everybody someone somebody nobody none anyone anybody something
nothing everything""")) | set(WORDNUM)


def _lc(s: str, keep: set[str] | frozenset = frozenset(), text: str = "") -> str:
    """Lower-case the first letter of a sentence put after others, unless it starts with a name or proper noun."""
    w = re.match(r"[A-Za-z]+", s)
    if not w or w.group() == "I" or w.group() in keep or (len(w.group()) > 1 and w.group().isupper()):
        return s
    low = w.group().lower()
    if low in LOWERABLE or re.search(rf"\b{low}\b", text) or re.search(r"(ing|ed)$", low):
        return s[0].lower() + s[1:]
    return s


def _declarative(q: str) -> tuple[str, str] | None:
    """The question as (kind, clause): ("wh", "how much she makes ..."), ("np", "the total cost ..."),
    ("imp", "Calculate the total ..."), or None."""
    body = re.sub(r"\s*[?.]+$", "", q.strip())
    body = re.sub(r",\s*(in [a-z ]{3,25}?|per [a-z ]{3,20}?|altogether|in total|in all|on average|approximately),\s*",
                  r" \1 ", body)
    if "?" in body or "," in body:
        return None
    m = re.match(r"(?i)(calculate|find|determine|compute|work out|figure out|estimate)\s+(.*)$", body)
    if m:
        return ("imp", body[0].upper() + body[1:])
    m = re.match(r"(?i)what(?:'s|’s| is| was| will be| would be)\s+((?:the|his|her|their|its|my|your|our)\s.*)$", body)
    if m and not re.search(r"\b(?:does|do|did|is|are|was|were|will|has|have|had)\b", m.group(1)):
        return ("np", m.group(1))
    m = re.match(r"(?i)(how (?:many|much|long|old|far|often|fast|tall|heavy|big|large|wide)|what (?:percentage|percent|"
                 r"fraction|portion|proportion|time|day|year)|what|which)\b(.*)$", body)
    if not m:
        return None
    head, words = m.group(1).lower(), m.group(2).split()
    i = next((k for k, w in enumerate(words[:7]) if w.lower() in AUXS), None)
    if i is None:
        if head in ("what", "which") or not words:
            return None
        return ("wh", head + " " + " ".join(words))
    pre, aux, rest = words[:i], words[i].lower(), words[i + 1:]
    if any(w.lower() in ("after", "before", "when", "if", "that", "which", "who", "than", "while") or w.endswith("ed")
           for w in pre) or not rest:
        return None
    first = rest[0]
    if first == "not" or first in BASE_VERBS:  # "How many did not ...", "How many are left": not inverted
        return ("wh", " ".join([head] + pre + [aux] + rest)) if pre else None
    starts_np = first.lower() in SUBJ or first.lower() in BE_DETS or (first[0].isupper() and first not in STOP_CAPS)
    if aux in BE or aux in HAVE:
        if not starts_np:
            if head in ("what", "which") and not pre:
                return None
            return ("wh", " ".join([head] + pre + [aux] + rest))
        j = 1
        if first.lower() not in SUBJ:
            while j < len(rest) and j < 9:
                w = rest[j].lower()
                if w in BE_STOP and w != "of" or w.endswith("ing") or (aux in HAVE and (w.endswith("ed") or
                                                                                    w in IRREG.values())):
                    break
                j += 1
        subj, tail = rest[:j], rest[j:]
        return ("wh", " ".join([head] + pre + subj + [aux] + tail))
    # do / does / did / modals
    if first.lower() in SUBJ:
        j = 1
    elif first[0].isupper() and len(rest) > 1 and not re.search(r"['’]s$", first):
        j = 3 if len(rest) > 3 and rest[1] == "and" and rest[2][0].isupper() else 1
    else:
        j = next((k for k in range(1, min(len(rest), 7)) if rest[k].lower() in BASE_VERBS), 0)
        if not j:
            return None
    if j >= len(rest) or not rest[j].isalpha() or not rest[j].islower():
        return None
    verb = rest[j]
    if aux == "does":
        verb = _third(verb)
    elif aux == "did":
        verb = _past(verb)
    elif aux != "do":
        verb = aux + " " + verb
    tail = rest[j + 1:]
    if len(tail) > 1 and tail[0] in ("and", "or") and tail[1] in BASE_VERBS:
        tail = [tail[0], _third(tail[1]) if aux == "does" else _past(tail[1]) if aux == "did" else tail[1]] + tail[2:]
    subj = rest[:j]
    if subj and subj[0] in ("He", "She", "It", "They", "We", "You", "There"):  # (after do/does/did)
        subj = [subj[0].lower()] + subj[1:]
    return ("wh", " ".join([head] + pre + subj + [verb] + tail))


def _question(sents: list[str]) -> tuple[list[str], list[str]]:
    """(facts, question sentences)."""
    k = len(sents)
    while k > 0 and sents[k - 1].rstrip().endswith("?"):
        k -= 1
    if k == len(sents) and sents and re.match(r"(?i)(calculate|find|determine|compute|work out|figure out|what|how|"
                                              r"express|estimate)\b", sents[-1]):
        k -= 1
    return sents[:k], sents[k:]


def _front(question: list[str], ctx: dict) -> tuple[str, str, str] | None:
    """The question as (verb, clause, condition) for an instruction put first, or None."""
    if len(question) != 1:
        return None
    q = question[0]
    cond = ""
    m = re.match(r"(?is)^(if|when|since|assuming|given that|suppose|provided that)\s+(.+?),\s*(?:then\s+)?"
                 r"((?:how|what|which|calculate|find|determine|compute|work out|figure out)\b.*)$", q)
    if m:
        cond, q = m.group(1).lower() + " " + m.group(2), m.group(3)
        if cond.startswith(("assuming", "suppose", "given", "provided")):
            cond = "if " + cond.split(" ", 2 if cond.startswith(("given", "provided")) else 1)[-1]
    else:
        m = re.match(r"^(in total|in all|altogether|in dollars|after [^,]{3,60}|before [^,]{3,60}|by the end of [^,]{3,40}|"
                     r"at the end of [^,]{3,40}|on average),\s*((?:how|what)\b.*)$", q, re.IGNORECASE)
        if m:
            q, cond = m.group(2), _lc(m.group(1), ctx.get("proper", set()), q)
            cond = cond[0].lower() + cond[1:]
    d = _declarative(q)
    if not d:
        return None
    kind, clause = d
    if kind == "imp":
        verb, clause = clause.split(" ", 1) if not clause.lower().startswith(("work out", "figure out")) else \
            (" ".join(clause.split(" ", 2)[:2]), clause.split(" ", 2)[2])
        verb = verb.capitalize()
    else:
        verb = ""
    if cond.startswith("if ") and " if " in clause:
        cond = "when " + cond[3:]
    out = (clause + " " + cond).strip() if cond else clause
    # the first he/she of a question put before the facts gets the name it stands for
    people = ctx.get("people") or []
    pm = re.search(r"\b(he|she|his|her)\b", out)
    if pm and pm.group(1) in ("he", "she"):
        g = "m" if pm.group(1) == "he" else "f"
        match = [n for n, gg in people if gg == g]
        if len(match) == 1 and not re.search(rf"\b{match[0]}\b", out[:pm.start()]):
            out = out[:pm.start()] + match[0] + out[pm.end():]
    return verb, out, kind


def _fact_clause(f: str, keep: set[str], text: str) -> str:
    f = re.sub(r"(?<!\b[ap]\.m)[.!]+$", "", f.strip())
    for _ in range(2):
        f = re.sub(r"^(But|And|So|Yet|Or|Then),?\s+", "", f, flags=re.IGNORECASE)
    f = re.sub(r"^That(?= is\b| was\b|['’]s\b)", "This", f)
    return _lc(f, keep, text)


def _layout(facts: list[str], question: list[str], rng: random.Random, ctx: dict) -> str | None:
    out = _layout1(facts, question, rng, ctx)
    return re.sub(r"(?<!\.)\.\.(?!\.)", ".", out) if out else out


def _layout1(facts: list[str], question: list[str], rng: random.Random, ctx: dict) -> str | None:
    front = _front(question, ctx)
    qtext = " ".join(question)
    keep = ctx.get("proper", set())
    whole = " ".join(facts + question)
    if not facts or any(f.endswith("?") for f in facts):
        return None
    if not question:
        return None
    late = False  # a pronoun in the question with nothing before it to stand for: keep the question last
    if front:
        pm = re.search(r"\b(they|them|their|these|those|he|she|him|his|her|it(?! (?:takes?|took|costs?|will|would)))\b",
                       front[1])
        late = bool(pm) and not any(re.search(rf"\b{n}\b", front[1][:pm.start()]) for n, _ in ctx.get("people", []))
    opts = ["given", "given", "ordinal", "front", "block"] if front and not late else ["given", "ordinal"]
    if len(facts) < 2:
        opts.remove("ordinal")
    choice = rng.choice(opts)
    task = ""
    if front:
        verb, clause, kind = front
        verb = verb or rng.choice(["Find", "Determine", "Work out", "Figure out"] if kind == "wh" else
                                  ["Find", "Determine", "Compute", "Work out"])
        task = f"{verb} {clause}"
    if choice == "given":
        if sum(len(f) for f in facts) > 650 or len(facts) > 6:
            return None
        parts = [_fact_clause(f, keep, whole) for f in facts]
        sep = "; " if any("," in p for p in parts) else ", "
        conds = parts[0] if len(parts) == 1 else sep.join(
            ["that " + p if i else p for i, p in enumerate(parts[:-1])]) + \
            f"{sep if len(parts) > 2 else ', '}and that {parts[-1]}"
        r = rng.random()
        if late and r < 0.45:
            r = 0.5
        if front and r < 0.45:
            return f"{task}, given that {conds}."
        if front and r < 0.7:
            return f"Given that {conds}, {task[0].lower() + task[1:]}."
        return f"Given that {conds}, {_lc(qtext, keep, whole)}"
    if choice == "ordinal":
        seq = rng.choice([["Second,", "Third,", "Fourth,", "Fifth,", "Sixth,", "Seventh,", "Eighth,", "Ninth,"],
                          ["Next,", "Then,", "After that,", "Also,", "Besides that,", "On top of that,", "Next,",
                           "Then,"]])
        marks = ["First,"] + seq[:len(facts) - 2] + ["Finally,"]
        body = []
        for mk, f in zip(marks, facts):
            f2 = re.sub(r"^(Then|Also|After that|Next|Finally|First|Later|Besides|Additionally|But|And|So),?\s+", "", f)
            f2 = f2[0].upper() + f2[1:] if f2 != f else f2
            body.append(f"{mk} {_lc(f2, keep, whole)}")
        intro = rng.choice(["Here is what we know.", "Here are the facts, in order.", "The facts are as follows."])
        if front and not late and rng.random() < 0.5:
            return f"We want to {task[0].lower() + task[1:]}. {intro} " + " ".join(body)
        return f"{intro} " + " ".join(body) + " " + qtext
    if choice == "front":
        movable = [i for i, f in enumerate(facts) if i and not re.match(r"(But|And|So|Yet|Or|However)\b", f) and not re.search(
            r"\b(he|she|they|it|him|her|his|their|them|its|this|that|these|those|then|after|rest|remaining|remainder|"
            r"left|more|another|other|also|again|same|first|second|last|next|later|too|each of|both|either)\b", f, re.IGNORECASE)]
        fs = list(facts)
        if movable:
            i = rng.choice(movable)
            fs.insert(0, fs.pop(i))
        return f"{task}. " + " ".join(fs)
    bullet = rng.choice(["•", "·", "–"])
    lines = ["Given:"] + [f"{bullet} {f}" for f in facts] + [f"Find: {clause}."]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------- padding
DISTRACT = [("{N}’s neighbour keeps {n} goldfish in a tank.", "fish goldfish tank"),
            ("{N}’s cousin lives {n} miles away.", "miles cousin away far distance"),
            ("On the radio that morning, {n} songs played before the news.", "songs radio minutes"),
            ("{N} has had {pos} bicycle for {n} months.", "months bicycle bike"),
            ("The street where {N} lives has {n} houses on it.", "houses street"),
            ("{N}’s favourite number is {n}.", "number"),
            ("It was {n} degrees outside that day.", "degrees temperature"),
            ("{N} once read that an ostrich can run {n} miles an hour.", "miles hour speed run"),
            ("There are {n} benches in the park near {pos} home.", "benches park"),
            ("{N}’s phone had {n} unread messages.", "messages phone"),
            ("{N}’s grandmother turned {n} last spring.", "old age years grandmother"),
            ("The local library is open {n} hours a week.", "hours library week"),
            ("{N} keeps a diary and has filled {n} pages of it so far.", "pages diary"),
            ("A bus to the city centre leaves every {n} minutes.", "minutes bus"),
            ("{N}’s best friend has {n} stickers on a water bottle.", "stickers bottle friend"),
            ("{N} also watched {n} episodes of a cooking show that week.", "episodes show week")]
PREAMBLE = ["Here is a math word problem.", "Read the following problem carefully.",
            "The following is a grade-school math problem.", "Let's look at an everyday situation.",
            "Consider this scenario."]
CLOSING = ["Show your work.", "Explain each step of your reasoning.", "Put your final answer in \\boxed{}.",
           "Write your answer as a number.", "Give a short explanation with your answer.", "Show all working."]


def _distractor(facts: list[str], question: list[str], rng: random.Random, ctx: dict) -> list[str]:
    text = " ".join(facts + question).lower()
    people = ctx.get("people") or []
    opts = [(t, k) for t, k in DISTRACT if not any(re.search(rf"\b{w}\b", text) for w in k.split())]
    if not people:
        opts = [(t, k) for t, k in opts if "{N}" not in t and "{pos}" not in t]
    if not opts or not facts:
        return facts
    t, _ = rng.choice(opts)
    nums = {int(x) for x in re.findall(r"\d+", text.replace(",", ""))}
    n = rng.choice([x for x in range(6, 48) if x not in nums])
    name, g = people[0] if people else ("", "n")
    sent = t.format(N=name, n=n, pos={"f": "her", "m": "his"}.get(g, "their"))
    out = list(facts)
    out.insert(rng.randint(1, len(out)), sent)
    return out


# --------------------------------------------------------------------------------------------------- frames
FORUM_OPEN = ["can someone help me with this one?", "stuck on this hw question:", "ok so my teacher gave us this and im lost",
              "anyone know how to do this?", "help pls, this is due tomorrow:", "how do you even start this one"]
FORUM_CLOSE = ["i keep getting a weird answer", "pls explain step by step", "thanks in advance!!",
               "is there a formula for this?", "my answer doesnt match the back of the book", "pls help"]
ABBREV = [(r"\bhours\b", "hrs"), (r"\bhour\b", "hr"), (r"\bminutes\b", "mins"), (r"\bwith\b", "w/"),
          (r"\bbecause\b", "bc"), (r"\band\b", "&"), (r"\bapproximately\b", "approx"), (r"\bpeople\b", "ppl"),
          (r"\bdollars\b", "bucks"), (r"\bpounds\b", "lbs"), (r"\bthrough\b", "thru")]
FUNC = set(_w("a an the and or of to in on at by for with from per each every is are was were has have had he she it they "
              "his her its their this that these those more than as so if then when how many much what which"))


def _forum(text: str, rng: random.Random) -> str:
    s = text.lower()
    s = re.sub(r"\bi\b", "i", s)
    if rng.random() < 0.6:
        s = re.sub(r"(\w)['’](s|t|re|ll|ve|d|m)\b", r"\1\2", s)
    for pat, rep in ABBREV:
        if rng.random() < 0.5:
            s = re.sub(pat, rep, s)
    if rng.random() < 0.4:
        s = s.replace("?", "??")
    sep = rng.choice(["\n\n", "\n", " "])
    return rng.choice(FORUM_OPEN) + sep + s + sep + rng.choice(FORUM_CLOSE)


def _exam(text: str, rng: random.Random) -> str:
    n, marks = rng.randint(1, 24), rng.randint(2, 6)
    forms = [f"Q{n}. {{t}} [{marks} marks]", f"Question {n} ({marks} marks)\n\n{{t}}\n\nAnswer: ____________",
             f"{n}. {{t}}\n\n{'.' * 60} [{marks}]", f"Q{n} ({marks} marks)\n{{t}}\nShow all working."]
    form = rng.choice(forms[:3] if any(text.endswith(c) for c in CLOSING) else forms)
    return form.replace("{t}", text)


def _code(text: str, rng: random.Random, ctx: dict) -> str:
    lines = ["def solution():", '    """' + text.replace("\\", "\\\\").replace('"""', "'''") + '"""']
    if rng.random() < 0.6 and not ctx.get("locale"):
        seen: set[str] = set()
        for m in re.finditer(r"(?<![\d/])(\$?)(\d[\d,]*(?:\.\d+)?)(?![\d/])((?:[\s-]+[A-Za-z’']+){0,4})", text):
            words = [w.lower() for w in re.findall(r"[A-Za-z]+(?=['’]s\b)|[A-Za-z]+(?!['’])", m.group(3))
                     if w.lower() not in FUNC and len(w) > 1 and not w[0].isupper()][:2]
            if "per" in m.group(3).split()[:1]:
                words = ["per"] + words
            pct = text[m.end(2):m.end(2) + 1] == "%" or m.group(3).split()[:1] == ["percent"]
            name = "_".join((["price"] if m.group(1) else ["pct"] if pct else []) + words) or "value"
            name = re.sub(r"\W", "", name)
            base, k = name, 2
            while name in seen:
                name, k = f"{base}_{k}", k + 1
            seen.add(name)
            lines.append(f"    {name} = {m.group(2).replace(',', '')}")
        lines.append("    # TODO: compute the answer from the values above")
    lines.append("    return answer" if len(lines) > 2 else "    ...")
    fence = rng.random() < 0.5
    return ("```python\n" if fence else "") + "\n".join(lines) + ("\n```" if fence else "")


# --------------------------------------------------------------------------------------------------- driver
KINDS = ["names", "theme", "numbers", "locale", "layout", "distractor", "lines", "frame"]
PROB = {"names": 0.7, "theme": 0.6, "numbers": 0.75, "locale": 0.3, "layout": 0.6, "distractor": 0.35, "lines": 0.4,
        "frame": 0.4}


def _safe(fn, default, *args):
    try:
        out = fn(*args)
        return default if out is None or not str(out).strip() else out
    except Exception:  # noqa: BLE001 - a failed step leaves its text as it was
        return default


def _once(text: str, rng: random.Random, on: set[str]) -> tuple[str, int]:
    ctx: dict = {"people": [], "locale": None}
    done = 0
    s = text
    for kind, fn in (("names", _names), ("numbers", _renumber), ("theme", _theme), ("locale", _locale)):
        if kind in on:
            new = _safe(fn, s, s, rng, ctx)
            done += new != s
            s = new
        if kind == "names" and kind not in on:
            ctx["people"] = _safe(_people, [], s)
    ctx["proper"] = {n for n, _ in ctx["people"]}
    sents = _split(s)
    facts, question = _question(sents)
    if "distractor" in on:
        new = _safe(_distractor, facts, facts, question, rng, ctx)
        done += new != facts
        facts = new
    body = " ".join(facts + question)
    if "layout" in on:
        new = _safe(_layout, body, facts, question, rng, ctx)
        done += new != body
        body = new
    pick = rng.choice(["forum", "exam", "code"]) if "frame" in on else ""
    if "lines" in on:
        pre = rng.choice(PREAMBLE) if rng.random() < 0.5 and pick in ("", "forum") else ""
        post = rng.choice(CLOSING) if not pre or rng.random() < 0.5 else ""
        post = "" if pick == "code" or (pick == "exam" and pre) else post
        joint = "\n\n" if "\n" in body or rng.random() < 0.4 else " "
        new = joint.join(x for x in (pre, body, post) if x)
        done += new != body
        body = new
    if pick:
        fn = {"forum": lambda b: _forum(b, rng), "exam": lambda b: _exam(b, rng), "code": lambda b: _code(b, rng, ctx)}
        new = _safe(fn[pick], body, body)
        done += new != body
        body = new
    return body, done


def rewrite(text: str, rng: random.Random) -> str:
    """One style-14 rewrite of GSM8K problem ``text`` (see module docstring); never raises."""
    try:
        src = re.sub(r"[ \t]+", " ", str(text)).strip()
        src = re.sub(r"\s*\n\s*", " ", src)
        out = src
        for attempt in range(3):
            boost = 0.25 * attempt
            on = {k for k in KINDS if attempt == 2 or rng.random() < PROB[k] + boost}
            out, done = _once(src, rng, on)
            if done >= 3 and out.strip():
                break
        return out if out.strip() else text
    except Exception:  # noqa: BLE001 - never raises
        return text
