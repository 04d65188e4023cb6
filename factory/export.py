"""``factory export``: a run's accepted rows -> a curated dataset directory that ``datasets`` loads as is.

    factory export runs/gsm8k_demo/<run_id> --out exports/gsm8k --format chat --split train=0.9,val=0.05,test=0.05
    factory export s3://my-bucket/runs/gsm8k_demo/<run_id> --out exports/gsm8k      # run dir on an object store

    >>> import datasets
    >>> ds = datasets.load_dataset("json", data_dir="exports/gsm8k")      # parquet format: "parquet"
    >>> ds["train"][0]["messages"]

Formats: ``parquet`` (every column of ground.record.SCHEMA), ``jsonl`` (prompt/completion/reasoning +
provenance), ``chat`` (OpenAI ``messages``), ``sharegpt`` (``conversations`` with from/value), and
``preference`` (TRL's prompt/chosen/rejected, built from verifier pass vs fail of the same prompt and
constitutional revised vs initial, see students/pairs.py). Tool-use traces keep their structure
(ground/conversation.py): ``chat`` and ``preference`` hold assistant turns with ``tool_calls``
(``arguments`` a JSON string, as OpenAI sends it), ``tool`` messages with their ``tool_call_id`` and
the final answer, plus a ``tools`` column (the catalogue as one JSON string, since JSON schemas have
free-form keys). ``--tool-json objects`` writes Hugging Face's convention instead: ``arguments`` an object and
``tools`` a list of objects, so TRL and ``apply_chat_template(messages, tools=row["tools"])`` take a row as
it is (``datasets`` >= 4 reads the free-form keys as its ``Json`` feature). ``sharegpt`` uses ``function_call``/``observation`` turns. Reasoning is the
assistant message's ``reasoning_content`` in ``chat`` and an inline ``<think>`` span in ``sharegpt``.

Splits never cut a group of related rows: rows that share a prompt or a dedup cluster are joined
(union-find) into one group, and a group goes whole to the split chosen by a hash of its smallest
member id and the seed. The export checks that no group straddles two splits and writes a dataset card
(README.md) with the recipe, teachers, verifiers, dedup and decontamination settings, counts per
stage, licence notes and the schema; its front matter names the licences the run declared under the Hub's ids
(ground/cards.py) and local paths in it are shortened to their last part.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ground.cli_parser import ArgumentParser
from factory.run_schema import check_version
from ground import fsutil
from ground.errors import FactoryError
from ground.cards import front_matter, hide_local_paths
from ground.conversation import non_text_part, parts_text
from ground.licensing import card_metadata, card_section
from ground.record import SCHEMA

log = logging.getLogger(__name__)
FORMATS = ("parquet", "jsonl", "chat", "sharegpt", "preference")
TOOL_JSON = ("strings", "objects")
HF_SPLIT = {"train": "train", "val": "validation", "validation": "validation", "test": "test"}


def parse_split(spec: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in spec.split(","):
        name, _, frac = part.partition("=")
        name = name.strip()
        if name not in HF_SPLIT:
            raise FactoryError(f"--split: unknown split {name!r} (use train, val, test)")
        if HF_SPLIT[name] in out:
            raise FactoryError(f"--split: split {name!r} is given twice in {spec!r}")
        try:
            out[HF_SPLIT[name]] = float(frac)
        except ValueError:
            raise FactoryError(f"--split: {part!r} is not name=fraction") from None
    if any(not math.isfinite(v) or v < 0 for v in out.values()) or abs(sum(out.values()) - 1.0) > 1e-6:
        raise FactoryError(f"--split: fractions must be >= 0 and sum to 1, got {spec!r}")
    return out


def groups_of(rows: list[dict]) -> dict[str, str]:
    """Row id -> group id; rows sharing a prompt_id or a cluster_id are one group."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for r in rows:
        union("row:" + r["id"], "prompt:" + str(r["prompt_id"]))
        if r.get("cluster_id"):
            union("row:" + r["id"], "cluster:" + r["cluster_id"])
    return {r["id"]: find("row:" + r["id"]) for r in rows}


def assign_splits(rows: list[dict], fractions: dict[str, float], seed: int, context: list[dict] = ()) -> dict[str, str]:
    """Row id -> split name, whole groups at a time, deterministic in (group, seed). ``context`` rows (the run's
    rejects) are not assigned but join groups: a dedup reject shares its cluster with the survivor and its prompt
    with that prompt's accepted samples, so those two prompts are one group."""
    g = groups_of([*rows, *context])
    g = {r["id"]: g[r["id"]] for r in rows}
    names = list(fractions)
    out = {}
    for rid, gid in g.items():
        u = int(hashlib.sha256(f"{seed}:{gid}".encode()).hexdigest()[:12], 16) / 16**12
        acc = 0.0
        for n in names:
            acc += fractions[n]
            if u < acc:
                out[rid] = n
                break
        else:
            out[rid] = names[-1]
    straddle = {}
    for rid, gid in g.items():
        straddle.setdefault(gid, set()).add(out[rid])
    bad = [gid for gid, s in straddle.items() if len(s) > 1]
    if bad:  # cannot happen by construction; the check guards future edits
        raise FactoryError(f"split check failed: {len(bad)} groups straddle splits")
    return out


def _record(r: dict, fmt: str, tool_json: str = "strings") -> dict:
    from ground.conversation import conversation_of, split_tools

    prov = {"id": r["id"], "prompt_id": r["prompt_id"], "teacher": r["teacher"], "model": r["model"], "score": r["score"]}
    if fmt in ("chat", "sharegpt"):
        msgs, tools = split_tools(conversation_of(r))
        if fmt == "chat":  # text-only parts as the string training reads (a text model's chat template fails on a list)
            msgs = [{**m, "content": _text(m["content"], r, fmt)} if _text_parts(m.get("content")) else m for m in msgs]
            return {"messages": _calls_as(msgs, tool_json), "tools": _tools_as(tools, tool_json), **prov}
        msgs = [{**m, "content": _text(m.get("content"), r, fmt)} if isinstance(m.get("content"), list) else m for m in msgs]
        return {"conversations": sharegpt_turns(msgs), "tools": _tools_as(tools, "strings"), **prov}
    user = "\n".join(_text(m.get("content"), r, fmt) for m in conversation_of(r) if m["role"] == "user")
    return {"prompt": user, "completion": r.get("completion"), "reasoning": r.get("reasoning"), "reference": r.get("reference"),
            "category": r.get("category"), "verdicts": r.get("verdicts"), **prov}


def _text_parts(content) -> bool:
    return isinstance(content, list) and non_text_part(content) is None


def _text(content, r: dict, fmt: str) -> str:
    """A message's text for the string formats (``jsonl``, ``sharegpt``): OpenAI content parts (a chat source may
    hold them) joined, as training and serving read them. Was: the list itself, so ``jsonl`` stopped with a
    TypeError traceback and ``sharegpt`` wrote a ``value`` that is not a string. A part that is not text (an image)
    has no place in them: one line naming the row."""
    if not isinstance(content, list):
        return content or ""
    if (kind := non_text_part(content)) is not None:
        raise FactoryError(f"row {r['id']} (prompt {r['prompt_id']}): a message has a {kind!r} content part, which "
                           f"--format {fmt} (text only) cannot hold; use --format chat or parquet")
    return parts_text(content)


def _tools_as(tools: list[dict], tool_json: str):
    """The catalogue column: one JSON string (OpenAI's wire form; any ``datasets``), or the list of objects."""
    if not tools:
        return None
    return tools if tool_json == "objects" else json.dumps(tools, ensure_ascii=False)


def _calls_as(msgs: list[dict], tool_json: str) -> list[dict]:
    """Messages with each tool call's ``arguments`` as stored (a JSON string) or, for ``objects``, parsed (an
    argument string that is not JSON stays a string)."""
    if tool_json != "objects":
        return msgs
    out = []
    for m in msgs:
        if m.get("tool_calls"):
            m = {**m, "tool_calls": [{**c, "function": {**c["function"], "arguments": _json_or_str(c["function"].get("arguments"))}}
                                     for c in m["tool_calls"]]}
        out.append(m)
    return out


def sharegpt_turns(msgs: list[dict]) -> list[dict]:
    """OpenAI messages -> ShareGPT turns in LLaMA-Factory's tool convention: a call turn is
    ``function_call`` (value: JSON ``{"name", "arguments"}``, a JSON list for parallel calls), tool results
    are one ``observation`` (a JSON list of contents when there were several), reasoning inline as <think>."""
    from teachers.reasoning import join_reasoning

    role = {"system": "system", "user": "human", "assistant": "gpt"}
    out: list[dict] = []
    results: list[str] = []  # consecutive tool messages, flushed as one observation
    for m in [*msgs, {"role": "end"}]:
        if m["role"] == "tool":
            results.append(m.get("content") or "")
            continue
        if results:
            out.append({"from": "observation", "value": results[0] if len(results) == 1 else json.dumps(results, ensure_ascii=False)})
            results = []
        if m["role"] == "end":
            break
        if m["role"] == "assistant" and m.get("tool_calls"):
            calls = [{"name": c["function"]["name"], "arguments": _json_or_str(c["function"]["arguments"])} for c in m["tool_calls"]]
            out.append({"from": "function_call", "value": json.dumps(calls[0] if len(calls) == 1 else calls, ensure_ascii=False)})
        else:
            value = m.get("content") or ""
            if m["role"] == "assistant":
                value = join_reasoning(m.get("reasoning_content"), value)
            out.append({"from": role.get(m["role"], m["role"]), "value": value})
    return out


def _json_or_str(s):
    try:
        return json.loads(s) if isinstance(s, str) else s
    except json.JSONDecodeError:
        return s


def _pair_record(p: dict, tool_json: str = "strings") -> dict:
    from ground.conversation import split_tools

    prompt, tools = split_tools(p["prompt"])
    prompt = [{**m, "content": parts_text(m["content"])} if _text_parts(m.get("content")) else m
              for m in prompt]  # text-only content parts as their string, as chat writes them
    return {**p, "prompt": _calls_as(prompt, tool_json), "chosen": _calls_as(p["chosen"], tool_json),
            "rejected": _calls_as(p["rejected"], tool_json), "tools": _tools_as(tools, tool_json)}


def _shape(x, at: tuple = ()):
    """Every field path holding a value in a JSON value, and every key set of its objects (list items collapsed)."""
    if isinstance(x, dict):
        yield at + ("{" + ",".join(sorted(x)) + "}",)
        for k, v in x.items():
            if v is not None:
                yield at + (k,)
                yield from _shape(v, at + (k,))
    elif isinstance(x, list):
        for v in x:
            yield from _shape(v, at + ("[]",))


def shapes_first(records: list[dict]) -> list[dict]:
    """The records with, first, one that shows each field and each message key set any record has. ``datasets``'
    JSON loader infers the features from the file's first 10 MB: a column null there (``tools``, ``reasoning``) or
    a message key seen only later (``tool_calls``, ``reasoning_content``) failed the load with a cast error."""
    seen: set = set()
    head, rest = [], []
    for rec in records:
        new = set(_shape(rec)) - seen
        (head if new else rest).append(rec)
        seen |= new
    return head + rest


def _write_jsonl(path: Path, records: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for rec in shapes_first(records):
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def export_run(run_dir: str, out: str, fmt: str = "parquet", split: str = "train=1.0", seed: int = 0, overwrite: bool = False,
               tool_json: str = "strings") -> dict:
    if fmt not in FORMATS:
        raise FactoryError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if tool_json not in TOOL_JSON:
        raise FactoryError(f"--tool-json: {tool_json!r} is not one of {', '.join(TOOL_JSON)}")
    if tool_json == "objects" and fmt not in ("chat", "preference"):
        raise FactoryError(f"--tool-json objects: only the chat and preference formats have tool-call messages (not {fmt})")
    fractions = parse_split(split)
    fs, run = fsutil.filesystem(run_dir)  # a local path or an s3://, gs:// URI; the export itself is local
    if fs.get_file_info(fsutil.join(run, "manifest.json")).type != pafs.FileType.File:
        raise FactoryError(f"{run_dir}: not a run directory (no manifest.json)")
    manifest = check_version(fsutil.read_json(fs, fsutil.join(run, "manifest.json")), f"{run_dir}/manifest.json")
    stats = fsutil.read_json(fs, fsutil.join(run, "stats.json")) if fsutil.exists(fs, fsutil.join(run, "stats.json")) else {}
    if manifest.get("status") != "succeeded":  # was said only by the card's status line
        log.warning("%s: the run is %s: its accepted rows may not be all it makes (a budget stop curates the finished chunks "
                    "only; re-run the same command to finish it)", run_dir, manifest.get("status"))

    def parts(kind: str) -> list[dict]:
        files = [f for f in fsutil.list_files(fs, fsutil.join(run, kind), ".parquet") if f.rsplit("/", 1)[-1].startswith("part-")]
        return [r for f in files for r in fsutil.read_parquet(fs, f).to_pylist()]

    outp = _check_out(out, run_dir, run if isinstance(fs, pafs.LocalFileSystem) else None, overwrite)
    acc, rej = parts("accepted"), parts("rejects")
    if fmt == "preference":
        from students.pairs import build_pairs

        pairs, pstats = build_pairs(acc + rej, source="both")
        items = [{**p, "id": hashlib.sha256(json.dumps([p["prompt_id"], p["chosen"], p["rejected"]], default=str).encode()).hexdigest()[:24]}
                 for p in pairs]
        where = assign_splits([{"id": p["id"], "prompt_id": p["prompt_id"]} for p in items], fractions, seed, acc + rej)
    else:
        items, pstats = acc, None
        where = assign_splits(acc, fractions, seed, rej)
        _say_flattened(acc, fmt)
    if not items:  # a folder of no data files is not a dataset: datasets.load_dataset refuses it
        what = f"no preference pairs ({json.dumps(pstats)})" if fmt == "preference" else "no accepted rows"
        raise FactoryError(f"{run_dir}: nothing to export: the run has {what}")
    try:
        outp.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=str(outp.parent)))
    except OSError as e:  # a file in the way, a read-only or missing mount: one line, nothing written
        raise FactoryError(f"--out: cannot create {out}: {e.strerror or e}") from None
    tmp.chmod(0o777 & ~fsutil.umask())  # mkdtemp makes it private (0700); the dataset folder gets a plain mkdir's mode
    counts = {}
    try:
        for name in fractions:
            part = [x for x in items if where[x["id"]] == name]
            counts[name] = len(part)
            if not part:
                continue
            if fmt == "parquet":
                from ground.record import to_table

                pq.write_table(to_table(part), tmp / f"{name}-00000-of-00001.parquet")
            elif fmt == "preference":
                _write_jsonl(tmp / f"{name}.jsonl", [_pair_record(p, tool_json) for p in part])
            else:
                _write_jsonl(tmp / f"{name}.jsonl", [_record(r, fmt, tool_json) for r in part])
        by_teacher = None if fmt == "preference" else dict(Counter(str(r.get("teacher")) for r in items))
        (tmp / "README.md").write_text(dataset_card(manifest, stats, fmt, fractions, counts, seed, pstats, tool_json, by_teacher),
                                       encoding="utf-8")
        if outp.exists():
            shutil.rmtree(outp)
        os.replace(tmp, outp)  # the directory appears whole or not at all
    except OSError as e:  # e.g. the disk filled while writing: the temp folder goes, --out is as it was
        raise FactoryError(f"--out: writing {out} failed: {e.strerror or e}; nothing was exported") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("exported %s rows to %s: %s", sum(counts.values()), out, counts)
    return {"out": str(outp), "format": fmt, "counts": counts}


def _say_flattened(rows: list[dict], fmt: str) -> None:
    """The ``jsonl`` format's ``prompt`` is one string, the user turns joined: a system prompt and earlier assistant
    turns are not in it. Was: left out without a word, so a multi-turn set exported as a conversation that never
    happened; now one WARNING with the count, and the format that keeps them. Likewise ``sharegpt``'s function_call
    turn for the words (text, reasoning) an assistant wrote beside its calls."""
    from ground.conversation import conversation_of, prompt_of

    if fmt == "sharegpt":  # LLaMA-Factory's function_call turn holds the calls only: a call turn's words have no place
        n = sum(1 for r in rows if any(m.get("role") == "assistant" and m.get("tool_calls") and
                                       (str(m.get("content") or "").strip() or m.get("reasoning_content")) for m in conversation_of(r)))
        if n:
            log.warning("export sharegpt: %d of %d rows have an assistant turn with tool calls and text or reasoning beside "
                        "them, which its function_call turn leaves out; --format chat keeps them", n, len(rows))
    if fmt != "jsonl":
        return
    n = sum(1 for r in rows if any(m.get("role") != "user" for m in prompt_of(r)))
    if n:
        log.warning("export jsonl: %d of %d rows have a system prompt, a tool catalogue or earlier assistant/tool turns, "
                    "which the prompt string (their user turns joined) leaves out; --format chat (or sharegpt) keeps them", n, len(rows))


def _teacher_lines(rec: dict, by_teacher: dict[str, int] | None) -> str:
    """One provenance line per teacher of the recipe (``teacher`` and ``teachers``: route, fallback), with the rows
    each wrote among the exported ones. Was: the first teacher only, though a routed run's rows come from several."""
    teachers = [rec.get("teacher") or {}, *(rec.get("teachers") or [])]
    named = {t.get("name") for t in teachers}
    lines = [f"- Teacher: `{t.get('name')}` engine `{t.get('engine')}`, model `{t.get('model')}`, n={t.get('n')}, "
             f"sampling `{json.dumps(t.get('sampling'))}`" + (f": {by_teacher.get(str(t.get('name')), 0)} rows" if by_teacher is not None else "")
             for t in teachers]
    lines += [f"- Teacher: `{name}` (not in the recipe): {n} rows" for name, n in sorted((by_teacher or {}).items()) if name not in named]
    return "\n".join(lines)


def _check_out(out: str, run_dir: str, local_run: str | None, overwrite: bool) -> Path:
    """The --out folder, refused (one line) when it is not empty without --overwrite, is a file, or would
    take the run itself with it (the run folder or a folder above it)."""
    outp = Path(out)
    if outp.exists() and not outp.is_dir():
        raise FactoryError(f"--out: {out} is a file, not a folder")
    above = next((p for p in outp.absolute().parents if p.exists()), None)
    if above is not None and not above.is_dir():  # --out file.txt/x: mkdir would say only "File exists"
        raise FactoryError(f"--out: {above} is a file, not a folder")
    if local_run is not None:
        o, r = outp.resolve(), Path(local_run).resolve()
        if o == r or o in r.parents:
            raise FactoryError(f"--out: {out} holds the run {run_dir} itself; choose a folder outside it")
    if outp.exists() and any(outp.iterdir()) and not overwrite:
        raise FactoryError(f"--out: {out} exists and is not empty (use --overwrite)")
    return outp


def format_schema(fmt: str, tool_json: str = "strings") -> str:
    """The card's column table of a format (``parquet``: every column of the run's schema)."""
    if fmt == "parquet":
        return "\n".join(f"| {f.name} | {f.type} |" for f in SCHEMA)
    tools = ("list of objects (OpenAI function specs)" if tool_json == "objects" else "string (a JSON list of OpenAI function specs)") + ", or null"
    args = "an object" if tool_json == "objects" else "a JSON string"
    prov = {"id": "string", "prompt_id": "string", "teacher": "string", "model": "string", "score": "float or null"}
    cols = {"chat": {"messages": f"list of OpenAI messages (assistant `tool_calls` with `arguments` {args}, `tool` results with "
                                 "`tool_call_id`, `reasoning_content`)", "tools": tools, **prov},
            "sharegpt": {"conversations": "list of {from, value} (human, gpt, function_call, observation, system)",
                         "tools": "string (a JSON list of OpenAI function specs), or null", **prov},
            "preference": {"prompt": f"list of OpenAI messages (tool call `arguments` {args})", "chosen": "list of messages",
                           "rejected": "list of messages", "tools": tools, "prompt_id": "string", "pair_source": "string", "id": "string"},
            "jsonl": {"prompt": "string", "completion": "string", "reasoning": "string or null", "reference": "string or null",
                      "category": "string or null", "verdicts": "string (JSON) or null", **prov}}[fmt]
    return "\n".join(f"| {k} | {v} |" for k, v in cols.items())


def dedup_provenance(dedup, decon: dict | None):
    """The recipe's ``dedup`` section for the card: each decontamination benchmark without its unset keys and with the
    licence it was checked under (the coverage's: the registry's for a registered one, the declared one, else
    "unknown"). Was the recipe as parsed: ``gsm8k_test`` read ``"license": null`` (the recipe sets none) beside a
    Licence notes line saying MIT, the registry's."""
    if not isinstance(dedup, dict) or not isinstance(dedup.get("decontam"), dict):
        return dedup
    lic = {c.get("name"): c.get("license") for c in (decon or {}).get("benchmarks") or [] if isinstance(c, dict)}
    benches = []
    for b in dedup["decontam"].get("benchmarks") or []:
        if isinstance(b, dict):
            b = {k: v for k, v in b.items() if v is not None}
            if lic.get(b.get("name")):
                b["license"] = lic[b["name"]]
        benches.append(b)
    return {**dedup, "decontam": {**dedup["decontam"], "benchmarks": benches}}


def dataset_card(manifest: dict, stats: dict, fmt: str, fractions: dict, counts: dict, seed: int, pstats: dict | None,
                 tool_json: str = "strings", by_teacher: dict[str, int] | None = None) -> str:
    rec = manifest.get("recipe", {})
    meta = {**card_metadata(manifest), "tags": ["distill-factory", "synthetic", "distillation"],
            "configs": [{"config_name": "default", "data_files": [{"split": n, "path": f"{n}-*.parquet" if fmt == "parquet" else f"{n}.jsonl"}
                                                                for n in counts if counts[n]]}]}
    stage_rows = "\n".join(f"| {s} | {v['in']} | {v['out']} | {', '.join(f'{k}: {n}' for k, n in v['dropped'].items()) or '-'} |"
                           for s, v in stats.get("stages", {}).items())
    schema = format_schema(fmt, tool_json)
    decon = manifest.get("contamination")
    return hide_local_paths(front_matter(meta) + f"""# {manifest.get('recipe_name')} ({fmt})

Made by distill-factory from run `{manifest.get('run_id')}` (recipe fingerprint `{manifest.get('fingerprint')}`,
{f"git commit `{manifest['git_commit']}`" if manifest.get('git_commit') else "not made from a git checkout"}), status `{manifest.get('status')}`.

## Load
`datasets.load_dataset("PATH")`, PATH this folder (or the Hub repository it is pushed to): the splits are the
`configs` above.

## Splits
{', '.join(f'{n}: {c} rows' for n, c in counts.items())} (fractions {fractions}, seed {seed}). Rows that share a prompt
or a dedup cluster are always in the same split (checked at export).

## Provenance
{_teacher_lines(rec, by_teacher)}
- Source: `{rec.get('source', {}).get('path')}` (limit {rec.get('source', {}).get('limit')})
- Verifiers: {', '.join(f"`{v['name']}` (min_score {v.get('min_score')})" for v in rec.get('verifiers', [])) or 'none'}
- Filters: `{json.dumps(rec.get('filters'))}`
- Dedup: `{json.dumps(dedup_provenance(rec.get('dedup'), decon))}`
- Decontamination: {json.dumps({k: v for k, v in decon.items() if k != 'benchmarks'}) if decon else 'not configured'}
- Preference pairs: {json.dumps(pstats) if pstats else 'n/a'}

## Counts per stage
| stage | in | out | dropped |
|---|---|---|---|
{stage_rows}

## Licence notes
{card_section(manifest)}

## Schema ({fmt})
| column | type |
|---|---|
{schema}
""")


def main(argv: list[str] | None = None) -> int:
    ap = ArgumentParser(prog="factory export", description="export a run's curated rows as a dataset directory")
    ap.add_argument("run_dir")
    ap.add_argument("--out", required=True)
    ap.add_argument("--format", default="parquet", choices=FORMATS)
    ap.add_argument("--split", default="train=1.0", help="e.g. train=0.9,val=0.05,test=0.05")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--overwrite", action="store_true")
    ap.add_argument("--tool-json", default="strings", choices=TOOL_JSON,
                    help="chat/preference tool traces: 'strings' (OpenAI's wire form: arguments and the tools column as JSON "
                         "strings) or 'objects' (Hugging Face's: objects, for TRL and apply_chat_template as they are)")
    a = ap.parse_args(argv)
    res = export_run(a.run_dir, a.out, a.format, a.split, a.seed, a.overwrite, a.tool_json)
    print(json.dumps(res))
    return 0
