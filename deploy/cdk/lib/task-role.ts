import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { AccessProps, Command, commandStatements } from './permissions';

export type { AccessProps, Command, LakeAccess } from './permissions';

export interface TaskRoleProps {
  /** Set only when another account must trust the role before it exists (cross-account lake). */
  readonly roleName?: string;
  readonly command: Command;
  readonly access: AccessProps;
}

/**
 * The task role of one lakehose command, least privilege: one inline policy with exactly the
 * calls that command makes (permissions.ts). Each command has its own task definition and role,
 * so the always-on service cannot scan the source table or rewrite checkpoints the way `replay`
 * does.
 */
export class TaskRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: TaskRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: `lakehose ${props.command} (${props.access.applicationName}): only what \`lakehose ${props.command}\` calls`,
      // Only ECS tasks of this account and region may assume it (confused-deputy protection).
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:ecs:${stack.region}:${stack.account}:*` },
        },
      }),
      inlinePolicies: {
        lakehose: new iam.PolicyDocument({ statements: commandStatements(props.command, props.access, stack.region) }),
      },
    });
  }
}
