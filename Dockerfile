# lakehose container image: the service jar built by Maven, run by a JRE as a non-root user.
#
#   docker build -t lakehose .
#   docker run --rm -e LAKEHOSE_LAKE_URI=s3://bucket/cdc -e LAKEHOSE_KINESIS_STREAM=stream lakehose
#
# Needs BuildKit (the default builder since Docker 23) for the Maven cache mount.
# Size, health check and the runtime-command contract: deploy/README.md.

# Base images pinned by digest (the multi-platform index, so linux/amd64 and linux/arm64 both
# resolve): a tag moves, a digest does not. NOT verified from the machine these were written on
# (no registry access there): before a release run deploy/docker/refresh-base-digests.sh, which
# asks the registry for each tag's current digest and rewrites these two lines; review the diff.
ARG BUILD_IMAGE=maven:3.9.16-eclipse-temurin-17@sha256:1a352420f7aba21f5ad08df31bab55f74c013fb491f1ae8ab1dd7ff9ed698584
ARG RUNTIME_IMAGE=eclipse-temurin:17-jre-noble@sha256:900322f4cc1b9da9d730ae4bb56d8a1dabbaa9cfa32809fc8b542b600370a045

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
# The service is the repository root (pom.xml, src/) with its parent pom in build/; only the
# service is built: the local demo stack, the test support, the bench and the emulators never
# reach the image.
# .dockerignore lets in nothing else.
COPY pom.xml ./
COPY build/pom.xml build/
COPY src/main src/main
# -Dmaven.test.skip also skips compiling the tests and switches off the pom's test-support profile
# (the emulators' module, not in this context); -DskipTests is still needed because it switches
# off the emulator install (exec plugin).
# The Maven repository is a cache mount: it speeds up rebuilds and never becomes a layer.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q package -DskipTests -Dmaven.test.skip=true \
    && test -s target/lakehose.jar

FROM ${RUNTIME_IMAGE}
# curl runs the health check (HEALTHCHECK below, and the ECS container health check, which runs
# inside the container too). Temurin's Ubuntu images for Java 17 ship it; it is installed only
# if a newer base image dropped it, as the Java 22+ images did.
RUN set -eux; \
    if ! command -v curl >/dev/null 2>&1; then \
        apt-get update; \
        apt-get install -y --no-install-recommends curl; \
        rm -rf /var/lib/apt/lists/*; \
    fi; \
    groupadd --system --gid 10001 lakehose; \
    useradd --system --uid 10001 --gid lakehose --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin lakehose; \
    chown 10001:10001 /tmp; \
    chmod 1777 /tmp
COPY --from=build /src/target/lakehose.jar /app/lakehose.jar
COPY deploy/docker/lakehose.yaml /config/lakehose.yaml
COPY deploy/docker/jit-by-command.sh /app/jit-by-command.sh
# Application class-data sharing: a training convert of a few records lists the classes it loads,
# and the JVM of this image writes them, parsed and verified, into /app/lakehose.jsa, which the
# ENTRYPOINT maps at start. A 1-record convert then takes about 40 % of the CPU it took
# without it (README.md, "Performance"); `run` loads the same Parquet, Avro and logging classes
# (the AWS SDK's and KCL's are not in the training, so they still come from the jar). Dumped
# here, not in the build stage: an archive only holds for the JVM build that wrote it. Read-only,
# like the jar; the script and its input are bind-mounted from the context, so they add no layer.
RUN --mount=type=bind,source=deploy/docker,target=/cds \
    sh /cds/class-data-archive.sh /app/lakehose.jar /app/lakehose.jsa
# The root filesystem is read-only in the task (readonlyRootFilesystem; docker run --read-only):
# /tmp is the one writable path, for the spool (buffer.spoolDir defaults to /tmp/lakehose-spool-<user>),
# the native libraries zstd-jni and snappy unpack into java.io.tmpdir, and hsperfdata. Declared as
# a VOLUME so that ECS (a bind mount at the same path) and Docker copy this directory's owner and
# mode onto the mount; an undeclared bind mount is root's with mode 0755, unwritable for uid 10001.
VOLUME ["/tmp"]
# Numeric, so that runtimes can verify "non-root" without reading /etc/passwd. The spool
# (buffer.spoolDir) defaults to /tmp/lakehose-spool-lakehose, on the task's ephemeral storage.
USER 10001:10001
# The endpoints listen on every interface of the container: Prometheus scrapes /metrics through
# the port mapping (the jar's default, loopback, would only serve the health check).
ENV LAKEHOSE_HTTP_BIND_ADDRESS=0.0.0.0
WORKDIR /app
EXPOSE 8080
# ECS sends SIGTERM, waits stopTimeout, then SIGKILL. The exec-form ENTRYPOINT starts a POSIX sh
# that picks the JIT for the command (C1 only for the short ones, C2 too for run, replay, backfill:
# deploy/docker/jit-by-command.sh) and execs the JVM, so the JVM is PID 1 and SIGTERM reaches it:
# lakehose flushes, uploads, checkpoints and exits 0.
STOPSIGNAL SIGTERM
# /health on http.port (8080 unless LAKEHOSE_HTTP_PORT says otherwise); shell form so the
# variable expands. Docker runs this; ECS ignores it and runs the same command from the task
# definition (deploy/cdk/lib/container.ts).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS -o /dev/null --max-time 4 "http://127.0.0.1:${LAKEHOSE_HTTP_PORT:-8080}/health" || exit 1
# The runtime command. Keep ENTRYPOINT and CMD one JSON array on one line each: the tests read
# them from this file and run the same command line (deploy/README.md, "Runtime command").
ENTRYPOINT ["sh", "/app/jit-by-command.sh", "java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:SharedArchiveFile=/app/lakehose.jsa", "-jar", "/app/lakehose.jar"]
CMD ["run", "--config", "/config/lakehose.yaml"]
