"""PII and secret filter: redact (placeholders, counted) or drop (reject with the kinds found).

Detected kinds, checked in this order (a span taken by an earlier kind is not seen by a later one):

* ``secret``      AWS key ids (``AKIA...``), OpenAI/Anthropic keys (``sk-...``, mixed case and digits), GitHub
                  tokens (``ghp_...``, ``github_pat_...``), Slack tokens and webhooks, Stripe (``sk_live_...``) and
                  Google (``AIza...``) keys, Hugging Face (``hf_...``), GitLab (``glpat-...``) and npm (``npm_...``)
                  tokens, JWTs, PEM/PGP private-key blocks, the password of a URL's
                  ``user:password@``, and a high-entropy value after ``api_key=`` / ``token:`` / ``password=``, also as the
                  end of a longer name (``AWS_SECRET_ACCESS_KEY=``, ``db_password:``; only the value is replaced:
                  ``api_key=<SECRET>``). A value that reads as code is not one: a call, an attribute path
                  (``settings.SECRET_KEY``), a CamelCase or snake_case name (``token=TokenElement(...)``)
* ``email``       ``name@domain.tld``
* ``iban``        country code + check digits, mod-97 checked (ISO 13616), spaces allowed
* ``credit_card`` a card network's number range with a length it issues (Visa 13/16/19, Mastercard 16, Amex 15,
                  ...), Luhn checked, contiguous or in groups of 3+ digits split by spaces/hyphens; not the
                  digits of a decimal number (``0.541324854612918``) or inside a word or hex blob
* ``phone``       ``+`` international numbers (8-15 digits) and separated NANP ``(415) 555-2671``

It does *not* catch names, postal addresses, bare digit-run phone numbers (``4155552671`` is
indistinguishable from a quantity in a math trace), or secrets without a known prefix or key name.

``on`` picks the scanned columns: ``prompt`` = every string in ``messages`` (contents, content parts,
tool-call arguments), ``completion`` = ``completion`` and ``reasoning``, ``both`` = all of them. With
``prompt`` or ``both`` the row's ``source`` record and ``reference`` are redacted too (they hold the
prompt's data and reach every output), without counting towards drop. Matched values are never logged or put
in a reason: reasons and counts name kinds only. In ``drop`` mode the rejected row is redacted as
well, since rejects are written to disk. A row whose answer (completion or reasoning) was redacted loses its stored
``teacher_topk`` (their tokens spell the span out and no longer line up with the answer); ``teacher_topk_meta``
says ``"removed": "pii"`` and soft-label KD leaves the row out.

    >>> from curation.filters.pii import redact
    >>> redact("mail bob@example.com, key AKIAIOSFODNN7EXAMPLE")
    ('mail <EMAIL>, key <SECRET>', {'secret': 1, 'email': 1})
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Callable, Literal

from pydantic import ConfigDict, Field, field_validator

from curation.dedup import required_columns
from curation.filters.base import RowFilter
from ground.config import Config
from ground.record import ACCEPTED, reject

KINDS = ("secret", "email", "iban", "credit_card", "phone")
PLACEHOLDER = {k: f"<{k.upper()}>" for k in KINDS}

# IBAN lengths per country (SWIFT IBAN registry); other countries: any length 15..34.
IBAN_LEN = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25,
    "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26, "AE": 23, "SA": 24, "IL": 23, "BR": 29,
}


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    if not (15 <= len(iban) <= 34) or not iban[:2].isalpha() or not iban[2:4].isdigit():
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def shannon_bits(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values()) if n else 0.0


#: card networks' number ranges and the lengths they issue (ISO/IEC 7812 IINs): Visa 13/16/19, Mastercard 16, Amex 15,
#: Diners 14-19, JCB/Discover/UnionPay 16-19. A 14-digit number starting with 4 is no card: math results (2**45 =
#: 35184372088832) that pass Luhn by chance are not redacted
_CARD_RANGES = (
    (re.compile(r"4"), (13, 16, 19)),
    (re.compile(r"5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720"), (16,)),
    (re.compile(r"3[47]"), (15,)),
    (re.compile(r"3(?:0[0-5]|095|[689])"), tuple(range(14, 20))),
    (re.compile(r"35(?:2[89]|[3-8]\d)|6011|64[4-9]|65|62"), tuple(range(16, 20))),
)


def card_shape_ok(digits: str) -> bool:
    """A number a card network issues: a known range with one of its lengths (Luhn is checked apart)."""
    return any(rx.match(digits) and len(digits) in lengths for rx, lengths in _CARD_RANGES)


_SECRET_PATTERNS = [
    re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"),
    re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_]{20,}"),
    re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"),  # Stripe secret / restricted keys
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),  # Google API keys
    # Hugging Face, GitLab and npm tokens (fixed prefixes; a Hugging Face token's body is 34 letters)
    re.compile(r"\b(?:hf_[A-Za-z]{34}|glpat-[A-Za-z0-9_-]{20}|npm_[A-Za-z0-9]{36})(?![A-Za-z0-9_-])"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),  # JWTs (header.payload.signature)
]
#: OpenAI/Anthropic keys; the body must mix digits, upper and lower case (a slug like sk-learn-is-great does not)
_SK = re.compile(r"\bsk-(?:proj-|ant-(?:api\d\d-)?)?[A-Za-z0-9_\-]{20,}")
#: the password of a URL's user:password@ (only the password is replaced)
_URL_CREDENTIAL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]+:(?P<v>[^\s/@]+)@")
#: a key name may be the end of a longer one (AWS_SECRET_ACCESS_KEY, db_password, slack_bot_token)
_KEYED_SECRET = re.compile(
    r"(?i)(?:\b|(?<=_))(?:api[_-]?key|apikey|secret(?:[_-]?key)?|access[_-]?key(?:[_-]?id)?|auth[_-]?token|access[_-]?token|"
    r"token|password|passwd|pwd|client[_-]?secret|private[_-]?key)[\"']?\s*[:=]\s*[\"']?(?P<v>[A-Za-z0-9_\-+/=.~]{12,})(?P<call>\(?)"
)
#: values that are code, not a key: an attribute path (settings.SECRET_KEY, hashlib.sha256), a CamelCase or
#: Title-Case name (TokenElement, X-Xet-Access-Token), a snake_case name (entity_mask2_token)
_CODE_VALUE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|(?:[A-Z][a-z]*)+(?:[-_](?:[A-Z][a-z]*)+)*|[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
#: the local part and domain may be non-ASCII (RFC 6531: jörg@müller.de, иван@пример.рф); the TLD is letters; the
#: local part may hold an apostrophe (mary.o'connor@...) but starts with a letter or digit ('bob@x.io' in code)
_EMAIL = re.compile(r"(?<![\w.+-])\w[\w.%+'-]*@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,24}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,32}\b")
#: not inside a word or hex blob, nor the integer or fraction part of a decimal number (0.541324854612918)
_CARD = re.compile(r"(?<![\w-])(?<!\d[., ])\d(?:[ -]?\d){12,18}(?![\w-])(?![.,]\d)")
_PHONE = re.compile(
    r"(?<![\w+])\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}(?!\w)"
    r"|(?<![\w(])(?:\(\d{3}\) ?|\d{3}[.-])\d{3}[.-]\d{4}(?![\w-])"
)


#: substrings without which no _SECRET_PATTERNS / _KEYED_SECRET match can exist: a C-speed screen before the regexes
_SECRET_MARKS = ("-----BEGIN", "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
                 "github_pat_", "xox", "hooks.slack", "k_live_", "k_test_", "AIza", "eyJ", "hf_", "glpat-", "npm_")
_KEY_WORDS = ("key", "secret", "token", "passw", "pwd")


def _mixed(v: str) -> int:
    return sum((any(c.islower() for c in v), any(c.isupper() for c in v), any(c.isdigit() for c in v)))


def _spans_secret(text: str, min_entropy: float) -> list[tuple[int, int]]:
    spans = [m.span() for p in _SECRET_PATTERNS for m in p.finditer(text)] if any(k in text for k in _SECRET_MARKS) else []
    if "sk-" in text:
        spans += [m.span() for m in _SK.finditer(text) if _mixed(m.group().split("-", 1)[1]) == 3]
    if "://" in text and "@" in text:
        spans += [m.span("v") for m in _URL_CREDENTIAL.finditer(text)]
    if ("=" not in text and ":" not in text) or not any(k in text.lower() for k in _KEY_WORDS):
        return spans
    for m in _KEYED_SECRET.finditer(text):
        v = m.group("v")
        if m.group("call") or _CODE_VALUE.fullmatch(v):  # a call, an attribute, a class name: code, not a value
            continue
        # entropy + mixed character classes: a random key, not a word like "password=placeholder_text"
        if shannon_bits(v) >= min_entropy and _mixed(v) >= 2:
            spans.append(m.span("v"))
    return spans


def _spans_iban(text: str) -> list[tuple[int, int]]:
    out = []
    for m in _IBAN.finditer(text):
        raw = m.group()
        compact_pos = [i for i, c in enumerate(raw) if c != " "]
        lengths = [IBAN_LEN[raw[:2]]] if raw[:2] in IBAN_LEN else range(len(compact_pos), 14, -1)
        for n in lengths:
            if n > len(compact_pos):
                continue
            cand = "".join(raw[i] for i in compact_pos[:n])
            # the regex may run into a following upper-case word: accept the valid prefix
            if iban_ok(cand):
                out.append((m.start(), m.start() + compact_pos[n - 1] + 1))
                break
    return out


def _spans_card(text: str) -> list[tuple[int, int]]:
    out = []
    for m in _CARD.finditer(text):
        groups = re.split(r"[ -]", m.group())
        d = "".join(groups)
        # printed cards are grouped 4-4-4-4, 4-6-5, ...: digits one or two apart are a list ([4 1 1 ... 1], a
        # numpy array in a tool trace), not a card
        if len(groups) > 1 and min(len(g) for g in groups) < 3:
            continue
        if card_shape_ok(d) and len(set(d)) > 1 and luhn_ok(d):
            out.append(m.span())
    return out


def _spans_phone(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _PHONE.finditer(text) if 8 <= sum(c.isdigit() for c in m.group()) <= 15]


def _detectors(min_entropy: float) -> dict[str, Callable[[str], list[tuple[int, int]]]]:
    return {
        "secret": lambda t: _spans_secret(t, min_entropy),
        "email": lambda t: [m.span() for m in _EMAIL.finditer(t)] if "@" in t else [],
        "iban": _spans_iban,
        "credit_card": _spans_card,
        "phone": _spans_phone,
    }


def redact(text: str, kinds: tuple[str, ...] | list[str] = KINDS, min_entropy: float = 3.0) -> tuple[str, dict[str, int]]:
    """Replace every detected span with its placeholder; returns (text, counts per kind)."""
    counts: Counter = Counter()
    det = _detectors(min_entropy)
    for kind in KINDS:
        if kind not in kinds or not text:
            continue
        spans = sorted(set(det[kind](text)))
        merged: list[list[int]] = []
        for a, b in spans:  # overlapping matches of one kind become one placeholder
            if merged and a < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        for a, b in reversed(merged):
            text = text[:a] + PLACEHOLDER[kind] + text[b:]
        counts[kind] += len(merged)
    return text, dict(+counts)


class PIIConfig(Config):
    model_config = ConfigDict(populate_by_name=True)

    mode: Literal["redact", "drop"] = Field("redact", description="'redact': replace with placeholders like "
                                                                  "<EMAIL>; 'drop': reject the row")
    kinds: list[str] = Field(default_factory=lambda: list(KINDS), description=f"kinds to detect, a subset of {list(KINDS)}")
    on: Literal["prompt", "completion", "both"] = Field(
        "both", alias="compare", description="'prompt' (all message contents), 'completion' (completion + "
                                             "reasoning), or 'both' (recipes say `compare:`: YAML reads `on:` as true)")
    min_entropy: float = Field(3.0, ge=0, le=8, description="bits/char a value after key=/token: needs to count as a secret")

    @field_validator("mode", mode="before")
    @classmethod
    def _mode(cls, v):
        if v not in ("redact", "drop"):
            raise ValueError(f"PIIConfig.mode must be 'redact' or 'drop', got {v!r}")
        return v

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, v: list[str]) -> list[str]:
        if not v or any(k not in KINDS for k in v):
            raise ValueError(f"PIIConfig.kinds must be a non-empty subset of {list(KINDS)}, got {v!r}")
        return v


class PIIFilter(RowFilter):
    """Redacts or drops rows containing PII/secrets; ``counts`` totals redactions per kind."""

    name = "pii"
    Config = PIIConfig
    description = "PII and secret redaction (or drop); runs before dedup"
    produces = ("messages", "completion", "reasoning", "source", "reference", "status", "reject_stage", "reject_reason")

    def __init__(self, config: PIIConfig | None = None, name: str | None = None):
        super().__init__(config, name)
        self.rows_hit = 0

    def required_columns(self) -> tuple[str, ...]:
        return required_columns(self.config.on)

    def _scan(self, text: str | None, found: Counter) -> str | None:
        if not text:
            return text
        out, c = redact(text, self.config.kinds, self.config.min_entropy)
        found.update(c)
        return out

    def __call__(self, rows: list[dict]) -> list[dict]:
        """Rows rejected by an earlier stage (verifiers, generation errors) are written to rejects/ too: they are
        redacted as well, keeping their status and not counting."""
        for r in rows:
            if r.get("status") != ACCEPTED:
                r.update(self._redact_row(r)[1])
        return super().__call__(rows)

    def _scan_json(self, text: str, found: Counter) -> str:
        """Every string inside a JSON column (message contents and parts, tool-call arguments and other JSON held in
        a string, a source record's fields, a trace's turns), re-serialised only when something was redacted; text
        that is not a JSON list or object is scanned as text. (Scanning the raw JSON broke it: an address after a
        ``\\n`` escape became ``\\<EMAIL>``, and escaped non-ASCII text was not seen.)"""
        try:
            obj = json.loads(text) if text.lstrip()[:1] in ("[", "{") else None
        except (ValueError, RecursionError):
            obj = None
        if not isinstance(obj, (list, dict)):
            return self._scan(text, found) or text
        before = sum(found.values())

        def walk(v):
            if isinstance(v, str):
                return self._scan_json(v, found)
            if isinstance(v, list):
                return [walk(x) for x in v]
            if isinstance(v, dict):
                return {k: walk(x) for k, x in v.items()}
            return v

        out = walk(obj)
        return text if sum(found.values()) == before else json.dumps(out, ensure_ascii=False)

    def filter(self, row: dict) -> tuple[bool, str | None]:
        found, new = self._redact_row(row)
        if not found:
            return True, None
        self.rows_hit += 1
        # counts are per redacted span, in both modes (not per dropped row)
        self.counts.update(found)
        # a dropped row is stored in rejects/: it is redacted too, so the PII never reaches an output
        row.update(new)
        if self.config.mode == "redact":
            return True, None
        return False, ", ".join(f"{k} x{found[k]}" for k in KINDS if found[k])

    def _redact_row(self, row: dict) -> tuple[Counter, dict]:
        """(what was found, the redacted messages/completion/reasoning to put on the row); the source record and
        the reference are redacted in place."""
        found: Counter = Counter()
        new: dict = {}
        if self.config.on in ("prompt", "both") and row.get("messages"):
            new["messages"] = self._scan_json(row["messages"], found)
        if self.config.on in ("completion", "both"):
            for col in ("completion", "reasoning"):
                if row.get(col):  # a trace's completion is JSON (ground/conversation.py)
                    new[col] = self._scan_json(row[col], found)
            if row.get("teacher_topk") and any(new.get(c) != row.get(c) for c in ("completion", "reasoning") if c in new):
                new.update(drop_topk(row))
        if self.config.on in ("prompt", "both"):
            # the source record and the reference are the prompt's data too, and reach accepted/, rejects/ and
            # exports: redacted in both modes, without counting towards the verdict (a record's other fields,
            # such as a contact column, must not drop every row)
            side: Counter = Counter()
            for col in ("source", "reference"):
                if row.get(col):
                    row[col] = self._scan_json(row[col], side)
        return found, new

    def reject(self, row: dict, reason: str) -> None:
        reject(row, self.name, f"pii: {reason}")  # counted per kind in filter(), not per reason


def drop_topk(row: dict) -> dict:
    """A redacted answer's stored top-k go: they hold the redacted span's tokens (token strings for API teachers,
    decodable ids otherwise) and no longer line up with the answer. ``teacher_topk_meta`` keeps its provenance
    and says why (``"removed": "pii"``), so soft-label KD leaves the row out instead of failing on it."""
    try:
        meta = json.loads(row.get("teacher_topk_meta") or "{}")
    except ValueError:
        meta = {}
    meta = meta if isinstance(meta, dict) else {}
    return {"teacher_topk": None, "teacher_topk_meta": json.dumps({**meta, "removed": "pii"})}

