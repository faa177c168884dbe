import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LakeBucket } from './lake-bucket';
import { Retrieval } from './settings';

/** Where the task writes the lake: a bucket it may write directly, or a role it assumes. */
export type LakeAccess =
  | { readonly kind: 'direct'; readonly bucketArn: string; readonly keyArn: string; readonly region: string;
      readonly prefixes: string[] }
  | { readonly kind: 'assumeRole'; readonly roleArn: string };

export interface TaskRoleProps {
  readonly roleName?: string;
  readonly applicationName: string;
  readonly streamArn: string;
  readonly streamKeyArn: string;
  readonly leaseTableArn: string;
  readonly retrieval: Retrieval;
  readonly lake: LakeAccess;
  /** kinesis.cloudWatchMetrics: KCL publishes its metrics under the application name. */
  readonly kclCloudWatchMetrics: boolean;
  /**
   * The table `lakehose backfill` may scan (run as a one-off task of the same task definition,
   * command `backfill --config ... --table <name>`); none if absent.
   */
  readonly backfillSourceTableArn?: string;
}

/**
 * The task role, least privilege: exactly the calls lakehose `run` makes (KCL on the stream and
 * its lease table, the S3 writer on the lake), each on the named resource. Written out
 * statement by statement rather than with the constructs' grant methods, which add actions the
 * service never calls (kinesis:ListStreams, s3:PutObjectLegalHold, kms:ReEncrypt*, s3:Abort*...).
 */
export class TaskRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: TaskRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: `lakehose task role (${props.applicationName}): stream, lease table, lake`,
      // Only ECS tasks of this account and region may assume it (confused-deputy protection).
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:ecs:${stack.region}:${stack.account}:*` },
        },
      }),
      inlinePolicies: { lakehose: new iam.PolicyDocument({ statements: TaskRole.statements(props, stack.region) }) },
    });
  }

  static statements(props: TaskRoleProps, region: string): iam.PolicyStatement[] {
    const statements: iam.PolicyStatement[] = [
      new iam.PolicyStatement({
        sid: 'ReadStream',
        // The Kinesis calls in KCL 2.7.2's bytecode: ListShards (shard discovery), then
        // GetShardIterator + GetRecords per leased shard; DescribeStreamSummary (fan-out
        // registration, and `preflight`'s "describe the stream"). Not DescribeStream: KCL 2.x
        // never calls it (and it is throttled to 10 calls/s per account).
        actions: ['kinesis:DescribeStreamSummary', 'kinesis:ListShards', 'kinesis:GetShardIterator',
          'kinesis:GetRecords'],
        resources: [props.streamArn],
      }),
      new iam.PolicyStatement({
        sid: 'DecryptStreamRecords',
        actions: ['kms:Decrypt'],
        resources: [props.streamKeyArn],
        conditions: { StringEquals: { 'kms:ViaService': `kinesis.${region}.amazonaws.com` } },
      }),
      new iam.PolicyStatement({
        sid: 'LeaseTable',
        // The DynamoDB calls in KCL 2.7.2's lease refresher: DescribeTable (CreateTable only if
        // the table were missing), Scan to list leases, Get/Put/Update/DeleteItem to create,
        // take, renew, checkpoint and clean up leases. No Query (KCL 2.x has no lease index),
        // no UpdateContinuousBackups (only for tables KCL creates with PITR; this one has it).
        actions: ['dynamodb:CreateTable', 'dynamodb:DescribeTable', 'dynamodb:Scan', 'dynamodb:GetItem',
          'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [props.leaseTableArn],
      }),
    ];
    if (props.backfillSourceTableArn) {
      statements.push(new iam.PolicyStatement({
        sid: 'BackfillScanSourceTable',
        // `backfill`: DescribeTable (key schema, capacity, item count) and a parallel Scan.
        actions: ['dynamodb:DescribeTable', 'dynamodb:Scan'],
        resources: [props.backfillSourceTableArn],
      }));
    }
    if (props.retrieval === 'fanout') {
      // Enhanced fan-out: KCL registers a consumer named after the application once, then
      // subscribes to each shard through it. Consumer ARNs end in ":<creation timestamp>".
      const consumers = `${props.streamArn}/consumer/${props.applicationName}:*`;
      statements.push(
        new iam.PolicyStatement({
          sid: 'FanOutRegisterConsumer',
          actions: ['kinesis:RegisterStreamConsumer'],
          resources: [props.streamArn],
        }),
        new iam.PolicyStatement({
          sid: 'FanOutSubscribe',
          actions: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'],
          resources: [consumers],
        }),
      );
    }
    if (props.lake.kind === 'direct') {
      statements.push(...LakeBucket.writerStatements(props.lake.bucketArn, props.lake.keyArn, props.lake.region,
        props.lake.prefixes));
    } else {
      statements.push(new iam.PolicyStatement({
        sid: 'AssumeLakeWriterRole',
        actions: ['sts:AssumeRole'],
        resources: [props.lake.roleArn],
      }));
    }
    if (props.kclCloudWatchMetrics) {
      // The one statement with Resource "*": PutMetricData has no resource-level permission.
      // It is narrowed to KCL's namespace, which is the application name.
      statements.push(new iam.PolicyStatement({
        sid: 'KclMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': props.applicationName } },
      }));
    }
    return statements;
  }
}
