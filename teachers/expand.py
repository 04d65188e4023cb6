"""Source records -> Sample rows: one row per (record, sample index), with messages and request keys.

    >>> from teachers.expand import Expander
    >>> exp = Expander.from_recipe(recipe)           # templates read once; pickles to Ray workers
    >>> rows = exp.expand(record)                    # a ground.source.SourceRecord -> n rows

The same code runs in the driver for eval sets and on Ray workers for a run's source (the streaming
plane's ``flat_map``). A record that cannot become a prompt (bad JSON, missing field, template field
missing) still yields its n rows, rejected at stage ``source`` with the reason and the record's place,
so it is counted and kept.
"""

from __future__ import annotations

import hashlib
import json
import string
from dataclasses import dataclass, field
from pathlib import Path

from ground.conversation import has_tools
from ground.record import new_sample, reject, sha
from ground.source import SourceRecord, prompt_of, prompt_text, read_records
from teachers.cache import options_key, refused_reasons, request_keys
from teachers.step import sampling_params, teacher_cfg


@dataclass
class TeacherSpec:
    """What expansion needs of one teacher (name, engine, model, n, sampling as a dict)."""

    name: str
    engine: str
    model: str
    n: int
    sampling: dict
    #: the engine's resolved options that change its answers (teachers.cache.options_key): part of the request key
    options: dict = field(default_factory=dict)
    #: finish reasons the teacher retries (``retry_on_finish_reasons``): a cached answer that ended so is a miss
    refuse: tuple = ()


@dataclass
class Expander:
    stage: str
    fields: object  # ground.source.FieldMap
    template: str = ""
    system: str | None = None
    teachers: dict[str, TeacherSpec] = field(default_factory=dict)
    default_teacher: str = ""
    route_field: str | None = None
    route_map: dict[str, str] = field(default_factory=dict)
    shard_size: int = 1000
    #: the recipe's tool catalogue (``prompt.tools``), put on every prompt's system message that has none
    tools: list[dict] | None = None

    @classmethod
    def from_recipe(cls, recipe) -> Expander:
        pc = recipe.prompt
        template = prompt_text(pc.template, "template", recipe.path) if pc.template else ""
        system = prompt_text(pc.system, "system", recipe.path).strip() if pc.system else None
        specs = {}
        for n, t in recipe.all_teachers().items():
            opts = teacher_cfg(t, recipe.base_dir)["options"]
            specs[n] = TeacherSpec(t.name, t.engine, t.model, t.n, t.sampling.model_dump(), options_key(t.engine, opts),
                                   refused_reasons(t.engine, opts))
        route = recipe.route
        tools = load_tools(recipe.path(recipe.prompt.tools)) if recipe.prompt.tools else None
        return cls(stage=recipe.name, fields=recipe.source.fields, template=template, system=system, teachers=specs,
                   default_teacher=recipe.teacher.name, route_field=route.field if route else None,
                   route_map=dict(route.map) if route else {}, shard_size=recipe.output.shard_size, tools=tools)

    def rows_per_record(self) -> int | None:
        """Rows each record expands to (every record gives ``n`` rows, a bad one ``n`` rejected rows), or None
        when it depends on the record (routing to teachers with different ``n``)."""
        ns = {self.teachers[self.default_teacher].n} | ({self.teachers[t].n for t in self.route_map.values()} if self.route_field else set())
        return ns.pop() if len(ns) == 1 else None

    @property
    def template_hash(self) -> str:
        return hashlib.sha256(self.template.encode()).hexdigest()[:16]

    def _messages(self, rec: SourceRecord, prompt: str | None, err: str | None) -> tuple[list[dict], str | None]:
        msgs, err = self._plain_messages(rec, prompt, err)
        if self.tools and msgs and not has_tools(msgs):
            from teachers.tool_loop import with_tool_catalogue

            msgs = with_tool_catalogue(msgs, self.tools)
        return msgs, err

    def _plain_messages(self, rec: SourceRecord, prompt: str | None, err: str | None) -> tuple[list[dict], str | None]:
        fm, data = self.fields, rec.data or {}
        if fm.messages is not None:
            return _ready_messages(rec, fm.messages)
        if err is not None:
            return [], err
        try:
            user = _FILL.format(self.template, **{**data, "prompt": prompt})
        except _NullField as e:
            return [], f"template field {e.args[0]!r} is null in the record"
        except (KeyError, IndexError, ValueError, TypeError, AttributeError) as e:
            return [], f"template field missing in record: {e}"  # TypeError, AttributeError: {meta[k]} of a null or a string
        return ([{"role": "system", "content": self.system}] if self.system else []) + [{"role": "user", "content": user}], None

    def problem(self, rec: SourceRecord) -> str | None:
        """Why the record would be rejected at stage ``source`` (``reason [file:line]``), or None: what
        :meth:`expand` checks, without building rows (``source.on_bad_record: fail`` scans a source with it)."""
        prompt, err = prompt_of(rec, self.fields)
        _, err = self._messages(rec, prompt, err)
        return None if err is None else f"{err} [{rec.where}]"

    def expand(self, rec: SourceRecord, samples: range | None = None) -> list[dict]:
        """The record's rows: sample indices ``samples`` (default ``range(n)``; adaptive waves pass theirs)."""
        fm, data = self.fields, rec.data or {}
        prompt, err = prompt_of(rec, fm)
        pid = record_id(rec, fm)
        messages, err = self._messages(rec, prompt, err)
        t = self.teachers[self.default_teacher]
        if self.route_field is not None and self.route_field in data:
            t = self.teachers[self.route_map.get(str(data[self.route_field]), self.default_teacher)]
        ref = data.get(fm.reference) if fm.reference else None
        if ref is not None and not isinstance(ref, str):
            ref = json.dumps(ref, default=str)  # Parquet/Arrow: dates, bytes, decimals
        source = json.dumps(data, ensure_ascii=False, default=str)[:100_000]
        category = str(data[fm.category]) if fm.category and fm.category in data else None
        prov = provenance(data, ref)
        rows = []
        ks = list(samples if samples is not None else range(t.n))
        params = [sampling_params(t.sampling, k).to_dict() for k in ks]
        keys = request_keys(t.engine, t.model, messages, params, ks, t.options)  # the prompt's part hashed once
        mjson = json.dumps(messages, ensure_ascii=False)
        for k, p, key in zip(ks, params, keys):
            row = new_sample(
                stage=self.stage, prompt_id=pid, sample_index=k, messages=mjson, chunk=rec.index // self.shard_size,
                category=category, reference=ref, source=source, template_hash=self.template_hash, teacher=t.name,
                engine=t.engine, model=t.model, params=json.dumps(p, sort_keys=True), request_key=key, **prov,
            )
            if err is not None:
                reject(row, "source", f"{err} [{rec.where}]")
            rows.append(row)
        return rows


class _NullField(Exception):
    """A template placeholder whose value is null: str.format would send the teacher the word "None"."""


class _Fill(string.Formatter):
    """``str.format`` (the same syntax and results) that refuses a placeholder whose value is null."""

    def get_value(self, key, args, kwargs):
        v = super().get_value(key, args, kwargs)
        if v is None:  # {meta[k]} of a null meta: name meta, not "'NoneType' object is not subscriptable"
            raise _NullField(key)
        return v

    def get_field(self, field_name, args, kwargs):
        obj, first = super().get_field(field_name, args, kwargs)
        if obj is None:
            raise _NullField(field_name)
        return obj, first


_FILL = _Fill()


def tools_problem(specs) -> str | None:
    """Why ``specs`` (a parsed ``prompt.tools`` file) is not a list of OpenAI function tool specs, or None."""
    if not isinstance(specs, list) or not specs:
        return "not a non-empty JSON list of tool specs"
    for i, s in enumerate(specs):
        fn = s.get("function") if isinstance(s, dict) else None
        if not isinstance(s, dict) or s.get("type") != "function" or not isinstance(fn, dict) or not fn.get("name"):
            return f"item {i} is not {{type: function, function: {{name, ...}}}}"
    return None


def load_tools(path) -> list[dict]:
    """The tool specs of a ``prompt.tools`` file; one clear error naming it when they are not."""
    from ground.errors import FactoryError

    try:
        specs = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise FactoryError(f"prompt.tools: {path}: {e}") from None
    why = tools_problem(specs)
    if why:
        raise FactoryError(f"prompt.tools: {path}: {why}")
    return specs


def record_id(rec: SourceRecord, fm) -> str:
    """A record's prompt id: its id field, else the hash of the record (or of its place, for a bad one)."""
    data = rec.data or {}
    return str(data.get(fm.id)) if fm.id and data.get(fm.id) is not None else sha(data if rec.data else rec.where, n=16)


#: the source-record key under which factory/synthesize.py stores a synthesized prompt's provenance (JSON)
SYNTH_KEY = "_synth"
PROVENANCE = ("seed_id", "synth_condition", "synth_template_hash", "synth_teacher", "agreement", "reference_source")


def provenance(data: dict, ref) -> dict:
    """Provenance columns of a row: a synthesized record's ``_synth`` entry, else synthesized false."""
    raw = data.get(SYNTH_KEY)
    p = json.loads(raw) if isinstance(raw, str) else raw if isinstance(raw, dict) else None
    if not p:
        return {"synthesized": False, "reference_source": "source" if ref is not None else None}
    return {"synthesized": True, **{k: p.get(k) for k in PROVENANCE}}


#: ShareGPT speakers (``{"from": ..., "value": ...}``, as Axolotl and FastChat read them) -> OpenAI roles
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "chatgpt": "assistant",
                  "model": "assistant", "bing": "assistant", "bard": "assistant", "system": "system", "tool": "tool",
                  "function_response": "tool", "observation": "tool", "ipython": "tool",
                  "function_call": "assistant"}


def _ready_messages(rec: SourceRecord, name: str) -> tuple[list[dict], str | None]:
    if rec.error:
        return [], rec.error
    msgs = (rec.data or {}).get(name)
    if isinstance(msgs, str) and msgs.lstrip().startswith("["):  # a column of JSON text (as many exports write it)
        try:
            msgs = json.loads(msgs)
        except ValueError:
            return [], f"field {name!r} is not valid JSON"
    if isinstance(msgs, list) and msgs and all(isinstance(m, dict) and "from" in m and "role" not in m for m in msgs):
        odd = sorted({str(m["from"]) for m in msgs} - set(SHAREGPT_ROLES))
        if odd:
            return [], f"field {name!r}: ShareGPT speaker {odd[0]!r} is not one of {sorted(SHAREGPT_ROLES)}"
        msgs = [{"role": SHAREGPT_ROLES[m["from"]], "content": m.get("value")} for m in msgs]
    if not isinstance(msgs, list) or not msgs or not all(isinstance(m, dict) and "role" in m for m in msgs):
        return [], f"field {name!r} is not a list of chat messages (OpenAI role/content, or ShareGPT from/value)"
    end = len(msgs)  # a finished conversation (an SFT set): the teacher answers its last user turn afresh
    while end and msgs[end - 1].get("role") == "assistant":
        end -= 1
    if not any(m.get("role") in ("user", "tool") for m in msgs[:end]):
        return [], f"field {name!r} has no user turn for the teacher to answer"
    return msgs[:end], None


def build_rows(recipe) -> list[dict]:
    """Every row of a (small) source, in the calling process: for eval and regression sets, and tests."""
    exp = Expander.from_recipe(recipe)
    return [row for rec in read_records(recipe.source, recipe.base_dir) for row in exp.expand(rec)]
