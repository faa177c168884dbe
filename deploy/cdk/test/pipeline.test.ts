import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { LakehosePipelineStack } from '../lib/pipeline-stack';
import { ENV, SHUTDOWN_MARGIN_SECONDS } from '../lib/settings';
import {
  allRoleStatements, CommandName, containerOf, envOf, Json, list, logicalIdOf, resourcesOfType, resourceText, synthPipeline,
  taskDefinitionOf,
} from './support';

let stack: LakehosePipelineStack;
let template: Template;
let ids: {
  lakeKey: string; streamKey: string; bucket: string; stream: string; leaseTable: string; sourceTable: string; logs: string;
};

beforeAll(() => {
  ({ stack, template } = synthPipeline());
  ids = {
    lakeKey: logicalIdOf(stack, stack.lake!.key),
    streamKey: logicalIdOf(stack, stack.streamKey),
    bucket: logicalIdOf(stack, stack.lake!.bucket),
    stream: logicalIdOf(stack, stack.stream),
    leaseTable: logicalIdOf(stack, stack.leaseTable),
    sourceTable: logicalIdOf(stack, stack.sourceTable),
    logs: logicalIdOf(stack, stack.logGroup),
  };
});

function bucketPolicyStatements(): Json[] {
  const policies = Object.values(resourcesOfType(template, 'AWS::S3::BucketPolicy'));
  expect(policies).toHaveLength(1);
  expect(policies[0].Properties.Bucket).toEqual({ Ref: ids.bucket });
  return policies[0].Properties.PolicyDocument.Statement;
}

describe('lake bucket', () => {
  test('is SSE-KMS by default with the lake key, S3 Bucket Keys on', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [ids.lakeKey, 'Arn'] },
          },
        }],
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('data lake'),
      EnableKeyRotation: true,
    });
  });

  test('blocks public access, disables ACLs, expires incomplete multipart uploads, is retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } })]),
        },
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('bucket policy denies requests without TLS (aws:SecureTransport=false) and below TLS 1.2', () => {
    const statements = bucketPolicyStatements();
    const bucketArn = { 'Fn::GetAtt': [ids.bucket, 'Arn'] };
    const objects = { 'Fn::Join': ['', [bucketArn, '/*']] };
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: [bucketArn, objects],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    }));
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*',
      Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
    }));
  });

  test('bucket policy denies puts that ask for other encryption than the lake key', () => {
    const statements = bucketPolicyStatements();
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.bucket, 'Arn'] }, '/*']] };
    const deny = (condition: Json) => expect.objectContaining({
      Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject', Resource: objects, Condition: condition,
    });
    // SSE-S3 or DSSE requested
    expect(statements).toContainEqual(deny({ StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } }));
    // another KMS key
    expect(statements).toContainEqual(deny({
      StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': { 'Fn::GetAtt': [ids.lakeKey, 'Arn'] } },
    }));
    // aws:kms without a key id = the AWS managed key aws/s3
    expect(statements).toContainEqual(deny({
      StringEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
      Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'true' },
    }));
    // customer-provided keys (SSE-C)
    expect(statements).toContainEqual(deny({ Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } }));
  });

  test('bucket policy lets multipart UploadPart through (it carries no encryption header)', () => {
    // UploadPart is authorized as s3:PutObject without x-amz-server-side-encryption. A deny on
    // a missing header (StringNotEquals, or Null = true) would fail every multipart upload;
    // headerless requests get the default encryption (SSE-KMS with the lake key) instead.
    for (const s of bucketPolicyStatements().filter((x: Json) => x.Effect === 'Deny')) {
      const c = s.Condition ?? {};
      expect(c.StringNotEquals?.['s3:x-amz-server-side-encryption']).toBeUndefined();
      expect(c.StringNotEquals?.['s3:x-amz-server-side-encryption-aws-kms-key-id']).toBeUndefined();
      expect(c.Null?.['s3:x-amz-server-side-encryption']).toBeUndefined();
      if (c.Null?.['s3:x-amz-server-side-encryption-aws-kms-key-id'] === 'true') {
        expect(c.StringEquals).toEqual({ 's3:x-amz-server-side-encryption': 'aws:kms' });
      }
    }
  });
});

describe('source: table -> stream', () => {
  test('Kinesis stream is KMS-encrypted with the customer-managed stream key', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [ids.streamKey, 'Arn'] } },
      ShardCount: 2,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('Kinesis stream'),
      EnableKeyRotation: true,
    });
  });

  test('DynamoDB table streams its changes to the Kinesis stream', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KinesisStreamSpecification: {
        StreamArn: { 'Fn::GetAtt': [ids.stream, 'Arn'] },
        ApproximateCreationDateTimePrecision: 'MICROSECOND',
      },
      BillingMode: 'PAY_PER_REQUEST',
    });
  });
});

describe('lease table', () => {
  test('is named as the KCL application, keyed by leaseKey, on-demand, with PITR', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        TableName: 'lakehose',
        KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
    });
    expect(envOf(containerOf(template))[ENV.kinesisApplicationName]).toEqual({ Ref: ids.leaseTable });
  });
});

describe('service', () => {
  test('stopTimeout covers the shutdown budget the container is given, with margin', () => {
    const container = containerOf(template);
    const budget = Number(envOf(container)[ENV.kinesisShutdownBudgetSeconds]);
    expect(container.StopTimeout).toBe(120);
    expect(budget).toBe(90);
    expect(budget + SHUTDOWN_MARGIN_SECONDS).toBeLessThanOrEqual(container.StopTimeout);
  });

  test('container settings point at this stack\'s stream, lake, key, lease table and region', () => {
    const env = envOf(containerOf(template));
    expect(env).toEqual({
      [ENV.lakeUri]: { 'Fn::Join': ['', ['s3://', { Ref: ids.bucket }, '/cdc']] },
      [ENV.lakeErrorPrefix]: 'errors',
      [ENV.s3Region]: 'eu-west-1',
      [ENV.s3KmsKeyId]: { 'Fn::GetAtt': [ids.lakeKey, 'Arn'] },
      [ENV.kinesisStream]: { Ref: ids.stream },
      [ENV.kinesisRegion]: 'eu-west-1',
      [ENV.kinesisApplicationName]: { Ref: ids.leaseTable },
      [ENV.kinesisRetrieval]: 'polling',
      [ENV.kinesisShutdownBudgetSeconds]: '90',
      [ENV.kinesisCloudWatchMetrics]: 'false',
    });
  });

  test('Fargate task in private subnets, no public IP, circuit breaker, no ECS Exec', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
      Cpu: '1024',
      Memory: '2048',
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      DesiredCount: 1,
      EnableExecuteCommand: false,
      DeploymentConfiguration: {
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      },
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED' } },
    });
  });

  test('task security group: HTTPS out only, nothing in', () => {
    const taskGroup = logicalIdOf(stack, stack.network.securityGroup);
    const group = resourcesOfType(template, 'AWS::EC2::SecurityGroup')[taskGroup];
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    expect(group.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
    // The endpoints' groups admit the tasks' group on 443, nothing else comes in.
    for (const ingress of Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress'))) {
      expect(ingress.Properties).toEqual(expect.objectContaining({
        SourceSecurityGroupId: { 'Fn::GetAtt': [taskGroup, 'GroupId'] }, FromPort: 443, ToPort: 443,
      }));
    }
    for (const egress of Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroupEgress'))) {
      expect(egress.Properties).toEqual(expect.objectContaining({ GroupId: { 'Fn::GetAtt': [taskGroup, 'GroupId'] }, FromPort: 443 }));
    }
  });

  test('logs to a log group with retention, without blocking the process', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    expect(containerOf(template).LogConfiguration).toEqual({
      LogDriver: 'awslogs',
      Options: expect.objectContaining({
        'awslogs-group': { Ref: ids.logs },
        mode: 'non-blocking',
      }),
    });
  });

  test('autoscales on CPU between 1 task and the shard count', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 1,
      MaxCapacity: 2,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 70,
      }),
    });
    const { template: eight } = synthPipeline({ shardCount: 8 });
    eight.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 8 });
  });

  test('the image is built from the repository Dockerfile by default', () => {
    const image = containerOf(template).Image;
    expect(JSON.stringify(image)).toMatch(/cdk-[a-z0-9]+-container-assets-/);
  });

  test('imageUri swaps in a prebuilt ECR image, pullable from that repository only', () => {
    const uri = '333333333333.dkr.ecr.eu-west-1.amazonaws.com/lakehose:0.1.0';
    const { template: t } = synthPipeline({ imageUri: uri });
    expect(JSON.stringify(containerOf(t).Image)).toContain('333333333333.dkr.ecr.eu-west-1.');
    expect(JSON.stringify(containerOf(t).Image)).toContain('/lakehose:0.1.0');
    const executionPolicies = Object.values(resourcesOfType(t, 'AWS::IAM::Policy'))
      .flatMap((p: Json) => list<Json>(p.Properties.PolicyDocument.Statement));
    expect(executionPolicies).toContainEqual(expect.objectContaining({
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Resource: 'arn:aws:ecr:eu-west-1:333333333333:repository/lakehose',
    }));
    // Another registry is reachable only through a NAT gateway.
    expect(() => synthPipeline({ imageUri: 'ghcr.io/example/lakehose:0.1.0' })).toThrow(/not in ECR of this stack's region.*egress nat/);
    const { template: pub } = synthPipeline({ imageUri: 'ghcr.io/example/lakehose:0.1.0', egress: 'nat' });
    expect(containerOf(pub).Image).toBe('ghcr.io/example/lakehose:0.1.0');
  });

  test('ARM64 runs on Graviton', () => {
    const { template: t } = synthPipeline({ cpuArchitecture: ecs.CpuArchitecture.ARM64 });
    t.hasResourceProperties('AWS::ECS::TaskDefinition', { RuntimePlatform: { CpuArchitecture: 'ARM64' } });
  });
});

describe('containers: read-only root filesystem, /tmp on the task\'s ephemeral storage', () => {
  test.each(['run', 'backfill', 'replay', 'preflight'] as CommandName[])('%s', command => {
    const td = taskDefinitionOf(template, command);
    const container = containerOf(template, command);
    expect(container.ReadonlyRootFilesystem).toBe(true);
    expect(container.MountPoints).toEqual([{ ContainerPath: '/tmp', SourceVolume: 'tmp', ReadOnly: false }]);
    // A bind mount on the task's storage: no host path, no EFS, no Docker volume driver.
    expect(td.Properties.Volumes).toEqual([{ Name: 'tmp' }]);
    expect(envOf(container)).toEqual(envOf(containerOf(template, 'run')));
  });
});

describe('logs', () => {
  test('the log group is encrypted with a key of its own, which CloudWatch Logs may use for this account\'s log groups only', () => {
    const keyId = logicalIdOf(stack, stack.logKey);
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const key = resourcesOfType(template, 'AWS::KMS::Key')[keyId];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(expect.objectContaining({
      Sid: 'CloudWatchLogsOfThisAccount',
      Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-1:111111111111:log-group:*' } },
    }));
  });
});

describe('network', () => {
  const endpointOf = (t: Template, service: string): Json => {
    const found = Object.values(resourcesOfType(t, 'AWS::EC2::VPCEndpoint'))
      .filter((e: Json) => JSON.stringify(e.Properties.ServiceName).includes(service));
    expect(found).toHaveLength(1);
    return found[0];
  };

  test('S3 gateway endpoint admits only the lake bucket and ECR\'s layer bucket', () => {
    const policy = endpointOf(template, '.s3').Properties.PolicyDocument.Statement as Json[];
    const bucketArn = { 'Fn::GetAtt': [ids.bucket, 'Arn'] };
    expect(policy.map(s => s.Resource)).toEqual([
      { 'Fn::Join': ['', [bucketArn, '/*']] },
      bucketArn,
      'arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*',
    ]);
    expect(policy.every(s => s.Effect === 'Allow' && !list<string>(s.Action).some(a => a.includes('*')))).toBe(true);
    // Deletes only with Iceberg (a refused commit removes its files).
    expect(JSON.stringify(policy)).not.toContain('s3:DeleteObject');
  });

  test('DynamoDB gateway endpoint admits only the lease table and the source table, each with what the commands call', () => {
    const policy = endpointOf(template, '.dynamodb').Properties.PolicyDocument.Statement as Json[];
    expect(policy.map(s => s.Resource)).toEqual([{ 'Fn::GetAtt': [ids.leaseTable, 'Arn'] }, { 'Fn::GetAtt': [ids.sourceTable, 'Arn'] }]);
    expect(policy[1].Action).toEqual(['dynamodb:DescribeTable', 'dynamodb:Scan']);
    expect(policy[0].Action).toEqual(['dynamodb:CreateTable', 'dynamodb:DeleteItem', 'dynamodb:DescribeTable',
      'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:UpdateItem']);
  });

  test('egress "endpoints" (default): no NAT gateway, no internet gateway, no default route; endpoints for exactly the services called', () => {
    expect(resourcesOfType(template, 'AWS::EC2::NatGateway')).toEqual({});
    expect(resourcesOfType(template, 'AWS::EC2::InternetGateway')).toEqual({});
    expect(Object.values(resourcesOfType(template, 'AWS::EC2::Route'))).toEqual([]);
    const services = Object.values(resourcesOfType(template, 'AWS::EC2::VPCEndpoint'))
      .map((e: Json) => resourceText(e.Properties.ServiceName).replace(/^.*(eu-west-1|\})\./, ''))
      .sort();
    expect(services).toEqual(['dynamodb', 'ecr.api', 'ecr.dkr', 'kinesis-streams', 'kms', 'logs', 's3']);
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
  });

  test('features add their endpoints: STS (cross-account), Glue (Iceberg), CloudWatch (KCL metrics)', () => {
    const names = (t: Template) => Object.values(resourcesOfType(t, 'AWS::EC2::VPCEndpoint'))
      .map((e: Json) => JSON.stringify(e.Properties.ServiceName));
    expect(names(synthPipeline({ lakeFormat: 'iceberg' }).template).some(n => n.includes('.glue'))).toBe(true);
    expect(names(synthPipeline({ kclCloudWatchMetrics: true }).template).some(n => n.includes('.monitoring'))).toBe(true);
    expect(names(template).some(n => n.includes('.glue') || n.includes('.sts') || n.includes('.monitoring'))).toBe(false);
  });

  test('egress "nat": private subnets behind one NAT gateway, the same gateway endpoint policies', () => {
    const { template: nat } = synthPipeline({ egress: 'nat' });
    expect(Object.keys(resourcesOfType(nat, 'AWS::EC2::NatGateway'))).toHaveLength(1);
    expect(Object.values(resourcesOfType(nat, 'AWS::EC2::VPCEndpoint')).map((e: Json) => e.Properties.VpcEndpointType))
      .toEqual(['Gateway', 'Gateway']);
    const s3 = endpointOf(nat, '.s3').Properties.PolicyDocument.Statement as Json[];
    expect(s3.map(s => s.Sid)).toEqual(['LakeObjects', 'LakeList', 'EcrImageLayers']);
  });
});

describe('bucket versioning (deploy/README.md, "Bucket versioning")', () => {
  test('on, old versions expire after 30 days, and no role of the stack may delete a version or change either', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
          Match.objectLike({ ExpiredObjectDeleteMarker: true }),
        ]),
      },
    });
    const forbidden = ['s3:DeleteObjectVersion', 's3:PutBucketVersioning', 's3:PutLifecycleConfiguration', 's3:PutBucketPolicy'];
    for (const [role, { statements, managed }] of Object.entries(allRoleStatements(template))) {
      // CDK's custom resource that empties the VPC's default security group: logs only.
      expect(managed.map(m => JSON.stringify(m))).toEqual(managed.length === 0 ? [] : [expect.stringContaining('AWSLambdaBasicExecutionRole')]);
      const granted = statements.filter(x => x.Effect === 'Allow').flatMap(x => list<string>(x.Action));
      expect({ role, granted: granted.filter(a => forbidden.includes(a) || a === 's3:*' || a === '*') }).toEqual({ role, granted: [] });
    }
  });

  test('noncurrentVersionDays 0 turns it off', () => {
    const { template: off } = synthPipeline({ noncurrentVersionDays: 0 });
    const bucket = Object.values(resourcesOfType(off, 'AWS::S3::Bucket'))[0];
    expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
    expect(JSON.stringify(bucket.Properties.LifecycleConfiguration)).not.toContain('NoncurrentVersionExpiration');
  });
});
