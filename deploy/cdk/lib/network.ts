import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { Egress } from './settings';

/** A DynamoDB table the tasks call, and which actions (the union of the commands' on it). */
export interface TableUse {
  readonly tableArn: string;
  readonly actions: string[];
}

export interface TaskNetworkProps {
  /** An existing VPC (its routes and endpoints are the owner's). @default a new one, per `egress` */
  readonly vpc?: ec2.IVpc;
  readonly egress: Egress;
  /** The lake bucket's ARN: the only bucket, besides ECR's layer bucket, the S3 endpoint serves. */
  readonly lakeBucketArn: string;
  /** Deletes through the S3 endpoint (Iceberg's refused-commit clean-up in the warehouse). */
  readonly s3Deletes: boolean;
  readonly tables: TableUse[];
  /** Interface endpoints beyond the ones every deployment needs. */
  readonly sts: boolean;
  readonly glue: boolean;
  readonly cloudWatchMetrics: boolean;
}

/**
 * Where the tasks run and what they can reach.
 *
 * - `endpoints` (default): a VPC with isolated subnets only: no NAT gateway, no internet gateway,
 *   no default route. The tasks reach exactly the services the commands call, through VPC
 *   endpoints: S3 and DynamoDB (gateway), ECR and ECR's Docker registry, CloudWatch Logs, Kinesis,
 *   KMS (interface), plus STS (cross-account lake), Glue (Iceberg) and CloudWatch (KCL metrics)
 *   when used.
 * - `nat`: private subnets behind one NAT gateway, as before: any HTTPS destination.
 *
 * Either way the S3 gateway endpoint's policy admits only the lake bucket and ECR's layer bucket
 * (image pulls fetch layers from `prod-<region>-starport-layer-bucket`), and the DynamoDB
 * endpoint's only the lease and source tables, so a task cannot write to another bucket or
 * table of the region even with credentials that would allow it.
 */
export class TaskNetwork extends Construct {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.SecurityGroup;
  readonly s3Endpoint?: ec2.GatewayVpcEndpoint;
  readonly dynamoDbEndpoint?: ec2.GatewayVpcEndpoint;

  constructor(scope: Construct, id: string, props: TaskNetworkProps) {
    super(scope, id);
    const isolated = !props.vpc && props.egress === 'endpoints';
    const subnetType = isolated ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS;
    this.subnets = { subnetType };
    // The VPC and the security group keep the logical ids of releases before this construct
    // (stack scope, same names), so that an update with egress=nat changes no network resource.
    const stack = Stack.of(this);
    this.vpc = props.vpc ?? new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: isolated ? 0 : 1,
      subnetConfiguration: isolated
        ? [{ name: 'tasks', subnetType, cidrMask: 22 }]
        : [
          { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
          { name: 'tasks', subnetType, cidrMask: 22 },
        ],
    });

    // Nothing connects to a task; it only calls AWS APIs over HTTPS. 443 to any address: the S3
    // and DynamoDB gateway endpoints are reached at those services' public addresses (a
    // prefix-list rule would need a lookup at synth). In `endpoints` mode the route tables are
    // what limit egress: they hold the VPC's own range and the gateway endpoints, nothing else.
    this.securityGroup = new ec2.SecurityGroup(stack, 'TaskSecurityGroup', {
      vpc: this.vpc,
      description: 'lakehose tasks: HTTPS out to AWS APIs, nothing in',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs over HTTPS');

    if (props.vpc) {
      return;
    }
    const region = stack.region;
    const partition = stack.partition;
    const vpc = this.vpc as ec2.Vpc;
    this.s3Endpoint = vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [this.subnets] });
    this.s3Endpoint.addToPolicy(new iam.PolicyStatement({
      sid: 'LakeObjects',
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', ...(props.s3Deletes ? ['s3:DeleteObject'] : [])],
      resources: [`${props.lakeBucketArn}/*`],
    }));
    this.s3Endpoint.addToPolicy(new iam.PolicyStatement({
      sid: 'LakeList',
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:ListBucket'],
      resources: [props.lakeBucketArn],
    }));
    this.s3Endpoint.addToPolicy(new iam.PolicyStatement({
      sid: 'EcrImageLayers',
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:GetObject'],
      resources: [`arn:${partition}:s3:::prod-${region}-starport-layer-bucket/*`],
    }));
    this.dynamoDbEndpoint = vpc.addGatewayEndpoint('DynamoDB', {
      service: ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets: [this.subnets],
    });
    props.tables.forEach((t, i) => this.dynamoDbEndpoint!.addToPolicy(new iam.PolicyStatement({
      sid: `Table${i}`,
      principals: [new iam.AnyPrincipal()],
      actions: t.actions,
      resources: [t.tableArn],
    })));

    if (!isolated) {
      return;
    }
    const services: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
      Ecr: ec2.InterfaceVpcEndpointAwsService.ECR,
      EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
      Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
      Kinesis: ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS,
      // `preflight` calls KMS directly; every other use of the keys is S3's or Kinesis's own.
      Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
      ...(props.sts ? { Sts: ec2.InterfaceVpcEndpointAwsService.STS } : {}),
      ...(props.glue ? { Glue: ec2.InterfaceVpcEndpointAwsService.GLUE } : {}),
      ...(props.cloudWatchMetrics ? { Monitoring: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING } : {}),
    };
    for (const [name, service] of Object.entries(services)) {
      const endpoint = vpc.addInterfaceEndpoint(name, { service, subnets: this.subnets, privateDnsEnabled: true, open: false });
      endpoint.connections.allowDefaultPortFrom(this.securityGroup, 'lakehose tasks');
    }
  }
}
