import { Duration, Size } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Command } from './permissions';
import { HTTP_PORT } from './settings';

/**
 * The one writable path of a lakehose container: the spool (buffer.spoolDir defaults to
 * /tmp/lakehose-spool), the JVM's java.io.tmpdir where zstd-jni and snappy unpack their native
 * libraries, and hsperfdata. Everything else is the read-only image.
 */
export const SCRATCH_PATH = '/tmp';
export const SCRATCH_VOLUME = 'tmp';

export interface CommandTaskProps {
  readonly command: Command;
  readonly role: iam.IRole;
  readonly image: ecs.ContainerImage;
  readonly environment: Record<string, string>;
  readonly logGroup: logs.ILogGroup;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly ephemeralStorageGiB?: number;
  readonly cpuArchitecture: ecs.CpuArchitecture;
  /** The container's command; none for `run`, which is the image's CMD. */
  readonly containerCommand?: string[];
  /** `run` only: the HTTP port and the health check on /health. */
  readonly healthCheck?: ecs.HealthCheck;
  readonly servesHttp?: boolean;
  readonly stopTimeoutSeconds?: number;
}

/**
 * A task definition of one command, with that command's role: the service's (`run`) and one per
 * one-off command (`backfill`, `replay`, `preflight`, started with `aws ecs run-task`, see
 * deploy/README.md). The root filesystem is read-only; /tmp is a bind mount on the task's
 * ephemeral storage, which the image declares as a VOLUME owned by the lakehose user so that
 * Fargate copies that ownership onto the mount (an undeclared bind mount is root's, 0755).
 */
export function commandTaskDefinition(scope: Construct, id: string, props: CommandTaskProps): {
  taskDefinition: ecs.FargateTaskDefinition; container: ecs.ContainerDefinition;
} {
  const taskDefinition = new ecs.FargateTaskDefinition(scope, id, {
    cpu: props.cpu,
    memoryLimitMiB: props.memoryMiB,
    ephemeralStorageGiB: props.ephemeralStorageGiB,
    runtimePlatform: { cpuArchitecture: props.cpuArchitecture, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    taskRole: props.role,
  });
  taskDefinition.addVolume({ name: SCRATCH_VOLUME });
  const container = taskDefinition.addContainer('lakehose', {
    image: props.image,
    essential: true,
    command: props.containerCommand,
    environment: props.environment,
    readonlyRootFilesystem: true,
    stopTimeout: props.stopTimeoutSeconds === undefined ? undefined : Duration.seconds(props.stopTimeoutSeconds),
    healthCheck: props.healthCheck,
    portMappings: props.servesHttp ? [{ containerPort: HTTP_PORT, name: 'http' }] : undefined,
    logging: ecs.LogDrivers.awsLogs({
      logGroup: props.logGroup,
      streamPrefix: props.command === 'run' ? 'lakehose' : `lakehose-${props.command}`,
      // A slow CloudWatch Logs must never stall the pipeline (blocking mode stalls stderr
      // writes); under pressure log lines are dropped instead.
      mode: ecs.AwsLogDriverMode.NON_BLOCKING,
      maxBufferSize: Size.mebibytes(25),
    }),
  });
  container.addMountPoints({ sourceVolume: SCRATCH_VOLUME, containerPath: SCRATCH_PATH, readOnly: false });
  return { taskDefinition, container };
}
