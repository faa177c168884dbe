import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { LakeAccountStack } from './lake-account-stack';
import { CrossAccountLake, LakehosePipelineStack } from './pipeline-stack';
import { Egress, LakeFormat, lakeBucketName, lakeWriterRoleName, Retrieval, taskRoleName } from './settings';

/** Account and region the CLI resolved from the credentials (CDK_DEFAULT_ACCOUNT/REGION). */
export interface DefaultEnv {
  readonly account?: string;
  readonly region?: string;
}

/**
 * Adds the stacks that the context values ask for (deploy/README.md lists them):
 *
 * - one account: stack "Lakehose", everything;
 * - cross-account (`lakeAccount` and `pipelineAccount` set): stack "LakehoseLake" (bucket, key,
 *   writer role; deployed with the lake account's credentials) and, once `lakeKeyArn` is set to
 *   that stack's LakeKeyArn output, stack "Lakehose" (the rest; the pipeline account's).
 */
export function addStacks(app: App, defaults: DefaultEnv = {}): Stack[] {
  const text = (name: string): string | undefined => {
    const v = app.node.tryGetContext(name);
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const num = (name: string): number | undefined => {
    const v = text(name);
    if (v === undefined) {
      return undefined;
    }
    const n = Number(v);
    if (!Number.isFinite(n)) {
      throw new Error(`context value ${name}='${v}' is not a number`);
    }
    return n;
  };
  const flag = (name: string): boolean | undefined => {
    const v = text(name);
    if (v === undefined) {
      return undefined;
    }
    if (v !== 'true' && v !== 'false') {
      throw new Error(`context value ${name}='${v}' must be true or false`);
    }
    return v === 'true';
  };

  const region = text('region') ?? defaults.region;
  const applicationName = text('applicationName') ?? 'lakehose';
  const lakePrefix = text('lakePrefix');
  const errorPrefix = text('errorPrefix');
  const lakeAccount = text('lakeAccount');
  const pipelineAccount = text('pipelineAccount') ?? defaults.account;
  const retrieval = text('retrieval');
  if (retrieval !== undefined && retrieval !== 'polling' && retrieval !== 'fanout') {
    throw new Error(`context value retrieval='${retrieval}' must be polling or fanout`);
  }
  const retentionHours = num('streamRetentionHours');
  const lakeFormat = text('lakeFormat');
  if (lakeFormat !== undefined && !['folders', 'iceberg', 'both'].includes(lakeFormat)) {
    throw new Error(`context value lakeFormat='${lakeFormat}' must be folders, iceberg or both`);
  }
  const egress = text('egress');
  if (egress !== undefined && egress !== 'endpoints' && egress !== 'nat') {
    throw new Error(`context value egress='${egress}' must be endpoints or nat`);
  }
  const lakeTables = text('lakeTables')?.split(',').map(t => t.trim()).filter(t => t !== '');

  const stacks: Stack[] = [];
  let crossAccountLake: CrossAccountLake | undefined;
  if (lakeAccount) {
    if (!pipelineAccount || !region) {
      throw new Error('the cross-account variant needs -c pipelineAccount=<id> and -c region=<region> '
        + '(or credentials from which the CLI resolves them)');
    }
    const bucketName = text('lakeBucketName') ?? lakeBucketName(applicationName, lakeAccount, region);
    stacks.push(new LakeAccountStack(app, 'LakehoseLake', {
      env: { account: lakeAccount, region },
      applicationName,
      taskRoleArn: `arn:aws:iam::${pipelineAccount}:role/${taskRoleName(applicationName, region)}`,
      commandRoleArns: (['backfill', 'preflight'] as const)
        .map(c => `arn:aws:iam::${pipelineAccount}:role/${taskRoleName(applicationName, region, c)}`),
      noncurrentVersionDays: num('noncurrentVersionDays'),
      glueDatabase: text('glueDatabase'),
      lakeTables: lakeTables,
      lakeStartDate: text('lakeStartDate'),
      bucketName,
      lakePrefix,
      errorPrefix,
    }));
    const keyArn = text('lakeKeyArn');
    if (!keyArn) {
      // The key's ARN exists only once LakehoseLake is deployed; until then only that stack.
      return stacks;
    }
    crossAccountLake = {
      bucketName,
      keyArn,
      writerRoleArn: `arn:aws:iam::${lakeAccount}:role/${lakeWriterRoleName(applicationName)}`,
    };
  }

  stacks.push(new LakehosePipelineStack(app, 'Lakehose', {
    env: pipelineAccount && region ? { account: pipelineAccount, region } : region ? { region } : undefined,
    applicationName,
    shardCount: num('shardCount'),
    streamRetention: retentionHours === undefined ? undefined : Duration.hours(retentionHours),
    lakePrefix,
    errorPrefix,
    crossAccountLake,
    retrieval: retrieval as Retrieval | undefined,
    kclCloudWatchMetrics: flag('kclCloudWatchMetrics'),
    imageUri: text('imageUri'),
    cpuArchitecture: flag('arm64') ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
    cpu: num('cpu'),
    memoryMiB: num('memoryMiB'),
    ephemeralStorageGiB: num('ephemeralStorageGiB'),
    stopTimeoutSeconds: num('stopTimeoutSeconds'),
    shutdownBudgetSeconds: num('shutdownBudgetSeconds'),
    minTasks: num('minTasks'),
    maxTasks: num('maxTasks'),
    containerHealthCheck: flag('containerHealthCheck'),
    vpcId: text('vpcId'),
    egress: egress as Egress | undefined,
    lakeFormat: lakeFormat as LakeFormat | undefined,
    glueDatabase: text('glueDatabase'),
    lakeTables,
    lakeStartDate: text('lakeStartDate'),
    warehousePrefix: text('warehousePrefix'),
    noncurrentVersionDays: num('noncurrentVersionDays'),
  }));
  return stacks;
}
