#!/usr/bin/env bash
# Runs the GPU checks from gpu-kit/ (built by scripts/gpu-kit.sh) on a machine with an NVIDIA GPU:
# finds libnccl.so.2 (the nvidia-nccl-cu13 Python wheel's lib/ if present) and the CUDA runtime,
# then runs the GPU test classes and the GPU benchmarks, writing reports under ${OUT:-gpu-out}.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-out}"
mkdir -p "$out"
nccl=$(python3 -c "import nvidia.nccl, os; print(os.path.join(os.path.dirname(nvidia.nccl.__file__), 'lib'))" 2>/dev/null || true)
cudart=$(ls -d /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib 2>/dev/null | head -1 || true)
export LD_LIBRARY_PATH="${nccl:+$nccl:}${cudart:+$cudart:}${LD_LIBRARY_PATH:-}"
export SLUICE_BENCH_OUT="$out"
[ -n "$nccl" ] && export SLUICE_NCCL_LIB="$nccl/libnccl.so.2"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
cp=gpu-kit/classes
for j in gpu-kit/lib/*.jar; do cp="$cp:$j"; done
gpu-kit/jre/bin/java -Dai.djl.offline=true -jar gpu-kit/lib/junit-platform-console-standalone-*.jar \
  execute --class-path "$cp" --details=tree --reports-dir "$out" \
  --select-class dev.sluice.engine.transform.TransformKernelsGpuTest \
  --select-class dev.sluice.engine.device.DeviceStagerGpuTest \
  --select-class dev.sluice.engine.bench.H2dBenchmarkGpuTest \
  --select-class dev.sluice.nccl.NcclGpuTest \
  --select-class dev.sluice.engine.collective.NcclCollectiveGpuTest 2>&1 | tee "$out/gpu-tests.txt"
# the GPU benchmarks, through the CLI as a user runs them
main="gpu-kit/jre/bin/java -cp $cp dev.sluice.engine.cli.Main"
$main bench h2d --json 2>&1 | tee "$out/bench-h2d.jsonl"
$main bench allreduce --transport none --nccl --json 2>&1 | tee "$out/bench-allreduce.jsonl"
