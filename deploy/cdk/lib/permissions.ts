import * as iam from 'aws-cdk-lib/aws-iam';
import { LakeBucket } from './lake-bucket';
import { Retrieval } from './settings';

/** The lakehose commands that run on the deployed stack, each with a role of its own. */
export type Command = 'run' | 'backfill' | 'replay' | 'preflight';
export const COMMANDS: readonly Command[] = ['run', 'backfill', 'replay', 'preflight'];

/** Where the lake is written: a bucket of this stack, or a role in the lake account that is assumed. */
export type LakeAccess =
  | { readonly kind: 'direct'; readonly bucketArn: string; readonly keyArn: string; readonly region: string;
      readonly lakePrefix: string; readonly errorPrefix: string }
  | { readonly kind: 'assumeRole'; readonly roleArn: string };

/** The Iceberg Glue catalog `run` writes the change-log tables to (lake.format iceberg or both). */
export interface IcebergAccess {
  /** Glue catalog ARN (arn:<partition>:glue:<region>:<account>:catalog). */
  readonly catalogArn: string;
  readonly databaseArn: string;
  /** Every database of the catalog (`arn:...:database/*`): glue:GetDatabases returns them all. */
  readonly allDatabasesArn: string;
  /** Tables of that database: `arn:...:table/<database>/*`. */
  readonly tablesArn: string;
  /** Warehouse key prefix in the lake bucket (iceberg.catalog.warehouse's path). */
  readonly warehousePrefix: string;
}

export interface AccessProps {
  readonly applicationName: string;
  readonly streamArn: string;
  readonly streamKeyArn: string;
  readonly leaseTableArn: string;
  /** The table `backfill --table` scans (the stack's source table). */
  readonly sourceTableArn: string;
  readonly retrieval: Retrieval;
  readonly lake: LakeAccess;
  readonly kclCloudWatchMetrics: boolean;
  readonly iceberg?: IcebergAccess;
}

/**
 * Exactly the AWS calls each command makes (read from its code under src/main/java/io/lakehose and
 * from KCL 2.7.2's bytecode), each on its resource. Written out statement by statement rather
 * than with the constructs' grant methods, which add actions no command calls
 * (kinesis:ListStreams, s3:PutObjectLegalHold, kms:ReEncrypt*, s3:Abort*...).
 */
export function commandStatements(command: Command, props: AccessProps, region: string): iam.PolicyStatement[] {
  switch (command) {
    case 'run': return runStatements(props, region);
    case 'backfill': return backfillStatements(props);
    case 'replay': return replayStatements(props, region);
    case 'preflight': return preflightStatements(props, region);
  }
}

/** `run`: KCL on the stream and its lease table, the lake writer, the Iceberg catalog if configured. */
function runStatements(props: AccessProps, region: string): iam.PolicyStatement[] {
  const statements = [
    new iam.PolicyStatement({
      sid: 'ReadStream',
      // The Kinesis calls in KCL 2.7.2's bytecode: ListShards (shard discovery), then
      // GetShardIterator + GetRecords per leased shard; DescribeStreamSummary (fan-out
      // registration). Not DescribeStream: KCL 2.x never calls it (and it is throttled to 10
      // calls/s per account).
      actions: ['kinesis:DescribeStreamSummary', 'kinesis:ListShards', 'kinesis:GetShardIterator',
        'kinesis:GetRecords'],
      resources: [props.streamArn],
    }),
    decryptStreamRecords(props, region),
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
  if (props.retrieval === 'fanout') {
    // Enhanced fan-out: KCL registers a consumer named after the application once, then
    // subscribes to each shard through it. Consumer ARNs end in ":<creation timestamp>".
    statements.push(
      new iam.PolicyStatement({
        sid: 'FanOutRegisterConsumer',
        actions: ['kinesis:RegisterStreamConsumer'],
        resources: [props.streamArn],
      }),
      new iam.PolicyStatement({
        sid: 'FanOutSubscribe',
        actions: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'],
        resources: [`${props.streamArn}/consumer/${props.applicationName}:*`],
      }),
    );
  }
  const lake = props.lake;
  if (lake.kind === 'direct') {
    const prefixes = [lake.lakePrefix, lake.errorPrefix];
    // The fence reads where an object ends (HeadObject, authorized as s3:GetObject) of data and
    // error objects alike, and lists both prefixes at lease start.
    statements.push(
      LakeBucket.putObjects(lake.bucketArn, prefixes),
      LakeBucket.listPrefixes(lake.bucketArn, [...prefixes, ...(props.iceberg ? [props.iceberg.warehousePrefix] : [])]),
      LakeBucket.readObjects(lake.bucketArn, prefixes),
      LakeBucket.keyThroughS3(lake.keyArn, lake.region),
    );
    if (props.iceberg) {
      statements.push(...icebergStatements(lake.bucketArn, props.iceberg));
    }
  } else {
    statements.push(assumeLakeWriterRole(lake.roleArn));
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

/**
 * `backfill --table`: DescribeTable and a parallel Scan of the source table (backfill.SourceTable,
 * ScanSegment), the lake writer's puts of data and error files, and its progress file
 * `<lake prefix>/_lakehose/backfill/<table>.json`, read back by listing its own key first
 * (S3ObjectStore.read) and GetObject. It never reads the stream or the lease table, and never
 * reads a data object. `--from-export` also reads the export's bucket, which this stack does not
 * know: grant s3:GetObject there by hand.
 */
function backfillStatements(props: AccessProps): iam.PolicyStatement[] {
  const statements = [new iam.PolicyStatement({
    sid: 'BackfillScanSourceTable',
    actions: ['dynamodb:DescribeTable', 'dynamodb:Scan'],
    resources: [props.sourceTableArn],
  })];
  const lake = props.lake;
  if (lake.kind === 'direct') {
    const progress = `${lake.lakePrefix}/_lakehose/backfill`;
    statements.push(
      LakeBucket.putObjects(lake.bucketArn, [lake.lakePrefix, lake.errorPrefix]),
      LakeBucket.listPrefixes(lake.bucketArn, [progress]),
      LakeBucket.readObjects(lake.bucketArn, [progress]),
      LakeBucket.keyThroughS3(lake.keyArn, lake.region),
    );
  } else {
    statements.push(assumeLakeWriterRole(lake.roleArn));
  }
  return statements;
}

/**
 * `replay`: the shards (ListShards; GetShardIterator to check a sequence number and, with
 * GetRecords, to find the position of a timestamp: replay.StreamShards, ShardPositions) and the
 * lease table (a consistent Scan of the leases, then TransactWriteItems of Put for new leases and
 * Update of moved ones, which IAM authorizes as dynamodb:PutItem and dynamodb:UpdateItem:
 * replay.LeaseTable). No lake, no DescribeStreamSummary, no DeleteItem.
 */
function replayStatements(props: AccessProps, region: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'ReplayReadShards',
      actions: ['kinesis:ListShards', 'kinesis:GetShardIterator', 'kinesis:GetRecords'],
      resources: [props.streamArn],
    }),
    decryptStreamRecords(props, region),
    new iam.PolicyStatement({
      sid: 'ReplayLeaseTable',
      actions: ['dynamodb:Scan', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [props.leaseTableArn],
    }),
  ];
}

/**
 * `preflight`: the checks of preflight.StreamCheck (DescribeStreamSummary, ListShards,
 * GetShardIterator, GetRecords of one record), LeaseTableCheck (DescribeTable, a Scan of one item,
 * conditional Get/Put/Update/DeleteItem of a key that cannot exist), AssumeRoleCheck (the lake
 * writer role, cross-account only), KmsKeyCheck (GenerateDataKey and Decrypt called directly,
 * with preflight's encryption context) and LakeBucketCheck (ListObjectsV2 of the lake prefix, then
 * HeadObject, CreateMultipartUpload, UploadPart and AbortMultipartUpload of one key under
 * `<lake prefix>/_lakehose_preflight/`). Every call but the direct KMS probe is one `run` makes on
 * the same resource, which test/task-role.test.ts checks statement by statement: a preflight
 * that passes says the stack's resources and their policies admit the service.
 */
function preflightStatements(props: AccessProps, region: string): iam.PolicyStatement[] {
  const statements = [
    new iam.PolicyStatement({
      sid: 'PreflightReadStream',
      actions: ['kinesis:DescribeStreamSummary', 'kinesis:ListShards', 'kinesis:GetShardIterator',
        'kinesis:GetRecords'],
      resources: [props.streamArn],
    }),
    decryptStreamRecords(props, region),
    new iam.PolicyStatement({
      sid: 'PreflightLeaseTable',
      actions: ['dynamodb:DescribeTable', 'dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:PutItem',
        'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resources: [props.leaseTableArn],
    }),
  ];
  const lake = props.lake;
  if (lake.kind === 'direct') {
    const probe = `${lake.lakePrefix}/_lakehose_preflight`;
    statements.push(
      LakeBucket.putObjects(lake.bucketArn, [probe]),
      LakeBucket.listPrefixes(lake.bucketArn, [lake.lakePrefix]),
      LakeBucket.readObjects(lake.bucketArn, [probe]),
      LakeBucket.keyThroughS3(lake.keyArn, lake.region),
      LakeBucket.keyPreflightProbe(lake.keyArn),
    );
  } else {
    statements.push(assumeLakeWriterRole(lake.roleArn));
  }
  return statements;
}

function decryptStreamRecords(props: AccessProps, region: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DecryptStreamRecords',
    actions: ['kms:Decrypt'],
    resources: [props.streamKeyArn],
    conditions: { StringEquals: { 'kms:ViaService': `kinesis.${region}.amazonaws.com` } },
  });
}

function assumeLakeWriterRole(roleArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'AssumeLakeWriterRole',
    actions: ['sts:AssumeRole'],
    resources: [roleArn],
  });
}

/**
 * Iceberg's GlueCatalog and S3FileIO, as `run` uses them (commit.iceberg.IcebergCatalogs,
 * ChangeLogTables, IcebergCommitter): at start listNamespaces (glue:GetDatabases, which AWS
 * authorizes on the catalog and every database it returns), then namespaceExists
 * (glue:GetDatabase), tableExists/loadTable (glue:GetTable), createTable on first use
 * (glue:CreateTable) and every commit (glue:UpdateTable). No glue:CreateDatabase: the stack
 * creates the database. In the warehouse: metadata, manifests and data files put and read back
 * (HeadObject before a create, hence also ListBucket so that a missing key answers 404), and
 * the data files of a refused commit deleted (s3:DeleteObject, in the warehouse only).
 */
function icebergStatements(bucketArn: string, iceberg: IcebergAccess): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'IcebergCatalogListDatabases',
      actions: ['glue:GetDatabases'],
      resources: [iceberg.catalogArn, iceberg.allDatabasesArn],
    }),
    new iam.PolicyStatement({
      sid: 'IcebergCatalogTables',
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:CreateTable', 'glue:UpdateTable'],
      resources: [iceberg.catalogArn, iceberg.databaseArn, iceberg.tablesArn],
    }),
    new iam.PolicyStatement({
      sid: 'IcebergWarehouseObjects',
      actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:GetObject', 's3:DeleteObject'],
      resources: [`${bucketArn}/${iceberg.warehousePrefix}/*`],
    }),
  ];
}
