#!/usr/bin/env bash
# Run HERE (the dev machine, with network access to Maven Central) before bench/gpu-check.sh is sent
# to a GPU machine whose image has no JDK 25 and no Maven repository. Builds the tensor, nn,
# liquid-model, cli and demo modules with their tests (the fatbin included), compiles the GPU benchmark,
# and puts everything the check needs under .gpu-carry/ (git-ignored), which is then the ONE path to
# carry: build/<module>/{classes,test-classes}, lib/ (JUnit API, picocli), bench-classes/, and a
# jlink'ed JRE 25 packed as jre.tar.gz (gpu-check.sh unpacks it): unpacked, the JRE alone is ~45 MiB
# of the device tool's 64 MiB per call; packed, the whole carry is ~47 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export PATH="$JAVA_HOME/bin:/usr/local/cuda/bin:$PATH"
grep -qx '/.gpu-carry/' .git/info/exclude 2>/dev/null || { mkdir -p .git/info; echo '/.gpu-carry/' >> .git/info/exclude; }
mvn -q -B -ntp -pl tensor,nn,liquid-model,cli,demo -am test-compile -Dmaven.javadoc.skip=true -Dmaven.source.skip=true
[[ -f tensor/target/classes/io/liquid4j/cuda/liquid4j.fatbin ]] || { echo "no fatbin was built: is nvcc at /usr/local/cuda/bin?" >&2; exit 1; }
rm -rf .gpu-carry && mkdir -p .gpu-carry/lib .gpu-carry/bench-classes .gpu-carry/build
for m in tensor nn liquid-model cli demo; do
    mkdir -p .gpu-carry/build/$m
    cp -r $m/target/classes $m/target/test-classes .gpu-carry/build/$m/
done
javac --release 25 -cp tensor/target/classes -d .gpu-carry/bench-classes bench/gpu/GpuBench.java
m2="$HOME/.m2/repository"
cp "$m2"/org/junit/jupiter/junit-jupiter-api/5.14.1/junit-jupiter-api-5.14.1.jar \
   "$m2"/org/junit/jupiter/junit-jupiter-params/5.14.1/junit-jupiter-params-5.14.1.jar \
   "$m2"/org/junit/platform/junit-platform-commons/1.14.1/junit-platform-commons-1.14.1.jar \
   "$m2"/org/opentest4j/opentest4j/1.3.0/opentest4j-1.3.0.jar \
   "$m2"/org/apiguardian/apiguardian-api/1.1.2/apiguardian-api-1.1.2.jar \
   "$m2"/info/picocli/picocli/4.7.7/picocli-4.7.7.jar .gpu-carry/lib/
tmp=$(mktemp -d)
jlink --add-modules java.base,java.desktop,jdk.incubator.vector,java.logging,java.management,jdk.unsupported \
    --strip-debug --no-man-pages --no-header-files --output "$tmp/jre" 2>/dev/null
tar -czf .gpu-carry/jre.tar.gz -C "$tmp" jre
rm -rf "$tmp"
du -sh .gpu-carry
