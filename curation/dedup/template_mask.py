"""The masked template that template matching (``curation/dedup/template_match.py``) compares: what a rewrite of
a problem changes is masked or made canonical, what tells two problems apart is kept.

Beyond :func:`curation.dedup.masked.template` (numbers -> ``#``, capitalised names -> ``@``, pronouns -> ``@p``,
units dropped):

* **numbers**: "two hundred and sixty", "twenty-five", "3 dozen", "$68 per dozen" are one quantity ``#``;
  parts of a whole are ``#/`` whatever their form: fractions ("1/4", "half", "one third", "a quarter"), a
  decimal below one ("0.25"), a percent ("25%", "25 per cent", "25/100", "25 out of every 100"), so *half* and
  *twice* stay apart;
  "twice", "double", "triple" are ``# times`` (as "two times" is); a price or measure below one ("$0.75", "0.5 kg")
  is a number ``#``; "percent" with no number before it ("what percent of") is ``%``; money words (bucks, USD,
  pence) are units, dropped; a numbered list's marker at a line start ("1. ", "2) ", "b) ") is layout, not a number;
* **people**: a name, a title ("Ms Okafor", "Coach Reid"), a role or relative noun ("the baker", "my
  neighbour", "her cousin") or a group that acts as one ("the club", "the choir", "the lab") is one ``@``;
  possessive and personal pronouns (my, our, your, I, we, it, its) are ``@p``; a word that titles a name in the
  text ("Warden Tane", "Lady Brynn") is that person after "the" too ("the warden"), whatever the title;
* **wording**: question lead-ins ("determine", "calculate", "figure out", "fill in the blank", "please") are
  dropped, a question asked as a noun phrase or a cloze ("the number of ..." / "the amount of ... is ____") is
  "how many" / "how much ... ?", a fact folded into a relative clause (", who has 3 pens,") is the fact, and a few
  common verbs and quantifier phrases are made canonical (bought/purchased/picked up -> buy; holds -> has; was / were
  / are -> is, ate -> eats, do / does / did dropped: a rewrite into the past tense or an un-inverted question keeps
  its words; in total /
  altogether / combined -> total; remaining / left over -> left);
* **things counted**: common countable nouns of one everyday class (fruit, baked goods, sweets, pets, farm
  animals, vehicles, clothes, books, pens, small collectibles, plants, toys) are their class's token
  (``~fruit``), and so are the class's own names ("fruit", "pieces of fruit", "clothing", "baked goods", "things
  to read", "writing tools"): a rewrite swaps apples for pears or candies for sweets, or names the class, and
  keeps the problem; a thing of another class (apples -> notebooks) stays a different word;
* **instruction-corpus layout**: chat-template markup ("<|im_start|>", "<start_of_turn>", "[INST]", "</s>") is a
  line break, a JSON string's escaped line breaks are line breaks, frame words ("Instruction:", "Response:", "user",
  "Known:") are no names, a note's "# of boys?", "Number of ... = ?" or "Amount ...?" is the question it asks, and
  "&", "w/", "b/c", "ea." are the words they stand for; scraped text's HTML entities ("&nbsp;", "&#39;") are their
  characters and a word broken at a line end ("lolli-\\npops") is one word;
* **algebraic, translated and hedged tellings** (round 14): a letter bound to a value ("k kids ..., with k = 4",
  "$p ... (p = 2.50)") is the value and the binding goes; the words that name the unknown ("let x be", "call the
  answer x", "find the value of x, where x =", MetaMath's "If we know the answer to the above question is 18, what
  is the value of unknown variable x?") go, and a letter left for a value ("She eats x for breakfast") is a quantity;
  "older by 5 years than", "a number of apples exceeding Jamal's by 8", "falls short of Kim's by 12", "four-fold",
  "a pair of", "a score of", "at a unit price of $4", "per piece" are the plain comparisons and quantities; "the locker
  of Zack" is "Zack's locker" and "has 10 years" / "10 years of age" is "is 10 years old"; "Imagine that", "Picture a
  situation where", "Under these assumptions," and a reported "The records show that" are wording, and "in the
  hypothetical case that" is "if";
* **a lower-cased post, a program and local money** (round 15): in a text written or stored in lower case a word the
  benchmark never writes in lower case is a name (:func:`recase`, applied by the template index to the rows it scores),
  and "zacks" beside "zack" is his possessive; a problem told in a program's docstring or comments (PAL,
  program-of-thought) is read without the code lines around it (fences, defs, assignments, returns, prints);
  "⅓" is "1/3" and "Rs." / "INR" is money;
* **chat speak, transcripts, repetition** (round 18): "u r", "da", "n", "abt", "wks" are the words they stand for
  (:data:`CHAT_SPEAK`), a lone letter is a value only where the text is algebra, a speaker "A:" is no answer unless a
  "Q:" asks, and a sentence told again word for word is one fact;
* **a text in capitals** (round 17): a telegram, a shouted post or an OCR'd heading is read lower-cased
  (:func:`decapitalise`, a telegram's STOP / QUERY as its stops and question marks) and its names recased;
* **rows that hold more than one problem** (round 16): a worksheet, an exam section, a few-shot prompt or a problem
  with its worked solution is scored part by part (:func:`parts`, applied by the template index): each problem part
  alone and the row without its solution parts;
* **classroom and web reuse** (round 21, :func:`reused`): answer options run in order from A, e-mail quoting and its
  "On ... wrote:" line, section labels ("[Chorus]"), BBCode, numbers and words marked up alone ("[Two]", "{6}",
  "#times#") and an equal amount glossed beside a quantity ("2 hours (120 minutes)") are no facts; a pseudo-cleft
  ("What she bought was 2 pens") and a quiz stem ("Janet has how many apples?") are the plain sentence and question;
* **an LLM's paraphrase** (round 23): an imperative question ("Work out how many ...", "Determine the number of ...")
  asks; "has got", "given that", "the overall number of", "makes $10" (earns), "puts in 5 hours" (works), "put
  aside" (save), "the mean", "a price reduction", "consumes" are the plain forms;
* **segments**: sentence and clause ends (``. ! ? ; :`` newlines and commas) become a separator ``|``
  (``|?`` after a question) that no n-gram crosses, so reordered or joined sentences keep their n-grams,
  and a clause that starts with "and" loses it.

    >>> from curation.dedup.template_mask import quantities, template
    >>> " ".join(template("My neighbour's ducks lay twenty-five eggs per day, and she picked up 3 dozen more. How many are left?"))
    '@ s ~farm lay # eggs | @p buy # more | how many is left |?'
    >>> " ".join(template("Geb is 10 less than half the age of Haley."))
    '@ is # less than #/ @ s age |'
    >>> quantities(template("Here is one from my homework: Tom has 5 apples.")), quantities(template("Tom has 5 apples."))
    ((1, 2), (1, 1))
"""

from __future__ import annotations

import functools
import html
import re

from curation.dedup import fold, unhide
from curation.dedup.masked import COMMON, FILLER, NUMBER_WORDS, PRONOUNS, UNITS

SEP, QSEP = "|", "|?"
FRACTION_WORDS = frozenset("""half halves third thirds quarter quarters fourth fourths fifth fifths sixth sixths seventh
sevenths eighth eighths ninth ninths tenth tenths hundredth hundredths""".split())
MULTIPLIERS = frozenset("twice double thrice triple quadruple".split())
#: people who are not named: roles, trades and relatives (singular: "her friends" stay a counted thing)
PEOPLE = frozenset("""man woman boy girl kid child baby person guy lady gentleman friend pal buddy neighbour neighbor
roommate classmate teammate colleague coworker partner boss manager owner employee worker customer client guest host
mother father mom mum dad mommy daddy parent sister brother son daughter wife husband grandma grandmother grandpa
grandfather granny aunt auntie uncle cousin niece nephew twin baker nurse doctor coach farmer student pupil teacher
pilot painter librarian shopkeeper chef cook driver gardener carpenter plumber mechanic artist writer author tailor
florist cashier clerk waiter waitress vendor seller merchant salesman saleswoman athlete player runner swimmer
principal professor instructor tutor educator scientist engineer lawyer dentist vet veterinarian officer firefighter policeman builder
grocer butcher fisherman hiker camper tourist traveler traveller shopper babysitter nanny teen teenager toddler
club choir band team crew troop company firm charity museum lab""".split())
TITLES = frozenset("mr mrs ms miss dr sir madam professor prof coach captain aunt uncle grandma grandpa".split())
POSSESSIVE = frozenset("my our your his her their".split())
#: personal pronouns besides :data:`curation.dedup.masked.PRONOUNS`; "it" too: a group told as the actor is "it"
SELF = frozenset("i me my mine we us our ours you your yours myself himself herself themselves it its".split())
#: capitalised words that start instructions and questions, not names
STARTERS = frozenset("""think question solve answer problem here word exercise suppose show explain give note task hint
please q use compute work tell figure write say imagine consider assume let try instruction instructions input
response output user assistant system model human gpt prompt completion content role messages conversations value
known facts given goal notes ask step total amount number money""".split())
#: question lead-ins and politeness: how a question is asked, not what it asks
LEAD_INS = frozenset("please determine calculate compute find figure tell estimate kindly".split())
CANON = {"buys": "buy", "bought": "buy", "purchase": "buy", "purchases": "buy", "purchased": "buy", "sells": "sell",
         "sold": "sell", "has": "have", "had": "have", "owns": "have", "own": "have", "owned": "have",
         "holds": "have", "hold": "have", "held": "have", "gives": "give",
         "gave": "give", "given": "give", "hands": "give", "handed": "give", "gets": "get", "got": "get",
         "receives": "get", "received": "get", "earns": "earn", "earned": "earn", "makes": "make", "made": "make",
         "pays": "pay", "paid": "pay", "spends": "spend", "spent": "spend", "costs": "cost", "uses": "use", "used": "use",
         "altogether": "total", "together": "total", "combined": "total", "overall": "total", "remaining": "left", "remain": "left",
         "remains": "left", "remainder": "rest", "every": "each", "apiece": "each", "kids": "children",
         "daily": "each", "weekly": "each", "monthly": "each", "yearly": "each", "annually": "each", "cash": "money",
         "assume": "if", "assuming": "if", "suppose": "if", "supposing": "if", "shop": "store", "shops": "stores", "price": "cost", "prices": "cost", "priced": "cost", "pricing": "cost",
         "consumes": "eats", "consume": "eat", "consumed": "eats", "leftover": "left"}
#: a rewrite into another tense keeps the problem: "was" / "were" / "are" are "is" ("did" / "does" are dropped), and a common
#: irregular past is its present ("ate" -> "eats"; a regular "-ed" stays: stemming every word cost false flags)
TENSE = {**dict.fromkeys(("am", "are", "was", "were"), "is"),
         **dict(p.split(":") for p in """ate:eats wore:wears ran:runs went:goes came:comes drove:drives wrote:writes
grew:grows threw:throws flew:flies drank:drinks swam:swims sang:sings began:begins won:wins lost:loses found:finds
kept:keeps sent:sends built:builds caught:catches taught:teaches brought:brings thought:thinks saw:sees knew:knows
told:tells said:says sat:sits stood:stands fell:falls rode:rides broke:breaks chose:chooses spoke:speaks hung:hangs
lent:lends met:meets fed:feeds led:leads slept:sleeps felt:feels took:takes became:becomes gotten:gets taken:takes
eaten:eats written:writes driven:drives grown:grows thrown:throws flown:flies drunk:drinks swum:swims sung:sings
begun:begins known:knows seen:sees spoken:speaks chosen:chooses broken:breaks fallen:falls ridden:rides bitten:bites
bit:bites hid:hides shook:shakes woke:wakes froze:freezes stole:steals dug:digs swept:sweeps wept:weeps
""".split())}
#: countable things of one everyday class: a rewrite swaps one for another of its class (apples -> pears, cookies
#: -> muffins, cars -> bikes), so each is its class's token; singular and plural alike
_CLASSES = {
    "fruit": "fruit apple pear orange banana peach plum mango lemon lime grape cherry strawberry apricot kiwi melon "
             "watermelon pineapple fig berry blueberry raspberry coconut avocado tangerine",
    "vegetable": "vegetable veggie carrot potato tomato onion cucumber pepper cabbage lettuce zucchini pumpkin bean pea eggplant "
                 "radish beet turnip corn",
    "baked": "cookie muffin cupcake brownie cake tart pie biscuit cracker donut doughnut bagel croissant scone pastry "
             "pancake waffle loaf bun pretzel",
    "sweet": "candy candies sweet treat lollipop chocolate gum toffee jellybean",
    "pet": "dog cat puppy kitten hamster rabbit bunny parrot goldfish guinea",
    "farm": "chicken hen rooster duck goose geese cow goat sheep pig horse donkey turkey lamb calf ox",
    "vehicle": "vehicle car bike bicycle truck van bus motorcycle scooter boat taxi",
    "garment": "garment clothing clothes shirt jacket coat sweater dress skirt blouse hoodie jumper sweatshirt vest",
    "legwear": "pants trousers jeans shorts leggings sock socks",
    "shoe": "footwear shoe sneaker boot sandal slipper",
    "reading": "book comic magazine novel notebook journal",
    "writing": "pencil pen crayon marker highlighter",
    "small": "collectible marble bead button stamp sticker badge",
    "plant": "flower plant rose tulip daisy lily sunflower bush shrub",
    "toy": "plaything toy game puzzle doll teddy",
}
OBJECT_CLASS = {w + suf: f"~{c}" for c, ws in _CLASSES.items() for w in ws.split() for suf in ("", "s", "es")}
OBJECT_CLASS.update({w[:-1] + "ies": OBJECT_CLASS[w] for w in list(OBJECT_CLASS) if w.endswith("y")})
OBJECT_CLASS.update({w[:-1] + "ves": OBJECT_CLASS[w] for w in list(OBJECT_CLASS) if w.endswith("f")})
_NUM_WORD_RE = "|".join(sorted(NUMBER_WORDS - {"half", "halves", "quarter", "quarters", "third", "thirds", "fourth", "fifths"},
                               key=len, reverse=True))
#: abbreviated days and months (capitalised, with their period): the words
_ABBR = {"Mon": "Monday", "Tue": "Tuesday", "Tues": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday", "Thur": "Thursday",
         "Thurs": "Thursday", "Fri": "Friday", "Sat": "Saturday", "Sun": "Sunday", "Jan": "January", "Feb": "February",
         "Mar": "March", "Apr": "April", "Jun": "June", "Jul": "July", "Aug": "August", "Sep": "September",
         "Sept": "September", "Oct": "October", "Nov": "November", "Dec": "December"}
#: (words one of which the text must have, pattern, replacement): the words spare most texts every pattern
PHRASES = [(trig, re.compile(p, re.I), r) for trig, p, r in (
    (("hundred", "thousand", "million"), r"\b(hundred|thousand|million)\s+and\s+(?=[a-z])", r"\1 "),
    # a price or a measure below one ("$0.75", "USD .50", "0.75 dollars", "0.5 kg") is an amount like "75 cents",
    # not a part of a whole
    (("$", "\u00a3", "\u20ac"), r"([$\u00a3\u20ac])[ \t]?0?\.(?=\d)", r"\1"),
    (("usd", "eur", "gbp"), r"\b(usd|eur|gbp)[ \t]?0?\.(?=\d)", r"\1 "), (("rs",), r"\b(?:rs|inr)\.?[ \t]?(?=\d)", "$"),
    (("0.", " ."), r"(?<![\d.])0?\.(?=\d+[ \t]?(?:" + "|".join(sorted(UNITS - {"percent"}, key=len, reverse=True))
     + r"|eur|gbp)\b)", ""),
    # "40 out of every 100", "400 out of each single 1,000": a rate, a part of a whole as "40%" is
    (("out of",), r"\s+out\s+of\s+(?:every|each)\s+(?:single\s+)?(?:\d[\d,]*|(?:a|one)\s+(?:hundred|thousand)|hundred|thousand)\b", " percent"),
    (("cent",), r"\bper\s+cent\b", "percent"), (("%",), r"%", " percent "), (("pick",), r"\b(picked|pick|picks)\s+up\b", "buy"),
    (("bring", "brought"), r"\b(brings|bring|brought)\s+in\b", "earn"), (("hand",), r"\b(hands|hand|handed)\s+over\b", "pay"),
    (("out",), r"\b(pays|pay|paid)\s+out\b", "spend"), (("over",), r"\bleft\s+over\b", "left"),
    (("total", " all"), r"\bin\s+(total|all)\b", "total"), (("out",), r"\b(work|works|find|figure)\s+out\b", "find"),
    (("priced",), r"\b(is|are|was|were)\s+priced\s+at\b", "cost"), (("much",), r"\btimes\s+as\s+much\b", "times as many"),
    (("mr.", "mrs.", "ms.", "dr.", "prof.", "st."), r"\b(mr|mrs|ms|dr|prof|st)\.", r"\1"),
    # round 23 (style 23 read: an LLM's paraphrase): "has got" is "has", "given that" is "if", an imperative question
    # ("Work out how many ...", "Determine the number of ...") asks, "makes $10" earns, "puts in 5 hours" works
    (("got",), r"\b(has|have|had)\s+got\b", r"\1"), (("given", "provided"), r"\b(?:given|provided)\s+that\b", "if"),
    (("work out", "figure out", "find", "determine", "calculate", "compute"),
     r"(?:^|(?<=[.!?:;\n])|(?<=,))([ \t]*)(?:please\s+)?(?:work\s+out|figure\s+out|find(?:\s+out)?|determine|calculate|compute)\s+"
     r"((?:how|what|the\s+(?:(?:total|overall|combined)\s+)?(?:number|count|amount|sum|quantity))\b[^.?!\n]{0,200})\.", r"\1\2?"),
    (("make", "made"), r"\b(?:make|makes|made|making)(?=\s+(?:\$|\d[\d,.]*\s+dollars|(?:" + _NUM_WORD_RE + r")\s+dollars))", "earn"),
    (("put",), r"\bputs?\s+in\s+(?=\S+\s+(?:hours?|days?|minutes?|shifts?)\b)", "works "),
    (("aside",), r"\b(?:put|puts|putting|set|sets|setting)\s+aside\b", "save"),
    (("reduction",), r"\bprice\s+(?:reduction|cut)\b", "discount"), (("mean",), r"\bthe\s+mean\b", "the average"),
    (("what",), r"\bwhat(?:\s+is|'s)?\s+the\s+(?:(?:total|overall|combined|entire|whole)\s+)?(?:number|count|quantity)\s+of\b", "how many"),
    (("what",), r"\bwhat\s+(?:number|count)\s+of\b", "how many"),
    (("what",), r"\bwhat(?:\s+is)?\s+the\s+(?:total\s+)?(?:amount|sum)\s+of\b", "how much"),
    (("what",), r"\bwhat\s+amount\s+of\b", "how much"), (("age",), r"\bwhat\s+age\b", "how old"),
    # a question asked as a noun phrase or a cloze ("find the number of ...", "the amount of money left is ____")
    (("number", "count"), r"\bthe\s+(?:(?:total|overall|combined)\s+)?(?:number|count)\s+of\b", "how many"),
    (("amount",), r"\bthe\s+(?:total\s+)?amount\s+of\b", "how much"),
    (("number",), r"(?:^|(?<=[\n.:;?!]))([ \t]*)(?:total\s+)?number\s+of\b", r"\1how many"),
    (("amount",), r"(?:^|(?<=[\n.:;?!]))([ \t]*)(?:total\s+)?amount(?:\s+of)?\b", r"\1how much"),
    (("= ?", "=?"), r"=[ \t]*\?", "?"),
    (("blank",), r"\bfill\s+in\s+the\s+blanks?\b", "find"),
    # a question asked of the reader ("Can you work out how many ...", "Let's see if you can tell us what ...")
    (("you can", "can you", "could you"), r"\b(?:let'?s\s+see\s+if\s+you\s+can|(?:do\s+you\s+think\s+)?you\s+can|(?:can|could)\s+you)"
     r"\s+(?:please\s+)?(?:(?:work|figure|find)\s+out|tell\s+(?:me|us)|help\s+(?:me\s+|us\s+)?(?:find|discover)|"
     r"find|discover|determine|calculate|compute|say)\s+(?=how|what|which)", ""),
    # a fact folded into a relative clause ("Ann, who has 3 pens, gives ...") is the fact
    (("who",), r",[ \t]+who[ \t]+(?=[^,.?!]*,)", " "),
    # hypernyms of the things counted: "pieces of fruit", "items of clothing", "baked goods", "things to read"
    (("piece", "item", "kind", "type", "sort"), r"\b(?:pieces?|items?|kinds?|types?|sorts?)\s+of\s+(?=[a-z])", ""),
    (("baked",), r"\bbaked\s+goods?\b", "pastry"), (("read",), r"\b(?:things\s+to\s+read|reading\s+materials?)\b", "book"),
    (("writing",), r"\bwriting\s+(?:tools?|utensils?|implements?|instruments?)\b", "pen"),
    # round 14 (style 13 read): quantities said another way and a translated or hedged telling
    (("fold",), r"\b(\d+|" + _NUM_WORD_RE + r")[- ]?fold\b", r"\1 times"),
    (("by",), r"\b(older|younger|taller|shorter|longer|heavier|lighter|more|less|fewer|greater|smaller|bigger|larger|"
     r"higher|lower|faster|slower|cheaper|richer)\s+by\s+(\$?\d[\d,.]*|(?:" + _NUM_WORD_RE + r")(?:[- ]" + _NUM_WORD_RE
     + r")*)((?:\s+[a-z]+)?)\s+than\b", r"\2\3 \1 than"),
    (("exceed",), r"\ba\s+number\s+of\s+([a-z]+)\s+(?:that\s+|which\s+)?exceed(?:s|ing|ed)?\s+(\w+)(?:'s)?\s+by\s+(\$?\d[\d,]*(?:\.\d+)?|(?:" + _NUM_WORD_RE + r"))\b",
     r"\3 more \1 than \2"),
    (("exceed",), r"\bexceed(?:s|ing|ed)?\s+(\w+)(?:'s)?\s+by\s+(\$?\d[\d,]*(?:\.\d+)?|(?:" + _NUM_WORD_RE + r"))\b", r"\2 more than \1"),
    (("short",), r"\ba\s+number\s+of\s+([a-z]+)[.,]?\s+(?:that\s+|which\s+|these\s+|it\s+)?falls?\s+short\s+of\s+(\w+)(?:'s)?"
     r"\s+by\s+(\$?\d[\d,]*(?:\.\d+)?|(?:" + _NUM_WORD_RE + r"))\b", r"\3 fewer \1 than \2"),
    (("short",), r"\b(?:falls?|fell|is|are)\s+short\s+of\s+(\w+)(?:'s)?\s+by\s+(\$?\d[\d,]*(?:\.\d+)?|(?:" + _NUM_WORD_RE + r"))\b", r"\2 less than \1"),
    (("unit",), r"\b(?:has|have|had|having|with)\s+(?:a\s+)?unit\s+(?:price|cost)\s+of\s+(\$?\d[\d,]*(?:\.\d+)?)", r"cost \1 each"),
    (("unit",), r"\b(?:at|for)?\s*(?:a\s+)?unit\s+(?:price|cost)\s+of\s+(\$?\d[\d,]*(?:\.\d+)?)", r" for \1 each"),
    (("piece", "unit", "item"), r"\bper\s+(?:piece|unit|item)\b", "each"),
    (("pair", "couple", "score"), r"\ba\s+(?:pair|couple)\s+of\b", "two"),
    (("score",), r"\ba\s+score\s+of\s+(?=[a-z]+s\b)", "twenty "),
    # "the locker of Zack" is "Zack's locker" (a translated possessive), both ways
    (("of",), r"\bthe\s+((?-i:[a-z]+))\s+of\s+((?-i:[A-Z][a-z]+))\b(?!['\u2019])", r"\2's \1"),
    # "has 10 years" (a translated age) and "10 years of age" are "is 10 years old"
    (("years",), r"\b(?:has|have|had)\s+(\d+|" + _NUM_WORD_RE + r")\s+years\b(?!\s+(?:of|to|left|ago|more|in|for|old|and))",
     r"is \1 years old"),
    (("age",), r"\byears\s+of\s+age\b", "years old"),
    (("quantity",), r"\bwhat\s+quantity\s+of\b", "how many"),
    # a hedged telling: "In the hypothetical case that ..." is "if"; "Imagine that", "Picture a situation where",
    # "Under these assumptions," before a fact or the question are wording
    (("case", "event", "scenario", "situation"), r"\bin\s+(?:the|a)\s+(?:hypothetical\s+|imagined\s+|imaginary\s+)?"
     r"(?:case|event|scenario|situation)\s+(?:that|where|in\s+which)\b", "if"),
    (("imagine", "suppose", "assume", "picture", "consider", "pretend"), r"(?:^|(?<=[.!?:\n]))([ \t]*)(?:let(?:\s+us|'s)\s+)?"
     r"(?:imagine|suppose|assume|picture|consider|pretend)\s+(?:that\s+|(?:a|the)\s+(?:situation|case|scenario|world)\s+"
     r"(?:where|in\s+which)\s+)", r"\1"),
    (("case", "scenario", "situation", "setting", "assumption", "condition", "circumstance"),
     r"(?:^|(?<=[.!?:\n]))([ \t]*)(?:in\s+(?:this|that|such\s+a|the\s+above)\s+(?:imagined\s+|hypothetical\s+)?"
     r"(?:case|scenario|situation|setting)|under\s+(?:these|those|such)\s+(?:assumptions|conditions|circumstances)),?", r"\1"),
    # reported speech: "The records show that ...", "The neighbours say also that ..." tell the fact that follows
    (("that",), r"(?:^|(?<=[.!?:\n]))([ \t]*)(?:[A-Za-z]+[ \t]+){0,5}?(?:say|says|said|report|reports|reported|show|shows|"
     r"showed|note|notes|noted|tell|tells|told|state|states|stated|mention|mentions|mentioned)[ \t]+(?:also[ \t]+)?that\b",
     r"\1"),
    # round 19 (style 18 read): shorthand, records and answer checks
    # "3× as many", "2x her age": times (a multiplication sign glued to a number)
    (("\u00d7",), r"(?<=\d)[ \t]*\u00d7", " times"),
    (("x ",), r"\b(\d+(?:\.\d+)?)x(?=[ \t]+(?:as|more|less|that|what|the|his|her|their|its|my|your|our|bigger|larger|longer|"
     r"faster|older|taller|heavier|greater)\b)", r"\1 times"),
    # "1/3rd", "1/4th as many": the fraction
    (("st", "nd", "rd", "th"), r"\b(\d+/\d+)(?:st|nd|rd|th)s?\b", r"\1"),
    # abbreviated days and months ("On Mon. she ...", "Mon. through Wed."): the day, and no sentence end
    (("mon.", "tue", "wed.", "thu", "fri.", "sat.", "sun.", "jan.", "feb.", "mar.", "apr.", "jun.", "jul.", "aug.", "sep",
      "oct.", "nov.", "dec."),
     r"\b(?-i:(Mon|Tues?|Wed|Thu(?:rs?)?|Fri|Sat|Sun|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec))\.(?=[ \t]*(?:[a-z0-9,;&-]|$))",
     lambda m: _ABBR[m.group(1)]),
    # "would she have spent": the auxiliaries of a hypothetical telling ("would" itself is dropped)
    (("would",), r"\bwould[ \t]+(?:(\w+)[ \t]+)?have[ \t]+(?=[a-z])", r"\1 "),
    # an answer put up for checking ("True or false: the answer is 31", "Claimed answer: 11", "is the answer 90?",
    # "the answer key says 82", "comes out to 79") is no fact of the problem: its number is dropped
    (("answer",), r"\b(answer(?:[ \t]+key)?)(?:[ \t]+(?:is|was|says|should\s+be|comes\s+out\s+to|=)|[ \t]*:)?[ \t]*\$?"
     r"\d[\d,]*(?:\.\d+)?\b", r"\1"),
    (("answer",), r"\b(is[ \t]+the[ \t]+answer)[ \t]+\$?\d[\d,]*(?:\.\d+)?\b", r"\1"),
    (("out to",), r"\bcomes?[ \t]+out[ \t]+to[ \t]+\$?\d[\d,]*(?:\.\d+)?\b", "comes out"),
    # a bare sum asked beside the problem ("Unrelated warm-up: what is 62 + 31?") states no fact of it
    (("what", "compute", "calculate"), r"\b(?:what[ \t]+is|what's|compute|calculate)[ \t]+\d[\d,]*(?:\.\d+)?[ \t]*(?:[-+*/\u00d7x]|times)"
     r"[ \t]*\d[\d,]*(?:\.\d+)?[ \t]*\?", ""),
    # a record's keys and ids ("fact_1 =", "fact2,", "wp-6158", "gsm_3124", "No. 10") and roman list marks ("(ii)")
    (("fact", "item", "step", "question", "observation", "clue", "hint", "note", "given", "part"),
     r"\b(?:fact|item|step|question|observation|clue|hint|note|given|part)[_ ]?\d{1,2}(?=[ \t]*[:=,\"\n)])", " "),
    (("-", "_"), r"\b[A-Za-z]{2,}[-_]\d{3,}\b", " "), (("no.",), r"\b(?-i:No)\.[ \t]?\d+\b", " "),
    (("(",), r"(?m)^[ \t]*\((?:i|ii|iii|iv|v|vi|vii|viii|ix|x)\)[ \t]+", ""),
    # round 20 (style 20 read): a number said twice, in words and in digits ("eighty-five (85)"), is one quantity; a
    # dataset record's grade, level or difficulty ("Grade: 6", "grade_level: 5") is no fact of the problem
    (("(",), r"\b((?:" + _NUM_WORD_RE + r")(?:[- ](?:" + _NUM_WORD_RE + r"))*)[ \t]+\((\d[\d,]*(?:\.\d+)?)\)", r"\2"),
    (("grade", "level", "difficulty"), r"\b(?:grade(?:[_ ]level)?|level|difficulty)[ \t]*[:=][ \t]*(?:\d{1,2}|easy|medium|hard|beginner|"
     r"intermediate|advanced)\b", " "),
    # round 23: "how many subs that are left" (a paraphrase's "what is the number of X that ...") asks "how many X are left"
    (("that",), r"\b(how\s+(?:many|much)(?:\s+[a-z]+){1,3}?)\s+that\b", r"\1"))]
_TRIGGER_RE = re.compile("|".join(sorted({re.escape(t) for trig, _, _ in PHRASES for t in trig}, key=len, reverse=True)))
#: a numbered list's marker at a line start ("1. ", "(2) ", "b) ") is layout, not a quantity (bullets are no tokens)
#: (at the text's start or after a line that ends a sentence, a heading or an item: "There were\n12. Then ..." keeps 12)
_LIST_MARK = re.compile(r"(?:\A|(?<=[.:!?*)\]]\n)|(?<=\n\n))[ \t]*(?:\(?\d{1,2}[.)]|[a-h]\))[ \t]+")
#: a cloze's blank ("____") that ends a sentence, with the "=" / "is" / ":" before it: the sentence is a question.
#: Found run by run and checked at fixed places (no backtracking over long runs of spaces or underscores)
_BLANK = re.compile(r"_{2,}")
_BLANK_END = re.compile(r"[ \t]*(?:[.?!\n]|$)")
_BLANK_LEAD = re.compile(r"[ \t]*(?:(?:=|\bis|\bare|:)[ \t]*)?$")


#: chat-template and instruction-corpus markup around a problem ("<|im_start|>", "<start_of_turn>", "[INST]",
#: "<</SYS>>", "</s>"): layout, a line break
_CHAT_MARK = re.compile(r"<\|[A-Za-z_]{1,30}\|>|</?s>|<(?:start|end)_of_turn>|\[/?INST\]|<</?SYS>>")
#: a note's "# of boys?" / "Total # thorns?" asks how many ("#" alone before a word: not "#1", not a "### " heading)
_HASH_Q = re.compile(r"(?<![#\w])#[ \t]*(?:of[ \t]+)?(?=[a-z])")
#: a line of code around a problem told in a docstring or comment: a fence, a def, an assignment, a return or print
_CODE_LINE = re.compile(r"(?m)^[ \t]*(?:```\w*|def[ \t]+\w+\(.*|[A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_]\w*)*[ \t]*[-+*/]?=[^=\n].*|"
                        r"(?:return|import|pass)\b[^.?!\n]*|print\(.*)$")
_LINE_HYPHEN = re.compile(r"([^\W\d_])-[ \t]*\n[ \t]*([a-z])")
#: telegraphic notes' shorthand: "&", "w/", "b/c", "ea."
_SHORTHAND = [(re.compile(p), r) for p, r in ((r"&(?!#?\w+;)", " and "), (r"\bw/(?=\s)", "with"),
                                              (r"\bb/c\b", "because"), (r"\bea\.", "each"))]


def _cloze(text: str) -> str:
    out, last = [], 0
    for m in _BLANK.finditer(text):
        if not _BLANK_END.match(text, m.end()):
            continue  # a blank inside a sentence ("He has ____ apples") or an identifier: the tokenizer skips "_"
        start = max(last, m.start() - 16)
        lead = _BLANK_LEAD.search(text, start, m.start())
        cut = lead.start() if lead else m.start()
        out.append(text[last:cut] + " ?")
        last = m.end()
    return "".join(out) + text[last:] if out else text
_TOKEN_RE = re.compile(r"\d+(?:[.,/]\d+)*|[^\W\d_]+|[.!?;:\n,]")
_SENT = frozenset(".!?;:\n,")
_SEPS = frozenset((SEP, QSEP))


@functools.lru_cache(maxsize=1 << 16)  # a corpus repeats its words: decide each (word, position kind) once
def _mask(tok: str, seg_start: bool) -> tuple[str | None, bool]:
    """(the token's mask or word, None to drop it; whether it names a role: "my neighbour" is one person)."""
    low = tok.lower()
    return _mask_word(tok, low, seg_start), low in PEOPLE


#: chat and SMS spellings of common words ("u r", "da", "n", "abt", "wat", "wks"): the words they stand for
CHAT_SPEAK = {"u": "you", "ur": "your", "r": "are", "da": "the", "n": "and", "abt": "about", "wat": "what", "wut": "what",
              "ppl": "people", "wk": "week", "wks": "weeks", "yr": "year", "yrs": "years", "bc": "because", "cuz": "because",
              "tho": "though", "thru": "through", "nite": "night", "tmrw": "tomorrow", "mins": "minutes"}
#: dropped besides units and fillers: money words, and "do" / "does" / "did", which carry no fact (a question asked
#: un-inverted, "how many apples she has", has none), nor does the mood of "would" / "hypothetically"; unit
#: abbreviations besides those of :data:`curation.dedup.masked.UNITS` (mi, ft, mph)
_DROP = frozenset("bucks buck usd pence penny pennies quid rs inr do does did would mi ft yd yds mph kph sec secs hypothetically".split())


def _mask_word(tok: str, low: str, seg_start: bool) -> str | None:
    if low in CHAT_SPEAK:
        tok = low = CHAT_SPEAK[low]
    if tok[0].isdigit():  # a fraction or a decimal below one ("1/4", "0.25") is a part: ``#/``
        return "#/" if "/" in tok or tok.startswith("0.") else "#"
    if low in MULTIPLIERS:
        return "#x"
    if low in FRACTION_WORDS:
        return "#/"
    if low == "one":
        return "#1"  # "one" may be a pronoun: see quantities()
    if low in NUMBER_WORDS or low in {"several", "couple"}:
        return "#"
    if low == "percent":
        return "%"
    if low in UNITS or low in FILLER or low in _DROP or low in LEAD_INS:
        return None
    if low in PEOPLE or low in TITLES:
        return "@"
    if low in SELF or low in PRONOUNS:
        return "@p"
    if tok[0].isupper() and low not in COMMON and low not in STARTERS and not (seg_start and low.endswith("ly")):
        return "@"
    low = TENSE.get(low, low)
    return CANON.get(low) or OBJECT_CLASS.get(low) or low


def _add(out: list[str], t: str, person: bool) -> None:
    prev = out[-1] if out else SEP
    if t == "#x":
        out.extend(("#", "times"))
    elif t == "%" and prev[0] == "#":  # "25 %", "25/100", "0.25" and "a quarter" are one kind of quantity
        out[-1] = "#/"
    elif t[0] == "#" and prev[0] == "#":  # a run of number words is one quantity; a fraction in it makes it one
        out[-1] = "#/" if "#/" in (t, prev) else "#"
    elif t == "@" and (prev == "@" or (prev == "@p" and person)):  # "Coach Reid", "my neighbour"
        out[-1] = "@"
    elif not (t == "and" and prev in (SEP, QSEP)):
        out.append(t)


#: a capitalised word before a name ("Warden Tane", "Navigator Kade"): a title, if the text also says "the warden"
_TITLED = re.compile(r"\b([A-Z][a-z]+)[ \t]+(?=[A-Z][a-z])")


def _titles(text: str) -> frozenset[str]:
    """The words that title a name in ``text`` and also stand for that person after "the" ("Lady Brynn ... the
    lady"): there they are one ``@``, as "the baker" is. Only the text's own evidence counts, no list of titles."""
    found = {m.group(1).lower() for m in _TITLED.finditer(text)} - COMMON - STARTERS
    return frozenset(w for w in found if re.search(r"\bthe\s+" + w + r"\b", text))


#: a value as an algebraic restatement binds it to a letter ("k = 4", "p = 2.50", "$n"); "a" and "i" are words
_VALUE = r"\$?\d[\d,]*(?:\.\d+)?(?:/\d+)?"
_VAR = r"[b-hj-z]"
_BINDING = re.compile(r"(?<![\w'.$])(" + _VAR + r")[ \t]*=[ \t]*(" + _VALUE + r")(?![\w.,/]?\d)")
#: the clause that binds them: ", with k = 4 and n = 3", "(where p = 50)", "(k = 4)"
_BIND_CLAUSE = re.compile(r"[,;]?[ \t]*\(?(?:\b(?:with|where|for|and)[ \t]+)?" + _VAR + r"[ \t]*=[ \t]*" + _VALUE
                          + r"(?:[ \t]*(?:,|and|,[ \t]*and)[ \t]*" + _VAR + r"[ \t]*=[ \t]*" + _VALUE + r")*\)?(?![\w.,/]?\d)")
#: how an algebraic restatement names its unknown ("call the answer x", "let x stand for the answer to this:", "find
#: the value of x, where x =", "Unknown: x,", MetaMath's "If we know the answer to the above question is 18, what is
#: the value of unknown variable x?"): wording, not a fact; what follows is the question
_UNKNOWN = [re.compile(p, re.I) for p in (
    r"\b(?:call|denote|name)[ \t]+(?:the[ \t]+answer|it|this)[ \t]+" + _VAR + r"\b[ \t]*[.:]?",
    r"\blet[ \t]+(" + _VAR + r")[ \t]+(?:be|stand[ \t]+for|denote|represent|equal)[ \t]+(?:the[ \t]+answer[ \t]+to[ \t]+this[ \t]*:?[ \t]*)?",
    r"\bif[ \t]+we[ \t]+know[ \t]+(?:that[ \t]+)?the[ \t]+answer[ \t]+(?:to[ \t]+the[ \t]+(?:above[ \t]+)?question[ \t]+)?is[ \t]+"
    + _VALUE + r"[ \t]*,?",
    r"\b(?:find|determine|compute|calculate|solve[ \t]+for|what[ \t]+is)[ \t]+(?:the[ \t]+value[ \t]+of[ \t]+)?(?:the[ \t]+)?"
    r"(?:unknown[ \t]+(?:variable[ \t]+)?)?(" + _VAR + r")\b(?![\w'-])(?:[ \t]*,?[ \t]*where[ \t]+\1[ \t]*(?:=|is)[ \t]*)?",
    r"\bunknown[ \t]*:[ \t]*" + _VAR + r"\b[ \t]*,?")]
#: a letter left standing for a value ("Thomas worked x hours", MetaMath's "She eats x for breakfast") is a quantity;
#: not "s", "t", "d", "m" (contractions: "Ann's", "don't", "I'm"), not "x" between numbers ("2 x 4 boards", "x-ray")
_HAS_VAR = re.compile(r"(?<![\w'.-])" + _VAR + r"(?![\w'-])")
_FREE_VAR = re.compile(r"(?<![\w'.$-])(?<!\d )[b-ce-hj-lnoqr-z](?![\w'-])(?![ \t]*\d)")


_LET_VAR = re.compile(r"\blet[ \t]+[b-hj-z]\b", re.I)


def _algebra(text: str) -> str:
    """An algebraic restatement read back as the problem: bound letters are their values, the clauses that bind them
    and the words that name the unknown go, a letter left standing for a value is a quantity."""
    if "=" in text:
        bound: dict[str, str] = {}
        for m in _BINDING.finditer(text):
            bound.setdefault(m.group(1), m.group(2))
        if bound:
            text = _BIND_CLAUSE.sub("", text)
            text = re.sub(r"(?<![\w'.-])(\$?)(" + "|".join(bound) + r")(?![\w'-])",
                          lambda m: (m.group(1) + bound[m.group(2)].lstrip("$")) if m.group(1) else bound[m.group(2)], text)
    cue = "=" in text or "variable" in text or _LET_VAR.search(text) is not None
    for pat in _UNKNOWN:
        text = pat.sub("", text)
    # a letter stands for a value only where the text is algebra: in a chat's "2 teach n $30" it is a word ("and")
    return _FREE_VAR.sub("0", text) if cue else text


#: the right side of an assignment line: ``name = <rhs>``
_ASSIGNED = re.compile(r"^[ \t]*[A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_]\w*)*[ \t]*=[ \t]*(.*)$")
#: a snake_case name of two words or more ("janets_ducks_lay"), or a string literal holding a space
_PHRASE = re.compile(r"\b[A-Za-z]+_[A-Za-z]\w*|(['\"])[^'\"\n]* [^'\"\n]*\1")


#: a spoken filler: "um", "uh", "erm", "hmm" (with or without a comma), "you know," / "I mean," / "like," (with it),
#: and the comma before it
_DISFLUENCY = re.compile(r"(?i)(?:,[ \t]*)?(?:(?<![\w'])(?:u+m+|u+h+|e+r+m+|h+m+)(?![\w'])[ \t]*,?|(?<![\w'])(?:you know|i mean|like),(?=[ \t]))")
#: a Roman numeral of two letters or more as a word (a lone "I" is the pronoun, a lone "C" or "X" a grade or a variable)
_ROMAN = re.compile(r"(?<![\w'])(?=[MDCLXVI]{2,}\b)M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})\b")
#: words that are Roman numerals by their letters but mostly something else (CD, DC, MD, MIX, XL, ...)
_NOT_ROMAN = frozenset("CD DC MD CV MC MIX DIV CM MM CC DL LI MI DI CI XL XXL DIX LIV VIC".split())


def _roman_value(m: re.Match) -> str:
    r = m.group()
    if not r or r in _NOT_ROMAN:
        return r
    vals, total = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}, 0
    for a, b in zip(r, r[1:] + " "):
        total += -vals[a] if b != " " and vals[a] < vals[b] else vals[a]
    return str(total)


_LITERAL_OR_CODE = re.compile(r"(['\"])(.*?)\1|[^'\"]+")


def _data_of(m: re.Match) -> str:
    """A line of code is no text, but an assignment of data that states the problem is (a problem written as a
    program: ``s0 = (janets_ducks_lay, '16', eggs_per_day)``, ``question = "Janet's ducks lay ..."``): its right side
    when it holds a phrase (a snake_case name of two words or more, a string with a space) and no arithmetic outside its
    strings (``total = eggs_per_day - eaten`` computes: dropped)."""
    a = _ASSIGNED.match(m.group())
    if a is None or not _PHRASE.search(a.group(1)):
        return ""
    pieces = list(_LITERAL_OR_CODE.finditer(a.group(1)))
    if re.search(r"[-+*/%<>=]", "".join(m.group() for m in pieces if not m.group(1))):  # arithmetic outside the strings
        return ""
    # a sentence: the strings' text as written, and around them the words and numbers, not a tuple's brackets and commas
    parts = [m.group(2) if m.group(1) else re.sub(r"[()\[\]{},]+", " ", m.group()) for m in pieces]
    return " ".join(p.strip() for p in parts if p.strip()).rstrip(".") + "."


# --- classroom and web reuse: e-mail quoting, song sections, marked-up numbers, answer options, glosses, clefts ---
_QUOTED = re.compile(r"(?m)^[ \t]*(?:>[ \t]?)+")  # an e-mail reply's "> " quoting
_WROTE = re.compile(r"(?m)^[ \t]*On [^\n]{4,90}\bwrote:[ \t]*$")  # "On Fri, 21 May 2026 at 14:38, Priya Shah wrote:"
_SECTION = re.compile(r"(?m)^[ \t]*[\[(][A-Za-z][\w .'-]{0,24}[\])][ \t]*$")  # a line that is only "[Verse 1]", "(Chorus)"
#: a number or word marked up alone ("[Two]", "{6}", "[[each]]", "#times#", "|more|", "(2)", "[$100]", "**16**"): the
#: number or word itself; not "(s)" after a word ("apple(s)"), not a markdown link's "[text](url)"
_MARKED = re.compile(r"(?<![\w\]])(\[\[?|\{\{?|\||#|\(|\*\*?|\^)(\$?\d[\d,]*(?:\.\d+)?%?|[A-Za-z]+)(\]\]?|\}\}?|\||#|\)|\*\*?|\^)(?![\w(\[])")
_PAIRS = {"[": "]", "[[": "]]", "{": "}", "{{": "}}", "|": "|", "#": "#", "(": ")", "*": "*", "**": "**", "^": "^"}
#: answer options ("(A) $19", "b. 63", "C) 105 apples", "E) None of these") run three or more in a row, labelled in
#: order from A: options are no facts of the problem (a multiple-choice telling of a word problem adds four numbers)
_OPTION = (r"\(?([A-Ea-e])[.):][ \t]+(?:(?:none|all|neither|both)[ \t]+of[ \t]+(?:these|the[ \t]+above|them)|cannot be "
           r"determined|not enough information|[-$\u00a3\u20ac]?\d[\d,]*(?:\.\d+)?(?:/\d+)?[ \t]*%?(?:[ \t]+[A-Za-z]+)?)(?=[ \t]*(?:\n|$|[ \t]\(?[A-Ea-e][.):]))")
_OPTIONS = re.compile(r"(?:(?<=\s)|^)" + _OPTION + r"(?:\s+" + _OPTION.replace("([A-Ea-e])", "[A-Ea-e]") + r"){2,}", re.I)
_OPTION_LABEL = re.compile(r"\(?([A-Ea-e])[.):][ \t]")
_GLOSS_WORD = (r"(?:\d[\d,]*(?:\.\d+)?%?|" + "|".join(sorted(NUMBER_WORDS | FRACTION_WORDS | UNITS | MULTIPLIERS, key=len, reverse=True))
               + r"|(?:centi|milli|kilo)?(?:meters?|metres?|liters?|litres?|grams?)|tons?|tonnes?|pounds?|lbs?|feet|foot|inch(?:es)?"
               r"|dozens?|hundred|thousand|million|of|a|an|and)")
#: an equal amount said again beside a quantity ("2 hours (120 minutes)", "$1.50 (= 150 cents)", "60% (i.e. three
#: fifths)", "25% [one quarter]", "24 liters (that is, 24,000 milliliters)"): the amount is the quantity before it; not
#: "5 apples (2 red)", whose bracket states a fact of its own
_GLOSS = re.compile(r"(?i)(?<=[\d%a-z.])[ \t]*[(\[][ \t]*(?:i\.?e\.?,?|that is,?|=|or|about|approx(?:\.|imately)?|roughly|~|\u2248)?"
                    r"[ \t]*\$?(?:" + _GLOSS_WORD + r")(?:[- \t]+\$?" + _GLOSS_WORD + r"){0,3}[ \t]*[)\]]")
_QUANTITY_BEFORE = re.compile(r"(?i)(?:\d[\d,]*(?:\.\d+)?%?|\b(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
                              + r"))(?:[ \t]+[A-Za-z]+){0,2}[ \t]*$")
#: BBCode markup ("[b]Problem[/b]", "[list=1]", "[*]", "[i]...[/i]", "[url=...]"): no words
_BBCODE = re.compile(r"\[/?(?:b|i|u|s|\*|list(?:=\w+)?|url(?:=[^\]\n]*)?|quote(?:=[^\]\n]*)?|code|center|size=\d+|color=#?\w+|img|h\d)\]")
#: "Chenny's age is 10 years" is "Chenny is 10 years old"; "Patricia's roses number 30" is "Patricia has 30 roses"
_AGE_IS = re.compile(r"\b([A-Z][a-z]+)'s[ \t]+age[ \t]+(?:is|was)[ \t]+(\d+)(?:[ \t]+years?(?:[ \t]+old)?)?(?=[ \t]*(?:now\b|today\b|[.,;!?]|$))")
_COUNTED = re.compile(r"\b([A-Z][a-z]+)'s[ \t]+([a-z]+s)[ \t]+number(?:ed)?[ \t]+(\d[\d,]*)")
_SUBJECT = r"(?:[A-Z][a-z]+(?:'s[ \t]+[a-z]+)?|he|she|they|we|i|you|it)"
#: a pseudo-cleft ("What Jan has is three times ...", "2 more for $5 was what she bought") is the plain clause
_CLEFT = re.compile(r"\b[Ww]hat[ \t]+(" + _SUBJECT + r"[ \t]+[a-z]+)[ \t]+(?:is|was|are|were)[ \t]+")
_CLEFT_BACK = re.compile(r"(?m)(^|[.!?:;][ \t]+|,[ \t]+and[ \t]+)([^.!?;:\n,]{2,80}?)[ \t]+(?:is|was|are|were)[ \t]+what[ \t]+("
                         + _SUBJECT + r")[ \t]+([a-z]+)\b")
#: a quiz-stem question ("Janet has how many apples?", "he has how many flowers if 5 did not grow?", "He paid how
#: much?") asks what the inverted one does: its wh-phrase goes first, as "how many apples Janet has"
_STEM = re.compile(r"(?m)(^|[.!:;\n][ \t]*|,[ \t]+)((?:(?!how\b|what\b)[A-Za-z'$][\w'$]{0,30}[ \t]+){1,7}?)(how[ \t]+(?:many|much|old|long|far|tall|often)\b"
                   r"(?:[ \t]+(?!(?:than|if|after|when|before|in|at|by|for|on|from|to|now|left|altogether|do|does|did|is|are|was|were|will|would|can|could|should|must|has|have|had|shall|may|might)\b)[a-z]+){0,3}|what)"
                   r"([^?.!\n]{0,160})\?")  # bounded: a long text without "?" costs linear time


#: words of a frame that asks ("can you work out how many ...", "do you know how much ..."): an embedded question, no stem
_ASKING = frozenset("""you your us me we i can could would will do does did please tell find figure work out determine
calculate compute know guess think help discover say see show let's lets so""".split())


_AUX = frozenset("do does did is are was were will would can could should must has have had shall may might 's".split())
_CLAUSE_OPENER = frozenset("if when after before by in for on at to with from then so and but or of as while since until".split())


def _stem_first(m: re.Match) -> str:
    words, rest = m.group(2).lower().split(), m.group(4).lower().split()
    if (any(w in _ASKING for w in words) or words[0] in _CLAUSE_OPENER or (rest and rest[0] in _AUX)
            or (m.group(3) == "what" and m.group(4).strip())):
        return m.group()
    return f"{m.group(1)}{m.group(3)} {m.group(2).strip()}{m.group(4)}?"


_LABEL = re.compile(r"(?i)[a-z]|[ivx]{1,4}")  # "(a)", "(ii)": a label, which the masker reads as layout


def _unmarked(m: re.Match) -> str:
    return m.group(2) if _PAIRS.get(m.group(1)) == m.group(3) and not _LABEL.fullmatch(m.group(2)) else m.group()


def _no_options(m: re.Match) -> str:
    labels = [x.lower() for x in _OPTION_LABEL.findall(m.group())]
    return "\n" if labels == [chr(ord("a") + i) for i in range(len(labels))] else m.group()


def _no_gloss(text: str) -> str:
    out, last = [], 0
    for m in _GLOSS.finditer(text):
        if _QUANTITY_BEFORE.search(text, max(0, m.start() - 40), m.start()):
            out.append(text[last:m.start()])
            last = m.end()
    return "".join(out) + text[last:] if out else text


def reused(text: str) -> str:
    """``text`` as the problem it holds when classroom or web material reuses it: e-mail quoting ("> ") and its "On ...
    wrote:" line, song or script section labels ("[Chorus]"), numbers and key words marked up alone ("[Two]", "{6}",
    "#times#"), answer options (:data:`_OPTIONS`), an equal amount glossed beside a quantity (:data:`_GLOSS`),
    pseudo-clefts ("What she bought was 2 pens" is "she bought 2 pens") and quiz-stem questions ("Janet has how many
    apples?" is "how many apples Janet has?")."""
    if ">" in text:
        text = _QUOTED.sub("", text)
    if "wrote:" in text:
        text = _WROTE.sub("", text)
    if "[" in text or "(" in text:
        text = _SECTION.sub("", text)
    if "[" in text and "]" in text:
        text = _BBCODE.sub(" ", text)
    if ")" in text or "." in text or ":" in text:
        text = _OPTIONS.sub(_no_options, text)
    if any(c in text for c in "[{|#(*^"):
        text = _MARKED.sub(_unmarked, text)
    if "(" in text or "[" in text:
        text = _no_gloss(text)
    if "'s" in text and (" age " in text or " number " in text):
        text = _COUNTED.sub(lambda m: f"{m.group(1)} has {m.group(3)} {m.group(2)}", _AGE_IS.sub(r"\1 is \2 years old", text))
    if "hat" in text:
        text = _CLEFT.sub(r"\1 ", text)
        text = _CLEFT_BACK.sub(lambda m: f"{m.group(1)}{m.group(3)} {m.group(4)} {m.group(2)}", text)
    if "?" in text and ("how" in text or "what" in text):
        text = _STEM.sub(_stem_first, text)
    return text


def template(text: str) -> list[str]:
    """The masked token sequence of ``text`` with segment separators (see module docstring)."""
    if "&" in text and ";" in text:  # scraped text: "&nbsp;", "&#39;", "&quot;" are the characters they stand for
        text = html.unescape(text)
    text = fold(text).replace("’", "'")  # fold applies NFKC to any non-ASCII text
    if "\u2044" in text:  # NFKC's "⅓" is "1⁄3" (a fraction slash)
        text = text.replace("\u2044", "/")
    if "def " in text or "```" in text:  # a problem in a program's docstring (PAL, program-of-thought): the code is no text
        text = _CODE_LINE.sub(_data_of, text)
    if _ROMAN.search(text):  # "runs III sprints ... LX meters": quantities written as Roman numerals
        text = _ROMAN.sub(_roman_value, text)
    if _DISFLUENCY.search(text):  # a transcript's "um,", "uh", "you know," inside a sentence: no word, no clause end
        text = _DISFLUENCY.sub(" ", text)
    if "-\n" in text:  # a word broken at a line end ("lolli-\npops") is one word
        text = _LINE_HYPHEN.sub(r"\1\2", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "." in text or ")" in text:
        text = _LIST_MARK.sub("", text)
    if "__" in text:
        text = _cloze(text)
    if "\\n" in text:  # a problem inside a JSON string ("...\\nQuestion: ...")
        text = text.replace("\\n", "\n").replace('\\"', '"')
    if "<" in text or "[INST" in text:
        text = _CHAT_MARK.sub("\n", text)
    text = unhide(text)  # HTML tags, leetspeak, words spelt out letter by letter, snake_case names
    text = reused(text)  # e-mail quoting, song sections, marked-up numbers, answer options, glosses, clefts, quiz stems
    if "#" in text:
        text = _HASH_Q.sub(" how many ", text)
    if "&" in text or "/" in text or "ea." in text:
        for pat, rep in _SHORTHAND:
            text = pat.sub(rep, text)
    if _HAS_VAR.search(text):
        text = _algebra(text)
    if len(text) > 60:
        text = _unrepeated(text)
    present = set(_TRIGGER_RE.findall(text.lower()))
    if present:
        for trig, pat, rep in PHRASES:
            if present.intersection(trig):
                text = pat.sub(rep, text)
    titles = _titles(text)
    out: list[str] = []
    prev = ""
    for tok in _TOKEN_RE.findall(text):
        after_the, prev = prev == "the", tok.lower()
        if tok in _SENT:
            if out and out[-1] not in _SEPS:
                out.append(QSEP if tok == "?" else SEP)
            elif out and tok == "?":
                out[-1] = QSEP
            continue
        t, person = ("@", True) if after_the and titles and prev in titles else _mask(tok, not out or out[-1] in _SEPS)
        if t is None:
            continue
        if t[0] in "#@%" or t == "and":
            _add(out, t, person)
        else:  # a plain word (most tokens)
            out.append(t)
    if out and out[-1] not in (SEP, QSEP):
        out.append(SEP)
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?:;\n])")


def _unrepeated(text: str) -> str:
    """``text`` without a sentence that repeats an earlier one word for word ("Once more: Jill gets paid $20 ...", a
    transcript's "can you repeat the question?"): a fact told twice is one fact, not two quantities more."""
    seen: set[str] = set()
    keep = []
    for piece in _SENTENCE_END.split(text):
        key = " ".join(piece.lower().split()).strip(" .!?:;")
        if key.count(" ") >= 3 and key in seen:
            continue
        seen.add(key)
        keep.append(piece)
    return "".join(keep)


#: words the masker knows without a benchmark: its own lists (a lower-cased text's known words are no names)
KNOWN = frozenset().union(COMMON, FILLER, NUMBER_WORDS, PRONOUNS, UNITS, FRACTION_WORDS, MULTIPLIERS, PEOPLE, TITLES,
                          POSSESSIVE, SELF, STARTERS, LEAD_INS, CANON, TENSE, OBJECT_CLASS, _DROP)
_CAP_WORD = re.compile(r"\b[A-Z][a-z]+")
_LOWER_START = re.compile(r"(?:\A|[.!?:]\s+)[ \t]*[a-z]")
_LOWER_WORD = re.compile(r"(?<![\w'\u2019])[a-z]{2,}(?![\w'\u2019])")


def lowercased(text: str) -> bool:
    """Whether ``text`` was written or stored in lower case (a forum post, a lower-cased corpus): no capitalised word
    but sentence starters, and a sentence that starts in lower case."""
    return _LOWER_START.search(text) is not None and all(w.lower() in COMMON or w.lower() in STARTERS
                                                          for w in _CAP_WORD.findall(text))


_NO_ASCII_LOWER = str.maketrans("", "", "abcdefghijklmnopqrstuvwxyz")


def uppercased(text: str) -> bool:
    """Whether ``text`` is written in capitals (a telegram, a shouted post, an OCR'd heading): then every word looks
    like a name, so it is read lower-cased and its names found again (:func:`recase`)."""
    if len(text) - len(text.translate(_NO_ASCII_LOWER)) > 0.2 * len(text):
        return False  # most rows: more lower-case letters than a text in capitals can have, counted in C
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 20 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


#: a telegram's punctuation, in words: "... EGGS STOP HOW MANY QUERY STOP"
_TELEGRAM = re.compile(r"[ \t]+(?:stop|query)\b")


def decapitalise(text: str) -> str:
    """An all-capitals ``text`` lower-cased, with a telegram's STOP / QUERY as the full stop / question mark they are."""
    text = text.lower()
    if " stop" in text or " query" in text:
        text = _TELEGRAM.sub(lambda m: "?" if m.group().strip() == "query" else ".", text)
    return text


def recase(text: str, known: frozenset[str] | set[str]) -> str:
    """A lower-cased ``text`` with its names capitalised again, so that they are masked as names: a word that is
    neither one of ``known`` (the benchmark's own lower-case words, :data:`KNOWN`) nor a plural of one is a name
    ("harry slept 9 hours" -> "Harry slept 9 hours"), and so is its possessive written without the apostrophe when
    the name stands alone too ("zacks locker ... zack lives" -> "Zack's locker ... Zack lives")."""
    words = set(_LOWER_WORD.findall(text))
    names = {w for w in words if w not in known and w not in KNOWN and not (w.endswith("s") and w[:-1] in known)
             and not (w.endswith("es") and w[:-2] in known)}
    if not names:
        return text

    def cap(m: re.Match) -> str:
        w = m.group()
        if w not in names:
            return w
        if w.endswith("s") and w[:-1] in names:
            return w[:-1].capitalize() + "'s"
        return w.capitalize()

    return _LOWER_WORD.sub(cap, text)


#: where a corpus row's next problem or its solution starts: a blank line, a problem's label ("Question 4 [4 marks]",
#: "Example 2.", "Problem:", "Q:", "User:", "3) "), a solution's ("Answer:", "Solution.", "Assistant:", "A:", "####")
_CHUNK_START = re.compile(r"(?im)\n[ \t]*\n|\n(?=[ \t]*(?:#{1,4}[ \t]*)?(?:(?:question|problem|example|exercise|task|"
                          r"q|user|human|prompt|answer|solution|assistant|a|response|gpt|explanation|reasoning)\b[ \t]*"
                          r"\d{0,3}[ \t]*(?:\[[^\]\n]{0,20}\])?[ \t]*[.:)]|#{4}|\(?\d{1,2}[.)][ \t]|\(?[a-h]\)[ \t]))|"
                          r"(?<=[.?!])[ \t]+(?=(?:answer|solution|a)[ \t]*:)")
#: a part that is a worked solution, not a problem: what it restates of its problem is told again in its own words
_SOLUTION = re.compile(r"(?i)[ \t]*(?:#{1,4}[ \t]*)?(?:(?:answer|solution|assistant|a|response|gpt|explanation|reasoning)\b"
                       r"[ \t]*\d{0,3}[ \t]*[.:)]|#{4})")


_Q_LABEL = re.compile(r"(?im)^[ \t]*q[ \t]*\d{0,3}[ \t]*[.:)]")
_A_LABEL = re.compile(r"(?i)[ \t]*a[ \t]*\d{0,3}[ \t]*[.:)]")


def parts(text: str) -> list[str]:
    """What template matching scores of a corpus row that may hold more than one problem, or a problem and its worked
    solution (a worksheet, an exam section, a few-shot prompt, "Question: ... Answer: ..."): each problem part on its
    own and the row without its solution parts; a row without such breaks is itself. A copy of an item diluted by four
    other problems or by a solution is still a copy, while a solution (a problem's facts told again with its
    arithmetic) is not what the matcher was fitted on: scored with their problems, GSM8K train's solutions added 4
    false flags in 7,473 rows."""
    if "\n" not in text and ":" not in text:
        return [text]
    pieces = [p for p in _CHUNK_START.split(text) if p and p.strip()]
    if len(pieces) < 2:
        return [text]
    qa = _Q_LABEL.search(text) is not None  # "A:" answers a "Q:"; alone it is a speaker (a transcript's "A: Okay so ...")
    problems = [p.strip() for p in pieces if not (_SOLUTION.match(p) and (qa or not _A_LABEL.match(p)))]
    out = ["\n\n".join(problems)] if len(problems) < len(pieces) else [text]
    out += [p for p in problems if len(p.split()) >= 6 and p != out[0]] if len(problems) > 1 else []
    return out if out[0] else out[1:] or [text]


def quantities(toks: list[str]) -> tuple[int, int]:
    """(fewest, most) quantities in a template: every ``#`` counts, except that a lone "one" (``#1``: "here is one
    from my homework", "one of them") may be a pronoun, so it counts only in the most."""
    n = sum(t[0] == "#" for t in toks)
    return n - toks.count("#1"), n
