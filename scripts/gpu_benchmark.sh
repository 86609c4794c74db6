#!/usr/bin/env bash
# Capacity of the GPU inference node: one `carecall serve` with Whisper (CTranslate2) and the hdts voice on the
# GPU, the recogniser batched across calls (CARECALL_ASR_BATCH) and the vocoder too (CARECALL_TTS_BATCH), swept
# over N simultaneous simulated calls by benchmarks/capacity.py; prints one table and the largest N with
# voice-to-voice p95 <= 1.5 s.
#
#   bash scripts/gpu_benchmark.sh                  # N = 1 8 32 64 100, the sweep capped at 8 minutes
#   bash scripts/gpu_benchmark.sh --ns 1 8         # any benchmarks/capacity.py arguments replace the defaults
#
# Needs an NVIDIA GPU (nvidia-smi) and fails at once without one. The first run installs the CUDA build of torch
# (scripts/bootstrap.sh --gpu; minutes, not counted in the 8). SWEEP_TIMEOUT_S changes the cap.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu_benchmark: no NVIDIA GPU here (nvidia-smi is missing or finds no device)." >&2
  echo "Run it on the GPU node; on a CPU box use: .venv/bin/python benchmarks/capacity.py" >&2
  exit 2
fi
nvidia-smi -L

bash scripts/bootstrap.sh --gpu

# CTranslate2 (Whisper) loads cuBLAS and cuDNN by name: use the NVIDIA libraries the CUDA torch wheel brought.
nvidia_libs=$(.venv/bin/python - <<'EOF'
import glob, os, sysconfig
print(":".join(sorted(glob.glob(os.path.join(sysconfig.get_paths()["purelib"], "nvidia", "*", "lib")))))
EOF
)
export LD_LIBRARY_PATH="${nvidia_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

if ! .venv/bin/python - <<'EOF'
import sys
import ctranslate2
import torch
problems = []
if not torch.cuda.is_available():
    problems.append(f"torch {torch.__version__} sees no CUDA device")
if ctranslate2.get_cuda_device_count() < 1:
    problems.append("CTranslate2 sees no CUDA device (cuBLAS/cuDNN not found?)")
for problem in problems:
    print(f"gpu_benchmark: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
then
  exit 1
fi

export CARECALL_ASR_ENGINE=whisper CARECALL_ASR_DEVICE=cuda CARECALL_ASR_BATCH=true
export CARECALL_TTS_ENGINE=hdts CARECALL_TTS_DEVICE=cuda CARECALL_TTS_BATCH=true

args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--ns 1 8 32 64 100)
timeout --kill-after=30 "${SWEEP_TIMEOUT_S:-480}" .venv/bin/python benchmarks/capacity.py "${args[@]}"
