#!/bin/sh
# The image's ENTRYPOINT wraps the JVM's command line with this script:
#
#   sh /app/jit-by-command.sh java [JVM options] -jar /app/lakehose.jar <command> [arguments]
#
# It adds -XX:TieredStopAtLevel=1 (the C1 compiler only) unless <command> runs for long, and
# execs the command line otherwise unchanged, so the JVM replaces this shell and is PID 1 (SIGTERM
# reaches it). Why: on the task's few cores, the C2 compiler costs a short command more CPU
# than its faster code saves (README.md, "Performance": a convert of 1 record to 532 MB took
# 0.73x to 0.81x the CPU with C1 only). `run`, `replay` and `backfill` keep C2: they run for
# hours on compiled code, past the ~1.5 GB at which C2's compiling pays for itself by the same
# measurements.
# Left as it is when the JVM is already told which compilers to use, on its command line or in
# JAVA_TOOL_OPTIONS / JDK_JAVA_OPTIONS (for example -XX:TieredStopAtLevel=4 for C2 in a convert
# of several GB).
set -eu
jvm_options="${JAVA_TOOL_OPTIONS:-} ${JDK_JAVA_OPTIONS:-}"
prev=
after_jar=
command=
for arg do
    if [ -n "$after_jar" ]; then
        command=$arg
        break
    fi
    if [ "$prev" = -jar ]; then
        after_jar=yes
    else
        jvm_options="$jvm_options $arg"
    fi
    prev=$arg
done
case "$command" in
    run | replay | backfill) jit= ;;
    *) jit=-XX:TieredStopAtLevel=1 ;;
esac
case "$jvm_options" in
    *TieredStopAtLevel* | *TieredCompilation*) jit= ;;
esac
java=$1
shift
if [ -n "$jit" ]; then
    exec "$java" "$jit" "$@"
fi
exec "$java" "$@"
