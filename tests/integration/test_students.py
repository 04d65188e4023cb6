"""Students beyond plain SFT on the tiny model, CPU, a few steps each: DPO, KD, on-policy, Ray Train fault tolerance."""

import json
import re
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from safetensors.torch import load_file

from ground.errors import FactoryError, MissingDependencyError
from factory.recipe import parse_recipe
from ground.record import new_sample, reject
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.integration

RECIPE = """name: students
source: {{path: {data}, fields: {{prompt: question, reference: answer}}}}
prompt: {{template: {tmpl}}}
teacher: {{engine: hf_local, model: smollm2-135m-instruct, options: {{threads: 1}}}}
train:
  student: smollm2-135m-instruct
  max_steps: {steps}
  batch_size: 2
  max_seq_len: 96
  cpus_per_worker: 1
  lora: {{r: 4, alpha: 8, dropout: 0.0}}
{extra}"""
QUESTIONS = [f"What is {a} + {b}?" for a, b in [(2, 3), (4, 4), (7, 1), (5, 5), (6, 2), (3, 9)]]


def recipe(tmp_path, extra: str, steps: int = 2):
    text = RECIPE.format(data=ROOT / "data/gsm8k_sample/train.jsonl", tmpl=ROOT / "recipes/prompts/gsm8k.txt",
                         steps=steps, extra=extra)
    f = tmp_path / "r.yaml"
    f.write_text(text)
    return parse_recipe(text, str(f))


def rows_for(q: str, pid: str, answers: list[tuple[str, bool]], system: str | None = None) -> list[dict]:
    msgs = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": q}]
    out = []
    for k, (text, ok) in enumerate(answers):
        r = new_sample(stage="t", prompt_id=pid, sample_index=k, messages=msgs, completion=text, score=1.0 if ok else 0.0)
        if not ok:
            reject(r, "verify:math_answer", "answer 9 != reference 5")
        out.append(r)
    return out


def lora_moved(adapter: Path) -> bool:
    w = load_file(str(adapter / "adapter_model.safetensors"))
    return any("lora_B" in k and float(v.abs().sum()) > 0 for k, v in w.items())


def test_dpo_on_verifier_pairs(tmp_path, ray_local):
    from students.train import train

    rows = []
    for i, q in enumerate(QUESTIONS[:4]):
        a, b = (int(x) for x in q[8:-1].split(" + "))
        rows += rows_for(q, f"p{i}", [(f"{a} + {b} = {a + b}. The answer is {a + b}.", True), (f"The answer is {a * b + 1}.", False)])
    r = recipe(tmp_path, "  method: dpo\n  dpo: {beta: 0.1, pairs: verifier}\n")
    info = train(r, rows, str(tmp_path / "train"))
    assert info["status"] == "done" and info["method"] == "dpo"
    assert info["pairs"]["verifier_pairs"] == 4 and info["train_rows"] == 4
    steps = [h for h in info["log_history"] if "loss" in h]
    assert [h["step"] for h in steps] == [1, 2]
    assert all("rewards/chosen" in h and "rewards/rejected" in h for h in steps)
    assert lora_moved(Path(info["adapter_dir"]))
    # export: adapter, merged safetensors and a model card from a run directory holding this training
    from ground.record import to_table
    from students.export import data_hash, main as export_main
    import pyarrow.parquet as pq

    run = tmp_path / "run"
    shutil.copytree(tmp_path / "train", run / "train", ignore=shutil.ignore_patterns("ray"))
    (run / "accepted").mkdir()
    pq.write_table(to_table([x for x in rows if x["status"] == "accepted"]), run / "accepted/part-00000.parquet")
    (run / "manifest.json").write_text(json.dumps({"run_id": "abc123", "recipe_name": "students", "recipe": r.model_dump(mode="json"),
                                                   "train": info, "eval": {"table": {"student": {"n": 4, "correct": 3, "accuracy": 0.75}}}}))
    assert export_main([str(run), "--out", str(tmp_path / "export")]) == 0
    ex = tmp_path / "export"
    assert (ex / "adapter/adapter_model.safetensors").exists() and (ex / "adapter/adapter_config.json").exists()
    merged = load_file(str(ex / "merged/model.safetensors"))
    assert not any("lora" in k for k in merged) and (ex / "merged/config.json").exists()
    card = (ex / "README.md").read_text()
    for needle in ["smollm2-135m-instruct", "abc123", data_hash(run), '"beta": 0.1', '"r": 4', "| student | 4 | 3 | 0.750 |"]:
        assert needle in card, needle
    assert export_main([str(tmp_path), "--out", str(tmp_path / "x")]) == 2  # not a run dir: exit 2


@pytest.mark.slow  # a second DPO training (~1-2 min); DPO: test_dpo_on_verifier_pairs, the tool-trace mask: tests/unit/test_dpo_tool_mask.py
def test_dpo_on_tool_trace_pairs_trains_with_the_recipe_chat_template(tmp_path, ray_local):
    """Was: DPO ignored train.chat_template, so tool-trace pairs met the student's own template and every worker
    attempt died with jinja's UndefinedError ('dict object' has no attribute 'content')."""
    from students.train import train

    spec = {"type": "function", "function": {"name": "calculator", "parameters": {"type": "object"}}}
    prompt = [{"role": "system", "content": "Use tools.", "tools": [spec]}, {"role": "user", "content": "6*7?"}]

    def trace(expr: str, result: str) -> str:
        call = {"id": "c1", "type": "function", "function": {"name": "calculator", "arguments": json.dumps({"expression": expr})}}
        return json.dumps([{"role": "assistant", "content": None, "tool_calls": [call]},
                           {"role": "tool", "tool_call_id": "c1", "content": result}, {"role": "assistant", "content": result}])

    good = new_sample(stage="t", prompt_id="p", sample_index=0, messages=prompt, completion=trace("6*7", "42"), score=1.0)
    bad = reject(new_sample(stage="t", prompt_id="p", sample_index=1, messages=prompt, completion=trace("6*8", "48"), score=0.0),
                 "verify:tool_calls", "wrong result")
    tmpl = ROOT / "recipes/templates/smollm2_tools.jinja"
    text = RECIPE.format(data=ROOT / "data/gsm8k_sample/train.jsonl", tmpl=ROOT / "recipes/prompts/gsm8k.txt", steps=1,
                         extra=f"  method: dpo\n  chat_template: {tmpl}\n  dpo: {{pairs: verifier}}\n")
    r = parse_recipe(text.replace("max_seq_len: 96", "max_seq_len: 512"), str(tmp_path / "r.yaml"))
    info = train(r, [good, bad], str(tmp_path / "train"))
    assert info["status"] == "done" and info["pairs"]["verifier_pairs"] == 1
    assert (Path(info["adapter_dir"]) / "chat_template.jinja").read_text() == tmpl.read_text()
    plain = parse_recipe(text.replace(f"  chat_template: {tmpl}\n", ""), str(tmp_path / "r2.yaml"))
    with pytest.raises(FactoryError, match="cannot train tool calls"):  # before any worker starts
        train(plain, [good, bad], str(tmp_path / "train2"))


@pytest.mark.slow  # a full SFT then a full DPO (~2 min)
def test_full_fine_tune_dpo_after_sft_first_starts_from_the_sft_model(tmp_path, ray_local):
    """Was: with lora: null, dpo.sft_first handed the SFT stage's output (a whole model folder, no adapter) to
    PeftModel.from_pretrained in every DPO worker (no adapter_config.json: the training died), and would have folded
    the DPO output, a whole model too, as an adapter. Now the DPO stage starts from the SFT model itself and ships
    what it trained: base + SFT + DPO in one folder."""
    from ground.models import resolve_model
    from students.train import train

    rows = []
    for i, q in enumerate(QUESTIONS[:3]):
        a, b = (int(x) for x in q[8:-1].split(" + "))
        rows += rows_for(q, f"p{i}", [(f"The answer is {a + b}.", True), (f"The answer is {a + b + 10}.", False)])
    text = RECIPE.format(data=ROOT / "data/gsm8k_sample/train.jsonl", tmpl=ROOT / "recipes/prompts/gsm8k.txt", steps=2,
                         extra="  method: dpo\n  dpo: {beta: 0.1, pairs: verifier, sft_first: true}\n")  # step 1 warms up at lr 0
    r = parse_recipe(text.replace("  lora: {r: 4, alpha: 8, dropout: 0.0}\n", "  lora: null\n  learning_rate: 1.0e-4\n"),
                     str(tmp_path / "r.yaml"))
    info = train(r, rows, str(tmp_path / "train"))
    assert info["status"] == "done" and info["full_finetune"] and info["pairs"]["verifier_pairs"] == 3
    sft, out = tmp_path / "train/sft/adapter", Path(info["adapter_dir"])
    assert not (sft / "adapter_config.json").exists() and not (out / "adapter_config.json").exists()
    base, s, d = (load_file(f"{p}/model.safetensors") for p in (resolve_model("smollm2-135m-instruct"), sft, out))
    key = next(k for k in d if k.endswith("layers.0.self_attn.q_proj.weight"))
    moved = lambda x, y: float((x[key].float() - y[key].float()).abs().sum())  # noqa: E731
    assert moved(s, base) > 0 and moved(d, s) > 0  # SFT moved the base, DPO moved the SFT model on


@pytest.mark.slow  # SFT then DPO (~1-2 min); DPO: test_dpo_on_verifier_pairs, the shared SFT adapter: tests/unit/test_dpo_shared_init.py
def test_dpo_after_sft_first_starts_from_the_merged_sft_adapter(tmp_path, ray_local):
    from students.train import train

    rows = []
    for i, q in enumerate(QUESTIONS[:3]):
        a, b = (int(x) for x in q[8:-1].split(" + "))
        rows += rows_for(q, f"p{i}", [(f"The answer is {a + b}.", True), (f"The answer is {a + b + 10}.", False)])
    r = recipe(tmp_path, "  method: dpo\n  dpo: {beta: 0.1, pairs: verifier, sft_first: true}\n", steps=2)
    info = train(r, rows, str(tmp_path / "train"))
    assert info["status"] == "done" and info["pairs"]["verifier_pairs"] == 3
    sft_adapter = tmp_path / "train/sft/adapter"
    assert lora_moved(sft_adapter)  # the SFT stage really trained (on the 3 accepted rows) ...
    assert (tmp_path / "train/sft/adapter/final.json").exists()
    # ... and DPO trained on the merged weights; train/adapter is base + SFT + DPO folded into one model, since
    # eval, export-model and serve load it on the raw student (was: the DPO adapter alone, the SFT stage lost)
    out = Path(info["adapter_dir"])
    assert out != sft_adapter and info["full_finetune"] and info["sft_adapter"] == str(sft_adapter)
    assert not (out / "adapter_config.json").exists() and (out / "final.json").exists()
    from ground.models import resolve_model

    base, folded = load_file(f"{resolve_model('smollm2-135m-instruct')}/model.safetensors"), load_file(str(out / "model.safetensors"))
    key = next(k for k in folded if k.endswith("layers.0.self_attn.q_proj.weight"))
    assert float((folded[key].float() - base[key].float()).abs().sum()) > 0


@pytest.mark.slow  # a second KD training (~1 min); KD end to end: test_kd_logprobs.py::test_recipe_topk_to_parquet_to_kd_lowers_heldout_kl
def test_kd_from_stored_teacher_topk(tmp_path, ray_local):
    from students.train import train
    from teachers.base import GenRequest, SamplingParams
    from teachers.hf_local import HFLocalTeacher

    teacher = HFLocalTeacher(name="t", model="smollm2-135m-instruct", batch_size=4, threads=1)
    msgs = [[{"role": "user", "content": q}] for q in QUESTIONS[:4]]
    res = teacher.generate([GenRequest(f"k{i}", m, SamplingParams(max_tokens=8, top_logprobs=3)) for i, m in enumerate(msgs)])
    rows = [new_sample(stage="t", prompt_id=f"p{i}", sample_index=0, messages=m, completion=g.text,
                       teacher_topk=json.dumps(g.top_logprobs), teacher_topk_meta=json.dumps(g.logprobs_meta))
            for i, (m, g) in enumerate(zip(msgs, res))]
    assert all(len(json.loads(x["teacher_topk"])) == g.tokens_out and g.tokens_out > 0 for x, g in zip(rows, res))
    r = recipe(tmp_path, "  method: kd\n  kd: {alpha: 0.7, temperature: 1.0}\n")
    info = train(r, rows, str(tmp_path / "train"))
    losses = [h["loss"] for h in info["log_history"] if "loss" in h]
    assert len(losses) == 2 and all(0 < x < 50 for x in losses)
    assert lora_moved(Path(info["adapter_dir"]))
    # a row without stored top-k cannot be distilled from: a clear error, before any worker starts
    rows[0]["teacher_topk"] = None
    with pytest.raises(FactoryError, match="top_logprobs > 0"):
        train(r, rows, str(tmp_path / "train2"))
    # top-k an API returned for a warped sample are not the teacher's distribution: refused, naming run and row
    rows[0].update(teacher_topk=rows[1]["teacher_topk"], teacher="api", teacher_topk_meta=json.dumps(
        {"source": "api", "raw": None, "temperature": 0.7, "top_p": 1.0, "token": "id"}))
    with pytest.raises(FactoryError, match=rf"1 row\(s\) of the run at {re.escape(str(tmp_path / 'run3'))} \({rows[0]['id']}\) hold top-k "
                                           r"logprobs from teacher 'api' \(api\) sampled at temperature 0.7"):
        train(r, rows, str(tmp_path / "run3" / "train"))


def test_onpolicy_context_distillation_with_local_teacher(tmp_path, ray_local):
    from students.train import train

    (tmp_path / "sys.txt").write_text("Reply with only the final number, as '#### <number>'.")
    rows = [x for i, q in enumerate(QUESTIONS[:4]) for x in rows_for(q, f"p{i}", [("5", True)])]
    r = recipe(tmp_path, "  method: onpolicy\n  onpolicy: {teacher_system: sys.txt, max_new_tokens: 6, loss: sampled}\n")
    info = train(r, rows, str(tmp_path / "train"))
    hist = info["log_history"]
    assert [h["step"] for h in hist] == [1, 2]
    assert all(h["completion_tokens"] > 0 and h["reverse_kl"] == h["reverse_kl"] for h in hist)  # not NaN
    # the teacher sees a system prompt the student does not: the two distributions differ
    assert any(abs(h["reverse_kl"]) > 1e-4 for h in hist)
    assert (info["metrics"]["device"], info["metrics"]["base_dtype"]) == ("cpu", "float32")  # where the weights trained
    assert lora_moved(Path(info["adapter_dir"]))


def test_onpolicy_with_two_workers_splits_each_step_between_them(tmp_path, ray_local):
    """workers: 2 -> a step takes batch_size prompts per worker (6 prompts, batch 2: 2 steps an epoch, was 3: both
    workers trained the same prompts, each alone); the gradients are averaged (test_train_edges.py)."""
    from students.train import train

    (tmp_path / "sys.txt").write_text("Reply with only the final number, as '#### <number>'.")  # the teacher differs
    rows = [x for i, q in enumerate(QUESTIONS) for x in rows_for(q, f"p{i}", [("5", True)])]
    r = recipe(tmp_path, "  method: onpolicy\n  workers: 2\n  onpolicy: {teacher_system: sys.txt, max_new_tokens: 4, loss: sampled}\n",
               steps=-1)
    info = train(r, rows, str(tmp_path / "train"))
    assert [h["step"] for h in info["log_history"]] == [1, 2]
    assert (info["metrics"]["world_size"], info["metrics"]["dist_backend"]) == (2, "gloo")
    assert lora_moved(Path(info["adapter_dir"]))


class PromptLogprobServer:
    """A real OpenAI-compatible /v1/completions on 127.0.0.1 serving the tiny model's prompt_logprobs
    (the subset of vLLM's API the on-policy scorer uses). ``tokenizer`` tokenises text prompts."""

    def __init__(self, model, tokenizer):
        import torch

        srv = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                p = body["prompt"]
                ids = p if isinstance(p, list) else tokenizer.encode(p, add_special_tokens=False)
                with torch.inference_mode():
                    # ids beyond the model's vocabulary (a server with another tokenizer) are clamped for the forward
                    x = torch.tensor([ids]).clamp(max=model.config.vocab_size - 1)
                    lp = torch.log_softmax(model(input_ids=x).logits[0].float(), -1)
                pl = [None] + [{str(t): {"logprob": float(lp[i, min(t, lp.shape[1] - 1)]), "rank": 1}} for i, t in enumerate(ids[1:])]
                srv.requests += 1
                out = json.dumps({"choices": [{"text": "", "prompt_logprobs": pl}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.requests = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def test_server_teacher_scores_match_local_teacher_and_mismatch_is_detected(tmp_path, tiny_model_path):
    import torch
    from transformers import AutoTokenizer

    from teachers.scorers import HFScorer, OpenAICompatScorer, TokenizerMismatchError, chat_ids

    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    local = HFScorer("smollm2-135m-instruct", tok, "student", threads=1)
    prompts = [chat_ids(tok, [{"role": "user", "content": q}]) for q in QUESTIONS[:2]]
    comps = [tok.encode("#### 5", add_special_tokens=False) + [tok.eos_token_id], tok.encode("It is 8.", add_special_tokens=False)]
    srv = PromptLogprobServer(local.model, tok)
    try:
        remote = OpenAICompatScorer("tiny", tok, "student", base_url=srv.url)
        a, b = local.score(prompts, comps), remote.score(prompts, comps)
        assert [len(x) for x in b] == [len(c) for c in comps]
        assert all(torch.allclose(x, y, atol=1e-3) for x, y in zip(a, b)) and all(float(x.max()) < 0 for x in b)
        remote.close()
    finally:
        srv.close()
    other = AutoTokenizer.from_pretrained(tiny_model_path)
    other.add_tokens(["quick brown", "lazy dogs"])  # a different tokenizer: a bigger vocabulary, other splits
    srv = PromptLogprobServer(local.model, other)
    try:
        with pytest.raises(TokenizerMismatchError, match="different tokenizers.*server tokenises"):
            OpenAICompatScorer("tiny", tok, "student", base_url=srv.url)
    finally:
        srv.close()
    tdir = tmp_path / "teacher"
    shutil.copytree(tiny_model_path, tdir)
    other.save_pretrained(str(tdir))
    with pytest.raises(TokenizerMismatchError, match=r"vocabulary sizes \d+ vs \d+"):
        HFScorer(str(tdir), tok, "student")


def test_killed_worker_resumes_from_last_checkpoint(tmp_path, ray_local):
    from students.train import train

    rows = [x for i in range(12) for x in rows_for(f"What is {i} + 1?", f"p{i:02d}", [(f"#### {i + 1}", True)])]
    r = recipe(tmp_path, "  method: sft\n  save_every_steps: 1\n  max_failures: 1\n", steps=3)
    marker = tmp_path / "killed"
    info = train(r, rows, str(tmp_path / "train"), fault={"kill_at_step": 2, "marker": str(marker)})
    assert marker.exists()  # the worker really was killed once
    assert info["metrics"]["resumed_from_step"] == 1 and info["metrics"]["step"] == 3
    assert [h["step"] for h in info["log_history"] if "loss" in h] == [1, 2, 3]
    best = json.loads((tmp_path / "train/best/best.json").read_text())
    assert best["step"] in (1, 2, 3) and best["eval_loss"] > 0
    assert (tmp_path / "train/best/adapter_model.safetensors").exists()
    assert not (tmp_path / "train/adapter/optimizer.pt").exists()


def test_two_workers_train_data_parallel_with_gloo(tmp_path, ray_local):
    """workers: 2 -> two Ray Train processes in one torch.distributed group (gloo on CPU); each step sees
    batch_size rows per worker, and both ranks agree on the result (DDP all-reduces the gradients)."""
    from students.train import train

    rows = [x for i in range(8) for x in rows_for(f"What is {i} + 2?", f"p{i:02d}", [(f"#### {i + 2}", True)])]
    r = recipe(tmp_path, "  method: sft\n  workers: 2\n", steps=2)
    info = train(r, rows, str(tmp_path / "train"))
    assert info["status"] == "done"
    assert (info["metrics"]["world_size"], info["metrics"]["dist_backend"], info["metrics"]["device"]) == (2, "gloo", "cpu")
    assert [h["step"] for h in info["log_history"] if "loss" in h] == [1, 2]
    assert lora_moved(Path(info["adapter_dir"]))


@pytest.mark.slow  # a 12-step training (~45 s); training with validation: test_killed_worker_resumes_from_last_checkpoint, test_two_workers_train_data_parallel_with_gloo
def test_early_stopping_on_flat_validation_loss(tmp_path, ray_local):
    """A learning rate of ~0 leaves the validation loss flat: with threshold 0.01 no evaluation counts as an
    improvement, so training stops after `patience` evaluations instead of running all 12 steps."""
    from students.train import train

    rows = [x for i in range(12) for x in rows_for(f"What is {i} + 4?", f"p{i:02d}", [(f"#### {i + 4}", True)])]
    r = recipe(tmp_path, "  method: sft\n  learning_rate: 1.0e-12\n  save_every_steps: 1\n"
                         "  early_stopping_patience: 2\n  early_stopping_threshold: 0.01\n", steps=12)
    info = train(r, rows, str(tmp_path / "train"))
    steps = [h["step"] for h in info["log_history"] if "loss" in h]
    evals = [h for h in info["log_history"] if "eval_loss" in h]
    assert info["status"] == "done" and info["metrics"]["stopped_early"] is True
    # one evaluation per step (save_every_steps: 1): the first sets the best, `patience` more without improvement
    assert steps[-1] in (2, 3) and sorted({h["step"] for h in evals}) == list(range(1, steps[-1] + 1))
    assert max(h["eval_loss"] for h in evals) - min(h["eval_loss"] for h in evals) < 0.01


def test_qlora_without_bitsandbytes_names_the_install_line():
    try:
        import bitsandbytes  # noqa: F401
        pytest.skip("bitsandbytes is installed here: the missing-dependency path cannot be exercised")
    except ImportError:
        pass
    from students.train import bnb_4bit_config

    with pytest.raises(MissingDependencyError, match=r"pip install 'distill-factory\[gpu\]'"):
        bnb_4bit_config()


def test_train_config_rules_and_gpu_recipes_validate(tmp_path):
    with pytest.raises(FactoryError, match="train.kd is only used with method: kd"):
        recipe(tmp_path, "  kd: {alpha: 0.2}\n")
    with pytest.raises(FactoryError, match="load_in_4bit"):
        recipe(tmp_path, "  load_in_4bit: true\n")
    with pytest.raises(FactoryError, match="packing is supported for method: sft only"):
        recipe(tmp_path, "  method: dpo\n  packing: true\n")
    res = run_cli("validate", "recipes/distill_arith.yaml")
    assert res.returncode == 0 and "distill_arith.yaml: ok" in res.stdout, res.stdout + res.stderr
    # GPU recipes validate here too: their student weights are pre-staged on the cluster (absolute /models/... path
    # with use_gpu), which the validator accepts without seeing them (ground.models never downloads)
    res = run_cli("validate", "recipes/qlora_8b_sft_dpo.yaml", "recipes/onpolicy_13b.yaml")
    assert res.returncode == 0 and res.stdout.count(": ok") == 2, res.stdout + res.stderr
