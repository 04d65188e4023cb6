"""Format filter: reject completions that do not parse as the recipe says they should.

Checks (``checks`` lists the ones to run, in order; the first failure is the reason):

* ``json``          the first fenced ```` ```json ```` block, or the whole completion when there is
                    none, parses with :func:`json.loads`; with ``json_keys`` it must be an object
                    holding those keys
* ``python``        every fenced ```` ```python ```` / ```` ```py ```` block compiles with
                    :func:`ast.parse`; a completion with no code fence at all is parsed whole.
                    Unlabelled fences and fences of other languages are not checked
* ``markdown``      every code fence is closed (CommonMark: a closing fence uses the opening
                    character, at least as many of them, and no info string)
* ``regex``         ``re.search(pattern, completion)`` finds a match
* ``no_truncation`` the engine did not stop at its token limit (``finish_reason: length``), no
                    ``<think>`` is left open, and the completion does not end inside a code fence

Positions in reasons are 1-based lines and columns of the completion (a fenced block's offset
included), so ``format: json: Expecting ',' delimiter at line 3 col 14`` points into the row's text.

    >>> from curation.filters.format import FormatConfig, FormatFilter
    >>> from ground.record import new_sample
    >>> rows = [new_sample(stage="gen", prompt_id="p", sample_index=0, messages=[], completion='{"a": 1 "b": 2}')]
    >>> FormatFilter(FormatConfig(checks=["json"]))(rows)[0]["reject_reason"]
    "format: json: Expecting ',' delimiter at line 1 col 9"
"""

from __future__ import annotations

import ast
import json
import re
from typing import Literal, NamedTuple

from pydantic import Field, field_validator, model_validator

from curation.filters.base import RowFilter
from ground.config import Config

CHECKS = ("json", "python", "markdown", "regex", "no_truncation")
PYTHON_LANGS = ("python", "py", "python3", "py3")

_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


class Fence(NamedTuple):
    lang: str  # first word of the info string, lower case ("" if none)
    text: str  # the block's content
    open_line: int  # 1-based line of the opening fence
    first_line: int  # 1-based line where the content starts
    last_line: int  # 1-based line of the closing fence (the text's last line if unclosed)
    closed: bool


def code_fences(text: str) -> list[Fence]:
    """Fenced code blocks, CommonMark-style: an unclosed fence runs to the end of the text."""
    out: list[Fence] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m or (m.group(1)[0] == "`" and "`" in m.group(2)):
            i += 1
            continue
        marker, info = m.group(1), m.group(2).strip()
        close = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        closed = j < len(lines)
        out.append(Fence(info.split()[0].lower() if info else "", "\n".join(lines[i + 1:j]), i + 1, i + 2,
                         j + 1 if closed else len(lines), closed))
        i = j + 1
    return out


def _line_col(text: str, pos: int) -> tuple[int, int]:
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1


def check_json(completion: str, keys: list[str] | tuple[str, ...] = ()) -> str | None:
    """None if the JSON parses (and holds ``keys``), else the error with its position in ``completion``."""
    block = next((f for f in code_fences(completion) if f.lang == "json"), None)
    text, offset = (block.text, block.first_line - 1) if block else (completion, 0)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        return f"{e.msg} at line {e.lineno + offset} col {e.colno}"
    if keys:
        if not isinstance(value, dict):
            return f"expected an object with keys {list(keys)}, got {type(value).__name__}"
        missing = [k for k in keys if k not in value]
        if missing:
            return f"missing key(s) {missing}"
    return None


def check_python(completion: str) -> str | None:
    """None if every python block (or the whole completion when it has no fence) compiles."""
    fences = code_fences(completion)
    blocks = [(f.text, f.first_line - 1) for f in fences if f.lang in PYTHON_LANGS] if fences else [(completion, 0)]
    for code, offset in blocks:
        try:
            ast.parse(code)
        except SyntaxError as e:
            where = f" at line {(e.lineno or 1) + offset} col {e.offset}" if e.lineno else ""
            return f"{e.msg}{where}"
        except (ValueError, RecursionError) as e:  # null bytes; nesting too deep for the parser
            return f"{e} (block at line {offset + 1})" if offset else str(e)
    return None


def check_markdown(completion: str) -> str | None:
    bad = next((f for f in code_fences(completion) if not f.closed), None)
    return f"unclosed code fence opened at line {bad.open_line}" if bad else None


def check_truncation(completion: str, finish_reason: str | None) -> str | None:
    if finish_reason == "length":
        return "finish_reason length (stopped at max_tokens)"
    opened = completion.rfind("<think>")
    if opened >= 0 and completion.find("</think>", opened) < 0:
        line, col = _line_col(completion, opened)
        return f"unclosed <think> at line {line} col {col}"
    fences = code_fences(completion)
    if fences and not fences[-1].closed:
        return f"ends inside a code fence opened at line {fences[-1].open_line}"
    return None


class FormatConfig(Config):
    checks: list[Literal["json", "python", "markdown", "regex", "no_truncation"]] = Field(
        default_factory=list, validate_default=True,
        description=f"checks to run, in order: a non-empty subset of {list(CHECKS)}")
    json_keys: list[str] = Field(default_factory=list, description="json: top-level keys the object must have")
    pattern: str | None = Field(None, description="regex: a Python regular expression the completion must contain "
                                                  "(re.search)")

    @field_validator("checks", mode="before")
    @classmethod
    def _checks(cls, v):
        if not isinstance(v, list) or not v or any(c not in CHECKS for c in v):
            raise ValueError(f"FormatConfig.checks must be a non-empty list from {list(CHECKS)}, got {v!r}")
        if len(set(v)) != len(v):
            raise ValueError(f"FormatConfig.checks lists a check twice: {v!r}")
        return v

    @field_validator("json_keys", mode="before")
    @classmethod
    def _json_keys(cls, v):
        if not isinstance(v, list) or not all(isinstance(k, str) for k in v):
            raise ValueError(f"FormatConfig.json_keys must be a list of strings, got {v!r}")
        return v

    @model_validator(mode="after")
    def _pattern(self) -> "FormatConfig":
        if self.json_keys and "json" not in self.checks:
            raise ValueError("FormatConfig.json_keys is only used with the json check")
        if ("regex" in self.checks) != (self.pattern is not None):
            raise ValueError("FormatConfig.pattern is required with the regex check, and only used with it")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as e:
                raise ValueError(f"FormatConfig.pattern is not a valid regex: {e}") from None
        return self


class FormatFilter(RowFilter):
    """Rejects rows whose completion fails a format check; ``counts`` totals rejects per check."""

    name = "format"
    Config = FormatConfig
    description = "json / python / markdown / regex / no_truncation checks of the completion"
    requires = ("completion",)

    def __init__(self, config: FormatConfig | None = None, name: str | None = None):
        super().__init__(config, name)
        self._re = re.compile(self.config.pattern) if self.config.pattern is not None else None

    def check(self, completion: str, finish_reason: str | None = None) -> str | None:
        """The first failing check as ``'<check>: <error>'``, or None."""
        for c in self.config.checks:
            if c == "json":
                err = check_json(completion, self.config.json_keys)
            elif c == "python":
                err = check_python(completion)
            elif c == "markdown":
                err = check_markdown(completion)
            elif c == "regex":
                assert self._re is not None
                shown = self.config.pattern if len(self.config.pattern) <= 60 else self.config.pattern[:57] + "..."
                err = None if self._re.search(completion) else f"no match for {shown!r}"
            else:
                err = check_truncation(completion, finish_reason)
            if err:
                return f"{c}: {err}"
        return None

    def filter(self, row: dict) -> tuple[bool, str | None]:
        err = self.check(row.get("completion") or "", row.get("finish_reason"))
        return err is None, err

    def count_key(self, reason: str) -> str:
        return reason.split(":", 1)[0]
