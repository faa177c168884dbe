import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONTAINER_HEALTH_CHECK, ecrRegionOf, lakehoseImage } from './container';
import { LakeBucket } from './lake-bucket';
import { DEFAULT_LAKE_START_DATE, LakeCatalog } from './lake-catalog';
import { TaskNetwork } from './network';
import { AccessProps, Command, COMMANDS, commandStatements, IcebergAccess, LakeAccess } from './permissions';
import {
  CONTAINER_CONFIG, Egress, ENV, glueDatabaseName, LakeFormat, Retrieval, taskRoleName, validateApplicationName,
  validatePrefix, validateScaling, validateShutdown,
} from './settings';
import { commandTaskDefinition } from './task-definitions';
import { TaskRole } from './task-role';

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
  /**
   * How a new VPC's tasks reach AWS (network.ts): `endpoints`, no route out of the VPC but to the
   * endpoints of the services the commands call; `nat`, any HTTPS destination through a NAT
   * gateway. Ignored with `vpc` or `vpcId`. @default 'endpoints'
   */
  readonly egress?: Egress;
  /** lake.format: folders, iceberg (Glue catalog) or both. @default 'folders' */
  readonly lakeFormat?: LakeFormat;
  /** Glue database of the folder table and the Iceberg tables. @default the application name, lower case, '_' for other characters */
  readonly glueDatabase?: string;
  /** Other DynamoDB tables whose changes reach the stream (the folder table projects the source table and these). */
  readonly lakeTables?: string[];
  /** First day (yyyy-MM-dd) the folder table projects. @default DEFAULT_LAKE_START_DATE */
  readonly lakeStartDate?: string;
  /** Iceberg warehouse prefix in the lake bucket. @default 'warehouse' */
  readonly warehousePrefix?: string;
  /** Days old object versions stay in the lake bucket; 0 turns versioning off. @default 30 */
  readonly noncurrentVersionDays?: number;
}

/**
 * The whole pipeline in one account: a DynamoDB table streaming its changes into a
 * KMS-encrypted Kinesis stream, lakehose on Fargate reading the stream with KCL (lease table
 * here too), and the SSE-KMS Parquet lake in S3 with its Glue catalog, or, with
 * `crossAccountLake`, a lake in another account (LakeAccountStack) that the tasks write through
 * an assumed role. Each command has its own task definition and role: the service (`run`) and
 * the one-off `backfill`, `replay` and `preflight`.
 */
export class LakehosePipelineStack extends Stack {
  readonly stream: kinesis.Stream;
  readonly streamKey: kms.Key;
  readonly sourceTable: dynamodb.Table;
  readonly leaseTable: dynamodb.Table;
  readonly lake?: LakeBucket;
  readonly catalog?: LakeCatalog;
  /** The role of each command; `taskRole` is the service's. */
  readonly roles: Record<Command, TaskRole>;
  readonly taskRole: TaskRole;
  /** The task definition of each command; `taskDefinition` is the service's. */
  readonly taskDefinitions: Record<Command, ecs.FargateTaskDefinition>;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly network: TaskNetwork;
  readonly service: ecs.FargateService;
  readonly logGroup: logs.LogGroup;
  readonly logKey: kms.Key;

  constructor(scope: Construct, id: string, props: LakehosePipelineStackProps = {}) {
    super(scope, id, props);
    const applicationName = props.applicationName ?? 'lakehose';
    const shardCount = props.shardCount ?? 2;
    const lakePrefix = props.lakePrefix ?? 'cdc';
    const errorPrefix = props.errorPrefix ?? 'errors';
    const warehousePrefix = props.warehousePrefix ?? 'warehouse';
    const retrieval = props.retrieval ?? 'polling';
    const lakeFormat = props.lakeFormat ?? 'folders';
    const egress = props.egress ?? 'endpoints';
    const stopTimeoutSeconds = props.stopTimeoutSeconds ?? 120;
    const shutdownBudgetSeconds = props.shutdownBudgetSeconds ?? 90;
    const minTasks = props.minTasks ?? 1;
    const maxTasks = props.maxTasks ?? shardCount;
    const cpuArchitecture = props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64;
    validateApplicationName(applicationName);
    validatePrefix('lakePrefix', lakePrefix);
    validatePrefix('errorPrefix', errorPrefix);
    validatePrefix('warehousePrefix', warehousePrefix);
    validateShutdown(stopTimeoutSeconds, shutdownBudgetSeconds);
    validateScaling(shardCount, minTasks, maxTasks);
    const managed = new Set<string>(Object.values(ENV));
    const clashes = Object.keys(props.extraEnvironment ?? {}).filter(k => managed.has(k));
    if (clashes.length > 0) {
      throw new Error(`extraEnvironment must not set ${clashes.join(', ')}: the stack sets them from its resources and props`);
    }
    const iceberg = lakeFormat !== 'folders';
    if (iceberg && props.crossAccountLake) {
      // S3FileIO writes with the task's own credentials, not through s3.roleArn.
      throw new Error(`lakeFormat ${lakeFormat} with crossAccountLake: the service writes Iceberg files with its own `
        + 'role, not the lake account\'s writer role; use lakeFormat folders for a cross-account lake');
    }
    const newVpc = !props.vpc && !props.vpcId;
    if (newVpc && egress === 'endpoints') {
      const imageRegion = props.imageUri === undefined ? this.region : ecrRegionOf(props.imageUri);
      if (imageRegion === undefined || (!Token.isUnresolved(this.region) && imageRegion !== this.region)) {
        throw new Error(`imageUri ${props.imageUri} is not in ECR of this stack's region: with egress 'endpoints' the tasks `
          + 'reach only this region\'s ECR; push the image there, or use egress nat');
      }
      const lakeRegion = props.crossAccountLake?.region;
      if (lakeRegion !== undefined && lakeRegion !== this.region) {
        throw new Error(`the cross-account lake is in ${lakeRegion}: with egress 'endpoints' the S3 gateway endpoint `
          + 'reaches only buckets of this stack\'s region; use egress nat');
      }
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

    // --- The lake and its catalog ------------------------------------------------------------
    let lakeAccess: LakeAccess;
    let lakeBucketArn: string;
    let icebergAccess: IcebergAccess | undefined;
    const lakeEnv: Record<string, string> = {};
    if (props.crossAccountLake) {
      if (Token.isUnresolved(this.region)) {
        throw new Error('crossAccountLake needs a stack with a concrete region (env): the lake account trusts the task role by its name, which contains the region');
      }
      const x = props.crossAccountLake;
      lakeAccess = { kind: 'assumeRole', roleArn: x.writerRoleArn };
      lakeBucketArn = `arn:${this.partition}:s3:::${x.bucketName}`;
      lakeEnv[ENV.lakeUri] = `s3://${x.bucketName}/${lakePrefix}`;
      lakeEnv[ENV.s3Region] = x.region ?? this.region;
      lakeEnv[ENV.s3KmsKeyId] = x.keyArn;
      lakeEnv[ENV.s3RoleArn] = x.writerRoleArn;
    } else {
      this.lake = new LakeBucket(this, 'Lake', { noncurrentVersionDays: props.noncurrentVersionDays });
      lakeBucketArn = this.lake.bucket.bucketArn;
      lakeAccess = {
        kind: 'direct', bucketArn: lakeBucketArn, keyArn: this.lake.key.keyArn, region: this.region, lakePrefix, errorPrefix,
      };
      lakeEnv[ENV.lakeUri] = `s3://${this.lake.bucket.bucketName}/${lakePrefix}`;
      lakeEnv[ENV.s3Region] = this.region;
      lakeEnv[ENV.s3KmsKeyId] = this.lake.key.keyArn;
      this.catalog = new LakeCatalog(this, 'Catalog', {
        databaseName: props.glueDatabase ?? glueDatabaseName(applicationName),
        bucketName: this.lake.bucket.bucketName,
        lakePrefix,
        folderTable: lakeFormat !== 'iceberg',
        tableNames: [this.sourceTable.tableName, ...(props.lakeTables ?? [])],
        startDate: props.lakeStartDate ?? DEFAULT_LAKE_START_DATE,
      });
      if (iceberg) {
        icebergAccess = {
          catalogArn: this.catalog.catalogArn,
          databaseArn: this.catalog.databaseArn,
          allDatabasesArn: this.catalog.allDatabasesArn,
          tablesArn: this.catalog.tablesArn,
          warehousePrefix,
        };
        lakeEnv[ENV.lakeFormat] = lakeFormat;
        lakeEnv[ENV.icebergNamespace] = this.catalog.databaseName;
        lakeEnv[ENV.icebergCatalog] = `type=glue,warehouse=s3://${this.lake.bucket.bucketName}/${warehousePrefix}`;
      }
    }

    // --- One role per command ----------------------------------------------------------------
    const access: AccessProps = {
      applicationName,
      streamArn: this.stream.streamArn,
      streamKeyArn: this.streamKey.keyArn,
      leaseTableArn: this.leaseTable.tableArn,
      sourceTableArn: this.sourceTable.tableArn,
      retrieval,
      lake: lakeAccess,
      kclCloudWatchMetrics: props.kclCloudWatchMetrics ?? false,
      iceberg: icebergAccess,
    };
    // Named only when another account must trust them before they exist: the commands that
    // write the lake through its writer role. `replay` never touches the lake.
    const roleName = (command: Command): string | undefined =>
      props.crossAccountLake && command !== 'replay' ? taskRoleName(applicationName, this.region, command) : undefined;
    const roleIds: Record<Command, string> = { run: 'TaskRole', backfill: 'BackfillRole', replay: 'ReplayRole', preflight: 'PreflightRole' };
    this.roles = Object.fromEntries(COMMANDS.map(c => [c, new TaskRole(this, roleIds[c], {
      roleName: roleName(c), command: c, access,
    })])) as Record<Command, TaskRole>;
    this.taskRole = this.roles.run;

    // --- Network -----------------------------------------------------------------------------
    const vpc = props.vpc ?? (props.vpcId ? ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: props.vpcId }) : undefined);
    this.network = new TaskNetwork(this, 'Network', {
      vpc,
      egress,
      lakeBucketArn,
      s3Deletes: iceberg,
      tables: [this.leaseTable.tableArn, this.sourceTable.tableArn].map(arn => ({ tableArn: arn, actions: actionsOn(arn, access, this.region) })),
      sts: props.crossAccountLake !== undefined,
      glue: iceberg,
      cloudWatchMetrics: props.kclCloudWatchMetrics ?? false,
    });

    // --- Logs, encrypted with a key of their own ---------------------------------------------
    this.logKey = new kms.Key(this, 'LogsKey', {
      description: `lakehose ${applicationName}: CloudWatch Logs of the tasks`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch Logs encrypts and decrypts with the key itself, for log groups of this account
    // and region only (the encryption context names the log group).
    this.logKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchLogsOfThisAccount',
      principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'], // in a key policy: this key
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:*` },
      },
    }));
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: this.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.logGroup.node.addDependency(this.logKey);

    // --- Task definitions: the service's and the one-off commands' ---------------------------
    const environment: Record<string, string> = {
      ...(props.extraEnvironment ?? {}),
      ...lakeEnv,
      [ENV.lakeErrorPrefix]: errorPrefix,
      [ENV.kinesisStream]: this.stream.streamName,
      [ENV.kinesisRegion]: this.region,
      [ENV.kinesisApplicationName]: this.leaseTable.tableName,
      [ENV.kinesisRetrieval]: retrieval,
      [ENV.kinesisShutdownBudgetSeconds]: String(shutdownBudgetSeconds),
      [ENV.kinesisCloudWatchMetrics]: String(props.kclCloudWatchMetrics ?? false),
    };
    const image = lakehoseImage(this, { imageUri: props.imageUri, cpuArchitecture });
    const common = {
      image, environment, logGroup: this.logGroup, cpu: props.cpu ?? 1024, memoryMiB: props.memoryMiB ?? 2048,
      ephemeralStorageGiB: props.ephemeralStorageGiB, cpuArchitecture,
    };
    // The one-off commands' default command lines; `aws ecs run-task --overrides` changes them
    // (deploy/README.md, "One-off commands"). replay's default only prints its plan.
    const oneOff: Record<Exclude<Command, 'run'>, string[]> = {
      backfill: ['backfill', '--config', CONTAINER_CONFIG, '--table', this.sourceTable.tableName],
      replay: ['replay', '--config', CONTAINER_CONFIG, '--to', 'LATEST', '--dry-run'],
      preflight: ['preflight', '--config', CONTAINER_CONFIG],
    };
    const run = commandTaskDefinition(this, 'Task', {
      ...common,
      command: 'run',
      role: this.roles.run.role,
      stopTimeoutSeconds,
      healthCheck: props.containerHealthCheck === false ? undefined : CONTAINER_HEALTH_CHECK,
      servesHttp: true,
    });
    this.taskDefinition = run.taskDefinition;
    this.container = run.container;
    const tdIds: Record<Exclude<Command, 'run'>, string> = { backfill: 'BackfillTask', replay: 'ReplayTask', preflight: 'PreflightTask' };
    this.taskDefinitions = {
      run: run.taskDefinition,
      ...Object.fromEntries((Object.keys(oneOff) as Exclude<Command, 'run'>[]).map(c => [c, commandTaskDefinition(this, tdIds[c], {
        ...common, command: c, role: this.roles[c].role, containerCommand: oneOff[c],
      }).taskDefinition])),
    } as Record<Command, ecs.FargateTaskDefinition>;

    const cluster = new ecs.Cluster(this, 'Cluster', { vpc: this.network.vpc });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: minTasks,
      assignPublicIp: false,
      vpcSubnets: this.network.subnets,
      securityGroups: [this.network.securityGroup],
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
    if (this.catalog) {
      new CfnOutput(this, 'GlueDatabaseName', { value: this.catalog.databaseName });
    }
    new CfnOutput(this, 'SourceTableName', { value: this.sourceTable.tableName });
    new CfnOutput(this, 'StreamName', { value: this.stream.streamName });
    new CfnOutput(this, 'LeaseTableName', { value: this.leaseTable.tableName });
    new CfnOutput(this, 'TaskRoleArn', { value: this.taskRole.role.roleArn });
    new CfnOutput(this, 'LogGroupName', { value: this.logGroup.logGroupName });
    new CfnOutput(this, 'ClusterName', { value: cluster.clusterName });
    new CfnOutput(this, 'ServiceName', { value: this.service.serviceName });
    // What `aws ecs run-task` needs for a one-off command (deploy/README.md, "One-off commands").
    new CfnOutput(this, 'BackfillTaskDefinitionArn', { value: this.taskDefinitions.backfill.taskDefinitionArn });
    new CfnOutput(this, 'ReplayTaskDefinitionArn', { value: this.taskDefinitions.replay.taskDefinitionArn });
    new CfnOutput(this, 'PreflightTaskDefinitionArn', { value: this.taskDefinitions.preflight.taskDefinitionArn });
    new CfnOutput(this, 'TaskSubnetIds', {
      value: this.network.vpc.selectSubnets(this.network.subnets).subnetIds.join(','),
    });
    new CfnOutput(this, 'TaskSecurityGroupId', { value: this.network.securityGroup.securityGroupId });
  }
}

/** Every action any command may call on a resource: what the DynamoDB endpoint must let through for it. */
function actionsOn(resourceArn: string, access: AccessProps, region: string): string[] {
  const actions = new Set<string>();
  for (const command of COMMANDS) {
    for (const s of commandStatements(command, access, region)) {
      const json = s.toStatementJson();
      const resources = [json.Resource].flat();
      if (resources.includes(resourceArn)) {
        [json.Action].flat().forEach((a: string) => actions.add(a));
      }
    }
  }
  return [...actions].sort();
}
