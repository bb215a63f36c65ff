#!/usr/bin/env bash
# Builds gpu-kit/: a small Java runtime, the jars and the compiled tests that the GPU checks need, so a
# GPU machine without Java or Maven can run them (see scripts/gpu-tests.sh). Fits the 64 MiB that
# travels to a lent GPU machine. Run from the repository root after `mvn -B -DskipTests package`
# and `mvn -B test-compile`.
set -euo pipefail
cd "$(dirname "$0")/.."
kit=gpu-kit
rm -rf "$kit"
mkdir -p "$kit/lib" "$kit/classes"
m2="${M2_REPO:-$HOME/.m2/repository}"

jlink --add-modules java.base,java.logging,java.management,java.naming,java.xml,jdk.unsupported,jdk.crypto.ec \
  --strip-debug --no-man-pages --no-header-files --compress=2 --output "$kit/jre"

jar() { # group/artifact/version[/classifier]
  local g=$1 a=$2 v=$3 c=${4:-}
  local f="$m2/${g//.//}/$a/$v/$a-$v${c:+-$c}.jar"
  [ -f "$f" ] || { echo "missing $f (run mvn -B test-compile first)" >&2; exit 1; }
  cp "$f" "$kit/lib/"
}
jar org.jcuda jcuda 12.6.0
jar org.jcuda jcuda-natives 12.6.0 linux-x86_64
jar org.bytedeco javacpp 1.5.14
jar org.bytedeco javacpp 1.5.14 linux-x86_64
jar org.bytedeco cuda 13.3-9.25-1.5.14
jar org.bytedeco cuda 13.3-9.25-1.5.14 linux-x86_64
jar org.slf4j slf4j-api 2.0.17
jar org.slf4j slf4j-simple 2.0.17
jar com.google.code.gson gson 2.13.2
jar com.github.luben zstd-jni 1.5.7-25
jar org.junit.platform junit-platform-console-standalone 1.13.4
# for `bench h2d` / `bench allreduce` through the CLI (dev.sluice.engine.cli.Main)
jar info.picocli picocli 4.7.7
jar me.tongfei progressbar 0.10.1
jar org.jline jline-terminal 3.24.1
jar org.jline jline-native 3.24.1

# zstd-jni ships natives for every platform: keep linux/amd64 only
zip -q -d "$kit/lib/zstd-jni-1.5.7-25.jar" 'aix/*' 'darwin/*' 'freebsd/*' 'win/*' 'linux/aarch64/*' 'linux/arm/*' \
  'linux/i386/*' 'linux/loongarch64/*' 'linux/mips64/*' 'linux/ppc64/*' 'linux/ppc64le/*' 'linux/riscv64/*' \
  'linux/s390x/*'

# compiled code and tests of the modules the GPU checks touch (no DJL: its CUDA natives are not there)
for m in native nccl-bindings data engine; do
  cp -r "$m/target/classes/." "$kit/classes/"
  [ -d "$m/target/test-classes" ] && cp -r "$m/target/test-classes/." "$kit/classes/"
done
du -sh "$kit"
