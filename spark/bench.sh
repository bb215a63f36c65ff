#!/usr/bin/env bash
# Spark image job vs single-process ingest on the same generated image folder (see docs/BENCHMARKS.md).
# Usage: spark/bench.sh [files=4000] [rounds=3] [master=local[2]]   (run from the repository root)
set -euo pipefail
mvn -B -o -q -pl spark -am test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=test
# the JVM flags spark-submit adds on Java 17, taken from the module's pom
opens=$(sed -n '/<spark.jvm.opens>/,/<\/spark.jvm.opens>/p' spark/pom.xml | sed 's/<[^>]*>//g' | tr -s ' \n' ' ')
exec java -Xmx2g $opens -cp "spark/target/test-classes:spark/target/classes:$(cat spark/target/classpath.txt)" \
    dev.sluice.spark.IngestBench "$@"
