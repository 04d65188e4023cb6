"""``factory decontam``: check any existing dataset against the benchmark registry and write a report.

    factory decontam data/train.parquet --benchmarks gsm8k_test --out decontam_report
    factory decontam runs/gsm8k_demo/<run_id> --benchmarks gsm8k_test humaneval --masked
    factory decontam 'shards/*.jsonl' --field question --field answer \\
        --benchmarks 'mine=bench/*.parquet:problem+solution' --allow-partial

CORPUS is a Parquet, Arrow or JSONL file (.jsonl.gz/.bz2/.xz/.zst/.lz4 too), a glob, a directory of them, or a run
directory (its ``accepted/``), on local disk or in an object store (``s3://``, ``gs://``: credentials from the
environment, as for run dirs; the files are copied into a temporary folder first, a run directory's
``manifest.json`` and ``accepted/`` only; the report names them by their URIs).
CORPUS may also come last, after the benchmarks (``factory decontam --benchmarks gsm8k_test corpus.jsonl``): the
last value of ``--benchmarks`` that is no registered benchmark but an existing path, a matching glob or a URI is the
corpus.
Rows are checked as they are read, one batch at a time (never the whole corpus in memory). A row's text is
``--field`` (one or more, joined; a null is empty text; ``text|content`` the first of these a row has; named as the
report names fields: ``item.problem`` a field of a struct, ``messages[1].content`` an element of a list, a JSON list
string too) or, without ``--field``, per ``--compare`` (refused with ``--field``), the prompt and completion of a
factory row (``messages``/``completion``) or of a chat dataset row: OpenAI ``messages``, ShareGPT ``conversations``,
prompt/completion or prompt/chosen/rejected (its system and user turns are the prompt, the rest the completion).
A benchmark is a registry name, ``NAME=PATH`` (a registered benchmark read from another copy) or
``NAME=PATH_OR_GLOB:FIELD[+FIELD...]`` (a custom one; ``FIELD`` may be ``question|problem``, the first of these a
record has). PATH may be an object-store URI (``mine=s3://b/bench/*.parquet:question``), read from a temporary copy.
A custom benchmark's licence, size, content hash and fields: ``--benchmark-license NAME=SPDX``,
``--benchmark-expected-items NAME=N``, ``--benchmark-sha256 NAME=HEX``, ``--benchmark-id-field NAME=FIELD``,
``--benchmark-prompt-field NAME=FIELD`` (a recipe's ``license``, ``expected_items``, ``sha256``, ``id_field``,
``prompt_field``; a copy smaller is PARTIAL, larger or different MODIFIED: refused without ``--allow-partial``).

Writes ``OUT/decontam_report.json`` (settings, what each benchmark covered, counts, every match with
file, row, id, benchmark item, method and matched span) and ``OUT/decontam_report.txt`` (the same, to
read; an n-gram match or an exact copy also gives the field it is in as the record names it -- ``q``,
``messages[1].content``, ``conversations[2].value`` -- its character offsets in that string and the text as written;
a template, masked or embedding match, which scores a whole text, names the field(s) of that text with offsets
covering them and ``whole_field: true``; ``row`` counts a file's records from 0, a JSON Lines match also gives its
``line``; errors name rows the same way: ``FILE row 2 (line 5)``, ``FILE row 2 (from 0)``).
Exit codes: **0** no contamination found, **1** contaminated rows found, **2** bad input (a
missing file or field, a partial benchmark without ``--allow-partial``), **3** an internal error (never 1).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Iterator

from pydantic import ValidationError

from ground.cli_parser import ArgumentParser
from curation.dedup import TEXT_CHOICES, _turn_text, every_turn_text, word_spans, words
from curation.dedup.bench_files import (COMPRESSION, expand_paths, field_value, has_field, numbered_records, redact_uri,
                                        row_name, stage_uri, what_file_row_has)
from curation.dedup.benchmarks import as_text, pick
from curation.dedup.decontam import FIELDS, REASON_RE, DecontamConfig, Decontaminate, checked_parts, checked_text, contamination_report, content_positions, side_text, with_views
from ground.errors import FactoryError
from ground.record import REJECTED, new_sample
from ground.source_files import kind_of

log = logging.getLogger(__name__)
BATCH = 5000
#: ... or fewer rows once their text reaches this many characters: 5,000 rows of megabytes each were held at once
BATCH_CHARS = 64 << 20
NGRAM_RE = re.compile(r"^\d+-gram$")
REPORT_FILES = ("decontam_report.json", "decontam_report.txt")


def parse_benchmark(arg: str) -> str | dict:
    """``gsm8k_test`` -> the name; ``gsm8k_test=copy.jsonl`` -> a registered benchmark from another file;
    ``mine=x/*.parquet:q+a`` -> a custom benchmark with its text fields. PATH may be an object-store URI
    (``mine=s3://b/bench/*.parquet?endpoint_override=127.0.0.1:9000:question``): the last ':' is the field's unless
    what follows it holds a '/' (``s3://``) or is the port of a query's host."""
    if "=" not in arg:
        return arg
    name, _, rest = arg.partition("=")
    path, sep, fields = rest.rpartition(":")
    # a URI's own colons are not the field's: s3://... (fields would hold '/'), ...?endpoint_override=host:9000 (a port)
    port = "://" in path and "?" in path and fields.isdigit() and "=" in path.rsplit("?", 1)[1]
    if not sep or "/" in fields or "\\" in fields or port:
        return {"name": name, "path": rest}
    if not path or not fields:
        raise FactoryError(f"--benchmarks {arg!r}: expected NAME=PATH_OR_GLOB[:FIELD[+FIELD...]]")
    return {"name": name, "path": path, "field": fields.split("+")}


def declared(specs: list, a: argparse.Namespace) -> list:
    """``specs`` with what ``--benchmark-license``/``--benchmark-expected-items``/``--benchmark-sha256``/
    ``--benchmark-id-field``/``--benchmark-prompt-field`` declare of them (the recipe's license, expected_items, sha256,
    id_field, prompt_field). Was: a custom benchmark on the command line could not carry a licence or a size, so its
    report said "licence unknown" and "(size not declared)" where a recipe's could not; nor an id or a prompt field, so
    its items were named by row number and rewrites were compared with its first field."""
    out = [s if isinstance(s, dict) else {"name": s} for s in specs]
    by_name = {s["name"]: s for s in out}
    for flag, key, values in (("--benchmark-license", "license", a.benchmark_license),
                              ("--benchmark-expected-items", "expected_items", a.benchmark_expected_items),
                              ("--benchmark-sha256", "sha256", a.benchmark_sha256),
                              ("--benchmark-id-field", "id_field", a.benchmark_id_field),
                              ("--benchmark-prompt-field", "prompt_field", a.benchmark_prompt_field)):
        for v in values:
            name, eq, value = v.partition("=")
            if not eq or not name or not value.strip():
                raise FactoryError(f"{flag} {v!r}: expected NAME=VALUE, NAME one of --benchmarks")
            if name not in by_name:
                raise FactoryError(f"{flag} {v!r}: no benchmark {name!r} in --benchmarks ({', '.join(by_name)})")
            spec = by_name[name]
            if key != "license" and "field" not in spec:
                what = "fields" if key in ("id_field", "prompt_field") else "size and hash"
                raise FactoryError(f"{flag} {v!r}: {name} is a registered benchmark, its {what} are declared by the "
                                   "registry (a custom one is NAME=PATH:FIELD)")
            if key in spec:
                raise FactoryError(f"{flag}: {name} given twice")
            if key == "expected_items":
                if not value.strip().isdigit() or int(value) < 1:
                    raise FactoryError(f"{flag} {v!r}: N must be a whole number of items (1 or more)")
                value = int(value)
            spec[key] = value.strip() if isinstance(value, str) else value
    return [s if set(s) != {"name"} else s["name"] for s in out]


def _is_benchmark(value: str) -> bool:
    """Whether a --benchmarks value names a registered benchmark."""
    from curation.dedup.benchmarks import registered

    try:
        registered(value)
        return True
    except FactoryError:
        return False


def _is_corpus(value: str) -> bool:
    """Whether a --benchmarks value is a corpus typed after the benchmarks: an existing file or folder, a glob that
    matches files, or an object-store URI (``s3://...``; not ``NAME=s3://...``, a benchmark read from there)."""
    import glob as globlib

    if "://" in value:
        return "=" not in value.split("://", 1)[0]
    p = Path(value).expanduser()
    return p.exists() or (any(c in value for c in "*?[") and bool(globlib.glob(str(p), recursive=True)))


def corpus_after_benchmarks(values: list[str]) -> tuple[str, list[str]]:
    """(corpus, benchmarks) when no corpus came before ``--benchmarks``: ``--benchmarks`` takes every value after it
    (``nargs='+'``), so ``factory decontam --benchmarks gsm8k_test corpus.jsonl`` put the corpus among the benchmarks
    and failed with "the following arguments are required: corpus". The last value is the corpus when it is no
    registered benchmark but an existing path, a matching glob or a URI; else one line naming the fix."""
    last = values[-1]
    fix = "give the corpus first: factory decontam CORPUS --benchmarks NAME [NAME ...]"
    corpus = _is_corpus(last)
    if _is_benchmark(last) or (not corpus and "=" in last.split("://", 1)[0]):  # a name, or NAME=PATH[:FIELD]
        raise FactoryError(f"no corpus given: {redact_uri(last)}, the last value of --benchmarks, is a benchmark; {fix}")
    if not corpus:
        raise FactoryError(f"no corpus given: {redact_uri(last)}, the last value of --benchmarks, is not a benchmark nor an "
                           f"existing file; {fix}")
    if len(values) == 1:
        raise FactoryError(f"no benchmark given: --benchmarks holds only the corpus {redact_uri(last)}; name a benchmark: "
                           "factory decontam CORPUS --benchmarks gsm8k_test")
    log.info("decontam: corpus %s (the last value of --benchmarks: it is no benchmark)", redact_uri(last))
    return last, values[:-1]


#: the files of a corpus folder that are read (case aside); others are listed in the report as not read
DATA_SUFFIXES = (".parquet", ".arrow", ".feather", ".jsonl", *(f".jsonl{c}" for c in COMPRESSION))
DATA_KINDS = ".parquet/.arrow/.feather/.jsonl (or .jsonl" + "/".join(dict.fromkeys(c for c in COMPRESSION if c != ".zstd")) + ")"
#: what a dataset folder keeps beside its data (a card, a licence, ``datasets``' metadata): never data, never warned about
DOC_NAMES = ("readme", "license", "licence", "copying", "notice", "citation")
META_FILES = {"dataset_info.json", "dataset_infos.json", "dataset_dict.json", "state.json"}


def _is_doc(f: Path) -> bool:
    """A dataset card, licence or metadata file of a dataset folder (``factory export``'s README.md, a Hub download's
    LICENSE), or an earlier report of this command (``--out`` inside the corpus): not data, so not listed as unread.
    Was: every such folder warned that its README.md was not checked."""
    name = f.name.lower()
    return name in META_FILES or name in REPORT_FILES or name.endswith(".md") or name.split(".")[0] in DOC_NAMES


def corpus_files(corpus: str, skipped: list[Path] | None = None) -> list[Path]:
    """The files of ``corpus`` (see the module doc); a folder's files that are not data (by suffix) and not hidden
    go to ``skipped``. Was: suffixes matched by case (DATA.PARQUET was left out) and nothing said that a folder's
    other files (``.json`` shards, ``.csv``) were not checked."""
    p = Path(corpus)
    if p.is_dir():
        if (p / "manifest.json").is_file() and (p / "accepted").is_dir():
            p = p / "accepted"  # a run directory: its curated rows
        if (p / "dataset_dict.json").is_file():  # a saved DatasetDict: every split is checked
            splits = json.loads((p / "dataset_dict.json").read_text()).get("splits") or []
            return [f for s in splits for f in expand_paths(str(p / s), "corpus")]
        if (p / "state.json").is_file():
            return expand_paths(str(p), "corpus")  # a datasets save_to_disk folder: its Arrow files in order
        seen = sorted(f for f in p.rglob("*") if f.is_file() and not any(x.startswith(".") for x in f.relative_to(p).parts))
        files = [f for f in seen if f.name.lower().endswith(DATA_SUFFIXES)]
        if skipped is not None:
            skipped += [f for f in seen if f not in set(files) and not _is_doc(f)]
        if not files:
            raise FactoryError(f"{corpus}: no .parquet, .arrow or .jsonl files in this directory"
                               + (f" (it holds {', '.join(f.name for f in seen[:3])}{', ...' if len(seen) > 3 else ''})" if seen else ""))
        return files
    return expand_paths(corpus, "corpus")


#: a corpus row's {checked part (prompt, completion, reasoning): [(the file's field, its text), ...]}, the texts in the
#: order the part joins them with newlines: where :func:`locate` finds a match (``messages[1].content``); never written
SPANS = "_decontam_spans"
#: a corpus row's line in its jsonl file (1-based, blank lines count; for Parquet, the 1-based row): the report's ``line``
LINE = "_decontam_line"


def _field_used(rec: dict, name: str) -> str | None:
    """The field of ``name`` (``a|b``: the first of a, b that is there and not null) whose value :func:`pick` takes."""
    return next((k for k in name.split("|") if field_value(rec, k) is not None), None)


def corpus_rows(files: list[Path], fields: list[str], id_field: str = "id") -> Iterator[tuple[Path, int, dict]]:
    """(file, 0-based row, factory row) for every record; ``fields`` become the user message (a field that is
    there but null is empty text; one that is absent is an error; ``text|content`` is the first of these a record has,
    for shards that name the text differently). Without ``fields`` a record is a factory row (``messages`` +
    ``completion``) or a chat dataset row (see :func:`chat_row`). A record's ``id_field``, when it has one, is the id
    the report names (else FILE:ROW)."""
    columns = [a for k in fields for a in k.split("|")]
    for f in files:
        # without --field, the chat and factory columns only (was every column: an image or audio column too)
        for i, (line, rec) in enumerate(numbered_records(f, [*columns, id_field] if fields else [*CORPUS_COLUMNS, id_field],
                                                         None if fields else CORPUS_COLUMNS)):
            where = row_name(f, i, line)  # as the report numbers it: from 0, a jsonl row with its line (blank lines count)
            if not isinstance(rec, dict):
                raise FactoryError(f"{where}: not a record (a JSON {type(rec).__name__}, expected an object)")
            if fields:
                missing = [k for k in fields if not any(has_field(rec, a) for a in k.split("|"))]
                if missing:
                    alts = missing[0].split("|")
                    raise FactoryError(f"{where}: " + (f"none of the fields {' | '.join(map(repr, alts))}" if len(alts) > 1
                                                      else f"no field {missing[0]!r}")
                                       + f" (fields given with --field: {fields}; {what_file_row_has(f, rec, alts[0])})")
                used = [(_field_used(rec, k) or k, pick(rec, k)) for k in fields]
                for k, v in used:  # a binary column of text is read as its UTF-8 (as_text); other bytes are no text to check
                    if isinstance(v, (bytes, bytearray)):
                        try:
                            bytes(v).decode("utf-8")
                        except UnicodeDecodeError as e:
                            raise FactoryError(f"{where}: field {k!r} holds bytes that are not UTF-8 text (byte 0x{v[e.start]:02x})") from None
                parts = [(k, as_text(v)) for k, v in used if v is not None]
                row = new_sample(stage="corpus", prompt_id=f"{f.name}:{i}", sample_index=0,
                                 messages=[{"role": "user", "content": "\n".join(t for _, t in parts)}])
                row[FIELDS] = parts  # what is matched (each field alone too, for exact copies)
                row[SPANS] = {"prompt": [p for k, v in used if v is not None for p in text_parts(k, v)]}
            elif "messages" in rec and isinstance(rec.get("completion", 0), (str, type(None))):  # a factory row (a run's accepted/)
                msgs = factory_messages(rec["messages"], where)
                row = dict(rec, messages=msgs, status="accepted", reject_stage=None, reject_reason=None)
                row[SPANS] = {"prompt": [(f"messages[{k}].content", t) for k, t in enumerate(every_turn_text(row))]}
            else:
                row = chat_row(rec, where)
                row["prompt_id"] = f"{f.name}:{i}"
            rid = field_value(rec, id_field)
            row["id"] = str(rid) if rid is not None else f"{f.name}:{i}"
            row[LINE] = line
            yield f, i, row


def text_parts(label: str, v) -> list[tuple[str, str]]:
    """(field, text) pieces of a value whose newline-joined texts are ``as_text(v)``, each named as a user indexes the
    record: ``messages[1].content``, ``conversations[2].value``, ``turns[0]``. A match's offsets are then into a
    string of the file (was: into the rendered list, named ``messages[37:507]``, which reads as a slice of the list).
    A value whose pieces do not rebuild its text exactly (a turn with tool calls) is one piece, the label itself."""
    parts = _pieces(label, v)
    text = as_text(v)
    return parts if parts and "\n".join(t for _, t in parts) == text else [(label, text)]


def _pieces(label: str, v) -> list[tuple[str, str]]:
    if isinstance(v, (list, tuple)):
        return [p for k, x in enumerate(v) for p in text_parts(f"{label}[{k}]", x)] if v else [(label, "")]
    if isinstance(v, dict) and ("content" in v or "tool_calls" in v):
        c = v.get("content")
        if v.get("tool_calls") or not isinstance(c, (str, list)):
            return [(label, as_text(v))]
        return text_parts(f"{label}.content", c) if isinstance(c, str) or c else [(label, "")]
    if isinstance(v, dict) and ("value" in v or "text" in v) and ("from" in v or "type" in v):
        key = "value" if "value" in v else "text"
        return text_parts(f"{label}.{key}", v[key])
    return [(label, as_text(v))]


def factory_messages(msgs, where: str) -> list[dict]:
    """A factory row's ``messages`` (a JSON string or a list of message objects) as a list; anything else is one
    FactoryError naming the row. Was: a string that is not JSON, a list of strings or a non-text ``completion`` ended
    in a traceback, exit 1, which means "contaminated"."""
    if msgs is None:
        return []
    if isinstance(msgs, str):
        try:
            msgs = json.loads(msgs)
        except ValueError:
            raise FactoryError(f"{where}: column 'messages' is not valid JSON (a factory row's messages are a JSON list "
                               "of chat messages)") from None
    if not isinstance(msgs, list) or not all(isinstance(m, dict) for m in msgs):
        got = type(msgs).__name__ if not isinstance(msgs, list) else "list holding a " + next(type(m).__name__ for m in msgs if not isinstance(m, dict))
        raise FactoryError(f"{where}: column 'messages' is not a list of chat messages (a {got})")
    return msgs


#: the columns of a corpus row read without --field (a file holding none of them is read whole, for the error)
CORPUS_COLUMNS = ["messages", "conversations", "prompt", "completion", "chosen", "rejected", "reasoning"]
#: the turns that make a chat row's prompt; every other turn (assistant, gpt, tool, function_call, ...) is its answer
PROMPT_ROLES = ("system", "user", "human")
#: chat dataset columns -> what they hold: a conversation, a prompt, an answer (each a string or a message list)
CHAT_COLUMNS = {"messages": "conversation", "conversations": "conversation", "prompt": "prompt", "completion": "answer",
                "chosen": "answer", "rejected": "answer"}


def chat_row(rec: dict, where: str) -> dict:
    """A factory row from a chat dataset row: OpenAI ``messages`` (a list, or its JSON), ShareGPT ``conversations``
    (from/value), TRL prompt/completion and prompt/chosen/rejected (strings or message lists), as ``factory
    export`` writes them. The system and user turns are its prompt, every other turn its completion, so
    ``--compare`` works on them as on a run's rows. Was: a ``messages`` list was checked on its user turns only
    (the assistant's, where a benchmark's answers would be, never) and the other shapes stopped with a traceback."""
    cols = [c for c in CHAT_COLUMNS if rec.get(c) is not None]
    if not cols:
        raise FactoryError(f"{where}: no text to check: none of the chat columns {sorted(CHAT_COLUMNS)} and no factory "
                           f"messages/completion; name the text field(s) with --field (this row has: {sorted(rec)[:12]})")
    prompt: list[str] = []
    answer: list[str] = []
    thought = [rec["reasoning"]] if isinstance(rec.get("reasoning"), str) and rec["reasoning"] else []  # factory export
    # where each turn's text is in the record (locate): prompt, completion and reasoning pieces, in the order joined
    spans: dict[str, list[tuple[str, str]]] = {"prompt": [], "completion": [], "reasoning": [("reasoning", thought[0])] if thought else []}
    for c in cols:
        v = rec[c]
        if isinstance(v, str) and v.lstrip().startswith("[") and CHAT_COLUMNS[c] == "conversation":
            try:
                v = json.loads(v)
            except ValueError:
                raise FactoryError(f"{where}: column {c!r} is not valid JSON") from None
        if isinstance(v, str):
            (prompt if CHAT_COLUMNS[c] == "prompt" else answer).append(v)
            spans["prompt" if CHAT_COLUMNS[c] == "prompt" else "completion"].append((c, v))
            continue
        if not isinstance(v, list) or not all(isinstance(m, dict) for m in v):
            raise FactoryError(f"{where}: column {c!r} is not text or a list of chat messages (a {type(v).__name__})")
        for k, m in enumerate(v):
            role = str(m.get("role", m.get("from", "")))
            text = _turn_text(m) if "value" not in m else as_text(m.get("value"))
            to_prompt = role in PROMPT_ROLES if CHAT_COLUMNS[c] == "conversation" else CHAT_COLUMNS[c] == "prompt"
            (prompt if to_prompt else answer).append(text)
            pieces = text_parts(f"{c}[{k}]", m)
            spans["prompt" if to_prompt else "completion"] += pieces if "\n".join(t for _, t in pieces) == text else [(f"{c}[{k}]", text)]
            if m.get("reasoning_content"):  # an assistant turn's thinking, as exports and TRL datasets keep it
                thought.append(as_text(m["reasoning_content"]))
                spans["reasoning"].append((f"{c}[{k}].reasoning_content", thought[-1]))
    # one user message per prompt turn: the prompt's text is the same ("\n"-joined), and a turn that IS a short benchmark
    # item is an exact copy as in a factory row (was one message of all turns: a system prompt or an earlier turn
    # beside "What is the capital of France?" hid the copy)
    row = new_sample(stage="corpus", prompt_id="", sample_index=0, messages=[{"role": "user", "content": t} for t in prompt or [""]],
                     completion="\n".join(answer), reasoning="\n".join(thought) or None)
    row[SPANS] = spans
    return row


def scan(files: list[Path], fields: list[str], step: Decontaminate, id_field: str = "id") -> tuple[list[dict], int, dict]:
    """Run the step batch by batch; returns (matches, rows checked, counts report)."""
    matches: list[dict] = []
    n = 0
    rejected: list[dict] = []
    batch: list[tuple[Path, int, dict]] = []

    def flush() -> None:
        rows = step([r for _, _, r in batch])
        for (f, i, orig), r in zip(batch, rows):
            if r.get("status") == REJECTED and r.get("reject_stage") == step.name:
                m = REASON_RE.match(r["reject_reason"])
                assert m, r["reject_reason"]
                # a JSON Lines row also names its line (what errors and editors count); `row` is the 0-based record index
                line = {"line": orig[LINE]} if LINE in orig and kind_of(f) == "jsonl" else {}
                matches.append({"file": str(f), "row": i, **line, "id": r.get("id"), "benchmark": m["bench"], "item": m["item"],
                                "method": m["method"], "span": m["span"], **locate(step, r, m["method"], m["span"], (m["bench"], m["item"]))})
                rejected.append({"status": REJECTED, "reject_stage": step.name, "reject_reason": r["reject_reason"], "id": r.get("id")})
        batch.clear()

    chars = 0
    for rec in corpus_rows(files, fields, id_field):
        batch.append(rec)
        n += 1
        chars += _chars(rec[2])
        if len(batch) >= BATCH or chars >= BATCH_CHARS:
            flush()
            chars = 0
    if batch:
        flush()
    rep = contamination_report(rejected + [{}] * (n - len(rejected)), stage=step.name, coverage=step.coverage)
    return matches, n, rep


def _chars(row: dict) -> int:
    """About how much text a row holds (its strings and message contents), what a batch is bounded by."""
    msgs = row.get("messages")
    return sum(len(v) for v in row.values() if isinstance(v, str)) + (
        sum(len(str(m.get("content") or "")) for m in msgs) if isinstance(msgs, list) else 0)


#: the methods that score a whole text (a part of the row, as the config compares it), not a span of it
WHOLE_TEXT = {"template score=": "template matching", "masked ": "masked n-gram matching", "embedding cos=": "embedding matching"}


def _whole_text_kind(method: str) -> str | None:
    return next((kind for prefix, kind in WHOLE_TEXT.items() if method.startswith(prefix)), None)


def _part_fields(row: dict, label: str, text: str) -> list[str]:
    """The record's own fields a checked part (prompt, completion) is made of (``messages[1].content``, ``q``), or the
    part's name when they do not rebuild its text."""
    sub = (row.get(SPANS) or {}).get(label)
    return [x for x, _ in sub] if sub and "\n".join(t for _, t in sub) == text else [label]


def locate_whole(step: Decontaminate, row: dict, method: str, span: str | None = None, item: tuple[str, str] | None = None) -> dict:
    """Where a match of a method that scores a whole text lies: template matching (the prompt or the completion, scored
    apart with ``--compare both``), masked n-grams (the compared text) and embeddings (``embedding_on``'s text). The
    field(s) that text is made of, offsets covering all of it and ``whole_field: true``; no ``text`` (it is the whole
    field). Was nothing: a template match named no field, where an n-gram match named its field and span."""
    cfg = step.config
    if method.startswith("template score="):
        sides = ["prompt", "completion"] if cfg.on == "both" else [cfg.on]
        texts = dict(with_views([(side, side_text(row, side)) for side in sides]))  # a decoded reading: "prompt, rot-13"
        # which part was flagged: the one the reason quotes; if both read alike, the one scoring the item highest
        found = [side for side in texts if texts[side].strip() and (span is None or step._quote(" ".join(words(texts[side]))) == span)]
        if len(found) > 1 and item is not None and step._template is not None:
            best = step._template.best([texts[side] for side in found])
            scored = [(best[k][1], side) for k, side in enumerate(found) if k in best and best[k][0] == item]
            found = [max(scored)[1]] if scored else found
        if not found:
            return {}
        side = found[0]
        parts = [(side, texts[side])]
    else:
        on = cfg.embedding_on if method.startswith("embedding") else cfg.on
        sides = ["prompt", "completion"] if on == "both" else [on]
        parts = [(side, side_text(row, side)) for side in sides]
    fields = [f for label, t in parts for f in _part_fields(row, label, t)]
    whole = "\n\n".join(t for _, t in parts)  # text_of(row, "both") joins its parts so
    return {"field": "+".join(fields), "start": 0, "end": len(whole), "whole_field": True}


def locate(step: Decontaminate, row: dict, method: str = "13-gram", span: str | None = None, item: tuple[str, str] | None = None) -> dict:
    """Where an n-gram match or an exact copy lies in the row's own text: the field (a ``--field`` name, or
    prompt/completion), the character offsets in it (``start``, ``end``, Python string indices) and the matched ``text``
    as written there (original case, accents, Unicode); a match across two fields names both (``q+a``), offsets from
    the first's start in their newline-joined text. The methods that score a whole text (template, masked, embedding)
    name the whole field (:func:`locate_whole`). Empty when the offsets cannot be told (see word_spans). Was n-grams
    only: an exact copy (a turn of a conversation, a short item) came with no field or offsets."""
    assert step._index is not None and step._exact is not None
    if _whole_text_kind(method):
        return locate_whole(step, row, method, span, item)
    text = checked_text(row, step.config.on)
    toks = words(text, ops=True)
    at_tok: tuple[int, int] | None = None
    if NGRAM_RE.match(method):
        hit = step._index.find([toks]).get(0)
        at_tok = (hit[3], hit[4]) if hit else None
    elif method.startswith("content ") and step._content is not None:  # content words: from the first matched to the last
        ps = content_positions(toks)
        hit = step._content.find([[toks[p] for p in ps]]).get(0)
        at_tok = (ps[hit[3]], ps[hit[4] - 1] + 1) if hit else None
    elif method in ("exact copy", "near copy same arithmetic"):
        copy = step._exact.find([row], step.config.on, [toks], set()).get(0)
        key = copy[2].split(" ") if copy else []
        at_tok = next(((i, i + len(key)) for i in range(len(toks) - len(key) + 1) if key and toks[i : i + len(key)] == key), None)
    spans = word_spans(text, ops=True) if at_tok else None
    if not at_tok or not spans:
        return {}
    start, end = spans[at_tok[0]][0], spans[at_tok[1] - 1][1]
    pieces: list[tuple[str, int, str]] = []  # (field, where it starts in text, its text)
    at = 0
    for label, t in checked_parts(row, step.config.on):  # joined by blank lines (checked_text)
        sub = (row.get(SPANS) or {}).get(label)
        if sub and "\n".join(x for _, x in sub) == t:  # the part as the record's own fields, joined by newlines
            pos = at
            for sub_label, x in sub:
                pieces.append((sub_label, pos, x))
                pos += len(x) + 1
        else:
            pieces.append((label, at, t))
        at += len(t) + 2
    touched = [(label, s) for label, s, t in pieces if start < s + len(t) and end > s]
    first = touched[0][1] if touched else 0
    return {"field": "+".join(label for label, _ in touched), "start": start - first, "end": end - first, "text": text[start:end]}


def incomplete_warning(c: dict) -> str:
    """What an incomplete benchmark copy (a coverage dict) leaves unchecked: a smaller copy misses items, one of the
    declared size (or larger) whose content hash differs is altered. Was "missing items" for both: a full-size copy
    with edited items read as if some were absent."""
    if c.get("expected_items") is not None and c["items"] < c["expected_items"]:
        return "PARTIAL benchmark, rows are not checked against the missing items"
    return "ALTERED benchmark copy (not the declared content), rows are checked against this copy's items, not the declared ones"


#: said under a benchmark that template matching left out by default: its rewritten copies (other numbers, names,
#: wording) are not looked for. Was: nothing, and a clean report on ASDiv read as if rewrites had been checked
NO_TEMPLATE = ("rewritten copies (other numbers, names, wording) NOT looked for: template matching is calibrated for "
               "gsm8k_test (and copies of it); --template on turns it on for this benchmark (bench/RESULTS.md: recall and "
               "false flags on ASDiv)")


def text_report(rep: dict, max_per_bench: int = 20) -> str:
    lines = [f"decontamination report: {rep['rows']} rows from {len(rep['files'])} file(s); "
             f"{rep['contaminated']} contaminated", ""]
    if not rep["rows"]:  # was "0 rows ...; 0 contaminated", exit 0: an empty shard passed as a clean corpus
        lines[1:1] = ["WARNING: the corpus has no rows: nothing was checked", ""]
    lines += ["benchmarks checked:"] + [f"  {c['line']}  licence {c.get('license')}  from {c.get('source')}"
                                        + (f"\n    checked by: {', '.join(c['checks'])}" if c.get("checks") else "")
                                        + (f"\n    {NO_TEMPLATE}" if c.get("checks") and not any(k.startswith("template") for k in c["checks"])
                                           and rep.get("settings", {}).get("template") in (None, "auto") else "")
                                        for c in rep["benchmarks"]]
    if rep.get("not_read"):
        lines.append(f"WARNING: {len(rep['not_read'])} file(s) of the corpus folder are not {DATA_KINDS} and were not "
                     f"checked: {', '.join(rep['not_read'][:5])}{' ...' if len(rep['not_read']) > 5 else ''}")
    for c in rep["benchmarks"]:
        if c.get("complete") is False:
            lines.append(f"WARNING: {incomplete_warning(c)}: {c['line']}")
    if rep.get("items_too_short"):
        lines.append(f"WARNING: {rep['items_too_short']} benchmark items are shorter than {rep['settings']['min_item_tokens']} "
                     "words: a row that IS one is flagged (exact copy), a row that contains one is not (--min-item-tokens lowers the bound)")
    if rep["matches"]:
        lines += ["", "rows are numbered from 0 (as ds[row]); a JSON Lines row also gives its line in the file"]
    for name, b in rep["per_benchmark"].items():
        lines += ["", f"{name}: {b['rows']} rows match {b['items']} items ({', '.join(f'{k}: {v}' for k, v in b['methods'].items())})"]
        lines += [f"  {_where(m)} ~ {name}#{m['item']} {m['method']}: '{m['span']}'"
                  + (f" at {m['field']} (the whole field{'s' if '+' in m['field'] else ''}: {_whole_text_kind(m['method'])} scores "
                     "whole texts)" if m.get("whole_field") else f" at {m['field']}[{m['start']}:{m['end']}]" if "start" in m else "")
                  for m in [x for x in rep["matches"] if x["benchmark"] == name][:max_per_bench]]
        if b["rows"] > max_per_bench:  # was cut silently: the .txt read as if these were all
            lines.append(f"  ... and {b['rows'] - max_per_bench} more rows (every match is in decontam_report.json)")
    return "\n".join(lines) + "\n"


def _where(m: dict) -> str:
    """A match's row as the text report names it: ``FILE row 1 (line 3, id ID)``, the line for a JSON Lines file."""
    line = f"line {m['line']}, " if "line" in m else ""
    return f"{m['file']} row {m['row']} ({line}id {m['id']})"


def write_report(out: Path, files: dict[str, str]) -> None:
    """Write the report files into ``out`` whole: every file to a temp file first, then each renamed over its name, so
    a folder that cannot be made or written (or a report name taken by a folder) leaves the old report as it was. Any
    failure is one FactoryError, exit 2 (bad input), never a traceback's exit 1, which means "contaminated". Was: the
    .json was renamed in before the .txt was written, so a .txt that failed left a new .json beside the old .txt."""
    tmps: dict[str, Path] = {}
    try:
        out.mkdir(parents=True, exist_ok=True)
        taken = [name for name in files if (out / name).is_dir()]
        if taken:
            raise FactoryError(f"--out: cannot write the report in {out}: {out / taken[0]} is a folder")
        for name, text in files.items():
            tmps[name] = out / f".{name}.tmp-{os.getpid()}"
            tmps[name].write_text(text, encoding="utf-8")
        for name in files:
            os.replace(tmps.pop(name), out / name)
    except OSError as e:
        raise FactoryError(f"--out: cannot write the report in {out}: {e.strerror or e}") from None
    finally:
        for tmp in tmps.values():
            tmp.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    """Exit 0 clean, 1 contaminated, 2 bad input (a FactoryError or an unreadable path, one line), 3 an internal
    error (its traceback). Was: an unexpected exception ended Python with 1, which a script reads as "contaminated"."""
    try:
        return _main(argv)
    except (FactoryError, OSError):
        raise  # factory.cli: one line, exit 2
    except Exception:  # noqa: BLE001 - anything else is our bug: say so, never as exit 1
        import sys
        import traceback

        traceback.print_exc()
        print("error: factory decontam failed (an internal error, exit 3; not a verdict on the corpus)", file=sys.stderr)
        return 3


def _main(argv: list[str] | None) -> int:
    ap = ArgumentParser(prog="factory decontam", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", help="Parquet/JSONL file, glob, directory or run directory (or URI); may also come last, "
                    "after --benchmarks' values")
    ap.add_argument("--benchmarks", nargs="+", required=True, help="registry names, NAME=PATH or NAME=PATH_OR_GLOB:FIELD[+FIELD]")
    ap.add_argument("--benchmark-license", action="append", default=[], metavar="NAME=SPDX",
                    help="licence of a benchmark given in --benchmarks (repeat per benchmark; the recipe's license)")
    ap.add_argument("--benchmark-expected-items", action="append", default=[], metavar="NAME=N",
                    help="a custom benchmark's declared size: a copy with fewer items is PARTIAL, with more MODIFIED (the recipe's expected_items)")
    ap.add_argument("--benchmark-sha256", action="append", default=[], metavar="NAME=HEX",
                    help="a custom benchmark's declared content hash: a copy that differs is ALTERED (the recipe's sha256)")
    ap.add_argument("--benchmark-id-field", action="append", default=[], metavar="NAME=FIELD",
                    help="a custom benchmark's item id field, what the report names items by (the recipe's id_field; default: the row from 0, FILE:ROW for a glob)")
    ap.add_argument("--benchmark-prompt-field", action="append", default=[], metavar="NAME=FIELD",
                    help="a custom benchmark's problem-statement field, what masked, template and embedding matching compare (the recipe's "
                         "prompt_field; default: its first FIELD)")
    ap.add_argument("--field", action="append", default=[], help="corpus field holding text to check (repeat for several; a.b = field b "
                    "of struct column a, messages[1].content = element 1 of list column messages, as the report names fields; "
                    "text|content = the first of these a row has, for shards that name it differently; q+a = fields q and a, "
                    "as the report names a match over both)")
    ap.add_argument("--id-field", default="id", help="the corpus field the report names each row by, with --field or in chat and "
                    "factory rows (default id; FILE:ROW, ROW from 0, when a row has none)")
    ap.add_argument("--compare", choices=TEXT_CHOICES, help="without --field: which text of a chat or factory row to check (default "
                    "both); refused with --field, whose fields are the text checked")
    ap.add_argument("--out", default="decontam_report", help="directory for decontam_report.json and .txt")
    ap.add_argument("--ngram", type=int, default=13, help="n-gram length, in words, of a containment match (default 13)")
    ap.add_argument("--content-ngram", type=int, default=9, help="n-gram length over content words (function words dropped on both "
                    "sides: note-style copies), counted where it spans >= --ngram words of the item; 0 = off (default 9)")
    ap.add_argument("--min-item-tokens", type=int, default=8,
                    help="benchmark items shorter than this many words are matched only as exact copies, not by containment (default 8: too generic)")
    ap.add_argument("--masked", action="store_true", help="also catch rewrites by masked n-grams")
    ap.add_argument("--masked-threshold", type=float, help="masked overlap that counts as contamination (default: DecontamConfig's)")
    ap.add_argument("--embedding", action="store_true", help="also catch paraphrases by embeddings (confirmed by masked overlap)")
    ap.add_argument("--template", choices=("auto", "on", "off"), default="auto",
                    help="template matching of rewrites: auto = on for benchmarks calibrated for it (gsm8k_test) and custom copies of them")
    ap.add_argument("--allow-partial", action="store_true", help="accept a benchmark copy smaller than declared (reported)")
    a = ap.parse_args(argv)
    if a.corpus is None:  # `--benchmarks gsm8k_test corpus.jsonl`: nargs='+' took the corpus too
        a.corpus, a.benchmarks = corpus_after_benchmarks(a.benchmarks)
    # "q+a", as the report names a match over two fields, is those two fields (was: "field 'q+a' not found")
    a.field = [p for f in a.field for p in (f.split("+") if "+" in f and all(f.split("+")) else [f])]
    if a.field and a.compare is not None:  # was ignored without a word: --field rows have one text, the fields'
        raise FactoryError("--compare does not apply with --field: the --field text is what is checked (drop --compare; without "
                           "--field a chat or factory row's prompt and completion are checked per --compare)")
    if Path(a.out).exists() and not Path(a.out).is_dir():  # before any work (was: FileExistsError after the scan)
        raise FactoryError(f"--out: {a.out} is a file, not a folder")
    taken = [Path(a.out) / n for n in REPORT_FILES if (Path(a.out) / n).is_dir()]
    if taken:  # before any work too: found only after the scan, the whole scan was lost
        raise FactoryError(f"--out: cannot write the report in {a.out}: {taken[0]} is a folder")
    up = Path(a.out).absolute()
    while not up.exists():  # the folder that --out would be made in: a file, or not writable, fails now, not after the scan
        up = up.parent
    if not up.is_dir() or not os.access(up, os.W_OK | os.X_OK):
        raise FactoryError(f"--out: cannot write the report in {a.out}: {up} is " + ("a file" if not up.is_dir() else "not writable"))
    try:
        specs = declared([parse_benchmark(b) for b in a.benchmarks], a)
        cfg = DecontamConfig(benchmarks=specs, on="prompt" if a.field else a.compare or "both",
                             ngram=a.ngram, content_ngram=a.content_ngram, min_item_tokens=a.min_item_tokens, masked=a.masked, embedding=a.embedding, allow_partial=a.allow_partial,
                             template={"auto": None, "on": True, "off": False}[a.template],
                             **({"masked_threshold": a.masked_threshold} if a.masked_threshold is not None else {}),
                             # embeddings alone flag same-topic problems: candidates from cos >= 0.5, confirmed by masked overlap
                             **({"embedding_threshold": 0.5, "embedding_confirm": "masked"} if a.embedding else {}))
    except ValidationError as e:  # one line naming the flag, not pydantic's four-line report
        err = e.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else ""
        flag = {"on": "--compare", "benchmarks": "--benchmarks"}.get(name, "--" + name.replace("_", "-"))
        msg = (err['msg'].removeprefix('Value error, ').strip().splitlines() or [err['type']])[0]
        raise FactoryError(redact_uri(f"{flag}: {msg} (got {err.get('input')!r})")) from None  # a URI's credentials never printed
    except ValueError as e:
        raise FactoryError(redact_uri((str(e).splitlines() or [type(e).__name__])[0])) from None
    step = Decontaminate(cfg)
    try:
        step._load()  # benchmarks (and their coverage check) before reading the corpus: bad input fails fast
    except FactoryError as e:  # the command line's switch, not the recipe's key (was "set allow_partial: true")
        raise FactoryError(str(e).replace("set allow_partial: true", "pass --allow-partial")) from None
    with tempfile.TemporaryDirectory(prefix="factory-decontam-") as tmp:
        corpus, uris = stage_uri(a.corpus, tmp, "corpus") if "://" in a.corpus else (a.corpus, {})
        skipped: list[Path] = []
        files = corpus_files(corpus, skipped)
        matches, n, rep = scan(files, a.field, step, a.id_field)
    if uris:  # the report names the object-store files, not their temporary copies
        for m in matches:
            m["file"] = uris.get(str(m.get("file")), m.get("file"))
    named = lambda fs: [uris.get(str(f), str(f)) for f in fs]  # noqa: E731
    rep.update(rows=n, files=named(files), not_read=named(skipped), matches=matches, items_too_short=step._index.skipped,
               settings={"ngram": cfg.ngram, "min_item_tokens": cfg.min_item_tokens, "on": cfg.on, "masked": cfg.masked, "masked_threshold": cfg.masked_threshold,
                         "template": a.template, "template_threshold": cfg.template_threshold,
                         "embedding": cfg.embedding, "allow_partial": cfg.allow_partial})
    out = Path(a.out)
    text = text_report(rep)
    write_report(out, dict(zip(REPORT_FILES, [json.dumps(rep, indent=1, default=str), text])))
    print(text, end="")
    print(f"report: {out / 'decontam_report.json'}")
    return 1 if matches else 0
