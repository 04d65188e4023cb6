"""Answer extraction and hedge detection for :mod:`verifiers.math_answer` (pure functions, stdlib only).

    >>> extract_answer("<think>maybe 5</think> 3 + 4 = 7, so #### 7")
    '7'
    >>> final_answers("\\\\boxed{71} or \\\\boxed{72}"), alternatives("71 \\\\text{ or } 72", "72")
    (['71', '72'], 'or')

Extraction order (first hit wins): ``#### X`` (GSM8K), ``\\boxed{X}`` (braces matched to any depth),
"the answer is X" or a line starting with an answer label ("Answer: X", "**Final answer:** X") (X a number, or a
list of numbers joined by ``,``/``or``/``and``, or the rest of the sentence when a hedge follows the number:
"72 \u00b1 1", "72 (71 if rounded)"), the last number in the text (with the numbers joined to it by "or", ``,`` or
``\u00b1`` just before it: "71 or 72" is read whole, so the hedge check sees it). ``<think>...</think>`` (and an unclosed ``<think>`` to the end)
is reasoning, not an answer, and is removed first.

Hedges (a policy scoring without committing to one answer):

- :func:`final_answers`: every ``####`` and ``\\boxed{}`` answer in the text, and every labelled number ("Answer: 71")
  beside numeric ones; the verifier rejects a completion whose explicit final answers disagree ("#### 71\\n#### 72",
  "\\boxed{72}" then "Answer: 71").
- :func:`alternatives`: a mark that makes one answer several ("71 or 72", "71, 72", "\\\\{71, 72\\\\}",
  "72 \\\\pm 1", "71 \\\\vee 72", "x \\\\ge 71", "at least 71", "not 72", "71 \\\\quad 72") that the reference does not
  itself use, or
  ("other") several numbers joined by anything but arithmetic and a short list of LaTeX commands
  ("71 \\\\sim 72", "72:71", "71 → 72"). math-verify reads "71 or 72" as its last number, so such an
  answer would otherwise pass.

Numbers: thousands separators are removed only where they group digits in threes (``1,234``,
``10{,}000``, ``1\\\\,000``, Indian ``1,00,000``), so "1,2,3" is a list, not 123.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction

_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.S | re.I)
_HASH = re.compile(r"####\s*(.+?)\s*$", re.M)
_INT = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d{1,2}(?:,\d{2})+,\d{3}(?!\d)|\d+)"
_EXP = r"(?:[eE][+-]?\d{1,3}(?!\d))?"  # 1e3, 2.5E-4; three exponent digits at most (Fraction('1e999999999') would hang)
_NUM = r"-?\$?\s*" + _INT + r"(?:\.\d+)?" + _EXP + r"(?:/\d+)?(?:\s+(?:hundred|thousand|million|billion)\b)?"
_JOIN = r"\s*(?:,|;|\bor\b|\band\b)\s*"
# "the answer is 15 * 8 = 120": the number list stops short of arithmetic, which the sentence alternative then reads whole
_NOT_ARITH = r"(?![\d.]*\s*(?:(?:[a-zA-Z]+\s*)?(?:[=×+]|\*(?!\*)|\\times|\\cdot)|[x×]\s*\d)|[\d.]*(?:\^|_\{?\d|\s+\d+/\d))"  # "**1,080**": bold, not times
# after "the answer is", thousands grouped by spaces too ("12 000", "1\u202f000"), as :func:`ungroup` reads them
_NUM_IS = _NUM.replace(_INT, r"(?:\d{1,3}(?:[ \u00a0\u2009\u202f]\d{3})+(?![\d,])|" + _INT[3:])
# a number list that a hedge follows ("72 \u00b1 1", "72 / 71", "72 (71 if rounded down)") is not the answer: the sentence is
# (a bold closer "**" may sit between: "**72** or **71**"; "(or 71)" and ", maybe 71" hedge too)
_NOT_HEDGED = (r"(?![\d.]*(?:\*\*)?\s*,?\s*(?:[\u00b1\u2213]|\\(?:pm|mp)\b|\+\s*/?\s*-|/|\bor\b|\bto\b|[\u2013\u2014~])\s*(?:\*\*)?"
               r"\$?\s*-?\d"
               r"|[\d.]*(?:\*\*)?\s*\(\s*-?\$?\d[^)\n]*\b(?:or|if|unless|else|otherwise|maybe|perhaps|possibly)\b"
               r"|[\d.]*(?:\*\*)?\s*,?\s*\(?\s*(?:or|maybe|perhaps|possibly|alternatively|either)\b[^)\n]*\d)")
# "the answer is X", and a line that starts with an answer label: "Answer: X", "**Final answer:** X", "> Answer: X"
_ANSWER_IS = re.compile(r"(?:^[ \t>#*_]*(?:the\s+)?(?:final\s+)?answer[ \t*_]*(?::|=|[ \t][-\u2013\u2014](?=[ \t]))(?:[ \t]*(?:the\s+)?(?:final\s+)?answer is)?"
                        r"|answer is)[:\s]*"
                        r"(?:(?:therefore|thus|then|simply|clearly|just|now|approximately|about|around|roughly)\b[:,\s]*)?(?:\*\*|\\\(|\\\[)?"
                        r"\$?\s*(" + _NUM_IS[5:] + r"(?:" + _JOIN + _NUM_IS + r")*" + _NOT_ARITH + _NOT_HEDGED + r"|[^\n.]+)",
                        re.I | re.M)
# what wraps an answer after "the answer is": Markdown bold, $...$, \(...\), \[...\]
_WRAP = re.compile(r"(?:\*\*|\$|\\\)|\\\])+$")
# GSM8K's calculator annotations, "48/2 = <<48/2=24>>24": the result follows them
_CALC = re.compile(r"<<[^<>\n]{0,200}>>")
# a number the text rules out ("12 apples are left, not 15"): not the last-number answer
RULED_OUT = re.compile(r"(?:\bnot|\bisn't|\binstead of|\brather than)\s*\$?\s*$", re.I)
_LAST_NUM = re.compile(_NUM)
# thousands groupings: western 1,234,567 / 10{,}000 / 1\,000 / 1 000 000, Indian 1,00,000
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:(?:,|\{,\}|\\,|\s|_)\d{3})+(?![\d]|,\d)|(?<![\d.,])\d{1,2}(?:,\d{2})+,\d{3}(?![\d]|,\d)")


def strip_reasoning(text: str) -> str:
    """The text without ``<think>`` blocks (an unclosed one runs to the end)."""
    return _THINK.sub(" ", text) if "<think" in text.lower() else text


def boxed(text: str) -> list[str]:
    """Contents of every ``\\boxed{...}``, braces matched to any depth (escaped ``\\{`` ``\\}`` are not braces), and the
    token after an unbraced ``\\boxed 19``; one pass."""
    if not any(b in text for b in _BOX_NAMES):
        return []
    close: dict[int, int] = {}
    stack: list[int] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            stack.append(i)
        elif c == "}" and stack:
            close[stack.pop()] = i
        i += 1
    out = []
    for m in _BOX.finditer(text):  # \\fbox too: "\\boxed{72} ... \\fbox{71}" is two answers
        j = m.end() - 1
        if m.group(1) is not None:  # "\\boxed 19", no braces: math graders read the token after it as the answer
            out.append(m.group(1))
        elif j in close:
            out.append(text[j + 1:close[j]].strip())
    return out


# \\boxed and the other commands that frame or highlight an answer: \\fbox, \\framebox[w]{X}, \\colorbox{c}{X},
# \\fcolorbox{c}{c}{X}, MathJax's \\bbox[style]{X} (round 10: "\\boxed{18} \\colorbox{yellow}{19}" is two answers)
_BOX = re.compile(r"\\(?:boxed|fbox|framebox(?:\[[^\]\n]{0,40}\]){0,2}|colorbox\s*\{[^{}\n]{0,40}\}|"
                  r"fcolorbox\s*\{[^{}\n]{0,40}\}\s*\{[^{}\n]{0,40}\}|bbox(?:\[[^\]\n]{0,80}\])?)(?:\s*\{|\s+(-?[\w.]+))")
_BOX_NAMES = ("\\boxed", "\\fbox", "\\framebox", "\\colorbox", "\\fcolorbox", "\\bbox")


# another answer offered in a sentence of its own: "The answer is 72. Alternatively, 71.", "(Another possible answer: 71)"
_OFFERED = re.compile(r"\b(?:alternatively|another\s+(?:possible\s+|valid\s+|correct\s+)?answer(?:\s+(?:is|would\s+be|could\s+be))?"
                      r"|other\s+possible\s+answers?(?:\s+(?:is|are))?|(?:or\s+)?it\s+(?:could|might|may)\s+also\s+be|or\s+possibly"
                      r"|or\s+maybe|or\s+perhaps)\b[\s:,]*(?:the\s+answer\s+is\s+)?\$?\s*(-?\d[\d,]*(?:\.\d+)?)\s*(?=[.)!;\n]|$)", re.I)


# after the final answer, another number offered with a hedge: "\\boxed{18} (possibly 19)", ", or 19 if rounded up",
# "19 is also possible", "(18 if adults only, 19 otherwise)"; a restatement in other units ("or 1080 minutes") is not one
_NUMBER = r"(-?\$?\d[\d,]*(?:\.\d+)?)(?![\d,]*(?:\.\d)?[ \t]*(?:[=+/^\u00d7]|\*(?!\*)|\\times|\\cdot))"  # not an operand
_ASIDE = re.compile(
    r"\b(?:or|maybe|perhaps|possibly|probably|alternatively|otherwise|else|either|(?:could|might|may)\s+(?:also\s+)?be)\b[\s,:]*"
    r"(?:(?:even|just|rather|about|around|approximately|the\s+answer\s+is|it\s+is|it's)\s+)*(?:\*\*|\\\(|`)?\$?\s*" + _NUMBER
    + r"(?=(?:\*\*|\$|\\\)|`)?\s*(?:[.)!;,?\]\n]|$|\b(?:if|when|unless|depending|instead|otherwise|is|would|could|might)\b))"
    r"|(?<![\d.,])" + _NUMBER + r"\s*(?:(?:is|are|would|could|might|may)\s+)?(?:also|equally)\s+(?:be\s+)?"
    r"(?:possible|acceptable|valid|correct|right|plausible|fine|ok)\b"
    r"|(?<![\d.,])" + _NUMBER + r"\s+(?:otherwise|instead)\b"
    r"|[(\[]\s*" + _NUMBER + r"[^)\]\n]*?\b(?:or|if|unless|else|otherwise|maybe|perhaps|possibly|when|assuming)\b", re.I)


def offered_after(tail: str) -> list[str]:
    """The numbers a text right after an answer offers with a hedge ("(possibly 19)", ", or 19 if we round up",
    "19 is also acceptable", "19 otherwise"); the caller drops those equal to the answer."""
    return [next(g for g in m.groups() if g is not None) for m in _ASIDE.finditer(tail[:300])]


def after_final(text: str) -> str:
    """The text after the last ``\\boxed{}`` or ``####`` line ("" without one)."""
    i = max(text.rfind("####"), *(text.rfind(b) for b in _BOX_NAMES))
    if i < 0:
        return ""
    if text.startswith("####", i):
        j = text.find("\n", i)
        return "" if j < 0 else text[j:]
    got = boxed(text[i:])
    return text[text.find(got[0], i) + len(got[0]):].lstrip("}") if got else ""


# "the answer is 19" (a sentence that opens with it, Minerva's "Final Answer: The final answer is $19$."): a final answer
# beside a \\boxed{} or #### one, unless the text takes it back right away ("The answer is 19. Wait, ...")
_SAID = re.compile(r"(?:^|(?<=[.!?:]\s)|(?<=\n))[ \t*>#_]*(?:(?:so|therefore|thus|hence)\b[, ]*)?(?:(?:the|our|my)\s+)?"
                   r"(?:(?:final|correct|right|true|actual|real|exact)\s+)*answer\s+is"
                   r"[:\s]*(?:\*\*|\$|\\\(|\\\[)?\s*" + _NUMBER + r"(?![\d.,]*\s*[.,;!]?\s*(?:wait|no\b|hmm|but\b|actually|hold\s+on|"
                   r"let\s+me|let's|however))", re.I | re.M)


# the answer tag of R1-style completions ("<think>...</think> <answer>18</answer>"): what it holds is the final answer
_TAG = re.compile(r"<answer>((?:(?!</?answer>).){0,2000}?)</answer>", re.I | re.S)


def tagged(text: str) -> list[str]:
    """The answer in each ``<answer>...</answer>`` (:func:`extract_answer` of what the tag holds)."""
    if "<answer>" not in text.lower():
        return []
    return [a for a in (extract_answer(m.group(1)) for m in _TAG.finditer(text)) if a]


def final_answers(text: str) -> list[str]:
    """Every explicit final answer (``#### X`` and ``\\boxed{X}``), in the order the patterns are tried, and a number
    offered as another answer ("Alternatively, 71.", "\\boxed{72} (possibly 71)") beside numeric ones."""
    text = strip_reasoning(text or "")
    out = [h.strip() for h in _HASH.findall(text) if "\\boxed" not in h and "\\fbox" not in h] + boxed(text)  # "#### \\boxed{7}" is one answer
    out += [a for a in tagged(text) if not any(same_answer(a, b) for b in out)]  # "<answer>19</answer> ... \\boxed{18}"
    labels = [_WRAP.sub("", x.strip()) for x in _LABEL.findall(minus(text))] + [m.group(1) for m in _SAID.finditer(minus(text))]
    for kind in (lambda a: to_number(_FRAC.sub(r"\1/\2", a)), text_key):  # numbers beside numbers, letters beside letters
        same = [h for h in labels if kind(h) is not None]
        if same and all(kind(a) is not None for a in out):  # "\\boxed{72}" then "Answer: 71"; "\\boxed{B}" then "Answer: (C)"
            out += same
            break
    offered = [m.group(1) for m in _OFFERED.finditer(text)] + offered_after(minus(after_final(text)))
    if offered:  # beside a numeric answer only ("\\boxed{\\sqrt{2}}. Alternatively, 1.414." is one value rounded)
        marked = out or [marked_answer(text) or ""]
        if all(to_number(a) is not None for a in marked):
            out = marked + offered
    return out


# a line that is an answer label: "Answer: 72", "**Final answer:** $72$", "Answer: (C)"; a number is compared beside numbers
# only, a word or letter beside words and letters (a rounded restatement of \\boxed{\\sqrt{2}} is not a second answer)
_LABEL = re.compile(r"^[ \t>#*_]*(?:the\s+)?(?:final\s+)?answer[ \t*_]*(?::|=|[ \t][-\u2013\u2014](?=[ \t]))[ \t*_]*\$?([^\n]*?)[ \t.]*$", re.I | re.M)
_FRAC = re.compile(r"\\[dt]?frac\s*\{(-?\d+)\}\s*\{(\d+)\}")


# minus signs that are not ASCII: U+2212 (typeset math, many chat UIs), small and fullwidth hyphen-minus
_MINUS = str.maketrans({"\u2212": "-", "\ufe63": "-", "\uff0d": "-"})


# an en dash, a Unicode hyphen (U+2010, U+2011) or a figure dash (U+2012) typed as a minus sign ("\u20135", "\u20105"):
# before a digit, not after one ("3\u20135" is a range)
_EN_MINUS = re.compile(r"(?<![\w)\]}.\u2010-\u2013])[\u2010-\u2013](?=\d)")


_SUPERSCRIPT = re.compile("(?<=[\\d)}])[\u2070\u00b9\u00b2\u00b3\u2074-\u2079\u207b]+")
_SUPER_DIGITS = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b", "0123456789-")
_VULGAR = re.compile("[\u00bc-\u00be\u2150-\u215e]")


def _vulgar(m: re.Match) -> str:
    v = Fraction(unicodedata.numeric(m.group(0))).limit_denominator(100)
    return f" {v.numerator}/{v.denominator}"


_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
# a combining mark on a digit: a strike-through (U+0336, U+0338 "18\u0336") or another overlay; no honest answer has one
STRUCK = re.compile("\\d[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def minus(s: str) -> str:
    """``s`` with the Unicode minus signs as ``-`` ("\u22125" is -5; an en dash before a number too, "\u20135"), superscript
    digits after a number as a power ("72\u00b2" is 72^{2}, not 72; "m\u00b2" stays) and vulgar fractions as a mixed number ("72\u00bd" is 72 1/2)."""
    if _SUPERSCRIPT.search(s):
        s = _SUPERSCRIPT.sub(lambda m: "^{" + m.group(0).translate(_SUPER_DIGITS) + "}", s)
    if _VULGAR.search(s):
        s = _VULGAR.sub(_vulgar, s)
    if not s.isascii():  # zero-width spaces and joiners, bidi marks, soft hyphens: invisible, so "42\u200b1" reads 421
        s = _INVISIBLE.sub("", s)
    s = s.translate(_MINUS)
    return _EN_MINUS.sub("-", s) if any("\u2010" <= c <= "\u2013" for c in s) else s


# typed arithmetic signs as LaTeX ("3 × 4 = 12"), which math-verify reads and the hedge check knows
_OPS = str.maketrans({"\u00d7": " \\times ", "\u00f7": " \\div ", "\u22c5": " \\cdot "})


def marked_answer(text: str) -> str | None:
    """The answer the text marks as its answer (``#### X``, ``\\boxed{X}``, "the answer is X", "Answer: X"), else None."""
    text = minus(_CALC.sub("", strip_reasoning(text or "")))
    for hits in (_HASH.findall(text), boxed(text), tagged(text), [_WRAP.sub("", h.strip()) for h in _ANSWER_IS.findall(text)]):
        if hits:  # Markdown bold inside is emphasis, not arithmetic: "72** or **71", "72**/71"
            return re.sub(r"\*\*", "", hits[-1]).strip().translate(_OPS)
    return None


def extract_answer(text: str) -> str | None:
    if not text:
        return None
    marked = marked_answer(text)
    if marked is not None:
        return marked
    text = minus(_CALC.sub("", strip_reasoning(text)))
    nums = list(_LAST_NUM.finditer(text))
    kept = [m for m in nums if not RULED_OUT.search(text, max(0, m.start() - 20), m.start())]
    if not nums:
        return None
    last = (kept or nums)[-1]
    start = max(0, last.start() - 300)
    while start > 0 and text[start - 1] in "0123456789,.":  # a window that starts inside "1,2,3,...,18" finds no run
        start -= 1
    run = _ALT_RUN.search(text, start, last.start())  # "71 or 72": the run, not its last number
    if run and text[:run.start()].rstrip()[-1:] in tuple("=+-*/^<>\u00d7\u00f7"):  # "192 / 1.2 or 160 = Y": an equation's
        run = None  # restatement, the run starts inside an expression
    return text[run.start() if run else last.start():last.end()].strip()


# numbers joined by what offers alternatives, just before the last number: "71 or 72", "70, 71, 72", "72 ± 1"
_ALT_RUN = re.compile(r"(?:(?<![\w.,/*^+=-])-?\$?\d[\d.,]*\s*(?:\bor\b|,|[\u00b1\u2213]|\\(?:pm|mp)\b|\+\s*/?\s*-)\s*"
                    r"(?:\bor\b\s*)?)+\$?\s*$", re.I)


def ungroup(s: str) -> str:
    """Thousands separators removed where they group digits in threes; other commas and spaces kept."""
    return _GROUPED.sub(lambda m: re.sub(r"\{,\}|\\,|[,\s_]", "", m.group(0)), s)


# a repeating decimal: the digits under \\overline (\\bar, \\dot) repeat for ever
REPEATING = re.compile(r"(-?)(\d{0,30})\.(\d{0,30})\\(?:overline|bar|dot)\s*\{(\d{1,30})\}")
BASE_NUMBER = re.compile(r"([0-9A-Z]{1,64})_\{?(\d{1,2})\}?")  # a number in base 2..36: 1001000_2, 72_{10}
_PARENS = re.compile(r"^\\?\(|\\?\)$")
_PLAIN = re.compile(r"(-?\d+(?:\.\d+)?" + _EXP + r")(?:\s*/\s*(\d+)|\s+(\d+)/(\d+))?\s*([a-zA-Z]+|%|\\%)?")


def to_number(s: str) -> Fraction | None:
    """A plain number ("1,234", "$1,200.00", "72 dollars", "3/4", "1 1/2", "50%") as a Fraction, else None."""
    s = ungroup(minus(s).strip().rstrip("."))
    s = re.sub(r"^(-?)\\\$", r"\1", s).replace("$", "")  # a leading LaTeX \$ (\$18.90) too
    r = REPEATING.fullmatch(s.strip())
    if r:  # "0.\\overline{3}" is 1/3, "0.1\\overline{6}" 1/6, "0.\\dot{3}" 1/3 (round 10: rejected as two numbers)
        whole, fixed, rep = r.group(2) or "0", r.group(3), r.group(4)
        v = Fraction(f"{whole}.{fixed or 0}") + Fraction(int(rep), (10 ** len(rep) - 1) * 10 ** len(fixed))
        return -v if r.group(1) else v
    b = BASE_NUMBER.fullmatch(s.strip())
    if b:  # "1001000_2", "72_{10}", "FF_{16}": the digits in that base (math-verify drops the subscript: 72_{71} read as 72)
        try:
            return Fraction(int(b.group(1), int(b.group(2)))) if 2 <= int(b.group(2)) <= 36 else None
        except ValueError:  # a digit the base does not have ("72_{2}"): not a number
            return None
    plain = _PARENS.sub("", s.strip())
    m = _PLAIN.fullmatch(plain)
    if m and m.group(5) in ("i", "j", "k", "e", "x", "y", "z", "n") and plain[m.start(5) - 1].isdigit():
        if m.group(5) != "k":
            return None  # "72i" is imaginary, "72x" 72 times a variable, not 72 with a unit
        m = _PLAIN.fullmatch(plain[:-1] + " thousand")  # "72k" is 72000, not 72 (issue #14)
    if m is None and not any(c.isdigit() for c in s):
        w = words_number(s) if s[:1].isalpha() else None
        return None if w is None else Fraction(w)
    if not m or len(m.group(1)) > 4000:  # int('9' * 5000) raises; no real answer has that many digits
        return None
    try:
        v = Fraction(m.group(1))
        if m.group(3):  # a mixed number: 1 1/2, -1 1/2
            part = Fraction(int(m.group(3)), int(m.group(4)))
            v = v - part if m.group(1).startswith("-") else v + part
        elif m.group(2):
            v = v / int(m.group(2))
        return v * _SCALES.get((m.group(5) or "").lower(), 1)  # "2.5 million" is 2500000, "72 dollars" 72
    except (ValueError, ZeroDivisionError):
        return None


_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                      "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}


def words_number(s: str) -> int | None:
    """An English number in words ("five", "twenty-one", "minus three", "one hundred and five", "five apples":
    one trailing word is its unit), else None. Digits go through :func:`to_number`."""
    toks = [t for t in re.split(r"[\s-]+", s.strip().lower().rstrip(".!")) if t and t != "and"]
    if len(toks) > 1 and toks[-1] not in _UNITS and toks[-1] not in _TENS and toks[-1] not in _SCALES:
        toks = toks[:-1]
    sign = -1 if toks[:1] in (["minus"], ["negative"]) else 1
    toks = toks[1:] if sign < 0 else toks
    if not toks or len(toks) > 12:
        return None
    total = current = 0
    for t in toks:
        low = current % 100  # what a unit or a ten may follow: nothing, a hundred, or a ten before a unit
        if t in _UNITS and (low == 0 or low >= 20 and low % 10 == 0 and _UNITS[t] < 10):
            current += _UNITS[t]
        elif t in _TENS and low == 0:
            current += _TENS[t]
        elif t == "hundred" and 0 < current < 100:
            current *= 100
        elif t in _SCALES and t != "hundred" and current > 0:
            total += current * _SCALES[t]
            current = 0
        else:
            return None
    return sign * (total + current)


def same_answer(a: str, b: str) -> bool:
    """Cheap equality of two extracted answers: as numbers, else as text without spaces, ``$`` and a leading ``x =``."""
    a, b = (re.sub(r"\\[dt]?frac\s*\{(-?\d+)\}\s*\{(\d+)\}", r"\1/\2", x) for x in (a, b))
    na, nb = to_number(a), to_number(b)
    if na is not None and nb is not None:
        return na == nb
    if text_key(a) is not None and text_key(a) == text_key(b):  # "\\text{Monday}" and "Monday", "(B)" and "B"
        return True

    def t(s: str) -> str:
        return re.sub(r"^[a-zA-Z]\s*=", "", re.sub(r"[\s$]", "", s)).rstrip(".")

    return t(a) == t(b)


_TEXT_CMD = re.compile(r"\\(?:text|textbf|textit|textrm|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\}")


def text_key(s: str) -> str | None:
    """A word or letter answer as comparable text ("\\text{(B)}", "(B)" and "B"; "\\text{Monday}" and "monday"),
    else None: an answer with a digit is a number or an expression (:func:`to_number`, math-verify)."""
    s = _TEXT_CMD.sub(r"\1", s)
    s = re.sub(r"\\[ ,;:!]|\\q?quad\b|[\s$~]|\\\(|\\\)", "", s).rstrip(".")
    s = re.sub(r"^\(([A-Za-z])\)$", r"\1", s)  # a choice letter in parentheses
    if not s or any(c.isdigit() for c in s) or not any(c.isalpha() for c in s):
        return None
    return s.lower() if len(s) > 1 and s.isalpha() else s  # "b" may be a variable, \\Pi is not \\pi; "Monday" is "monday"


_JOINED = re.compile(r"\s*(?:\\text\s*\{\s*(?:and|or)\s*\}|\\quad\s*\\text\s*\{\s*(?:and|or)\s*\}\s*\\quad|\band\b|\bor\b)\s*")


def as_list(pred: str, gold: str) -> str:
    """``pred`` written as the comma list that ``gold`` is ("2, 3"), when ``gold`` is a bare list of several answers:
    "2 and 3", "2 \\text{ or } 3" and "\\pm 2" / "1 \\pm \\sqrt{2}" (one ``\\pm`` outside braces) are that list too.
    Otherwise ``pred`` unchanged; the comparison then decides (a third answer, "1 or 2 or 3", is a different set)."""
    g = ungroup(gold)
    if not _MARKS["list"].search(g) or re.search(r"[()\[\]]|\\\{|\\left|=", g) or "=" in pred:
        return pred
    out = re.sub(r"\s*,(?:\s*,)+\s*", ", ", _JOINED.sub(", ", pred)).strip(", ")  # "1, 2, and 3": one comma each
    depth, at = 0, []
    for i, c in enumerate(out):
        depth += (c == "{") - (c == "}")
        if depth == 0 and out.startswith("\\pm", i) and not out[i + 3:i + 4].isalpha():
            at.append(i)
    if len(at) == 1 and "," not in out:
        a, b = out[:at[0]].strip(), out[at[0] + 3:].strip()
        out = f"-{b}, {b}" if not a else f"{a} - {b}, {a} + {b}"
    return out


# marks that turn one answer into several; each found anywhere in the answer
_MARKS = {
    "or": re.compile(r"\b(?:or|and|either|nor|maybe|possibly|perhaps|otherwise|unless|else|if|vs)\b|\\l(?:or|and)\b|\\vee\b|\\wedge\b|[∨∧]|\\mid\b", re.I),
    "pm": re.compile(r"\\pm\b|\\mp\b|[±∓]|\+\s*/\s*-"),
    "set": re.compile(r"\\\{|\\lbrace\b|\\cup\b|\\in\b|[∪∈]"),
    # "x \\ge 71", and in words: "at least 72", "not 72", "more than 71" (math-verify reads them as the number)
    "relation": re.compile(r"\\[lg]eq?(?:slant)?\b|\\[lg]t\b|\\neq?\b|\\neg\b|\\lnot\b|¬|[<>≤≥≠]|(?:\d|\})\s*\+\s*$|\b(?:not|never|at\s+(?:least|most)|up\s+to|"
                           r"(?:no\s+)?(?:more|less|fewer|greater|larger|smaller|bigger|higher|lower)\s+than)\b", re.I),
    "list": re.compile(r"[,;]"),
    "bar": re.compile(r"(?:\d|\})\s*\|\s*-?\d"),
    "range": re.compile(r"\d\s*(?:--|–|—|\bto\b)\s*-?\d"),
    # two numbers with only space between them (after LaTeX spacing commands)
    "space": re.compile(r"\d(?:\s|~|\\[ ,;:!]|\\q?quad\b)+-?\.?\d"),
}


# what an expression with several numbers may contain besides them: anything else joins alternatives
# ("71 \\sim 72", "71 → 72", "72:71", "71 или 72"), which math-verify would read as one of the numbers
_EXPR_CMDS = frozenset(
    "frac dfrac tfrac cfrac sqrt cdot times div pi left right big Big log ln lg sin cos tan cot sec csc arcsin arccos "
    "arctan sinh cosh tanh exp binom dbinom tbinom choose circ degree infty text textrm textbf mathrm mathbf mbox "
    "displaystyle sum prod int lim max min gcd lcm mod bmod pmod lfloor rfloor lceil rceil prime operatorname "
    ", ; ! : _ ^ { }".split() + [" "])
_EXPR_CHARS = re.compile(r"[^0-9A-Za-z\s+\-*/^_{}()\[\]=.!]|\.\.")


def _foreign(s: str) -> bool:
    """Several numbers joined by something that is not arithmetic or an allowed LaTeX command."""
    if len(re.findall(r"\d+", s)) < 2:
        return False
    s = re.sub(r"\\%\s*$", "", re.sub(r"^(\s*-?)\\\$", r"\1", s))  # a leading \$ (\$18.90) and a trailing \% (12.5\%)
    if any(c not in _EXPR_CMDS for c in re.findall(r"\\([a-zA-Z]+|.)", s)):
        return True
    return bool(_EXPR_CHARS.search(re.sub(r"\\(?:[a-zA-Z]+|.)", " ", s)))


_ELLIPSIS = re.compile(r"\\(?:[lc]?dots|dotsc|dotsb|ldotp)\b|\u2026|\u22ef|\d\s*\.\.\.")


def trails_off(s: str) -> bool:
    """Whether the answer trails off with an ellipsis ("72\\ldots", "72..."): it states no finished value."""
    return bool(_ELLIPSIS.search(s))


def several_numbers(s: str) -> bool:
    return len(re.findall(r"\d+", ungroup(s))) >= 2


def _marks(s: str) -> set[str]:
    s = ungroup(s)
    marks = {"other"} if _foreign(s) else set()
    s = re.sub(r"\\(?:text|mathrm|textbf|mbox)\s*\{([^{}]*)\}", r" \1 ", s)  # \text{ or } -> or
    return marks | {k for k, pat in _MARKS.items() if pat.search(s)}


def alternatives(pred: str, gold: str) -> str | None:
    """The first mark that makes ``pred`` several answers while ``gold`` has no such mark, else None."""
    if to_number(pred) is not None:
        return None
    extra = _marks(pred) - _marks(gold)
    return next((k for k in [*_MARKS, "other"] if k in extra), None)
