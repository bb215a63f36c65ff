#!/usr/bin/env bash
# Builds gpu-kit/: a small Java runtime, the jars and the compiled tests that the GPU checks need, so
# a GPU machine without Java or Maven can run them with scripts/gpu-tests.sh. Must stay under the
# 64 MiB that travels to a lent GPU machine (checked at the end). Run from any directory after
#   mvn -B -o -q -pl engine -am test-compile
# (the classes and test classes of native, nccl-bindings, data, models and engine).
set -euo pipefail
cd "$(dirname "$0")/.."
kit=gpu-kit
limit_kib=$((64 * 1024))
m2="${M2_REPO:-$HOME/.m2/repository}"
for m in native nccl-bindings data models engine; do
  [ -d "$m/target/classes" ] || { echo "gpu-kit: $m/target/classes missing: run mvn -B -o -q -pl engine -am test-compile" >&2; exit 1; }
done
rm -rf "$kit"
mkdir -p "$kit/lib" "$kit/classes"

# jdk.unsupported: direct buffer addresses; jdk.zipfs: DJL reads its own jars; java.desktop: ImageIO, which
# the nvJPEG GPU test writes its JPEGs with and the CPU decoder it compares against
jlink --add-modules java.base,java.desktop,java.logging,java.management,java.naming,java.xml,jdk.unsupported,jdk.crypto.ec,jdk.zipfs \
  --strip-debug --no-man-pages --no-header-files --compress=2 --output "$kit/jre"
# headless ImageIO only: no X11, splash screen or sound; and the JVM's symbol tables (kept: the dynamic
# symbols that linking needs) are 4 MB the checks never use
rm -f "$kit"/jre/lib/libawt_xawt.so "$kit"/jre/lib/libsplashscreen.so "$kit"/jre/lib/libjsound.so
if command -v strip > /dev/null; then
  strip --strip-unneeded "$kit"/jre/lib/server/libjvm.so "$kit"/jre/lib/*.so
fi

jar() { # group artifact version [classifier]
  local g=$1 a=$2 v=$3 c=${4:-}
  local f="$m2/${g//.//}/$a/$v/$a-$v${c:+-$c}.jar"
  [ -f "$f" ] || { echo "gpu-kit: missing $f (run the mvn test-compile above first)" >&2; exit 1; }
  cp "$f" "$kit/lib/"
}
# CUDA: JCuda is the only CUDA binding; NCCL is bound with JNA to the host's libnccl.so.2
jar org.jcuda jcuda 12.6.0
jar org.jcuda jcuda-natives 12.6.0 linux-x86_64
jar net.java.dev.jna jna 5.17.0
# DJL without any libtorch: the GPU host's PyTorch is named by PYTORCH_LIBRARY_PATH
jar ai.djl api 0.36.0
jar ai.djl.pytorch pytorch-engine 0.36.0
jar ai.djl.pytorch pytorch-jni 2.7.1-0.36.0
jar org.apache.commons commons-compress 1.27.1
jar commons-io commons-io 2.16.1
jar org.slf4j slf4j-api 2.0.17
jar org.slf4j slf4j-simple 2.0.17
jar com.google.code.gson gson 2.13.2
jar com.github.luben zstd-jni 1.5.7-25
jar org.junit.platform junit-platform-launcher 1.13.4
jar org.junit.platform junit-platform-engine 1.13.4
jar org.junit.platform junit-platform-commons 1.13.4
jar org.junit.jupiter junit-jupiter-api 5.13.4
jar org.junit.jupiter junit-jupiter-engine 5.13.4
jar org.junit.jupiter junit-jupiter-params 5.13.4
jar org.opentest4j opentest4j 1.3.0
jar org.apiguardian apiguardian-api 1.1.2
# for `bench h2d` / `bench allreduce` through the CLI (dev.sluice.engine.cli.Main)
jar info.picocli picocli 4.7.7
jar me.tongfei progressbar 0.10.1
jar org.jline jline-terminal 3.24.1
jar org.jline jline-native 3.24.1

# keep linux-x86_64 natives only, and only what the checks load
zip -q -d "$kit/lib/zstd-jni-1.5.7-25.jar" 'aix/*' 'darwin/*' 'freebsd/*' 'win/*' 'linux/aarch64/*' 'linux/arm/*' \
  'linux/i386/*' 'linux/loongarch64/*' 'linux/mips64/*' 'linux/ppc64/*' 'linux/ppc64le/*' 'linux/riscv64/*' \
  'linux/s390x/*'
zip -q -d "$kit/lib/jcuda-natives-12.6.0-linux-x86_64.jar" 'lib/libJNvPTXCompiler-*' # 24 MB, never used
zip -q -d "$kit/lib/pytorch-jni-2.7.1-0.36.0.jar" 'jnilib/linux-aarch64/*' 'jnilib/osx-aarch64/*' 'jnilib/win-x86_64/*'
zip -q -d "$kit/lib/jna-5.17.0.jar" 'com/sun/jna/aix-*' 'com/sun/jna/darwin*' 'com/sun/jna/freebsd*' \
  'com/sun/jna/openbsd*' 'com/sun/jna/sunos*' 'com/sun/jna/win32*' 'com/sun/jna/linux-a*' 'com/sun/jna/linux-[lmprs]*' \
  'com/sun/jna/linux-x86/*' 2>/dev/null || true

# compiled code and tests of the modules the GPU checks touch
for m in native nccl-bindings data models engine; do
  cp -r "$m/target/classes/." "$kit/classes/"
  [ -d "$m/target/test-classes" ] && cp -r "$m/target/test-classes/." "$kit/classes/"
done

size_kib=$(du -sk "$kit" | cut -f1)
echo "gpu-kit: $kit/ is $((size_kib / 1024)) MiB ($size_kib KiB; limit $limit_kib KiB)"
if [ "$size_kib" -ge "$limit_kib" ]; then
  echo "gpu-kit: too large for the 64 MiB carried to a GPU machine" >&2
  exit 1
fi
