"""DPO preference pairs as a Ray Data ``groupby("prompt_id").map_groups``: pairs are built on Ray workers,
one prompt's rows at a time, with the rules of students/pairs.py.

    >>> from students.pairs_data import pair_dataset
    >>> pairs, stats = pair_dataset(rows_ds, "both", max_per_prompt=4)
    >>> stats                # {"rows_in", "verifier_pairs", "prompts_only_pass", ..., "pairs"}

Each group yields its pair records (``prompt``/``chosen``/``rejected`` as JSON) and one marker row per
stat it counts toward; the dataset is sorted by (source, prompt_id, index), which is the order of
:func:`students.pairs.build_pairs` (verifier pairs by prompt, then constitutional ones). The driver gets
the counts, never a row.
"""

from __future__ import annotations

import json

import pyarrow as pa

PAIR = pa.schema([("src", pa.int64()), ("prompt_id", pa.string()), ("seq", pa.int64()), ("kind", pa.string()),
                  ("pair_source", pa.string()), ("prompt", pa.string()), ("chosen", pa.string()), ("rejected", pa.string())])
_SIDES = ("prompt", "chosen", "rejected")


def _record(src: int, seq: int, p: dict) -> dict:
    return {"src": src, "prompt_id": p["prompt_id"], "seq": seq, "kind": "pair", "pair_source": p["pair_source"],
            **{k: json.dumps(p[k], ensure_ascii=False) for k in _SIDES}}


def pairs_of_group(group: pa.Table, source: str, max_per_prompt: int) -> pa.Table:
    """One prompt_id's rows -> its pair records and stat markers (:data:`PAIR`)."""
    from ground.record import from_table
    from students.pairs import constitution_group, verifier_group

    rows = from_table(group)
    if not rows:
        return PAIR.empty_table()
    pid = rows[0]["prompt_id"]
    out: list[dict] = []
    if source in ("verifier", "both"):
        pairs, stat = verifier_group(pid, rows, max_per_prompt)
        out += [_record(0, i, p) for i, p in enumerate(pairs)]
        if stat:
            out.append({"src": 0, "prompt_id": pid, "seq": -1, "kind": stat})
    if source in ("constitution", "both"):
        out += [_record(1, i, p) for i, p in enumerate(constitution_group(rows))]
    return pa.Table.from_pylist(out, schema=PAIR)


def pair_dataset(rows, source: str, max_per_prompt: int) -> tuple[object, dict]:
    """(pair Dataset sorted as build_pairs orders them, materialised; stats as build_pairs counts them)."""
    from students.traindata import ordered, partitions, plain_errors, value_counts

    if source not in ("verifier", "constitution", "both"):
        raise ValueError(f"pairs source must be verifier|constitution|both, got {source!r}")
    n = rows.count()
    stats: dict = {"rows_in": n}
    if not n:
        return None, {**stats, "pairs": 0}
    with ordered(), plain_errors():
        built = (rows.groupby("prompt_id", num_partitions=partitions(n))
                 .map_groups(pairs_of_group, batch_format="pyarrow", fn_kwargs=dict(source=source, max_per_prompt=max_per_prompt))
                 .materialize())
        kinds = value_counts(built, "kind")
        pairs = built.filter(expr="kind == 'pair'").sort(["src", "prompt_id", "seq"]).materialize()
    by_src = value_counts(pairs, "pair_source") if kinds.get("pair") else {}
    if source in ("verifier", "both"):
        stats.update(verifier_pairs=by_src.get("verifier", 0), prompts_only_pass=kinds.get("prompts_only_pass", 0),
                     prompts_only_fail=kinds.get("prompts_only_fail", 0))
    if source in ("constitution", "both"):
        stats["constitution_pairs"] = by_src.get("constitution", 0)
    stats["pairs"] = kinds.get("pair", 0)
    return pairs, stats


def decode_pairs(rows: list[dict], drop_system: bool, inline_reasoning: bool = False) -> list[dict]:
    """Worker side: the JSON sides back to TRL's conversational preference records. A tool-use pair's catalogue
    goes to the ``tools`` column (TRL passes it to ``apply_chat_template(..., tools=)``) and its calls' arguments
    become the dicts Hugging Face templates expect (students/render.py), as SFT renders them.

    ``inline_reasoning`` (a template that does not render ``reasoning_content``): each assistant turn's
    ``reasoning_content`` (a tool-use trace keeps it per turn) goes inline as ``<think>...</think>``, as SFT and the
    plain pairs' sides have it. Was: left as a key the template ignores, so DPO on a reasoning teacher's tool traces
    trained without their reasoning, and the tool-result mask (students/dpo_mask.py, which renders it inline) no
    longer matched TRL's tokens and left the tool results in the loss."""
    from ground.conversation import split_tools, without_system
    from students.render import apply_reasoning, for_template

    out = []
    for r in rows:
        p = {k: for_template(json.loads(r[k])) for k in _SIDES}
        if inline_reasoning:
            p = {k: apply_reasoning(None, v, "keep", native=False) for k, v in p.items()}
        if drop_system:  # the system text goes, the catalogue stays
            p["prompt"] = without_system(p["prompt"])
        p["prompt"], tools = split_tools(p["prompt"])
        out.append({**p, "tools": json.dumps(tools, ensure_ascii=False) if tools else None})
    return out


def pair_records(rows: list[dict], drop_system: bool, inline_reasoning: bool = False):
    """:func:`decode_pairs` as a ``datasets.Dataset`` whose sides keep each message as it is (``Json`` values where
    ``datasets`` has them: Arrow structs would give every message and every call's arguments the union of keys)."""
    import datasets

    recs = decode_pairs(rows, drop_system, inline_reasoning)
    if not hasattr(datasets, "Json"):
        return datasets.Dataset.from_list(recs)
    side = datasets.List(datasets.Json())
    return datasets.Dataset.from_list(recs, features=datasets.Features(
        {"prompt": side, "chosen": side, "rejected": side, "tools": datasets.Value("string")}))


_LENGTHS = pa.schema([("prompt_tokens", pa.int64()), ("overlong", pa.int64())])


def prompt_lengths(batch: pa.Table, student: str, template: str | None, max_len: int, drop_system: bool) -> pa.Table:
    """Pair records -> each prompt's length as the DPO trainer renders it (the recipe's template, tools as ``tools=``,
    without the system text under ``drop_system``) and whether it fills ``max_len`` (:data:`_LENGTHS`)."""
    from ground.conversation import without_system
    from students.prompt_length import prompt_tokens

    out = []
    for r in batch.select(["prompt"]).to_pylist():
        prompt = json.loads(r["prompt"])
        n = prompt_tokens(student, template, without_system(prompt) if drop_system else prompt)
        out.append({"prompt_tokens": n, "overlong": int(n >= max_len)})
    return pa.Table.from_pylist(out, schema=_LENGTHS)


def check_prompt_lengths(cfg: dict, data: dict) -> None:
    """Warn how many pairs TRL's DPOTrainer will leave out because their prompt alone fills ``train.max_seq_len``
    (it drops them without a word: with ``keep_start`` truncation nothing of either answer would be left), and stop
    with one line when that is every training pair. Was: silent; with every pair dropped, an empty dataset failed
    deep inside the Ray Train worker."""
    from students.prompt_length import overlong_verdict
    from students.traindata import build, tally

    kw = dict(student=cfg["student"], template=cfg.get("chat_template_text"), max_len=cfg["max_seq_len"],
              drop_system=bool(cfg["drop_system_prompt"]))
    for name, ds in data.items():
        t = tally(build(ds, prompt_lengths, **kw), sums=("overlong",), maxes=("prompt_tokens",), values=())
        overlong_verdict("DPO" if name == "train" else "DPO validation", cfg["max_seq_len"], t.get("rows", 0),
                         t.get("sum:overlong", 0), t.get("max:prompt_tokens", 0), required=name == "train")

