#!/bin/sh
# The image's ENTRYPOINT wraps the JVM's command line with this script:
#
#   sh /app/jit-by-command.sh java [JVM options] -jar /app/lakehose.jar <command> [arguments]
#
# It adds -XX:TieredStopAtLevel=1 (the C1 compiler only) unless <command> runs for long, then
# execs the command line unchanged otherwise, so the JVM replaces this shell and is PID 1 (SIGTERM
# reaches it). Why: on the task's few cores, the C2 compiler costs a batch command more CPU
# than its faster code saves (README.md, "Performance": convert of 1, 200,000 and 600,000
# records). `run` and `replay` keep C2: they run for hours on compiled code.
# Left as it is when the JVM is already told which compilers to use, on its command line or in
# JAVA_TOOL_OPTIONS / JDK_JAVA_OPTIONS (for example -XX:TieredStopAtLevel=4 to give a long
# backfill C2 again).
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
    run | replay) jit= ;;
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
