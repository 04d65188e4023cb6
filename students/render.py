"""Render a conversation with the student's own chat template and mark the tokens that are trained.

    >>> from transformers import AutoTokenizer
    >>> from students.render import encode_conversation
    >>> tok = AutoTokenizer.from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct")
    >>> ex = encode_conversation(tok, [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}])
    >>> tok.decode([t for t, m in zip(ex[0]["input_ids"], ex[0]["assistant_masks"]) if m])
    '4<|im_end|>\\n'

The text is ``tok.apply_chat_template(messages, tools=...)``, so tool calls, tool results and reasoning
look exactly as the template puts them. An assistant turn ``i`` spans the characters between the render
of ``messages[:i]`` with the generation prompt and the render of ``messages[:i+1]``; the text is tokenised
with a token boundary at each span's edges (:func:`tokenize_at`), and the tokens of a span are trained
(``assistant_masks`` = 1), everything else (system, user, tool results,
template markup before the turn) is context. Templates that drop reasoning from earlier turns (Qwen3,
DeepSeek-R1 style) are not prefix-stable: the full render differs from the render that ends at an
earlier turn. Such a conversation becomes one example per assistant turn, each training only its last
turn, with the history exactly as the template shows it at inference.

Reasoning (``reasoning_content`` or a leading ``<think>`` span) follows ``mode``: ``keep``, ``drop``,
or ``budget`` (cut to ``budget`` tokens of the student tokenizer). A template that renders
``reasoning_content`` gets it there; any other template gets it inline as ``<think>...</think>``.
"""

from __future__ import annotations

import json
from typing import Any

from ground.conversation import apply_template
from ground.errors import FactoryError
from teachers.reasoning import join_reasoning, split_reasoning

REASONING_MODES = ("keep", "drop", "budget")
_PROBE_THINK = "probe-reasoning-7c1e"
_PROBE_TOOL, _PROBE_ARG, _PROBE_VAL, _PROBE_RESULT = "probe_lookup_q7", "probe_key", "probe-value-v9", "probe-result-r3"


def render(tok: Any, messages: list[dict], tools: list[dict] | None = None, generation: bool = False) -> str:
    """The template's text; a template without a system role (Gemma) gets the system prompt in the first user turn."""
    return apply_template(tok, messages, tools=tools or None, tokenize=False, add_generation_prompt=generation)


def _render_or_fail(tok: Any, messages: list[dict], tools: list[dict] | None, generation: bool = False) -> str:
    try:
        return render(tok, messages, tools, generation)
    except Exception as e:  # noqa: BLE001 - jinja's raise_exception and missing keys alike: one clear line
        roles = ",".join(m.get("role", "?") for m in messages)
        raise FactoryError(f"chat template refused a conversation ({roles}): {type(e).__name__}: {str(e)[:160]}") from None


def _text_content(i: int, content: Any) -> Any:
    """OpenAI content parts -> their text joined, as the student is served (factory/serve_request.py); a part that is
    not text (an image) cannot be shown to a text student: one line."""
    from ground.conversation import non_text_part, parts_text

    if not isinstance(content, list):
        return content
    if (kind := non_text_part(content)) is not None:
        raise FactoryError(f"train: messages[{i}].content has a {kind!r} part; only text parts can be trained")
    return parts_text(content)


def for_template(messages: list[dict]) -> list[dict]:
    """OpenAI ``arguments`` (a JSON string) -> the dict Hugging Face templates expect (they ``tojson`` it); content
    parts -> their text; an assistant turn without calls, or a user, system or tool turn, whose ``content`` is null
    gets "" (templates concatenate it)."""
    out = []
    for i, m in enumerate(messages):
        m = dict(m)
        if "content" in m:
            m["content"] = _text_content(i, m["content"])
        if m.get("content") is None and m.get("role") in ("user", "system", "tool") and not m.get("tools"):
            m["content"] = ""
        if m.get("tool_calls"):
            calls = []
            for c in m["tool_calls"]:
                fn = dict(c.get("function") or {})
                if isinstance(fn.get("arguments"), str):
                    try:
                        fn["arguments"] = json.loads(fn["arguments"])
                    except json.JSONDecodeError:
                        pass  # an unparsable call is rendered as the teacher wrote it
                calls.append({**c, "function": fn})
            m["tool_calls"] = calls
        elif m.get("role") == "assistant" and m.get("content") is None:
            m["content"] = ""  # a turn with neither text nor calls (a reasoning-only reply): as a plain row's empty answer
        out.append(m)
    return out


def renders_reasoning_content(tok: Any) -> bool:
    msgs = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", "reasoning_content": _PROBE_THINK}]
    try:
        return _PROBE_THINK in render(tok, msgs)
    except Exception:  # noqa: BLE001 - a template that fails on the key does not support it
        return False


def tool_template_problem(tok: Any) -> str | None:
    """None when the template shows the tool catalogue, each call's name and arguments, and tool results."""
    spec = {"type": "function", "function": {"name": _PROBE_TOOL, "description": "probe",
                                             "parameters": {"type": "object", "properties": {_PROBE_ARG: {"type": "string"}}}}}
    msgs = [{"role": "user", "content": "q"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "p1", "type": "function", "function": {"name": _PROBE_TOOL, "arguments": {_PROBE_ARG: _PROBE_VAL}}}]},
            {"role": "tool", "tool_call_id": "p1", "content": _PROBE_RESULT},
            {"role": "assistant", "content": "done"}]  # fmt: skip
    try:
        catalogue = render(tok, msgs[:1], [spec])
        calls = render(tok, msgs)  # without the catalogue: the name must come from the call itself
    except Exception as e:  # noqa: BLE001 - any failure means the template cannot carry tool calls
        return f"it fails on a tool call ({type(e).__name__}: {str(e)[:80]})"
    missing = [what for what, probe, text in (("the tool catalogue (tools=)", _PROBE_TOOL, catalogue),
                                              ("the call's name", _PROBE_TOOL, calls),
                                              ("the call's arguments", _PROBE_VAL, calls),
                                              ("the tool result", _PROBE_RESULT, calls)) if probe not in text]
    return f"its render lacks {', '.join(missing)}" if missing else None


def apply_reasoning(tok: Any, messages: list[dict], mode: str = "keep", budget: int | None = None,
                    native: bool | None = None) -> list[dict]:
    """Assistant turns with reasoning kept, dropped or cut to ``budget`` tokens, placed where the template reads it."""
    if mode not in REASONING_MODES:
        raise FactoryError(f"train.reasoning: {mode!r} is not one of {', '.join(REASONING_MODES)}")
    if mode == "budget" and (budget is None or budget < 0):
        raise FactoryError("train.reasoning_budget: a token count >= 0 is needed with reasoning: budget")
    native = renders_reasoning_content(tok) if native is None else native
    out = []
    for m in messages:
        m = dict(m)
        if m.get("role") == "assistant":
            thought, content = split_reasoning(m.get("content") or "", m.pop("reasoning_content", None))
            if mode == "drop":
                thought = None
            elif mode == "budget" and thought:
                thought = _cut(tok, thought, budget)
            if m.get("content") is not None or thought:
                m["content"] = content
            if thought and native:
                m["reasoning_content"] = thought
            elif thought:
                m["content"] = join_reasoning(thought, content)
        out.append(m)
    return out


def _cut(tok: Any, text: str, budget: int) -> str:
    """``text`` cut to ``budget`` student tokens, never inside a character: byte-level BPE splits an emoji or a CJK
    character over several tokens, and a cut between them decodes to U+FFFD, which the student would learn."""
    ids = tok.encode(text, add_special_tokens=False)
    if len(ids) <= budget:
        return text
    k = budget
    while k > 0 and budget - k < 4 and tok.decode(ids[:k]).endswith("\ufffd"):  # a UTF-8 character is <= 4 bytes
        k -= 1
    return tok.decode(ids[:k]).strip()


def assistant_spans(tok: Any, messages: list[dict], tools: list[dict] | None = None,
                    start: int = 0) -> list[tuple[str, list[tuple[int, int]]]]:
    """[(text, [(start, end) of each trained assistant turn])]: one item, or one per turn (see module doc).
    Assistant turns before message ``start`` (history given in the prompt) are context, not trained."""
    full = _render_or_fail(tok, messages, tools)
    turns = []
    for i, m in enumerate(messages):
        if m.get("role") != "assistant" or i < start:
            continue
        before = _render_or_fail(tok, messages[:i], tools, generation=True)
        upto = _render_or_fail(tok, messages[:i + 1], tools)
        if not upto.startswith(before):
            raise FactoryError(f"chat template: the render of assistant turn {i} does not extend the generation prompt "
                               f"before it, so its tokens cannot be located; use a template that appends turns")
        turns.append((upto, (len(before), len(upto))))
    if all(full.startswith(upto) for upto, _ in turns):
        return [(full, [span for _, span in turns])]
    return [(upto, [span]) for upto, span in turns]


def encode_conversation(tok: Any, messages: list[dict], tools: list[dict] | None = None, mode: str = "keep",
                        budget: int | None = None, native: bool | None = None, start: int = 0, split: bool = True) -> list[dict]:
    """Training examples ``{"input_ids", "assistant_masks"}`` for one conversation (TRL builds labels from the
    mask); only assistant turns from message ``start`` on (the teacher's, after the prompt) are trained. ``split``
    False: the text tokenised whole, as TRL's DPO tokenises it (no cut at the turns' edges, see :func:`tokenize_at`)."""
    msgs = apply_reasoning(tok, for_template(messages), mode, budget, native)
    out = []
    for text, spans in assistant_spans(tok, msgs, tools, start):
        ids, offsets = tokenize_at(tok, text, [b for span in spans for b in span] if split else [])
        mask = [int(any(s <= a < e for s, e in spans)) for a, _ in offsets]
        out.append({"input_ids": ids, "assistant_masks": mask})
    return out


def tokenize_at(tok: Any, text: str, bounds: list[int]) -> tuple[list[int], list[tuple[int, int]]]:
    """(ids, character offsets) of ``text`` with a token boundary at each of ``bounds``. Tokenised whole, a token can
    straddle the start or end of an assistant turn ("[/INST]" + "(ok)" gives "](": the answer's "(" is then not
    trained; "\\n" + "\\n\\nHi" gives "\\n\\n": its first newline is not; a non-special "<|eot_id|>" + "<|start..."
    gives "><": markup is). At inference the prompt is tokenised on its own and the reply is generated after its last
    token, so the text is cut there and each side tokenised apart. A tokenizer whose pieces do not join back to the
    same text (SentencePiece's added prefix space) keeps the whole tokenisation."""
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]]
    cuts = sorted({b for b in bounds if 0 < b < len(text) and any(a < b < z for a, z in offsets)})
    if not cuts:
        return ids, offsets
    split_ids, split_offsets = [], []
    for a, b in zip([0, *cuts], [*cuts, len(text)]):
        piece = tok(text[a:b], add_special_tokens=False, return_offsets_mapping=True)
        split_ids += piece["input_ids"]
        split_offsets += [(a + s, a + e) for s, e in piece["offset_mapping"]]
    same = tok.decode(split_ids, clean_up_tokenization_spaces=False) == tok.decode(ids, clean_up_tokenization_spaces=False)
    return (split_ids, split_offsets) if same else (ids, offsets)
