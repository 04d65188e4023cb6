"""Soft-label KD inputs (issue #13): stored top-k logprobs are the raw model distribution, whatever the sampling;
API logprobs are used only when unwarped and only with the teacher's tokenizer; recipe -> Parquet -> ``method: kd``.

Run: pytest -q tests/integration/test_kd_logprobs.py
"""

import json
import math
from pathlib import Path

import pytest
import yaml

from ground.errors import FactoryError
from ground.record import new_sample
from teachers.base import GenRequest, SamplingParams, logprobs_meta
from tests.conftest import ROOT

pytestmark = pytest.mark.integration

MODEL = "smollm2-135m-instruct"
MSGS = [{"role": "user", "content": "Name three colours of the rainbow."}]


@pytest.fixture(scope="module")
def warped():
    """One completion sampled at temperature 0.7, top_p 0.5 (warpers that sharpen and cut), with top-5 logprobs."""
    from teachers.hf_local import HFLocalTeacher

    p = SamplingParams(max_tokens=12, temperature=0.7, top_p=0.5, seed=5, top_logprobs=5)
    (g,) = HFLocalTeacher(name="t", model=MODEL, threads=1).generate([GenRequest("k", MSGS, p)])
    assert g.error is None and g.tokens_out == len(g.top_logprobs) > 0
    return g


def test_hf_local_stores_raw_topk_when_sampling_is_warped(warped):
    """The stored top-5 equal log_softmax of a separate plain forward pass over the same prefix (no -inf)."""
    import torch

    from ground.models import load_causal_lm

    g = warped
    assert g.logprobs_meta == {"source": "hf_local", "raw": True, "temperature": 0.7, "top_p": 0.5, "token": "id"}
    model, tok = load_causal_lm(MODEL)
    prompt = tok(tok.apply_chat_template(MSGS, tokenize=False, add_generation_prompt=True), add_special_tokens=False)["input_ids"]
    gen = tok(g.text, add_special_tokens=False)["input_ids"]
    assert len(gen) == g.tokens_out  # precondition: the text re-tokenises to as many ids as were sampled
    with torch.inference_mode():
        logits = model(torch.tensor([prompt + gen])).logits[0]
    for t, stored in enumerate(g.top_logprobs):
        v, ix = torch.log_softmax(logits[len(prompt) - 1 + t].float(), -1).topk(5)
        assert [i for i, _ in stored] == ix.tolist(), f"token {t}"
        assert all(math.isfinite(lp) for _, lp in stored)
        assert [lp for _, lp in stored] == pytest.approx(v.tolist(), abs=1e-4), f"token {t}"


def api_row(g, tok, temperature: float, top_p: float) -> dict:
    """The row an OpenAI-compatible server of the same model gives: each top-k token as its decoded text."""
    texts = [[[tok.decode([i]), lp] for i, lp in step] for step in g.top_logprobs]
    meta = logprobs_meta("api", SamplingParams(temperature=temperature, top_p=top_p), None, "str")
    return new_sample(stage="t", prompt_id="p0", sample_index=0, messages=MSGS, completion=g.text, teacher="api-t",
                      engine="openai_compat", teacher_topk=json.dumps(texts), teacher_topk_meta=json.dumps(meta))


def test_api_token_strings_map_to_student_ids_only_with_the_same_tokenizer(warped):
    from transformers import AutoTokenizer

    from curation.embedder import resolve_model as embedder_path
    from ground.models import resolve_model
    from students.kd import kd_examples

    tok = AutoTokenizer.from_pretrained(resolve_model(MODEL))
    row = api_row(warped, tok, 1.0, 1.0)
    (ex,) = kd_examples([row], student_tok=tok, student=MODEL)
    assert ex["topk"] == warped.top_logprobs  # every text back to the id the teacher ranked
    other = AutoTokenizer.from_pretrained(embedder_path("all-MiniLM-L6-v2"))  # WordPiece, lower case: not the teacher's
    with pytest.raises(FactoryError, match=rf"row {row['id']}, token \d+: the teacher's token .* is no token of the "
                                           r"student tokenizer \(all-MiniLM-L6-v2\); teacher and student tokenizers differ"):
        kd_examples([row], student_tok=other, student="all-MiniLM-L6-v2")
    # a text several student tokens decode to (a partial UTF-8 byte) cannot be placed: dropped into the tail, no error
    odd = dict(row, teacher_topk=json.dumps([[["\ufffd", -0.5], *json.loads(row["teacher_topk"])[0][:2]]]))
    assert kd_examples([odd], student_tok=tok)[0]["topk"] == [warped.top_logprobs[0][:2]]


def test_kd_refuses_api_logprobs_sampled_warped(warped):
    from transformers import AutoTokenizer

    from ground.models import resolve_model
    from students.kd import kd_examples

    tok = AutoTokenizer.from_pretrained(resolve_model(MODEL))
    rows = [api_row(warped, tok, 0.7, 0.5), api_row(warped, tok, 1.0, 0.9)]
    with pytest.raises(FactoryError) as e:
        kd_examples(rows, student_tok=tok, where="run r1")
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"method kd: 2 row(s) of run r1 ({rows[0]['id']}, {rows[1]['id']})")
    assert "teacher 'api-t' (api) sampled at temperature 0.7, top_p 0.5" in msg and "temperature 1.0 and top_p 1.0" in msg
    # rows stored before the meta column: their params decide, as for an API
    legacy = dict(rows[0], teacher_topk_meta=None, params=json.dumps({"temperature": 0.7, "top_p": 1.0}))
    with pytest.raises(FactoryError, match="sampled at temperature 0.7, top_p 1.0"):
        kd_examples([legacy], student_tok=tok)


def small_kd_recipe(tmp_path: Path) -> Path:
    """recipes/distill_arith_kd.yaml, cut down: 8 training prompts, a few optimizer steps, paths made absolute."""
    r = yaml.safe_load((ROOT / "recipes/distill_arith_kd.yaml").read_text())
    r["source"].update(path=str(ROOT / "data/distill_arith/train.jsonl"), limit=8)
    r["prompt"] = {k: str(ROOT / "recipes" / v) for k, v in r["prompt"].items()}
    r["teacher"]["options"] = {"threads": 1}
    r["output"]["dir"] = str(tmp_path / "runs")
    r["train"].update(max_steps=6, batch_size=4, cpus_per_worker=1)
    f = tmp_path / "kd.yaml"
    f.write_text(yaml.safe_dump(r, sort_keys=False))
    return f


def test_recipe_topk_to_parquet_to_kd_lowers_heldout_kl(tmp_path, ray_local):
    """Context distillation end to end: the teacher (with a system prompt) samples at temperature 0.7 and stores raw
    top-5; KD on that Parquet brings the student (without the system prompt) closer to it on unseen prompts."""
    import pyarrow.parquet as pq

    from factory.pipeline import run_recipe
    from factory.recipe import load_recipe
    from students.kd_eval import heldout_rows, kl_before_after

    f = small_kd_recipe(tmp_path)
    run = Path(run_recipe(str(f), skip_eval=True).run_dir)
    rows = pq.read_table(run / "accepted").to_pylist()
    assert len(rows) == 8 and all(json.loads(r["teacher_topk_meta"]) == {
        "source": "hf_local", "raw": True, "temperature": 0.7, "top_p": 0.95, "token": "id"} for r in rows)
    for r in rows:
        topk = json.loads(r["teacher_topk"])
        assert len(topk) == r["tokens_out"] > 0 and all(len(s) == 5 and all(math.isfinite(lp) for _, lp in s) for s in topk)
    info = json.loads((run / "manifest.json").read_text())["train"]
    assert (info["status"], info["method"], info["train_rows"]) == ("done", "kd", 8)
    recipe = load_recipe(str(f))
    kl = kl_before_after(recipe, heldout_rows(recipe, str(ROOT / "data/distill_arith/test.jsonl"), 8), info["adapter_dir"])
    assert kl["rows"] == 8 and kl["base_kl"] > 0.05  # the system prompt makes the teacher differ from the bare student
    assert kl["student_kl"] < 0.8 * kl["base_kl"], kl


def test_kd_drops_examples_whose_prompt_fills_max_seq_len(ray_local):
    """Was: kept with every label -100; a batch of only such examples gives cross-entropy NaN (a NaN loss and NaN
    LoRA weights). Now dropped with SFT's rule and warning, and a clear error when every prompt is that long."""
    from transformers import AutoTokenizer

    from ground.models import resolve_model
    from students.kd_data import kd_datasets
    from students.traindata import open_rows

    tok = AutoTokenizer.from_pretrained(resolve_model(MODEL))
    ids = tok("4", add_special_tokens=False)["input_ids"]
    meta = json.dumps({"source": "hf_local", "raw": True, "temperature": 1.0, "top_p": 1.0, "token": "id"})

    def row(i: int, words: int) -> dict:
        return new_sample(stage="t", prompt_id=f"p{i}", sample_index=0, messages=[{"role": "user", "content": "word " * words}],
                          completion="4", teacher_topk=json.dumps([[[t, -0.1]] for t in ids]), teacher_topk_meta=meta)

    cfg = {"student": MODEL, "max_seq_len": 40, "drop_system_prompt": False}
    data = kd_datasets(cfg, open_rows([row(0, 2), row(1, 100)]), open_rows([row(2, 2)]).limit(0))
    (kept,) = data["train"].take_all()
    assert any(label != -100 for label in kept["labels"]) and data["train"].count() == 1
    with pytest.raises(FactoryError, match=r"train.max_seq_len: every KD prompt is at least 40 tokens long \(longest 1\d\d\)"):
        kd_datasets(cfg, open_rows([row(1, 100)]), open_rows([row(2, 2)]).limit(0))


def test_heldout_kl_renders_prompts_with_the_recipes_chat_template(tmp_path):
    """kl_before_after scored the student on its own chat template while KD trained it on ``train.chat_template``:
    the held-out KL measured prompts the student never saw in that form. Now both the base and the trained student
    are scored on the recipe's template (an untrained LoRA adapter here, so base and student agree)."""
    from peft import LoraConfig, get_peft_model

    from factory.recipe import load_recipe
    from ground.models import load_causal_lm
    from students.kd import kd_examples, topk_kl
    from students.kd_eval import heldout_rows, kl_before_after

    tpl = tmp_path / "plain.jinja"
    tpl.write_text("{% for m in messages %}### {{ m['role'] }}:\n{{ m['content'] }}\n{% endfor %}"
                   "{% if add_generation_prompt %}### assistant:\n{% endif %}")
    f = small_kd_recipe(tmp_path)
    r = yaml.safe_load(f.read_text())
    r["train"]["chat_template"] = str(tpl)
    f.write_text(yaml.safe_dump(r, sort_keys=False))
    recipe = load_recipe(str(f))
    rows = heldout_rows(recipe, str(ROOT / "data/distill_arith/test.jsonl"), 3)
    model, tok = load_causal_lm(recipe.train.student)
    adapter = tmp_path / "adapter"
    get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj"], task_type="CAUSAL_LM")).save_pretrained(str(adapter))
    model, tok = load_causal_lm(recipe.train.student)
    ex = kd_examples([x for x in rows if x["status"] == "accepted"], drop_system=recipe.train.drop_system_prompt)
    own = topk_kl(model, tok, ex, recipe.train.max_seq_len)
    tok.chat_template = tpl.read_text()
    wanted = topk_kl(model, tok, ex, recipe.train.max_seq_len)
    assert abs(wanted - own) > 1e-3  # the two renders really score differently
    kl = kl_before_after(recipe, rows, str(adapter))
    assert kl["rows"] == len(ex) == 3
    assert kl["base_kl"] == round(wanted, 4) and kl["student_kl"] == round(wanted, 4)
