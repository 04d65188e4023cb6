"""Language filter: keep rows whose text is in one of ``langs`` with probability >= ``min_confidence``.

Identification is py3langid (BSD-3-Clause; a naive-Bayes byte n-gram model over 140 ISO 639 codes,
shipped inside the wheel: nothing is downloaded), loaded once per step on the first batch. It runs on
the *prose*: fenced and inline code, LaTeX math (``$$..$$``, ``\\[..\\]``, ``\\(..\\)``,
``\\begin{..}..\\end{..}``, and ``$..$`` in the pandoc sense, so the words of ``$5 and $7 each`` stay),
GSM8K ``<<48/2=24>>`` annotations, URLs, words without a letter (numbers, operators) and words that are a
formula or a call (``Total:x+3=301``, ``4(3+2x)=12``, ``len(s)``, ``\\frac{1}{2}``) are removed first, so that a
code block or an equation does not make an English answer look like something else. A text that is Python source
as a whole (a completion without a fence, as HumanEval's) is judged on its docstrings and comments only; unfenced
code in another language is judged as prose. A text that is a JSON object or array as a whole (a structured-output
answer) is judged on its string values. A run of a script written without spaces (Chinese, Japanese, Thai) is a
word of its own, so a formula written into a Chinese sentence (``还剩48/2=24个``) takes only itself out.
Prose shorter than ``min_chars`` characters is too short to judge (py3langid gives "The answer is 72."
only 0.34 for English) and is kept.

``on``: ``completion`` checks ``completion`` and ``reasoning`` (each on its own; either can reject),
``prompt`` the user messages' contents, ``both`` all of them. A row is kept when, for every checked
text, the highest probability of an allowed language is >= ``min_confidence``; an allowed macrolanguage's
probability includes its members' (:data:`MEMBERS`: ``zh`` takes Wu and Cantonese too). Reasons::

    language: de (0.98) not in [en]                  top language not allowed
    language: en (0.41) < min_confidence 0.5         allowed, but not confident enough
    language: fr (0.99) not in [en] (prompt)         a text other than the completion names its column

    >>> from curation.filters.language import prose
    >>> prose("Use `x = 1`:\\n```python\\nprint(x)\\n```\\nso $x^2$ costs $5 and $7 each.")
    'Use so costs and each.'
"""

from __future__ import annotations

import ast
import io
import json
import re
import textwrap
import tokenize
import warnings
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from curation.dedup import UNSPACED, content_text, required_columns, trace_turns
from curation.filters.base import RowFilter
from curation.filters.format import code_fences
from ground.config import Config
from ground.errors import MissingDependencyError

INSTALL = "pip install 'py3langid>=0.4,<0.5'"

#: py3langid 0.4's labels (``LanguageIdentifier.labels``), for validating recipes without loading the model
LABELS = (
    "af am ar as az be bg bn br bs ca cs cy da de el en eo es et eu fa fi fr fy ga gd gl gu ha he hi hr ht hu hy "
    "id ig is it ja jv ka kk km kn ko ku ky la lg ln lo lt lv mg mk ml mn mr ms my ne nl no om or pa pl ps pt qu "
    "ro ru sa si sk sl so sq sr sv sw ta te th tl tr ug uk ur uz vi xh yo zh zu zxx ace bcl dz ext gcf gom grc gug "
    "hbo kik nso pcm rw se sn st an ary crh fo fuv gcr guw kab lb lij ltg uzs wa sdh arz ba mt nn oc tg tk tt vec "
    "vo wuu yue"
).split()

#: py3langid labels that are members of an ISO 639 macrolanguage with a label of its own: an allowed ``zh`` takes a
#: text the model calls Wu or Cantonese too (short Mandarin is often ranked ``wuu`` first), ``ar`` Egyptian and
#: Moroccan Arabic, ``no`` Nynorsk, ``uz`` Southern Uzbek, ``ku`` Southern Kurdish
MEMBERS = {"zh": ("wuu", "yue"), "ar": ("arz", "ary"), "no": ("nn",), "uz": ("uzs",), "ku": ("sdh",)}

_INLINE_CODE = re.compile(r"`[^`\n]*`")
_MATH = re.compile(r"\$\$.*?\$\$|\\\[.*?\\\]|\\\(.*?\\\)|\\begin\{([A-Za-z]+\*?)\}.*?\\end\{\1\}", re.S)
# pandoc's rule: "$" + non-space ... non-space + "$" not followed by a digit, on one line
_DOLLAR_MATH = re.compile(r"\$(?=\S)[^$\n]*?(?<=\S)\$(?!\d)")
_CALC = re.compile(r"<<[^<>\n]*>>")
_URL = re.compile(r"\bhttps?://\S+")
#: a word that is a formula or a call: "Total:x+3+2x=301", "4(3+2x)=12+8x", "sum(numbers)", "a_b", "x^2"
_FORMULA = re.compile(r"[=<>{}\[\]\\^_|~]|[\w)][+*/][\w(]|\w\(")


#: longer texts are not parsed as Python (the parser's memory and time grow with them; a 1 MB line ran out)
MAX_PARSE = 100_000


def python_prose(text: str) -> str | None:
    """When ``text`` as a whole is Python source (a completion without a fence, such as HumanEval's function body):
    its docstrings and comments, else None. Prose that happens to parse ("Yes", "not bad") has no statement but
    a bare expression without a call, and is not taken for code."""
    if len(text) > MAX_PARSE:
        return None
    src = textwrap.dedent(text)
    try:
        with warnings.catch_warnings():  # prose parsed as Python warns ("invalid decimal literal")
            warnings.simplefilter("ignore")
            tree = ast.parse(src)
        comments = [t.string.lstrip("#") for t in tokenize.generate_tokens(io.StringIO(src).readline) if t.type == tokenize.COMMENT]
    except (SyntaxError, ValueError, tokenize.TokenError, MemoryError, RecursionError):
        return None
    if not any(not isinstance(n, (ast.Expr, ast.Module)) or isinstance(getattr(n, "value", None), ast.Call)
               for n in ast.walk(tree) if isinstance(n, (ast.stmt, ast.Module))):
        return None
    docs = [n.value.value for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)
            and isinstance(n.value.value, str)]
    # a docstring's examples (">>> fib(10)") are code too
    return "\n".join(ln for ln in "\n".join(docs + comments).split("\n") if not ln.lstrip().startswith((">>>", "...")))


#: where a script written without spaces (with its full-width punctuation) meets ASCII: a word boundary, so a
#: formula glued to a Chinese sentence ("还剩48/2=24个。") is dropped without the sentence around it
_CJK = f"{UNSPACED}\u3000-\u303f\uff00-\uffef"
_UNSPACED_EDGE = re.compile(f"(?<=[{_CJK}])(?=[!-~])|(?<=[!-~])(?=[{_CJK}])")


def json_prose(text: str) -> str | None:
    """When ``text`` as a whole is a JSON object or array (a structured-output answer): its string values, one a
    line (keys and numbers are not prose), else None."""
    if text.lstrip()[:1] not in ("{", "["):
        return None
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return None
    out: list[str] = []
    stack = [obj]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            stack.extend(reversed(list(v.values())))
        elif isinstance(v, list):
            stack.extend(reversed(v))
    return "\n".join(out)


def prose(text: str) -> str:
    """The natural-language part of ``text``: code, math, URLs and letterless words removed."""
    py = json_prose(text)
    if py is None:
        py = python_prose(text)
    text = text if py is None else py
    lines = text.split("\n")
    for f in reversed(code_fences(text)):
        lines[f.open_line - 1:f.last_line] = [""]
    t = "\n".join(lines)
    for rx in (_INLINE_CODE, _MATH, _DOLLAR_MATH, _CALC, _URL):
        t = rx.sub(" ", t)
    if not t.isascii():
        t = _UNSPACED_EDGE.sub(" ", t)
    return " ".join(w for w in t.split() if any(c.isalpha() for c in w) and not _FORMULA.search(w))


class LanguageConfig(Config):
    model_config = ConfigDict(populate_by_name=True)

    langs: list[str] = Field(default_factory=lambda: ["en"], description="allowed languages, ISO 639 codes as "
                                                                         "py3langid names them (en, de, fr, zh, ...)")
    min_confidence: float = Field(0.5, description="keep when an allowed language has at least this probability (0..1]")
    on: Literal["prompt", "completion", "both"] = Field(
        "completion", alias="compare", description="'completion' (completion + reasoning), 'prompt' (user messages) "
                                                   "or 'both' (recipes say `compare:`: YAML reads `on:` as true)")
    min_chars: int = Field(20, description="prose shorter than this many characters is not judged (kept)")

    @field_validator("langs", mode="before")
    @classmethod
    def _langs(cls, v):
        if not isinstance(v, list) or not v:
            raise ValueError(f"LanguageConfig.langs must be a non-empty list of language codes, got {v!r}")
        unknown = [x for x in v if x not in LABELS]
        if unknown:
            raise ValueError(f"LanguageConfig.langs: unknown language code(s) {unknown}; use ISO 639 codes such as 'en', 'de', 'fr', 'zh'")
        return v

    @field_validator("min_confidence", mode="before")
    @classmethod
    def _confidence(cls, v):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
            raise ValueError(f"LanguageConfig.min_confidence must be in (0, 1], got {v!r}")
        return v

    @field_validator("on", mode="before")
    @classmethod
    def _on(cls, v):
        if v not in ("prompt", "completion", "both"):
            raise ValueError(f"LanguageConfig.on must be one of ['prompt', 'completion', 'both'], got {v!r}")
        return v

    @field_validator("min_chars", mode="before")
    @classmethod
    def _min_chars(cls, v):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"LanguageConfig.min_chars must be an integer >= 0, got {v!r}")
        return v


class LanguageFilter(RowFilter):
    """Rejects rows not in an allowed language; ``counts`` totals rejects per detected language."""

    name = "language"
    Config = LanguageConfig
    description = "allowed languages with a confidence threshold (py3langid on the prose)"

    def __init__(self, config: LanguageConfig | None = None, name: str | None = None):
        super().__init__(config, name)
        self._ident = None

    def required_columns(self) -> tuple[str, ...]:
        return required_columns(self.config.on)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_ident": None}  # the model reloads in the actor that uses it

    def _identifier(self):
        if self._ident is None:
            try:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier
            except ImportError as e:
                raise MissingDependencyError(f"the language filter needs py3langid: {INSTALL}") from e
            self._ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return self._ident

    def detect(self, text: str) -> list[tuple[str, float]]:
        """(language, probability) for the prose of ``text``, best first; [] when too short to judge."""
        p = prose(text)
        if len(p) < self.config.min_chars:
            return []
        return self._identifier().rank(p)

    def judge(self, text: str) -> str | None:
        """None if ``text`` passes, else the reason without the ``language: `` prefix."""
        ranked = self.detect(text)
        if not ranked:
            return None
        langs = self.config.langs
        prob = dict(ranked)
        best = max((prob.get(lang, 0.0) + sum(prob.get(m, 0.0) for m in MEMBERS.get(lang, ()) if m not in langs)
                    for lang in langs), default=0.0)
        if best >= self.config.min_confidence:
            return None
        top, p = ranked[0]
        if top in langs:
            return f"{top} ({p:.2f}) < min_confidence {self.config.min_confidence:g}"
        return f"{top} ({p:.2f}) not in [{', '.join(langs)}]"

    def _texts(self, r: dict) -> list[tuple[str, str]]:
        out = []
        if self.config.on in ("completion", "both"):
            out += [(col, self._completion(r) if col == "completion" else r[col]) for col in ("completion", "reasoning") if r.get(col)]
        if self.config.on in ("prompt", "both") and r.get("messages"):
            user = [content_text(m.get("content")) for m in json.loads(r["messages"]) if m.get("role") == "user"]
            user = [u for u in user if u]
            if user:
                out.append(("prompt", "\n".join(user)))
        return out

    @staticmethod
    def _completion(r: dict) -> str:
        """The completion; of a tool trace (JSON turns) the assistant's words only: calls and tool results are not prose."""
        turns = trace_turns(r)
        if turns is None:
            return r["completion"]
        return "\n".join(content_text(t.get("content")) for t in turns if t.get("role") == "assistant")

    def filter(self, row: dict) -> tuple[bool, str | None]:
        for col, text in self._texts(row):
            why = self.judge(text)
            if why:
                return False, why + ("" if col == "completion" else f" ({col})")
        return True, None

    def close(self) -> None:
        self._ident = None
