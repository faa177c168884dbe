import { Template } from 'aws-cdk-lib/assertions';
import { LakehosePipelineStack, LakehosePipelineStackProps } from '../lib/pipeline-stack';
import {
  actionsOf, CommandName, containerOf, covers, logicalIdOf, newApp, PIPELINE_ENV, resourcesOfType, Statement,
  statementsOfRole, statementWithSid, synthPipeline, taskRoleLogicalId, wildcardFindings,
} from './support';

/**
 * Statements allowed a wildcard because AWS offers no resource-level permission for their
 * action, each with the condition that narrows it. Only present when the feature is on.
 */
const DOCUMENTED_WILDCARD_EXCEPTIONS: Record<string, { action: string; why: string }> = {
  KclMetrics: {
    action: 'cloudwatch:PutMetricData',
    why: 'no resource-level permission; limited to the KCL namespace (= application name) by cloudwatch:namespace',
  },
};

const VARIANTS: Record<string, LakehosePipelineStackProps> = {
  'default (polling, lake in this account)': {},
  'enhanced fan-out': { retrieval: 'fanout' },
  'cross-account lake': {
    crossAccountLake: {
      bucketName: 'lakehose-lake-222222222222-eu-west-1',
      keyArn: 'arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      writerRoleArn: 'arn:aws:iam::222222222222:role/lakehose-lake-writer',
    },
  },
  'KCL CloudWatch metrics on': { kclCloudWatchMetrics: true },
  'Iceberg (Glue catalog)': { lakeFormat: 'both' },
};

const synthesized: Record<string, { stack: LakehosePipelineStack; template: Template; statements: Statement[] }> = {};

beforeAll(() => {
  for (const [name, props] of Object.entries(VARIANTS)) {
    const { stack, template } = synthPipeline(props);
    synthesized[name] = { stack, template, statements: statementsOfRole(template, taskRoleLogicalId(template)) };
  }
});

describe.each(Object.keys(VARIANTS))('task role, %s', name => {
  test('has no "*" action and no "*" resource in any attached policy, documented exceptions aside', () => {
    const { statements } = synthesized[name];
    expect(statements.length).toBeGreaterThan(0);
    const findings = wildcardFindings(statements.filter(s => !(s.Sid && s.Sid in DOCUMENTED_WILDCARD_EXCEPTIONS)));
    expect(findings).toEqual([]);
    for (const s of statements.filter(x => x.Sid && x.Sid in DOCUMENTED_WILDCARD_EXCEPTIONS)) {
      expect(s.Action).toBe(DOCUMENTED_WILDCARD_EXCEPTIONS[s.Sid!].action);
      expect(s.Condition).toBeDefined();
    }
  });

  test('has no managed policies and only Allow statements', () => {
    // statementsOfRole throws on ManagedPolicyArns
    expect(synthesized[name].statements.every(s => s.Effect === 'Allow')).toBe(true);
  });

  test('may be assumed only by ECS tasks of this account', () => {
    const { template } = synthesized[name];
    const role = template.toJSON().Resources[taskRoleLogicalId(template)];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([expect.objectContaining({
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Principal: { Service: 'ecs-tasks.amazonaws.com' },
      Condition: {
        StringEquals: { 'aws:SourceAccount': PIPELINE_ENV.account },
        ArnLike: { 'aws:SourceArn': `arn:aws:ecs:${PIPELINE_ENV.region}:${PIPELINE_ENV.account}:*` },
      },
    })]);
  });
});

describe('task role permissions, resource by resource', () => {
  const ids = (name: string) => {
    const { stack } = synthesized[name];
    return {
      stream: logicalIdOf(stack, stack.stream),
      streamKey: logicalIdOf(stack, stack.streamKey),
      leaseTable: logicalIdOf(stack, stack.leaseTable),
      sourceTable: logicalIdOf(stack, stack.sourceTable),
      bucket: stack.lake ? logicalIdOf(stack, stack.lake.bucket) : '',
      lakeKey: stack.lake ? logicalIdOf(stack, stack.lake.key) : '',
    };
  };
  const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

  test('default: the service\'s role holds exactly the calls of KCL (polling) and the S3 writer, nothing of backfill or preflight', () => {
    const name = 'default (polling, lake in this account)';
    const { statements } = synthesized[name];
    const id = ids(name);
    expect(statements.map(s => s.Sid).sort()).toEqual(
      ['DecryptStreamRecords', 'LakeKeyThroughS3', 'LakeListPrefixes', 'LakePutObjects', 'LakeReadObjects', 'LeaseTable',
        'ReadStream']);
    // `run` never scans the source table (that is backfill's), nor calls KMS directly (preflight's probe).
    expect(JSON.stringify(statements)).not.toContain(id.sourceTable);
    expect(statements.filter(s => JSON.stringify(s.Condition ?? {}).includes('EncryptionContext'))).toEqual([]);
    // S3 reads only under the lake's prefixes: the fence's HeadObject.
    expect(statementWithSid(statements, 'LakeReadObjects')).toEqual(expect.objectContaining({
      Action: 's3:GetObject',
      Resource: [
        { 'Fn::Join': ['', [arn(id.bucket), '/cdc/*']] },
        { 'Fn::Join': ['', [arn(id.bucket), '/errors/*']] },
      ],
    }));
    expect(statementWithSid(statements, 'ReadStream')).toEqual(expect.objectContaining({
      Action: ['kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
      Resource: arn(id.stream),
    }));
    expect(statementWithSid(statements, 'DecryptStreamRecords')).toEqual(expect.objectContaining({
      Action: 'kms:Decrypt',
      Resource: arn(id.streamKey),
      Condition: { StringEquals: { 'kms:ViaService': 'kinesis.eu-west-1.amazonaws.com' } },
    }));
    expect(statementWithSid(statements, 'LeaseTable')).toEqual(expect.objectContaining({
      Action: ['dynamodb:CreateTable', 'dynamodb:DeleteItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem',
        'dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
      Resource: arn(id.leaseTable),
    }));
    expect(statementWithSid(statements, 'LakePutObjects')).toEqual(expect.objectContaining({
      Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
      Resource: [
        { 'Fn::Join': ['', [arn(id.bucket), '/cdc/*']] },
        { 'Fn::Join': ['', [arn(id.bucket), '/errors/*']] },
      ],
    }));
    expect(statementWithSid(statements, 'LakeListPrefixes')).toEqual(expect.objectContaining({
      Action: 's3:ListBucket',
      Resource: arn(id.bucket),
      Condition: { StringLike: { 's3:prefix': ['cdc/*', 'errors/*'] } },
    }));
    expect(statementWithSid(statements, 'LakeKeyThroughS3')).toEqual(expect.objectContaining({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: arn(id.lakeKey),
      Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
    }));
    // Nothing the service does not call: no deletes of lake objects, no CloudWatch, no STS, no
    // ECS Exec channels, no Glue (folders), no Scan of anything but the lease table.
    const actions = actionsOf(statements);
    for (const never of ['s3:DeleteObject', 'cloudwatch:PutMetricData', 'sts:AssumeRole',
      'ssmmessages:CreateControlChannel', 'kinesis:DescribeStream', 'kinesis:ListStreams', 'dynamodb:Query',
      'glue:GetTable']) {
      expect(actions).not.toContain(never);
    }
  });

  test('enhanced fan-out adds consumer registration on the stream and subscription on its consumers only', () => {
    const name = 'enhanced fan-out';
    const { statements } = synthesized[name];
    const id = ids(name);
    expect(statementWithSid(statements, 'FanOutRegisterConsumer')).toEqual(expect.objectContaining({
      Action: 'kinesis:RegisterStreamConsumer',
      Resource: arn(id.stream),
    }));
    expect(statementWithSid(statements, 'FanOutSubscribe')).toEqual(expect.objectContaining({
      Action: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'],
      Resource: { 'Fn::Join': ['', [arn(id.stream), '/consumer/lakehose:*']] },
    }));
    expect(actionsOf(synthesized['default (polling, lake in this account)'].statements))
      .not.toContain('kinesis:SubscribeToShard');
  });

  test('KCL CloudWatch metrics: the one documented "*" resource, narrowed to the KCL namespace', () => {
    const { statements } = synthesized['KCL CloudWatch metrics on'];
    expect(statementWithSid(statements, 'KclMetrics')).toEqual(expect.objectContaining({
      Action: 'cloudwatch:PutMetricData',
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': 'lakehose' } },
    }));
    // The walker does see it: without the documented exception it would be a finding.
    expect(wildcardFindings(statements)).toEqual(['KclMetrics: resource *']);
  });
});

describe('the wildcard walker itself', () => {
  test('finds wildcards in actions and resources, and in policies attached after the fact', () => {
    expect(wildcardFindings([
      { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::bucket/*', Sid: 'A' },
      { Effect: 'Allow', Action: ['kms:ReEncrypt*'], Resource: { 'Fn::GetAtt': ['Key', 'Arn'] }, Sid: 'B' },
      { Effect: 'Allow', Action: 'kinesis:GetRecords', Resource: 'arn:aws:kinesis:*:111111111111:stream/x', Sid: 'C' },
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: ['*'], Sid: 'D' },
      { Effect: 'Deny', Action: '*', Resource: '*', Sid: 'E' },
    ])).toEqual([
      'A: action s3:*',
      'B: action kms:ReEncrypt*',
      'C: resource arn:aws:kinesis:*:111111111111:stream/x',
      'D: resource *',
    ]);

    // A convenience grant on the task role lands in a separate AWS::IAM::Policy; the walk sees
    // it (Stream.grantRead adds kinesis:ListStreams, which has no resource-level permission).
    const stack = new LakehosePipelineStack(newApp(), 'Lakehose', { env: PIPELINE_ENV });
    stack.stream.grantRead(stack.taskRole.role);
    const template = Template.fromStack(stack);
    const statements = statementsOfRole(template, taskRoleLogicalId(template));
    expect(actionsOf(statements)).toContain('kinesis:ListStreams');
  });
});

describe('one task definition and role per command', () => {
  const COMMANDS: CommandName[] = ['run', 'backfill', 'replay', 'preflight'];
  let stack: LakehosePipelineStack;
  let template: Template;
  const roleOf = (command: CommandName) => statementsOfRole(template, taskRoleLogicalId(template, command));
  let id: Record<string, string>;
  const arn = (x: string) => ({ 'Fn::GetAtt': [x, 'Arn'] });
  const under = (bucket: string, path: string) => ({ 'Fn::Join': ['', [arn(bucket), path]] });

  beforeAll(() => {
    ({ stack, template } = synthesized['default (polling, lake in this account)']);
    id = {
      stream: logicalIdOf(stack, stack.stream),
      streamKey: logicalIdOf(stack, stack.streamKey),
      leaseTable: logicalIdOf(stack, stack.leaseTable),
      sourceTable: logicalIdOf(stack, stack.sourceTable),
      bucket: logicalIdOf(stack, stack.lake!.bucket),
      lakeKey: logicalIdOf(stack, stack.lake!.key),
    };
  });

  test('four task definitions, each with a role of its own; the service runs the one of `run`', () => {
    expect(Object.keys(resourcesOfType(template, 'AWS::ECS::TaskDefinition'))).toHaveLength(4);
    const roles = COMMANDS.map(c => taskRoleLogicalId(template, c));
    expect(new Set(roles).size).toBe(4);
    expect(containerOf(template, 'run').Command).toBeUndefined(); // the image's CMD: run
    expect(containerOf(template, 'backfill').Command).toEqual(['backfill', '--config', '/config/lakehose.yaml',
      '--table', { Ref: id.sourceTable }]);
    expect(containerOf(template, 'replay').Command).toEqual(['replay', '--config', '/config/lakehose.yaml',
      '--to', 'LATEST', '--dry-run']);
    expect(containerOf(template, 'preflight').Command).toEqual(['preflight', '--config', '/config/lakehose.yaml']);
  });

  test.each(COMMANDS)('%s: no wildcard, only Allow, assumable only by ECS tasks of this account', command => {
    const statements = roleOf(command);
    expect(statements.length).toBeGreaterThan(0);
    expect(wildcardFindings(statements)).toEqual([]);
    expect(statements.every(s => s.Effect === 'Allow')).toBe(true);
    const role = template.toJSON().Resources[taskRoleLogicalId(template, command)];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([expect.objectContaining({
      Principal: { Service: 'ecs-tasks.amazonaws.com' },
      Condition: {
        StringEquals: { 'aws:SourceAccount': PIPELINE_ENV.account },
        ArnLike: { 'aws:SourceArn': `arn:aws:ecs:${PIPELINE_ENV.region}:${PIPELINE_ENV.account}:*` },
      },
    })]);
  });

  test('only backfill may scan the source table', () => {
    for (const command of COMMANDS) {
      const scans = roleOf(command).filter(s => JSON.stringify(s.Resource).includes(id.sourceTable));
      expect(scans.length).toBe(command === 'backfill' ? 1 : 0);
    }
  });

  test('backfill: the source table, puts under the lake prefixes, its own progress file; no stream, no lease table', () => {
    const statements = roleOf('backfill');
    expect(statements.map(s => s.Sid).sort()).toEqual(['BackfillScanSourceTable', 'LakeKeyThroughS3', 'LakeListPrefixes',
      'LakePutObjects', 'LakeReadObjects']);
    expect(statementWithSid(statements, 'BackfillScanSourceTable')).toEqual(expect.objectContaining({
      Action: ['dynamodb:DescribeTable', 'dynamodb:Scan'], Resource: arn(id.sourceTable),
    }));
    expect(statementWithSid(statements, 'LakePutObjects').Resource).toEqual([under(id.bucket, '/cdc/*'), under(id.bucket, '/errors/*')]);
    // Reads back only its progress file (listing its key first): never a data object.
    expect(statementWithSid(statements, 'LakeReadObjects').Resource).toEqual(under(id.bucket, '/cdc/_lakehose/backfill/*'));
    expect(statementWithSid(statements, 'LakeListPrefixes').Condition).toEqual({
      StringLike: { 's3:prefix': ['cdc/_lakehose/backfill/*'] },
    });
    const text = JSON.stringify(statements);
    expect(text).not.toContain(id.stream);
    expect(text).not.toContain(id.leaseTable);
  });

  test('replay: reads the shards and rewrites leases (Scan, Put, Update); no lake, no deletes', () => {
    const statements = roleOf('replay');
    expect(statements.map(s => s.Sid).sort()).toEqual(['DecryptStreamRecords', 'ReplayLeaseTable', 'ReplayReadShards']);
    expect(statementWithSid(statements, 'ReplayReadShards')).toEqual(expect.objectContaining({
      Action: ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'], Resource: arn(id.stream),
    }));
    expect(statementWithSid(statements, 'ReplayLeaseTable')).toEqual(expect.objectContaining({
      Action: ['dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:UpdateItem'], Resource: arn(id.leaseTable),
    }));
    expect(actionsOf(statements).filter(a => a.startsWith('s3:') || a === 'dynamodb:DeleteItem')).toEqual([]);
  });

  test('preflight: its probe key only, the direct KMS probe; every other call it checks is one the service may make', () => {
    const statements = roleOf('preflight');
    expect(statements.map(s => s.Sid).sort()).toEqual(['DecryptStreamRecords', 'LakeKeyPreflightProbe', 'LakeKeyThroughS3',
      'LakeListPrefixes', 'LakePutObjects', 'LakeReadObjects', 'PreflightLeaseTable', 'PreflightReadStream']);
    expect(statementWithSid(statements, 'LakePutObjects').Resource).toEqual(under(id.bucket, '/cdc/_lakehose_preflight/*'));
    expect(statementWithSid(statements, 'LakeReadObjects').Resource).toEqual(under(id.bucket, '/cdc/_lakehose_preflight/*'));
    expect(statementWithSid(statements, 'LakeKeyPreflightProbe')).toEqual(expect.objectContaining({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: arn(id.lakeKey),
      Condition: { StringEquals: { 'kms:EncryptionContext:lakehose-preflight': 'probe' } },
    }));
    // A preflight that passes says the service's role is admitted too: each of its statements but
    // the direct KMS probe (which run never makes) is covered by one of run's.
    const run = roleOf('run');
    const uncovered = statements.filter(s => s.Sid !== 'LakeKeyPreflightProbe' && !covers(run, s)).map(s => s.Sid);
    expect(uncovered).toEqual([]);
    expect(covers(run, statementWithSid(statements, 'LakeKeyPreflightProbe'))).toBe(false);
  });

  test('the coverage check itself refuses a wider resource, another action or a missing condition', () => {
    const run = roleOf('run');
    const put = { Effect: 'Allow', Action: 's3:PutObject', Resource: under(id.bucket, '/cdc/_lakehose_preflight/*') };
    expect(covers(run, put)).toBe(true);
    expect(covers(run, { ...put, Resource: under(id.bucket, '/*') })).toBe(false);
    expect(covers(run, { ...put, Action: 's3:DeleteObject' })).toBe(false);
    expect(covers(run, { Effect: 'Allow', Action: 'kms:Decrypt', Resource: arn(id.streamKey) })).toBe(false);
  });
});
