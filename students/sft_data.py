"""SFT examples as a Ray Data map: rows -> chat-template token ids with assistant-only masks, on Ray workers.

    >>> from students.sft_data import sft_datasets
    >>> ds, counts = sft_datasets(cfg, train_rows_ds, val_rows_ds, recipe.path, drop_system=False)
    >>> ds["train"]          # materialised {"input_ids", "assistant_masks"} in the object store

Per row the map does what the driver did before: :func:`students.data.sft_examples`, drop the system
prompt (``train.drop_system_prompt``), drop an example whose prompt alone fills ``train.max_seq_len``
(:func:`students.prompt_length.drop_overlong`'s rule) or whose answer is empty (:func:`students.data.empty_answer`), render with the student's (or the recipe's) chat template
and mask all but assistant tokens (:func:`students.data.encode_one`). Every input row leaves at least one
output row (``conv`` = 1 on the first), and a dropped one says why in ``drop``, so :func:`tally` counts
rows, drops, tool use and the longest prompt without bringing a row to the driver.
"""

from __future__ import annotations

import functools
import logging

import pyarrow as pa

from ground.errors import FactoryError

log = logging.getLogger(__name__)

EXAMPLE = pa.schema([("input_ids", pa.list_(pa.int64())), ("assistant_masks", pa.list_(pa.int64())),
                     ("prompt_tokens", pa.int64()), ("tools", pa.int64()), ("conv", pa.int64()), ("drop", pa.string())])


@functools.lru_cache(maxsize=4)
def _tokenizer(student: str, template: str | None):
    """The tokenizer the training worker loads (students.train.load_student), with the recipe's template."""
    from transformers import AutoTokenizer

    from ground.models import resolve_model

    tok = AutoTokenizer.from_pretrained(resolve_model(student))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if template:
        tok.chat_template = template
    return tok


def _one(r: dict, student: str, template: str | None, max_len: int, mode: str, budget: int | None, drop_system: bool) -> list[dict]:
    from ground.conversation import without_system
    from students.data import empty_answer, encode_one, sft_examples, uses_tools
    from students.prompt_length import prompt_tokens

    ex = sft_examples([r])
    if not ex:
        return [dict(input_ids=[], assistant_masks=[], prompt_tokens=0, tools=0, conv=1, drop="skipped")]
    e = ex[0]
    if empty_answer(e["completion"], mode):
        return [dict(input_ids=[], assistant_masks=[], prompt_tokens=0, tools=0, conv=1, drop="empty")]
    if drop_system:
        e = {**e, "prompt": without_system(e["prompt"])}
    n = prompt_tokens(student, template, e["prompt"])
    base = dict(prompt_tokens=n, tools=int(uses_tools([e])))
    if n >= max_len - 1:
        return [dict(input_ids=[], assistant_masks=[], conv=1, drop="overlong", **base)]
    enc, dropped = encode_one(_tokenizer(student, template), e, max_len, mode, budget)
    out = [dict(x, conv=0, drop="", **base) for x in enc] + [dict(input_ids=[], assistant_masks=[], conv=0, drop="no_target", **base)] * dropped
    out[0]["conv"] = 1
    return out


def row_error(r: dict, e: FactoryError) -> FactoryError:
    """``e`` with the row it is about named first (its id and prompt id): a run has thousands of rows. Was: the
    message alone ("train: messages[1].content has a 'image_url' part ..."), with no way to find the row."""
    if type(e) is not FactoryError or f"row {r.get('id')}" in str(e):  # a subclass keeps its own form; named already
        return e
    return FactoryError(f"row {r.get('id')} (prompt {r.get('prompt_id')}): {e}")


def sft_batch(batch: pa.Table, **kw) -> pa.Table:
    """Rows (an Arrow batch of the run's schema) -> encoded SFT examples (:data:`EXAMPLE`)."""
    from ground.record import from_table

    out = []
    for r in from_table(batch):
        try:
            out += _one(r, **kw)
        except FactoryError as e:
            raise row_error(r, e) from None
    return pa.Table.from_pylist(out, schema=EXAMPLE)


def _check(t: dict, what: str, max_len: int, required: bool) -> None:
    from students.prompt_length import overlong_verdict

    overlong_verdict(what, max_len, t.get("sum:conv", 0) - t.get("drop:skipped", 0), t.get("drop:overlong", 0),
                     t.get("max:prompt_tokens", 0), required)
    if t.get("drop:empty"):
        log.warning("%s: %d rows dropped: an empty answer (nothing but whitespace)", what, t["drop:empty"])
    if t.get("drop:skipped"):  # was dropped without a word: only none_left named them, when nothing was left
        log.warning("%s: %d rows dropped: no prompt messages, or a null completion", what, t["drop:skipped"])
    if t.get("drop:no_target"):
        log.warning("SFT: %d examples dropped: no assistant token within train.max_seq_len %d", t["drop:no_target"], max_len)


_WHY = (("empty", "with an empty answer"), ("overlong", "with a prompt of at least train.max_seq_len tokens"),
        ("no_target", "with no assistant token within train.max_seq_len"), ("skipped", "without a prompt or completion"))


def none_left(t: dict, rows: int, what: str = "SFT") -> None:
    """One line naming why, instead of a trainer started on nothing that fails deep inside TRL."""
    if t.get("drop:", 0):
        return
    why = ", ".join(f"{t[f'drop:{k}']} {text}" for k, text in _WHY if t.get(f"drop:{k}"))
    raise FactoryError(f"train: no {what} example left to train on {rows} rows" + (f" ({why})" if why else ""))


def sft_datasets(cfg: dict, train_rows, val_rows, resolve, drop_system: bool) -> tuple[dict, dict]:
    """({"train": ds, "val": ds or absent}, {"train_rows", "val_rows", "examples", "val_examples"}) for
    :func:`students.sft.run_sft` (rows read, examples kept);
    sets ``cfg["chat_template_text"]`` and refuses a template that cannot show the examples' tool calls."""
    from students.data import check_template, template_text
    from students.traindata import build, kept, tally

    text = template_text(cfg, resolve)
    cfg["chat_template_text"] = text
    kw = dict(student=cfg["student"], template=text, max_len=cfg["max_seq_len"], mode=cfg.get("reasoning", "keep"),
              budget=cfg.get("reasoning_budget"), drop_system=drop_system)
    built = {"train": build(train_rows, sft_batch, **kw), "val": build(val_rows, sft_batch, **kw)}
    counts = {k: tally(ds, sums=("conv", "tools"), maxes=("prompt_tokens",)) for k, ds in built.items()}
    check_template(cfg, text, counts["train"].get("sum:tools", 0) + counts["val"].get("sum:tools", 0) > 0)
    _check(counts["train"], "SFT", cfg["max_seq_len"], required=True)
    _check(counts["val"], "validation", cfg["max_seq_len"], required=False)
    none_left(counts["train"], counts["train"].get("sum:conv", 0))
    cols = ["input_ids", "assistant_masks"]
    out = {k: kept(ds, cols) for k, ds in built.items() if counts[k].get("drop:", 0)}
    return out, {"train_rows": counts["train"].get("sum:conv", 0), "val_rows": counts["val"].get("sum:conv", 0),
                 "examples": counts["train"].get("drop:", 0), "val_examples": counts["val"].get("drop:", 0)}
