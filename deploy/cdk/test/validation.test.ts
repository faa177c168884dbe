import { LakeAccountStack } from '../lib/lake-account-stack';
import { LakehosePipelineStack, LakehosePipelineStackProps } from '../lib/pipeline-stack';
import { ENV } from '../lib/settings';
import { LAKE_ENV, newApp, PIPELINE_ENV } from './support';

/** Props are checked when the stack is built, before anything is synthesized or deployed. */
function build(props: LakehosePipelineStackProps): () => LakehosePipelineStack {
  return () => new LakehosePipelineStack(newApp(), 'Lakehose', { env: PIPELINE_ENV, ...props });
}

describe('stack props are validated at synth', () => {
  test('stopTimeout beyond the Fargate maximum of 120 s', () => {
    expect(build({ stopTimeoutSeconds: 121 })).toThrow(/stopTimeoutSeconds 121 must be an integer from 2 to 120/);
  });

  test('a shutdown budget that leaves no margin before stopTimeout', () => {
    expect(build({ stopTimeoutSeconds: 60, shutdownBudgetSeconds: 50 }))
      .toThrow(/shutdownBudgetSeconds 50 .*\(at most 45\)/);
    expect(build({ stopTimeoutSeconds: 60, shutdownBudgetSeconds: 45 })).not.toThrow();
  });

  test('more tasks than shards', () => {
    expect(build({ shardCount: 2, maxTasks: 3 })).toThrow(/maxTasks 3 exceeds shardCount 2/);
    expect(build({ shardCount: 4, minTasks: 3, maxTasks: 2 })).toThrow(/minTasks \(3\) <= maxTasks \(2\)/);
  });

  test('a lake prefix the task role could not be scoped to', () => {
    expect(build({ lakePrefix: '' })).toThrow(/lakePrefix '' must be a non-empty S3 key prefix/);
    expect(build({ lakePrefix: 'cdc/' })).toThrow(/lakePrefix/);
    expect(build({ errorPrefix: 'err*' })).toThrow(/errorPrefix/);
  });

  test('an application name that cannot name the lease table and the roles', () => {
    expect(build({ applicationName: 'lake hose' })).toThrow(/applicationName 'lake hose'/);
  });

  test('extra environment that would override what the stack wires', () => {
    expect(build({ extraEnvironment: { [ENV.kinesisStream]: 'other', LAKEHOSE_BUFFER_MAX_AGE_SECONDS: '60' } }))
      .toThrow(/extraEnvironment must not set LAKEHOSE_KINESIS_STREAM/);
    expect(build({ extraEnvironment: { LAKEHOSE_BUFFER_MAX_AGE_SECONDS: '60' } })).not.toThrow();
  });

  test('a cross-account lake without a concrete region', () => {
    const crossAccountLake = {
      bucketName: 'b', keyArn: 'arn:aws:kms:eu-west-1:222222222222:key/k', writerRoleArn: 'arn:aws:iam::222222222222:role/w',
    };
    expect(() => new LakehosePipelineStack(newApp(), 'Lakehose', { crossAccountLake })).toThrow(/concrete region/);
  });

  test('a lake account stack needs a role ARN to trust', () => {
    expect(() => new LakeAccountStack(newApp(), 'LakehoseLake', { env: LAKE_ENV, taskRoleArn: '111111111111' }))
      .toThrow(/taskRoleArn '111111111111' is not an IAM role ARN/);
  });
});
