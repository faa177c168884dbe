#!/bin/sh
# Makes an application class-data sharing (AppCDS) archive for lakehose's jar:
#
#   deploy/docker/class-data-archive.sh JAR ARCHIVE [TRAINING_INPUT]
#   java -XX:SharedArchiveFile=ARCHIVE -jar JAR convert ...
#
# A JVM started with the archive maps the classes a convert loads (about 4,500: Parquet, Avro,
# Jackson, logback, lakehose) already parsed and verified instead of reading them from the jar:
# a 1-record convert needs about 40 % of the CPU. The Dockerfile runs this at image build
# time for /app/lakehose.jar.
#
# An archive holds for one JVM build and one jar at one path: the JVM that reads it must be the
# one that wrote it, and JAR must be named at run time exactly as here (same path string, same
# file: rebuilding the jar invalidates it). Otherwise the JVM silently runs without it, as slow as
# before. TRAINING_INPUT defaults to the change records beside this script (40 records and one
# broken line, so that the error output's classes are in the archive too).
set -eu
jar=$1
archive=$2
input=${3:-$(dirname "$0")/class-data-training.jsonl}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# 1. A training convert lists every class it loads. Its temporary files (native libraries unpacked,
#    hsperfdata) stay in $work: in an image build, /tmp must stay empty.
java -XX:DumpLoadedClassList="$work/classes.lst" -XX:-UsePerfData -Djava.io.tmpdir="$work" -jar "$jar" convert --input "$input" --output "$work/lake" \
    >"$work/training.log" 2>&1 || { cat "$work/training.log" >&2; exit 1; }
# 2. Those classes into a static archive (with the JDK's own; picocli's, compiled for Java 5, cannot
#    be archived and are left out with a warning, as are a few others).
java -XX:-UsePerfData -Xshare:dump -XX:SharedClassListFile="$work/classes.lst" -XX:SharedArchiveFile="$archive" -cp "$jar" \
    >"$work/dump.log" 2>&1 || { cat "$work/dump.log" >&2; exit 1; }
echo "class-data archive $archive for $jar: $(grep -c . "$work/classes.lst") classes listed"
