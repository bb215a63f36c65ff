#!/usr/bin/env bash
# Runs every GPU check from gpu-kit/ (built by scripts/gpu-kit.sh) in one call, and ends with one
# summary table: each check, pass/fail/skip, and its figures. Needs no Java, Maven or network on the
# GPU machine: the kit carries its own JRE; libnccl.so.2, libnvjpeg and PyTorch come from the host's
# Python (or, for libnvjpeg, the CUDA toolkit).
#
#   scripts/gpu-tests.sh [--require-gpu]      (or REQUIRE_GPU=1)
#
# --require-gpu: every GPU assumption in the tests becomes a failure (-Dsluice.requireGpu=true), and a
# machine without a GPU fails at once. Without it, a machine without a GPU skips the GPU checks.
# Reports go under ${OUT:-gpu-out}. Exit status: 0 when nothing failed, 1 when a check failed,
# 2 when the kit is missing, 3 when a GPU was required and there is none.
set -euo pipefail
cd "$(dirname "$0")/.."

require=false
case "${1:-}" in
  --require-gpu) require=true ;;
  "") [ "${REQUIRE_GPU:-0}" = 1 ] && require=true ;;
  *) echo "usage: scripts/gpu-tests.sh [--require-gpu]" >&2; exit 2 ;;
esac
out="${OUT:-gpu-out}"
mkdir -p "$out"
kit=gpu-kit
java="$kit/jre/bin/java"
if [ ! -x "$java" ]; then
  echo "gpu-tests: $kit/ is missing: build it with scripts/gpu-kit.sh (needs the classes from mvn test-compile)" >&2
  exit 2
fi
cp="$kit/classes"
for j in "$kit"/lib/*.jar; do cp="$cp:$j"; done
export SLUICE_BENCH_OUT="$out"
started=$(date +%s)

rows=()      # "check|status|figures"
failures=0
row() { rows+=("$1|$2|$3"); [ "$2" = FAIL ] && failures=$((failures + 1)); return 0; }

# --- 1. Is there a GPU? (JCuda's probe, the same the engine uses) -------------------------------
probe_rc=0
probe=$(timeout 60 "$java" -cp "$cp" dev.sluice.engine.device.GpuKitProbe 2>&1) || probe_rc=$?
echo "$probe" > "$out/probe.txt"
if [ "$probe_rc" -ne 0 ]; then
  reason=$(echo "$probe" | tail -1)
  if $require; then
    echo "gpu-tests: FAIL: a GPU is required (--require-gpu) but this machine has none usable: ${reason#no GPU: }" >&2
    exit 3
  fi
  echo "gpu-tests: $reason; the GPU checks below skip (run with --require-gpu to make that a failure)"
  gpu=false
  row "CUDA GPU (JCuda probe)" skip "$reason"
else
  gpu=true
  row "CUDA GPU (JCuda probe)" pass "$probe"
fi
command -v nvidia-smi > /dev/null && nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true

# --- 2. Host libraries: NCCL and PyTorch from the host's Python ---------------------------------
py() { command -v python3 > /dev/null && timeout 60 python3 -c "$1" 2> /dev/null; }
nccl_dir=$(py "import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], 'lib'))" || true)
if [ -n "$nccl_dir" ] && [ -f "$nccl_dir/libnccl.so.2" ]; then
  export SLUICE_NCCL_LIB="$nccl_dir/libnccl.so.2"
  export LD_LIBRARY_PATH="$nccl_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# nvJPEG for the GPU decoder: SLUICE_NVJPEG_LIB if set, else a pip wheel's (nvidia-nvjpeg-cu12, or a
# CUDA 13 one) in the host Python's site-packages, else the CUDA toolkit's; CUDA 12's soname first
nvjpeg_lib="${SLUICE_NVJPEG_LIB:-}"
if [ -z "$nvjpeg_lib" ]; then
  site=$(py "import site; print(' '.join(site.getsitepackages()))" || true)
  for so in libnvjpeg.so.12 libnvjpeg.so.13; do
    # shellcheck disable=SC2086 # a list of directories
    nvjpeg_lib=$( { [ -n "$site" ] && find $site -name "$so" 2> /dev/null; \
      ls /usr/local/cuda/lib64/"$so" /usr/local/cuda/targets/x86_64-linux/lib/"$so" 2> /dev/null; } | head -1 || true)
    [ -n "$nvjpeg_lib" ] && break
  done
fi
[ -n "$nvjpeg_lib" ] && export SLUICE_NVJPEG_LIB="$nvjpeg_lib"
torch_lib="${PYTORCH_LIBRARY_PATH:-$(py "import torch, os; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))" || true)}"
torch_version=$(py "import torch; print(torch.__version__, 'cuda', torch.version.cuda)" || echo "none")

# --- 3. DJL's 2.7.1 JNI on the host's PyTorch (what training on GPUs needs) -----------------------
export ENGINE_CACHE_DIR="$out/djl-cache" # DJL extracts its JNI here, not into the home directory
djl=false
if [ -n "$torch_lib" ] && [ -f "$torch_lib/libtorch.so" ]; then
  djl_rc=0
  # only PYTORCH_LIBRARY_PATH: the engine's LocalLibtorch fills in PYTORCH_VERSION and PYTORCH_FLAVOR
  env -u PYTORCH_VERSION -u PYTORCH_FLAVOR PYTORCH_LIBRARY_PATH="$torch_lib" \
    timeout 180 "$java" -Dai.djl.offline=true -cp "$cp" dev.sluice.engine.device.LocalLibtorchMain \
    > "$out/djl-local-libtorch.txt" 2>&1 || djl_rc=$?
  if [ "$djl_rc" -eq 0 ] && grep -q '^sum=6.0' "$out/djl-local-libtorch.txt"; then
    djl=true
    row "DJL on host PyTorch ($torch_version)" pass \
      "$(grep -E '^(gpus|libtorch)=' "$out/djl-local-libtorch.txt" | tr '\n' ' ')"
    export PYTORCH_LIBRARY_PATH="$torch_lib"
  else
    why=$(grep -m1 -E 'UnsatisfiedLinkError|undefined symbol|Exception|Error' "$out/djl-local-libtorch.txt" || tail -1 "$out/djl-local-libtorch.txt")
    row "DJL on host PyTorch ($torch_version)" skip "DJL's 2.7.1 JNI cannot load it: ${why:0:160}"
  fi
else
  row "DJL on host PyTorch" skip "no PyTorch found (python3 -c 'import torch'); set PYTORCH_LIBRARY_PATH"
fi

# --- 4. The GPU test classes, one JVM each, every assumption a failure under --require-gpu ---------
junit() { # name, class
  local name=$1 class=$2 rc=0 file="$out/test-${2##*.}.txt"
  timeout 300 "$java" -Dsluice.requireGpu="$require" -Dai.djl.offline=true -cp "$cp" \
    dev.sluice.engine.device.GpuTestLauncher "$class" > "$file" 2>&1 || rc=$?
  local counts
  counts=$(grep -E '^tests=' "$file" | tail -1 || true)
  if [ "$rc" -eq 0 ] && ! grep -q 'passed=0 ' <<< "$counts"; then
    row "$name" pass "$counts"
  elif [ "$rc" -eq 0 ] || { ! $require && grep -q 'failed=0' <<< "$counts"; }; then
    row "$name" skip "$counts; $(grep -m1 '^SKIPPED' "$file" | cut -c9- | cut -c1-140)"
  else
    row "$name" FAIL "${counts:-no result (rc $rc)}; $(grep -m1 '^FAILED' "$file" | cut -c9- | cut -c1-140)"
  fi
}
junit "kernels vs CPU twin (bit-exact)" dev.sluice.engine.transform.TransformKernelsGpuTest
junit "pinned pool + copy stager" dev.sluice.engine.device.DeviceStagerGpuTest
junit "device gather from pinned slab vs CPU twin" dev.sluice.engine.device.SlabGatherGpuTest
junit "bench h2d vs CUDA-event timing" dev.sluice.engine.bench.H2dBenchmarkGpuTest
junit "NCCL bindings on devices" dev.sluice.nccl.NcclGpuTest
if [ -n "$nvjpeg_lib" ]; then
  junit "nvJPEG decoder vs CPU decoder ($(basename "$nvjpeg_lib"))" dev.sluice.engine.nvjpeg.NvjpegDecoderGpuTest
else
  row "nvJPEG decoder vs CPU decoder" skip "no libnvjpeg.so.12/.13 here (pip install nvidia-nvjpeg-cu12, or set SLUICE_NVJPEG_LIB)"
fi
junit "NCCL collective" dev.sluice.engine.collective.NcclCollectiveGpuTest
if $djl; then
  junit "data-parallel GPU equivalence" dev.sluice.engine.train.DataParallelGpuEquivalenceTest
else
  row "data-parallel GPU equivalence" skip "not run: DJL cannot use the host's PyTorch (row above)"
fi

# --- 5. The benchmarks, through the CLI as a user runs them -------------------------------------
main=("$java" -Dai.djl.offline=true -cp "$cp" dev.sluice.engine.cli.Main)
jsonf() { # file, python expression over the list `r` of JSON objects -> one line
  command -v python3 > /dev/null || { echo "see $1"; return 0; }
  python3 - "$1" "$2" << 'PY' 2> /dev/null || echo "see $1"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print(eval(sys.argv[2]))
PY
}
if $gpu; then
  rc=0
  timeout 240 "${main[@]}" bench h2d --json > "$out/bench-h2d.jsonl" 2>> "$out/bench-h2d.err" || rc=$?
  if [ "$rc" -eq 0 ]; then
    row "bench h2d (GB/s)" pass "$(jsonf "$out/bench-h2d.jsonl" '"; ".join("%d MB: pageable %.1f, pinned %.1f, feeder %.1f = %.2f x pinned memcpy" % (o["bytes"] >> 20, o["pageable_direct_gb_per_s"], o["pinned_gb_per_s"], o["feeder_gb_per_s"], o["feeder_over_pinned"]) for o in r if o.get("bench") == "h2d")')"
  else
    row "bench h2d" FAIL "rc $rc: $(tail -1 "$out/bench-h2d.err")"
  fi
  sizes="1MB,64MB,1GB"
  rc=0
  timeout 240 "${main[@]}" bench allreduce --transport none --nccl --nccl-sizes "$sizes" --json \
    > "$out/bench-allreduce.jsonl" 2>> "$out/bench-allreduce.err" || rc=$?
  if [ "$rc" -eq 0 ]; then
    row "bench allreduce, Sluice NCCL (bus GB/s)" pass "$(jsonf "$out/bench-allreduce.jsonl" '"; ".join("%d ranks %d MB: bus %.1f (alg %.1f)" % (o["ranks"], o["bytes"] >> 20, o["busbw_gbps"], o["algbw_gbps"]) if not o.get("skipped") else "skipped: " + o["reason"] for o in r if o.get("transport") == "nccl")')"
  else
    row "bench allreduce, Sluice NCCL" FAIL "rc $rc: $(tail -1 "$out/bench-allreduce.err")"
  fi
  rc=0
  if [ "$torch_version" != none ]; then
    timeout 240 python3 scripts/gpu-nccl-reference.py $((1 << 20)) $((64 << 20)) $((1 << 30)) \
      > "$out/nccl-reference.jsonl" 2> "$out/nccl-reference.err" || rc=$?
    if [ "$rc" -eq 0 ]; then
      row "NCCL's own figure (torch all_reduce, bus GB/s)" pass "$(jsonf "$out/nccl-reference.jsonl" '"; ".join("%d ranks %d MB: bus %.1f (alg %.1f)" % (o["ranks"], o["bytes"] >> 20, o["busbw_gbps"], o["algbw_gbps"]) for o in r) + " [torch %s, NCCL %s]" % (r[0]["torch"], r[0]["nccl"])')"
    else
      row "NCCL's own figure (torch all_reduce)" skip "rc $rc: $(tail -1 "$out/nccl-reference.err" | cut -c1-140)"
    fi
  else
    row "NCCL's own figure (torch all_reduce)" skip "no PyTorch on this host"
  fi
else
  row "bench h2d" skip "no GPU"
  row "bench allreduce (Sluice NCCL vs torch NCCL)" skip "no GPU"
fi

# --- 6. One summary table -----------------------------------------------------------------------
{
  echo
  echo "GPU checks ($(date -u +%Y-%m-%dT%H:%MZ), $(( $(date +%s) - started )) s, require-gpu=$require, reports in $out/)"
  printf '%-48s | %-6s | %s\n' "check" "result" "figures"
  printf '%-48s-+-%-6s-+-%s\n' "------------------------------------------------" "------" "-------"
  for r in "${rows[@]}"; do
    IFS='|' read -r name status figures <<< "$r"
    printf '%-48s | %-6s | %s\n' "$name" "$status" "$figures"
  done
} | tee "$out/summary.txt"
[ "$failures" -eq 0 ] || { echo "gpu-tests: $failures check(s) failed" >&2; exit 1; }
