import { CfnOutput, Duration, RemovalPolicy, Size, Stack, StackProps, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONTAINER_HEALTH_CHECK, lakehoseImage } from './container';
import { LakeBucket } from './lake-bucket';
import {
  ENV, HTTP_PORT, Retrieval, taskRoleName, validateApplicationName, validatePrefix, validateScaling,
  validateShutdown,
} from './settings';
import { LakeAccess, TaskRole } from './task-role';

/** The lake of the cross-account variant: it lives in another account, written through a role there. */
export interface CrossAccountLake {
  readonly bucketName: string;
  /** Key ARN (a cross-account key cannot be named by alias). */
  readonly keyArn: string;
  /** The role in the lake account that the task assumes to write (LakeAccountStack's writer role). */
  readonly writerRoleArn: string;
  /** @default this stack's region */
  readonly region?: string;
}

export interface LakehosePipelineStackProps extends StackProps {
  /** KCL application name = lease table name. @default 'lakehose' */
  readonly applicationName?: string;
  /** Shards of the Kinesis stream; also the autoscaling cap. @default 2 */
  readonly shardCount?: number;
  /** Stream retention: how far back a replay can go. @default 24 hours */
  readonly streamRetention?: Duration;
  /** Partition key of the source table (string). @default 'id' */
  readonly sourcePartitionKey?: string;
  /** Precision of ApproximateCreationDateTime in the change records (lakehose reads both). @default MICROSECOND */
  readonly timestampPrecision?: dynamodb.ApproximateCreationDateTimePrecision;
  /** Key prefix of the Parquet lake in the bucket (lake.uri's path). @default 'cdc' */
  readonly lakePrefix?: string;
  /** lake.errorPrefix: where undecodable records go, from the bucket root. @default 'errors' */
  readonly errorPrefix?: string;
  /** Write to a bucket in another account through a role there, instead of creating the bucket here. */
  readonly crossAccountLake?: CrossAccountLake;
  /** kinesis.retrieval: 'fanout' adds the enhanced fan-out permissions. @default 'polling' */
  readonly retrieval?: Retrieval;
  /** kinesis.cloudWatchMetrics: KCL's own CloudWatch metrics. @default false */
  readonly kclCloudWatchMetrics?: boolean;
  /** Prebuilt image instead of building the repository's Dockerfile. */
  readonly imageUri?: string;
  /** @default X86_64 */
  readonly cpuArchitecture?: ecs.CpuArchitecture;
  /** Task CPU units. @default 1024 */
  readonly cpu?: number;
  /**
   * Task memory. The JVM takes 75 % as heap; buffer.memoryCapBytes (512 MiB by default) should
   * stay near a third of it. @default 2048
   */
  readonly memoryMiB?: number;
  /** Ephemeral storage for the spool directory (21-200 GiB). @default Fargate's 20 GiB */
  readonly ephemeralStorageGiB?: number;
  /** ECS waits this long after SIGTERM before SIGKILL (Fargate: at most 120). @default 120 */
  readonly stopTimeoutSeconds?: number;
  /** kinesis.shutdownBudgetSeconds: flush, upload and checkpoint after SIGTERM. @default 90 */
  readonly shutdownBudgetSeconds?: number;
  /** @default 1 */
  readonly minTasks?: number;
  /** @default shardCount */
  readonly maxTasks?: number;
  /** Average CPU the autoscaling keeps. @default 70 */
  readonly cpuTargetPercent?: number;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Run the container health check on /health (needs the service's HTTP endpoint). @default true */
  readonly containerHealthCheck?: boolean;
  /** Further LAKEHOSE_* settings for the container (buffer sizes, parquet options...). */
  readonly extraEnvironment?: Record<string, string>;
  /** An existing VPC with private subnets that reach AWS APIs. @default a new two-AZ VPC with one NAT gateway */
  readonly vpc?: ec2.IVpc;
  /**
   * Id of an existing VPC, looked up at synth (needs credentials and a concrete env; the result
   * is cached in cdk.context.json). Ignored when `vpc` is given.
   */
  readonly vpcId?: string;
}

/**
 * The whole pipeline in one account: a DynamoDB table streaming its changes into a
 * KMS-encrypted Kinesis stream, lakehose on Fargate reading the stream with KCL (lease table
 * here too), and the SSE-KMS Parquet lake in S3, or, with `crossAccountLake`, a lake in
 * another account (LakeAccountStack) that the task writes through an assumed role.
 */
export class LakehosePipelineStack extends Stack {
  readonly stream: kinesis.Stream;
  readonly streamKey: kms.Key;
  readonly sourceTable: dynamodb.Table;
  readonly leaseTable: dynamodb.Table;
  readonly lake?: LakeBucket;
  readonly taskRole: TaskRole;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly service: ecs.FargateService;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: LakehosePipelineStackProps = {}) {
    super(scope, id, props);
    const applicationName = props.applicationName ?? 'lakehose';
    const shardCount = props.shardCount ?? 2;
    const lakePrefix = props.lakePrefix ?? 'cdc';
    const errorPrefix = props.errorPrefix ?? 'errors';
    const retrieval = props.retrieval ?? 'polling';
    const stopTimeoutSeconds = props.stopTimeoutSeconds ?? 120;
    const shutdownBudgetSeconds = props.shutdownBudgetSeconds ?? 90;
    const minTasks = props.minTasks ?? 1;
    const maxTasks = props.maxTasks ?? shardCount;
    const cpuArchitecture = props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64;
    validateApplicationName(applicationName);
    validatePrefix('lakePrefix', lakePrefix);
    validatePrefix('errorPrefix', errorPrefix);
    validateShutdown(stopTimeoutSeconds, shutdownBudgetSeconds);
    validateScaling(shardCount, minTasks, maxTasks);
    const managed = new Set<string>(Object.values(ENV));
    const clashes = Object.keys(props.extraEnvironment ?? {}).filter(k => managed.has(k));
    if (clashes.length > 0) {
      throw new Error(`extraEnvironment must not set ${clashes.join(', ')}: the stack sets them from its resources and props`);
    }

    // --- Source: table -> stream ------------------------------------------------------------
    this.streamKey = new kms.Key(this, 'StreamKey', {
      description: `lakehose ${applicationName}: Kinesis stream of the DynamoDB change records`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stream = new kinesis.Stream(this, 'Stream', {
      streamMode: kinesis.StreamMode.PROVISIONED,
      shardCount,
      retentionPeriod: props.streamRetention ?? Duration.hours(24),
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: this.streamKey,
    });
    // DynamoDB writes into the stream through its service-linked role, whose IAM policy covers
    // kms:GenerateDataKey via Kinesis; the key's default policy delegates to IAM.
    this.sourceTable = new dynamodb.Table(this, 'SourceTable', {
      partitionKey: { name: props.sourcePartitionKey ?? 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      kinesisStream: this.stream,
      kinesisPrecisionTimestamp: props.timestampPrecision ?? dynamodb.ApproximateCreationDateTimePrecision.MICROSECOND,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // --- Checkpoints: the KCL lease table, created here so that its settings are ours --------
    this.leaseTable = new dynamodb.Table(this, 'LeaseTable', {
      tableName: applicationName,
      partitionKey: { name: 'leaseKey', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // --- The lake ----------------------------------------------------------------------------
    let lakeAccess: LakeAccess;
    const lakeEnv: Record<string, string> = {};
    if (props.crossAccountLake) {
      if (Token.isUnresolved(this.region)) {
        throw new Error('crossAccountLake needs a stack with a concrete region (env): the lake account trusts the task role by its name, which contains the region');
      }
      const x = props.crossAccountLake;
      lakeAccess = { kind: 'assumeRole', roleArn: x.writerRoleArn };
      lakeEnv[ENV.lakeUri] = `s3://${x.bucketName}/${lakePrefix}`;
      lakeEnv[ENV.s3Region] = x.region ?? this.region;
      lakeEnv[ENV.s3KmsKeyId] = x.keyArn;
      lakeEnv[ENV.s3RoleArn] = x.writerRoleArn;
    } else {
      this.lake = new LakeBucket(this, 'Lake');
      lakeAccess = {
        kind: 'direct', bucketArn: this.lake.bucket.bucketArn, keyArn: this.lake.key.keyArn, region: this.region,
        prefixes: [lakePrefix, errorPrefix],
      };
      lakeEnv[ENV.lakeUri] = `s3://${this.lake.bucket.bucketName}/${lakePrefix}`;
      lakeEnv[ENV.s3Region] = this.region;
      lakeEnv[ENV.s3KmsKeyId] = this.lake.key.keyArn;
    }

    // --- The service -------------------------------------------------------------------------
    this.taskRole = new TaskRole(this, 'TaskRole', {
      // Named only when another account must trust it before it exists.
      roleName: props.crossAccountLake ? taskRoleName(applicationName, this.region) : undefined,
      applicationName,
      streamArn: this.stream.streamArn,
      streamKeyArn: this.streamKey.keyArn,
      leaseTableArn: this.leaseTable.tableArn,
      retrieval,
      lake: lakeAccess,
      kclCloudWatchMetrics: props.kclCloudWatchMetrics ?? false,
      backfillSourceTableArn: this.sourceTable.tableArn,
    });

    const vpc = props.vpc ?? (props.vpcId ? ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: props.vpcId }) : new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'tasks', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      // The lake's bytes and the lease table's writes bypass the NAT gateway (free endpoints).
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    }));
    // Nothing connects to the task; it only calls AWS APIs over HTTPS.
    const securityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc,
      description: 'lakehose tasks: HTTPS out to AWS APIs, nothing in',
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs (Kinesis, DynamoDB, S3, KMS, STS)');

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu ?? 1024,
      memoryLimitMiB: props.memoryMiB ?? 2048,
      ephemeralStorageGiB: props.ephemeralStorageGiB,
      runtimePlatform: { cpuArchitecture, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      taskRole: this.taskRole.role,
    });
    this.container = this.taskDefinition.addContainer('lakehose', {
      image: lakehoseImage(this, { imageUri: props.imageUri, cpuArchitecture }),
      essential: true,
      // The image's CMD (run --config /config/lakehose.yaml); the settings come from here:
      environment: {
        ...(props.extraEnvironment ?? {}),
        ...lakeEnv,
        [ENV.lakeErrorPrefix]: errorPrefix,
        [ENV.kinesisStream]: this.stream.streamName,
        [ENV.kinesisRegion]: this.region,
        [ENV.kinesisApplicationName]: this.leaseTable.tableName,
        [ENV.kinesisRetrieval]: retrieval,
        [ENV.kinesisShutdownBudgetSeconds]: String(shutdownBudgetSeconds),
        [ENV.kinesisCloudWatchMetrics]: String(props.kclCloudWatchMetrics ?? false),
      },
      stopTimeout: Duration.seconds(stopTimeoutSeconds),
      healthCheck: props.containerHealthCheck === false ? undefined : CONTAINER_HEALTH_CHECK,
      portMappings: [{ containerPort: HTTP_PORT, name: 'http' }],
      logging: ecs.LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: 'lakehose',
        // A slow CloudWatch Logs must never stall the pipeline (blocking mode stalls stderr
        // writes); under pressure log lines are dropped instead.
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });

    const cluster = new ecs.Cluster(this, 'Cluster', { vpc });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: minTasks,
      assignPublicIp: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [securityGroup],
      // A deployment starts the new task before stopping the old one; KCL moves the leases.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      enableExecuteCommand: false,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    // Scale-in stops a task with SIGTERM: it flushes and checkpoints, and its leases move.
    const scaling = this.service.autoScaleTaskCount({ minCapacity: minTasks, maxCapacity: maxTasks });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: props.cpuTargetPercent ?? 70,
      scaleOutCooldown: Duration.minutes(2),
      scaleInCooldown: Duration.minutes(10),
    });

    new CfnOutput(this, 'LakeUri', { value: lakeEnv[ENV.lakeUri] });
    if (this.lake) {
      new CfnOutput(this, 'LakeBucketName', { value: this.lake.bucket.bucketName });
      new CfnOutput(this, 'LakeKeyArn', { value: this.lake.key.keyArn });
    }
    new CfnOutput(this, 'SourceTableName', { value: this.sourceTable.tableName });
    new CfnOutput(this, 'StreamName', { value: this.stream.streamName });
    new CfnOutput(this, 'LeaseTableName', { value: this.leaseTable.tableName });
    new CfnOutput(this, 'TaskRoleArn', { value: this.taskRole.role.roleArn });
    new CfnOutput(this, 'LogGroupName', { value: this.logGroup.logGroupName });
    new CfnOutput(this, 'ServiceName', { value: this.service.serviceName });
  }
}
