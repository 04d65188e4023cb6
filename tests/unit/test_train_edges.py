"""Training data prep on rows other than the happy path: a student whose own template shows tools, empty
answers, and what is left when no example can be trained (the bundled tiny student's tokenizer, real templates)."""

import json
import shutil

import pytest

from ground.errors import FactoryError
from tests.conftest import ROOT

SPEC = {"type": "function", "function": {"name": "calculator", "description": "Evaluate arithmetic. " * 20,
                                         "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}}}}
TOOL_PROMPT = [{"role": "system", "content": "Be brief.", "tools": [SPEC]}, {"role": "user", "content": "6*7?"}]


@pytest.fixture(scope="module")
def tool_student(tiny_model_path, tmp_path_factory):
    """A local student dir whose own chat template shows the tool catalogue (Qwen2.5 style): tokenizer + config."""
    from transformers import AutoTokenizer

    d = tmp_path_factory.mktemp("student") / "qwenish"
    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    tok.chat_template = (ROOT / "tests/fixtures/chat_templates/qwen2_5_tools.jinja").read_text()
    tok.save_pretrained(d)
    shutil.copy(f"{tiny_model_path}/config.json", d)
    return str(d)


def test_overlong_check_counts_the_catalogue_of_a_student_whose_own_template_shows_tools(tool_student):
    """Was: without train.chat_template the prompt was measured without its tool catalogue (21 tokens for a
    234-token prompt), so an overlong row passed the check and was dropped later as 'no assistant token',
    uncounted, and a run of such rows reached the trainer with nothing to train."""
    from transformers import AutoTokenizer

    from students.sft_data import _one
    from students.prompt_length import prompt_ids, prompt_tokens

    tok = AutoTokenizer.from_pretrained(tool_student)
    n = len(prompt_ids(tok, TOOL_PROMPT, None))
    assert n > 200 and prompt_tokens(tool_student, None, TOOL_PROMPT) == n
    row = {"messages": json.dumps(TOOL_PROMPT), "completion": "42"}
    (ex,) = _one(row, tool_student, None, 128, "keep", None, False)
    assert (ex["drop"], ex["prompt_tokens"]) == ("overlong", n)
    (ex,) = _one(row, tool_student, None, n + 8, "keep", None, False)
    assert ex["drop"] == "" and ex["prompt_tokens"] == n
    assert tok.decode([t for t, m in zip(ex["input_ids"], ex["assistant_masks"]) if m]) == "42<|im_end|>\n"


def test_an_accepted_row_with_an_empty_answer_is_dropped_not_trained_to_answer_nothing(tiny_model_path):
    """Was: an accepted row whose completion was "" or whitespace trained the student on '<|im_end|>' alone (or
    '\\n<|im_end|>'): to stop at once. It is dropped as 'empty'; an answer made of reasoning still trains, unless
    train.reasoning: drop leaves nothing of it."""
    from students.sft_data import _one

    def one(row, mode="keep"):
        (ex,) = _one({"messages": json.dumps([{"role": "user", "content": "2+2?"}]), **row}, "smollm2-135m-instruct",
                     None, 256, mode, None, False)
        return ex["drop"], sum(ex["assistant_masks"])

    for completion in ("", "  \n\t", "<think>\n\n</think>\n "):
        assert one({"completion": completion}) == ("empty", 0), completion
    assert one({"completion": "", "reasoning": "2 and 2 make 4"})[0] == ""
    assert one({"completion": "<think>2 and 2</think>"})[0] == ""
    assert one({"completion": " ", "reasoning": "2 and 2 make 4"}, mode="drop") == ("empty", 0)
    assert one({"completion": "4 🎉"})[0] == ""


def test_lora_target_modules_the_student_lacks_are_refused_before_training():
    """Was: a misspelt name next to a right one (['q_proj', 'v_prj']) was silently ignored by PEFT (only q_proj
    trained), and names the student lacks entirely failed inside the Ray Train worker, wrapped by Ray."""
    from students.lora import check_lora_targets

    lora = {"r": 4, "alpha": 8, "dropout": 0.0}
    cfg = {"student": "smollm2-135m-instruct", "lora": {**lora, "target_modules": ["q_proj", "v_prj"]}}
    with pytest.raises(FactoryError, match=r"^train\.lora\.target_modules: 'v_prj' names no module of student "
                                           r"'smollm2-135m-instruct' \(its linear layers: .*\bq_proj\b.*\bv_proj\b.*\)$"):
        check_lora_targets(cfg)
    check_lora_targets({**cfg, "lora": {**lora, "target_modules": ["q_proj", "v_proj", "mlp.down_proj", "gate_proj"]}})
    check_lora_targets({**cfg, "lora": None})  # full fine-tuning: nothing to check


def test_kd_renders_the_prompt_with_the_recipe_chat_template(tiny_model_path):
    """Was: method kd ignored train.chat_template: it trained on prompts in the student's own template, while eval
    (and serving the saved adapter) asked the student through the recipe's template."""
    from transformers import AutoTokenizer

    from ground.record import new_sample
    from students.kd_data import _one
    from students.prompt_length import prompt_ids

    tok = AutoTokenizer.from_pretrained(tiny_model_path)
    tmpl = "{% for m in messages %}<|im_start|>{{ m.role }}\nKD-PROBE {{ m.content }}<|im_end|>\n{% endfor %}" \
           "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    ids = tok("4", add_special_tokens=False)["input_ids"]
    meta = json.dumps({"source": "hf_local", "raw": True, "temperature": 1.0, "top_p": 1.0, "token": "id"})
    prompt = [{"role": "user", "content": "2+2?"}]
    row = new_sample(stage="t", prompt_id="p", sample_index=0, messages=prompt, completion="4",
                     teacher_topk=json.dumps([[[t, -0.1]] for t in ids]), teacher_topk_meta=meta)
    ex = _one(row, "smollm2-135m-instruct", 64, False, template=tmpl)
    p = prompt_ids(tok, prompt, tmpl)
    assert ex["drop"] == "" and ex["input_ids"][:len(p)] == p and "KD-PROBE 2+2?" in tok.decode(ex["input_ids"])
    assert ex["labels"][len(p):] == [*ids, tok.eos_token_id] and ex["prompt_tokens"] == len(p)
    plain = _one(row, "smollm2-135m-instruct", 64, False, template=None)
    assert "KD-PROBE" not in tok.decode(plain["input_ids"])


def test_onpolicy_refuses_a_chat_template_it_would_not_train_with():
    """Was: accepted and ignored: on-policy sampled and scored with the student's own template while eval asked the
    student through train.chat_template."""
    from pydantic import ValidationError

    from factory.recipe import TrainConfig

    with pytest.raises(ValidationError, match=r"chat_template is supported for method: sft, dpo, kd only \(method is onpolicy\)"):
        TrainConfig(student="s", method="onpolicy", chat_template="templates/smollm2_tools.jinja")
    assert TrainConfig(student="s", method="kd", chat_template="t.jinja").chat_template == "t.jinja"


def test_dpo_after_sft_first_ships_base_plus_sft_plus_dpo_not_the_dpo_adapter_on_the_raw_base(tiny_model_path, tmp_path):
    """Was: with dpo.sft_first the DPO adapter (trained on base + SFT merged) was left as train/adapter, and eval,
    export-model and serve applied it to the raw student: the shipped model had lost the SFT stage."""
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from students.dpo import fold_sft_into

    def load():
        return AutoModelForCausalLM.from_pretrained(tiny_model_path, dtype=torch.float32)

    def adapter(model, d, seed):
        torch.manual_seed(seed)
        peft = get_peft_model(model, LoraConfig(r=2, lora_alpha=64, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
        peft.save_pretrained(str(d))
        return peft.merge_and_unload()

    sft, dpo = tmp_path / "sft", tmp_path / "adapter"
    merged = adapter(adapter(load(), sft, 0), dpo, 1)  # base + SFT, then DPO trained on that merge
    shutil.copytree(dpo, tmp_path / "dpo_kept")
    AutoTokenizer.from_pretrained(tiny_model_path).save_pretrained(str(dpo))
    (dpo / "final.json").write_text('{"metrics": {}}')
    fold_sft_into("smollm2-135m-instruct", str(sft), dpo)
    assert not (dpo / "adapter_config.json").exists() and (dpo / "final.json").exists() and (dpo / "tokenizer.json").exists()
    ids = torch.tensor([[1, 2, 3, 4, 5]])
    with torch.inference_mode():
        folded = AutoModelForCausalLM.from_pretrained(str(dpo), dtype=torch.float32)(ids).logits
        want = merged(ids).logits
        old = PeftModel.from_pretrained(load(), str(tmp_path / "dpo_kept"))(ids).logits  # what eval and export loaded
    assert torch.allclose(folded, want, atol=1e-4) and not torch.allclose(folded, old, atol=1e-3)


def test_an_eval_made_before_training_is_not_reused_once_a_student_is_trained(tmp_path):
    """Was: eval/DONE was kept whatever the training: a run first made with --skip-train (or whose training was
    skipped) and re-run to train kept the eval of no student; the student was never scored."""
    from factory.store import RunStore
    from students.eval import reusable_eval

    store = RunStore(str(tmp_path / "runs"), "r", "1")
    trained = {"status": "done", "method": "sft", "data_run_id": "1", "metrics": {"train_runtime": 3.2, "step": 2},
               "adapter_dir": "/here/train/adapter"}
    store.write_json("eval/DONE", {"table": {"base": {"n": 1}}, "trained_by": None})
    assert reusable_eval(store, None)["table"] == {"base": {"n": 1}}
    assert reusable_eval(store, {"status": "skipped", "reason": "no accepted rows"}) is not None
    assert reusable_eval(store, trained) is None
    from students.eval import train_key

    store.write_json("eval/DONE", {"table": {"student": {"n": 1}}, "trained_by": train_key(trained)})
    assert reusable_eval(store, {**trained, "adapter_dir": "/other/node/staging/adapter"}) is not None  # same training
    assert reusable_eval(store, {**trained, "metrics": {"train_runtime": 5.0, "step": 4}}) is None  # trained again


def test_checkpoint_key_changes_with_what_is_trained_not_with_how_it_runs(tmp_path):
    """Ray Train restores an earlier run of the same name: the name's key must differ for other settings, rows or
    loop config (else a changed train section continues or re-ships another training's checkpoint), and stay for
    the same training run with other failure/CPU/storage settings (a crash-resume may change those)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ground.record import sha
    from students.train import checkpoint_key
    from students.traindata import data_identity

    cfg = {"method": "sft", "max_steps": 2, "learning_rate": 1e-4, "seed": 0, "workers": 1, "max_failures": 0,
           "cpus_per_worker": 1, "storage_path": None, "data_key": "d1"}
    key = checkpoint_key(cfg, {}, {})
    assert key == checkpoint_key(dict(cfg), {}, {}) and len(key) == 12
    for change in ({"max_steps": 3}, {"learning_rate": 2e-4}, {"seed": 1}, {"workers": 2}, {"data_key": "d2"}):
        assert checkpoint_key({**cfg, **change}, {}, {}) != key, change
    assert checkpoint_key(cfg, {"init_adapter": "/x/sft/adapter"}, {}) != key
    for change in ({"max_failures": 3}, {"cpus_per_worker": 4}, {"storage_path": "s3://b/run/train/ray"}):
        assert checkpoint_key({**cfg, **change}, {}, {}) == key, change

    # the data's identity: rows themselves; a Parquet folder's file names and sizes, not where the folder is
    rows = [{"prompt_id": "p1", "completion": "#### 2"}]
    assert sha(data_identity(rows)) != sha(data_identity([{**rows[0], "completion": "#### 3"}]))
    for run in ("a", "b"):
        (tmp_path / run / "accepted").mkdir(parents=True)
        pq.write_table(pa.table({"x": [1, 2, 3]}), tmp_path / run / "accepted/part-00000.parquet")
    same = data_identity(str(tmp_path / "a/accepted"))
    assert same == data_identity(str(tmp_path / "b/accepted")) and same[0][0][0] == "part-00000.parquet"
    pq.write_table(pa.table({"x": list(range(50))}), tmp_path / "b/accepted/part-00000.parquet")
    assert data_identity(str(tmp_path / "b/accepted")) != same
    assert data_identity(str(tmp_path / "missing")) == [[]]


def test_lora_check_on_a_fresh_machine_converts_the_bundled_model_first(tmp_path, monkeypatch):
    """Was: on a machine whose model cache was empty, the first training died in the driver with transformers'
    'You are using `from_pretrained` with a meta device context manager': the LoRA check resolved the student (which
    converts the bundled GGUF, a real load) inside its torch.device('meta') block. CI never saw it (an earlier test
    had filled the cache); a new user whose first command trains did."""
    from ground.models import resolve_model
    from students.lora import check_lora_targets

    monkeypatch.setenv("FACTORY_HOME", str(tmp_path))
    check_lora_targets({"student": "smollm2-135m-instruct", "lora": {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj"]}})
    assert resolve_model("smollm2-135m-instruct") == str(tmp_path / "models" / "smollm2-135m-instruct")
    assert (tmp_path / "models" / "smollm2-135m-instruct" / "model.safetensors").stat().st_size > 100 * 2**20


def test_a_gpu_full_fine_tune_keeps_fp32_master_weights():
    """Was: use_gpu loaded the student in bf16 for every method, so a full fine-tune (lora: null) ran AdamW on bf16
    weights, which rounds an update below half a bf16 ulp away (at lr 1e-5 most weights never move). The trainer's
    bf16 autocast gives the GPU speed; the weights it updates must be fp32. LoRA keeps the frozen base in bf16 (its
    adapter weights are fp32). Loaded on the CPU here: use_gpu decides the dtype, not where the model is."""
    import torch

    from students.train import load_student

    lora = {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj"]}
    full, _ = load_student({"student": "smollm2-135m-instruct", "use_gpu": True, "lora": None})
    assert {p.dtype for p in full.parameters()} == {torch.float32}
    base, _ = load_student({"student": "smollm2-135m-instruct", "use_gpu": True, "lora": lora})
    assert {p.dtype for p in base.parameters()} == {torch.bfloat16}
    cpu, _ = load_student({"student": "smollm2-135m-instruct", "use_gpu": False, "lora": lora})
    assert {p.dtype for p in cpu.parameters()} == {torch.float32}


def _onpolicy_rank(rank: int, world: int, init: str, out: str) -> None:
    """One process of a gloo group: a step on this rank's own gradient, then its weights written to ``out``."""
    import torch
    import torch.distributed as dist

    from students.onpolicy import _optimizer_step, _same_start

    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
    torch.manual_seed(rank)  # each process's own init, as a LoRA adapter's
    w = torch.nn.Parameter(torch.randn(4, 3))
    _same_start([w], world)
    opt = torch.optim.SGD([w], lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
    loss = (w * (rank + 1)).sum() if rank == 0 else None  # rank 1: no prompt this step (a short last batch)
    _optimizer_step(loss, [w], opt, sched, world)
    torch.save(w.detach(), f"{out}/rank{rank}.pt")
    dist.destroy_process_group()


def test_onpolicy_workers_average_their_gradients_and_keep_the_same_weights(tmp_path):
    """Was: the on-policy loop never exchanged gradients, so train.workers > 1 trained N independent copies on the same
    prompts and seeds (N GPUs for one's work; recipes/onpolicy_13b.yaml asks for 8). Now each gradient is averaged over
    the workers and every worker starts from rank 0's weights, as DDP does: two gloo processes with their own random
    init, one with a gradient, one without, end on the same weights: rank 0's, moved by the mean gradient (clipped to
    norm 1)."""
    import torch
    import torch.multiprocessing as mp

    mp.spawn(_onpolicy_rank, args=(2, f"file://{tmp_path}/store", str(tmp_path)), nprocs=2, join=True)
    w0, w1 = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    torch.manual_seed(0)
    start = torch.randn(4, 3)
    g = torch.full((4, 3), 0.5)  # rank 0's gradient (ones) averaged with rank 1's zeros
    assert torch.equal(w0, w1)
    assert torch.allclose(w0, start - 0.1 * g / g.norm())
    from students.onpolicy import _schedule

    cfg = {"batch_size": 2, "max_steps": -1, "epochs": 1, "save_every_steps": None}
    assert _schedule(cfg, 6, world=2) == (2, 2, 2) and _schedule(cfg, 6) == (3, 3, 3)
