import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { LakeBucket, PREFLIGHT_CONTEXT_KEY, PREFLIGHT_CONTEXT_VALUE } from './lake-bucket';
import { DEFAULT_LAKE_START_DATE, LakeCatalog } from './lake-catalog';
import { glueDatabaseName, lakeWriterRoleName, validateApplicationName, validatePrefix } from './settings';

export interface LakeAccountStackProps extends StackProps {
  /** The pipeline's application name (names the writer role). @default 'lakehose' */
  readonly applicationName?: string;
  /**
   * ARN of the lakehose task role in the pipeline account (LakehosePipelineStack with
   * `crossAccountLake` names it `<applicationName>-task-<region>`). It need not exist yet.
   */
  readonly taskRoleArn: string;
  /**
   * ARNs of the one-off commands' roles that write the lake too (`backfill`, `preflight`: the
   * pipeline stack names them `<applicationName>-<command>-<region>`). They need not exist yet.
   */
  readonly commandRoleArns?: string[];
  /** @default generated */
  readonly bucketName?: string;
  /** @default 'cdc' */
  readonly lakePrefix?: string;
  /** @default 'errors' */
  readonly errorPrefix?: string;
  /** Days old object versions stay; 0 turns versioning off. @default 30 */
  readonly noncurrentVersionDays?: number;
  /** Glue database of the folder table (here, beside the bucket Athena reads). @default from the application name */
  readonly glueDatabase?: string;
  /**
   * DynamoDB tables whose changes the lake holds (the source table's name is the pipeline
   * account's). Empty: Athena queries must name the table (`"table"` is injected).
   */
  readonly lakeTables?: string[];
  /** First day (yyyy-MM-dd) the folder table projects. */
  readonly lakeStartDate?: string;
}

/**
 * The lake account of the cross-account variant: the lake bucket and its key, and the role
 * the lakehose task assumes to write there. Only that one task role may assume it; the role
 * may only put objects under the lake's prefixes and use the key through S3, and the key
 * policy names the role explicitly.
 */
export class LakeAccountStack extends Stack {
  readonly lake: LakeBucket;
  readonly catalog: LakeCatalog;
  readonly writerRole: iam.Role;

  constructor(scope: Construct, id: string, props: LakeAccountStackProps) {
    super(scope, id, props);
    const applicationName = props.applicationName ?? 'lakehose';
    const lakePrefix = props.lakePrefix ?? 'cdc';
    const errorPrefix = props.errorPrefix ?? 'errors';
    validateApplicationName(applicationName);
    validatePrefix('lakePrefix', lakePrefix);
    validatePrefix('errorPrefix', errorPrefix);
    const taskAccount = accountOf(props.taskRoleArn);
    const writers = [props.taskRoleArn, ...(props.commandRoleArns ?? [])];
    for (const arn of writers) {
      if (accountOf(arn) !== taskAccount) {
        throw new Error(`commandRoleArns: ${arn} is not in the task role's account ${taskAccount}`);
      }
    }

    this.lake = new LakeBucket(this, 'Lake', { bucketName: props.bucketName, noncurrentVersionDays: props.noncurrentVersionDays });
    this.catalog = new LakeCatalog(this, 'Catalog', {
      databaseName: props.glueDatabase ?? glueDatabaseName(applicationName),
      bucketName: this.lake.bucket.bucketName,
      lakePrefix,
      folderTable: true,
      tableNames: props.lakeTables ?? [],
      startDate: props.lakeStartDate ?? DEFAULT_LAKE_START_DATE,
    });

    // Trust the pipeline account, narrowed to its lakehose roles by aws:PrincipalArn, rather
    // than naming the role as principal: IAM refuses a principal that does not exist yet (so
    // this stack could not go first), and a recreated task role would silently lose access.
    this.writerRole = new iam.Role(this, 'WriterRole', {
      roleName: lakeWriterRoleName(applicationName),
      description: `Assumed by the lakehose roles of account ${taskAccount} to write the lake`,
      assumedBy: new iam.AccountPrincipal(taskAccount).withConditions({
        ArnEquals: { 'aws:PrincipalArn': writers.length === 1 ? writers[0] : writers },
      }),
      maxSessionDuration: Duration.hours(1),
    });
    // A separate policy resource (not inline): the key policy below names the role, and the
    // role's policy names the key, which inline would be a dependency cycle.
    new iam.Policy(this, 'WriterPolicy', {
      roles: [this.writerRole],
      statements: LakeBucket.writerStatements(this.lake.bucket.bucketArn, this.lake.key.keyArn, this.region,
        [lakePrefix, errorPrefix]),
    });
    this.lake.key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'LakeWriterUsesKeyThroughS3',
      principals: [new iam.ArnPrincipal(this.writerRole.roleArn)],
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: ['*'], // in a key policy: this key
      conditions: { StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` } },
    }));
    // `lakehose preflight` checks the key directly, for its own probe data keys only.
    this.lake.key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'LakeWriterPreflightProbe',
      principals: [new iam.ArnPrincipal(this.writerRole.roleArn)],
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: ['*'],
      conditions: { StringEquals: { [`kms:EncryptionContext:${PREFLIGHT_CONTEXT_KEY}`]: PREFLIGHT_CONTEXT_VALUE } },
    }));

    new CfnOutput(this, 'LakeBucketName', { value: this.lake.bucket.bucketName });
    new CfnOutput(this, 'LakeKeyArn', { value: this.lake.key.keyArn });
    new CfnOutput(this, 'WriterRoleArn', { value: this.writerRole.roleArn });
    new CfnOutput(this, 'GlueDatabaseName', { value: this.catalog.databaseName });
  }
}

/** The account id of an IAM role ARN (arn:<partition>:iam::<account>:role/<name>). */
export function accountOf(roleArn: string): string {
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):role\/.+$/.exec(roleArn);
  if (!m) {
    throw new Error(`taskRoleArn '${roleArn}' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
  }
  return m[1];
}
