#!/usr/bin/env bash
# Run HERE (the dev machine) before bench/gpu-check.sh is sent to a GPU machine whose image has
# no JDK 25 / Maven repository: builds the tensor, nn, liquid-model and cli modules with their tests
# (fatbin included), compiles the GPU benchmark, and puts a jlink'ed JRE 25 plus the JUnit API and
# picocli jars under .gpu-carry/ (git-ignored).
# Then carry: tensor/target, nn/target, liquid-model/target, cli/target and .gpu-carry.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
grep -qx '/.gpu-carry/' .git/info/exclude 2>/dev/null || { mkdir -p .git/info; echo '/.gpu-carry/' >> .git/info/exclude; }
mvn -q -o -pl tensor,nn,liquid-model,cli -am test-compile
rm -rf .gpu-carry && mkdir -p .gpu-carry/lib .gpu-carry/bench-classes
"$JAVA_HOME/bin/javac" --release 25 -cp tensor/target/classes -d .gpu-carry/bench-classes bench/gpu/GpuBench.java
m2="$HOME/.m2/repository"
cp "$m2"/org/junit/jupiter/junit-jupiter-api/5.14.1/junit-jupiter-api-5.14.1.jar \
   "$m2"/org/junit/platform/junit-platform-commons/1.14.1/junit-platform-commons-1.14.1.jar \
   "$m2"/org/opentest4j/opentest4j/1.3.0/opentest4j-1.3.0.jar \
   "$m2"/org/apiguardian/apiguardian-api/1.1.2/apiguardian-api-1.1.2.jar \
   "$m2"/info/picocli/picocli/4.7.7/picocli-4.7.7.jar .gpu-carry/lib/
"$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.logging,java.management,jdk.unsupported \
    --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output .gpu-carry/jre 2>/dev/null
du -sh .gpu-carry tensor/target nn/target liquid-model/target cli/target
