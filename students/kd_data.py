"""KD examples as a Ray Data map: rows -> token ids, completion labels and per-position teacher top-k, on Ray workers.

    >>> from students.kd_data import kd_datasets
    >>> data = kd_datasets(cfg, train_rows_ds, val_rows_ds, where="the run at runs/x/3f2a")
    >>> data["train"]        # materialised {"input_ids", "labels", "topk" (JSON)} in the object store

Per row the map does what the driver and the worker did before: :func:`students.kd.kd_examples` (token
strings of API teachers mapped to student ids through a :class:`students.kd_labels.TokenMap` built once
per worker process) and :func:`students.kd.encode`. A row whose top-k are warped by sampling is not
encoded but marked (``drop`` = ``warped``); the driver then names the first three and the count in one
line (:func:`students.kd_labels.warped_error`), as :func:`students.kd_labels.check_raw` did.
"""

from __future__ import annotations

import functools
import json
import logging

import pyarrow as pa

log = logging.getLogger(__name__)

EXAMPLE = pa.schema([("input_ids", pa.list_(pa.int64())), ("labels", pa.list_(pa.int64())), ("topk", pa.string()),
                     ("misaligned", pa.int64()), ("drop", pa.string()), ("row", pa.string()), ("prompt_tokens", pa.int64())])
_NAMING = ("id", "teacher", "teacher_topk_meta", "params", "engine")


@functools.lru_cache(maxsize=4)
def _token_map(student: str):
    from students.kd_labels import TokenMap
    from students.prompt_length import driver_tokenizer

    return TokenMap(driver_tokenizer(student), student)


def _one(r: dict, student: str, max_len: int, drop_system: bool, template: str | None = None) -> dict | None:
    from students.kd import encode, kd_examples
    from students.kd_labels import is_warped, topk_removed
    from students.sft_data import _tokenizer
    from students.prompt_length import driver_tokenizer

    if topk_removed(r):
        return dict(input_ids=[], labels=[], topk="[]", misaligned=0, drop="removed", row="")
    if is_warped(r):
        return dict(input_ids=[], labels=[], topk="[]", misaligned=0, drop="warped", row=json.dumps({k: r.get(k) for k in _NAMING}))
    ex = kd_examples([r], drop_system=drop_system, student_tok=driver_tokenizer(student), student=student,
                     token_map=lambda: _token_map(student))
    if not ex:
        return dict(input_ids=[], labels=[], topk="[]", misaligned=0, drop="skipped", row="")
    if not ex[0]["completion"].strip():  # only whitespace: its one target, eos, would teach the student to stop at once
        return dict(input_ids=[], labels=[], topk="[]", misaligned=0, drop="empty", row="")
    tok = _tokenizer(student, template)  # the recipe's train.chat_template, as SFT renders (None: the student's own)
    f, mis = encode(ex[0], tok, max_len)
    first = next((i for i, label in enumerate(f["labels"]) if label != -100), None)
    if first is None:  # the prompt fills max_seq_len: no target token (a batch of only these makes the loss NaN)
        from students.prompt_length import prompt_ids

        return dict(input_ids=[], labels=[], topk="[]", misaligned=0, drop="overlong", row="",
                    prompt_tokens=len(prompt_ids(tok, ex[0]["prompt"], None)))
    return dict(input_ids=f["input_ids"], labels=f["labels"], topk=json.dumps(f["topk"]), misaligned=int(mis), drop="", row="",
                prompt_tokens=first)


def kd_batch(batch: pa.Table, **kw) -> pa.Table:
    """Rows (an Arrow batch of the run's schema) -> encoded KD examples (:data:`EXAMPLE`)."""
    from ground.errors import FactoryError
    from ground.record import from_table
    from students.sft_data import row_error

    out = []
    for r in from_table(batch):
        try:
            out.append(_one(r, **kw))
        except FactoryError as e:
            raise row_error(r, e) from None
    return pa.Table.from_pylist(out, schema=EXAMPLE)


def kd_datasets(cfg: dict, train_rows, val_rows, where: str = "this run", kept_counts: dict | None = None) -> dict:
    """{"train": ds, "val": ds (when it has examples)} for :func:`students.kd.run_kd`; ``kept_counts`` (if given)
    gets the examples kept per split (``train``, ``val``)."""
    import pyarrow.compute as pc

    from students.kd_labels import warped_error
    from students.sft_data import none_left
    from students.traindata import build, kept, tally
    from students.prompt_length import overlong_verdict

    kw = dict(student=cfg["student"], max_len=cfg["max_seq_len"], drop_system=bool(cfg["drop_system_prompt"]),
              template=cfg.get("chat_template_text"))
    built = {"train": build(train_rows, kd_batch, **kw), "val": build(val_rows, kd_batch, **kw)}
    counts = {k: tally(ds, sums=("misaligned",), maxes=("prompt_tokens",)) for k, ds in built.items()}
    n_warped = sum(c.get("drop:warped", 0) for c in counts.values())
    if n_warped:
        first = [json.loads(r["row"]) for k in ("train", "val") for r in
                 built[k].map_batches(lambda b: b.filter(pc.equal(b["drop"], "warped")), batch_format="pyarrow").take(3)][:3]
        raise warped_error(first, n_warped, where)
    for k, c in counts.items():
        overlong_verdict("KD" if k == "train" else "validation", cfg["max_seq_len"], c.get("rows", 0) - c.get("drop:skipped", 0),
                         c.get("drop:overlong", 0), c.get("max:prompt_tokens", 0), required=k == "train")
        if c.get("drop:removed"):
            log.warning("kd: %d %s rows left out: their answer was redacted (pii) after generation, so their top-k "
                        "were removed with the span", c["drop:removed"], k)
        if c.get("drop:empty"):
            log.warning("kd: %d %s rows dropped: an empty answer (nothing but whitespace)", c["drop:empty"], k)
        if c.get("drop:skipped"):
            log.warning("kd: %d %s rows dropped: no prompt messages, or a null completion", c["drop:skipped"], k)
        if c.get("sum:misaligned"):
            log.warning("kd: %d/%d %s rows re-tokenise to a different length than their stored top-k (soft labels only up "
                        "to where the tokens part)", c["sum:misaligned"], c.get("drop:", 0), k)
    none_left(counts["train"], counts["train"].get("rows", 0), "KD")
    if kept_counts is not None:
        kept_counts.update({k: c.get("drop:", 0) for k, c in counts.items()})
    return {k: kept(ds, ["input_ids", "labels", "topk"]) for k, ds in built.items() if counts[k].get("drop:", 0)}
