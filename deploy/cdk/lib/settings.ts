/**
 * What the deployment and the lakehose process must agree on: environment variable names,
 * the health check, the shutdown arithmetic. One place, so that the stacks and the tests
 * cannot drift apart.
 */

/**
 * Environment variables the task sets. Each is `LAKEHOSE_` + a configuration key path in
 * UPPER_SNAKE_CASE (README.md, "Configuration"); test/container-image.test.ts checks that every
 * one of them is in the README's configuration table, except those listed in PENDING_ENV.
 */
export const ENV = {
  lakeUri: 'LAKEHOSE_LAKE_URI',
  lakeErrorPrefix: 'LAKEHOSE_LAKE_ERROR_PREFIX',
  s3Region: 'LAKEHOSE_S3_REGION',
  s3KmsKeyId: 'LAKEHOSE_S3_KMS_KEY_ID',
  kinesisStream: 'LAKEHOSE_KINESIS_STREAM',
  kinesisRegion: 'LAKEHOSE_KINESIS_REGION',
  kinesisApplicationName: 'LAKEHOSE_KINESIS_APPLICATION_NAME',
  kinesisRetrieval: 'LAKEHOSE_KINESIS_RETRIEVAL',
  kinesisShutdownBudgetSeconds: 'LAKEHOSE_KINESIS_SHUTDOWN_BUDGET_SECONDS',
  kinesisCloudWatchMetrics: 'LAKEHOSE_KINESIS_CLOUD_WATCH_METRICS',
  /** Role the S3 client assumes for cross-account lake writes (key `s3.roleArn`). */
  s3RoleArn: 'LAKEHOSE_S3_ROLE_ARN',
  /** folders, iceberg or both (key `lake.format`); set only when not folders. */
  lakeFormat: 'LAKEHOSE_LAKE_FORMAT',
  /** The Glue database of the change-log tables (key `iceberg.namespace`). */
  icebergNamespace: 'LAKEHOSE_ICEBERG_NAMESPACE',
  /** Iceberg catalog properties, `key=value,...` (section `iceberg.catalog`). */
  icebergCatalog: 'LAKEHOSE_ICEBERG_CATALOG',
} as const;

/** Variables the deployment sets for keys the service does not have yet (none today). */
export const PENDING_ENV: readonly string[] = [];

/** The configuration file baked into the image (deploy/docker/lakehose.yaml: it sets no key). */
export const CONTAINER_CONFIG = '/config/lakehose.yaml';

/** The service's HTTP port (`http.port`): /health, /ready, /metrics. */
export const HTTP_PORT = 8080;

/**
 * The container health check, the same command as the Dockerfile's HEALTHCHECK (ECS ignores
 * the image's HEALTHCHECK and runs this one, inside the container, so it needs curl there too).
 */
export const HEALTH_CHECK_COMMAND =
  'curl -fsS -o /dev/null --max-time 4 "http://127.0.0.1:${LAKEHOSE_HTTP_PORT:-8080}/health" || exit 1';

/** ECS on Fargate waits at most this long between SIGTERM and SIGKILL. */
export const MAX_STOP_TIMEOUT_SECONDS = 120;

/**
 * Time the process needs after its shutdown budget: KCL's scheduler shutdown, the last
 * checkpoint write, closing the SDK clients and the JVM's exit. The budget must leave it free
 * before stopTimeout, or SIGKILL lands while a checkpoint is in flight (safe, since the lake's
 * high-water marks make the re-read harmless, but slower and noisier than a clean stop).
 */
export const SHUTDOWN_MARGIN_SECONDS = 15;

/** Retrieval modes of `kinesis.retrieval`. */
export type Retrieval = 'polling' | 'fanout';

/** lake.format: Hive-style Parquet folders, Iceberg change-log tables, or both. */
export type LakeFormat = 'folders' | 'iceberg' | 'both';

/**
 * How the tasks reach AWS: `endpoints` (a VPC without NAT gateway or internet route, VPC
 * endpoints for exactly the services the commands call) or `nat` (private subnets behind a NAT
 * gateway: any HTTPS destination).
 */
export type Egress = 'endpoints' | 'nat';

/** IAM's limit on role names. */
const MAX_ROLE_NAME = 64;

/**
 * Role names that both accounts of the cross-account variant must know before deploying: the
 * service's (`run`) keeps its old name, the one-off commands that write the lake get their own.
 */
export function taskRoleName(applicationName: string, region: string, command: 'run' | 'backfill' | 'preflight' = 'run'): string {
  const name = `${applicationName}-${command === 'run' ? 'task' : command}-${region}`;
  if (name.length > MAX_ROLE_NAME) {
    throw new Error(`role name ${name} is longer than IAM's ${MAX_ROLE_NAME} characters: choose a shorter applicationName`);
  }
  return name;
}

/**
 * The Glue database of the lake (Athena's folder table, the Iceberg change-log tables): the
 * application name in the form Athena takes unquoted (lower case, letters, digits, '_').
 */
export function glueDatabaseName(applicationName: string): string {
  return applicationName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

export function lakeWriterRoleName(applicationName: string): string {
  return `${applicationName}-lake-writer`;
}

/** Deterministic bucket name for the cross-account lake (its account id makes it unique). */
export function lakeBucketName(applicationName: string, account: string, region: string): string {
  return `${applicationName}-lake-${account}-${region}`.toLowerCase();
}

/** KCL application name = lease table name; also part of role names (64 characters at most). */
export function validateApplicationName(name: string): void {
  if (!/^[a-zA-Z0-9_.-]{3,40}$/.test(name)) {
    throw new Error(`applicationName '${name}' must be 3 to 40 characters of a-z, A-Z, 0-9, '_', '.', '-' `
      + '(it names the KCL lease table and the IAM roles)');
  }
}

/**
 * An S3 key prefix the task may write under: non-empty (an empty one would need bucket-wide
 * write and list permissions), no leading or trailing slash, no wildcard characters.
 */
export function validatePrefix(what: string, prefix: string): void {
  if (prefix.length === 0 || prefix.startsWith('/') || prefix.endsWith('/') || /[*?]/.test(prefix)) {
    throw new Error(`${what} '${prefix}' must be a non-empty S3 key prefix without leading or trailing '/' and `
      + 'without * or ? (the task role is scoped to it)');
  }
}

/** stopTimeout must cover the shutdown budget plus the margin, within Fargate's maximum. */
export function validateShutdown(stopTimeoutSeconds: number, shutdownBudgetSeconds: number): void {
  if (!Number.isInteger(stopTimeoutSeconds) || stopTimeoutSeconds < 2 || stopTimeoutSeconds > MAX_STOP_TIMEOUT_SECONDS) {
    throw new Error(`stopTimeoutSeconds ${stopTimeoutSeconds} must be an integer from 2 to ${MAX_STOP_TIMEOUT_SECONDS} `
      + '(the Fargate maximum)');
  }
  if (!Number.isInteger(shutdownBudgetSeconds) || shutdownBudgetSeconds < 1
      || shutdownBudgetSeconds + SHUTDOWN_MARGIN_SECONDS > stopTimeoutSeconds) {
    throw new Error(`shutdownBudgetSeconds ${shutdownBudgetSeconds} must be at least 1 and leave `
      + `${SHUTDOWN_MARGIN_SECONDS} s before stopTimeoutSeconds ${stopTimeoutSeconds} `
      + `(at most ${stopTimeoutSeconds - SHUTDOWN_MARGIN_SECONDS})`);
  }
}

/** Workers beyond the shard count hold no lease and sit idle, so shards cap the task count. */
export function validateScaling(shardCount: number, minTasks: number, maxTasks: number): void {
  if (!Number.isInteger(shardCount) || shardCount < 1) {
    throw new Error(`shardCount ${shardCount} must be a positive integer`);
  }
  if (!Number.isInteger(minTasks) || !Number.isInteger(maxTasks) || minTasks < 1 || maxTasks < minTasks) {
    throw new Error(`task counts must satisfy 1 <= minTasks (${minTasks}) <= maxTasks (${maxTasks})`);
  }
  if (maxTasks > shardCount) {
    throw new Error(`maxTasks ${maxTasks} exceeds shardCount ${shardCount}: a KCL worker without a shard `
      + 'holds no lease and only costs money');
  }
}
