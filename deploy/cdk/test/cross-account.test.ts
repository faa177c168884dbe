import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { addStacks } from '../lib/app';
import { LakeAccountStack } from '../lib/lake-account-stack';
import { LakehosePipelineStack } from '../lib/pipeline-stack';
import { ENV, lakeWriterRoleName, taskRoleName } from '../lib/settings';
import {
  actionsOf, containerOf, envOf, Json, LAKE_ENV, logicalIdOf, newApp, PIPELINE_ENV, resourcesOfType, statementsOfRole,
  statementWithSid, taskRoleLogicalId, wildcardFindings,
} from './support';

const KEY_ARN = 'arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const WRITER_ROLE_ARN = `arn:aws:iam::${LAKE_ENV.account}:role/${lakeWriterRoleName('lakehose')}`;
const TASK_ROLE_ARN = `arn:aws:iam::${PIPELINE_ENV.account}:role/${taskRoleName('lakehose', PIPELINE_ENV.region)}`;
const BACKFILL_ROLE_ARN = `arn:aws:iam::${PIPELINE_ENV.account}:role/lakehose-backfill-${PIPELINE_ENV.region}`;
const PREFLIGHT_ROLE_ARN = `arn:aws:iam::${PIPELINE_ENV.account}:role/lakehose-preflight-${PIPELINE_ENV.region}`;

let lakeStack: LakeAccountStack;
let lake: Template;
let pipelineStack: LakehosePipelineStack;
let pipeline: Template;

beforeAll(() => {
  // Template.fromStack also fails on a dependency cycle, which matters here: the key policy
  // names the writer role and the role's policy names the key.
  // Through the app's own wiring (context values), as `cdk deploy` would build both stacks.
  const app = newApp({
    lakeAccount: LAKE_ENV.account,
    pipelineAccount: PIPELINE_ENV.account,
    region: PIPELINE_ENV.region,
    lakeKeyArn: KEY_ARN,
  });
  const stacks = addStacks(app);
  expect(stacks.map(s => s.stackName)).toEqual(['LakehoseLake', 'Lakehose']);
  lakeStack = stacks[0] as LakeAccountStack;
  pipelineStack = stacks[1] as LakehosePipelineStack;
  lake = Template.fromStack(lakeStack);
  pipeline = Template.fromStack(pipelineStack);
});

describe('pipeline account', () => {
  test('task role may sts:AssumeRole the lake writer role, by its exact ARN, and nothing else in the lake account', () => {
    const statements = statementsOfRole(pipeline, taskRoleLogicalId(pipeline));
    expect(statementWithSid(statements, 'AssumeLakeWriterRole')).toEqual(expect.objectContaining({
      Effect: 'Allow', Action: 'sts:AssumeRole', Resource: WRITER_ROLE_ARN,
    }));
    const actions = actionsOf(statements);
    expect(actions.filter(a => a.startsWith('s3:'))).toEqual([]);
    expect(actions.filter(a => a.startsWith('sts:'))).toEqual(['sts:AssumeRole']);
    // the only KMS permission left is the stream key's
    expect(statements.filter(s => JSON.stringify(s.Action).includes('kms:')).map(s => s.Sid)).toEqual(['DecryptStreamRecords']);
    expect(wildcardFindings(statements)).toEqual([]);
  });

  test('task role has the name the lake account trusts', () => {
    pipeline.hasResourceProperties('AWS::IAM::Role', { RoleName: taskRoleName('lakehose', PIPELINE_ENV.region) });
    expect(TASK_ROLE_ARN).toBe('arn:aws:iam::111111111111:role/lakehose-task-eu-west-1');
  });

  test('backfill and preflight write the lake through the writer role too, under the names it trusts; replay never touches it', () => {
    for (const [command, name] of [['backfill', 'lakehose-backfill-eu-west-1'], ['preflight', 'lakehose-preflight-eu-west-1']] as const) {
      const roleId = taskRoleLogicalId(pipeline, command);
      expect(pipeline.toJSON().Resources[roleId].Properties.RoleName).toBe(name);
      const statements = statementsOfRole(pipeline, roleId);
      expect(statementWithSid(statements, 'AssumeLakeWriterRole').Resource).toBe(WRITER_ROLE_ARN);
      expect(actionsOf(statements).filter(a => a.startsWith('s3:'))).toEqual([]);
    }
    const replay = statementsOfRole(pipeline, taskRoleLogicalId(pipeline, 'replay'));
    expect(actionsOf(replay).filter(a => a.startsWith('sts:') || a.startsWith('s3:'))).toEqual([]);
  });

  test('creates no bucket and no lake key; the container writes to the other account\'s lake through the role', () => {
    expect(resourcesOfType(pipeline, 'AWS::S3::Bucket')).toEqual({});
    expect(Object.keys(resourcesOfType(pipeline, 'AWS::KMS::Key')).sort()).toEqual([
      logicalIdOf(pipelineStack, pipelineStack.logKey), logicalIdOf(pipelineStack, pipelineStack.streamKey)].sort());
    // Athena's tables live beside the bucket, in the lake account.
    expect(resourcesOfType(pipeline, 'AWS::Glue::Database')).toEqual({});
    expect(resourcesOfType(pipeline, 'AWS::Glue::Table')).toEqual({});
    const env = envOf(containerOf(pipeline));
    expect(env[ENV.lakeUri]).toBe('s3://lakehose-lake-222222222222-eu-west-1/cdc');
    expect(env[ENV.s3KmsKeyId]).toBe(KEY_ARN);
    expect(env[ENV.s3RoleArn]).toBe(WRITER_ROLE_ARN);
    expect(env[ENV.s3Region]).toBe('eu-west-1');
  });

  test('without lakeKeyArn only the lake stack is synthesized (deploy it first)', () => {
    const app = newApp({ lakeAccount: LAKE_ENV.account, pipelineAccount: PIPELINE_ENV.account, region: PIPELINE_ENV.region });
    expect(addStacks(app).map((s: Stack) => s.stackName)).toEqual(['LakehoseLake']);
  });
});

describe('lake account', () => {
  const ids = () => ({
    bucket: logicalIdOf(lakeStack, lakeStack.lake.bucket),
    key: logicalIdOf(lakeStack, lakeStack.lake.key),
    writer: logicalIdOf(lakeStack, lakeStack.writerRole),
  });

  test('bucket: SSE-KMS with its own key, Bucket Keys, deterministic name, TLS and encryption denies', () => {
    const { bucket, key } = ids();
    lake.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'lakehose-lake-222222222222-eu-west-1',
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [key, 'Arn'] } },
        }],
      },
    });
    const statements: Json[] = Object.values(resourcesOfType(lake, 'AWS::S3::BucketPolicy'))[0].Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    }));
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Deny', Action: 's3:PutObject',
      Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': { 'Fn::GetAtt': [key, 'Arn'] } } },
    }));
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Deny', Action: 's3:PutObject',
      Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
    }));
    expect(bucket).toBeTruthy();
  });

  test('writer role trusts the pipeline account only for the roles of the commands that write the lake (aws:PrincipalArn)', () => {
    const role = lake.toJSON().Resources[ids().writer];
    expect(role.Properties.RoleName).toBe('lakehose-lake-writer');
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Principal: { AWS: `arn:aws:iam::${PIPELINE_ENV.account}:root` },
      Condition: { ArnEquals: { 'aws:PrincipalArn': [TASK_ROLE_ARN, BACKFILL_ROLE_ARN, PREFLIGHT_ROLE_ARN] } },
    }]);
  });

  test('Athena reads the lake here: the Glue database and the folder table, `table` injected (the source table is the other account\'s)', () => {
    const tables = Object.values(resourcesOfType(lake, 'AWS::Glue::Table'));
    expect(tables).toHaveLength(1);
    const input = tables[0].Properties.TableInput;
    expect(input.Parameters['projection.table.type']).toBe('injected');
    expect(input.Parameters['storage.location.template']).toEqual({
      'Fn::Join': ['', ['s3://', { Ref: ids().bucket }, '/cdc/table=${table}/dt=${dt}/hour=${hour}/']],
    });
    lake.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'lakehose' } });
  });

  test('key policy grants the role the task writes with GenerateDataKey and Decrypt, through S3 only', () => {
    const { key, writer } = ids();
    const keyPolicy = lake.toJSON().Resources[key].Properties.KeyPolicy.Statement as Json[];
    expect(keyPolicy).toContainEqual({
      Sid: 'LakeWriterUsesKeyThroughS3',
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::GetAtt': [writer, 'Arn'] } },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
    });
    expect(keyPolicy).toContainEqual({
      Sid: 'LakeWriterPreflightProbe',
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::GetAtt': [writer, 'Arn'] } },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:EncryptionContext:lakehose-preflight': 'probe' } },
    });
  });

  test('writer role: put, abort, list and read under the lake prefixes only, the key through S3; no wildcards', () => {
    const { bucket, key, writer } = ids();
    const statements = statementsOfRole(lake, writer);
    expect(wildcardFindings(statements)).toEqual([]);
    // kms twice: through S3 (LakeKeyThroughS3) and preflight's probe (LakeKeyPreflightProbe)
    expect(actionsOf(statements)).toEqual(['kms:Decrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKey',
      's3:AbortMultipartUpload', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
    // Reads (the fence's HeadObject, a backfill's progress file) under the lake's prefixes only.
    expect(statementWithSid(statements, 'LakeReadObjects').Resource).toEqual([
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/cdc/*']] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/errors/*']] },
    ]);
    expect(statementWithSid(statements, 'LakePutObjects').Resource).toEqual([
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/cdc/*']] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/errors/*']] },
    ]);
    expect(statementWithSid(statements, 'LakeKeyThroughS3').Resource).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
    expect(statementWithSid(statements, 'LakeKeyPreflightProbe')).toEqual(expect.objectContaining({
      Resource: { 'Fn::GetAtt': [key, 'Arn'] },
      Condition: { StringEquals: { 'kms:EncryptionContext:lakehose-preflight': 'probe' } },
    }));
  });

  test('has nothing of the pipeline: no stream, tables or service', () => {
    for (const type of ['AWS::Kinesis::Stream', 'AWS::DynamoDB::Table', 'AWS::ECS::Service']) {
      expect(resourcesOfType(lake, type)).toEqual({});
    }
    lake.hasOutput('LakeKeyArn', Match.anyValue());
  });
});
