import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Template } from 'aws-cdk-lib/assertions';
import { LakehosePipelineStack, LakehosePipelineStackProps } from '../lib/pipeline-stack';

export const CDK_DIR = path.resolve(__dirname, '..');
export const REPO_ROOT = path.resolve(CDK_DIR, '..', '..');

/** Accounts of the tests (no AWS calls: only synthesized). */
export const PIPELINE_ENV = { account: '111111111111', region: 'eu-west-1' };
export const LAKE_ENV = { account: '222222222222', region: 'eu-west-1' };

/**
 * An App with cdk.json's context (its feature flags), so that the tests synthesize what
 * `cdk deploy` deploys. Extra context values go on top.
 */
export function newApp(extraContext: Record<string, string> = {}): App {
  const context = JSON.parse(fs.readFileSync(path.join(CDK_DIR, 'cdk.json'), 'utf8')).context;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'lakehose-cdk-test-'));
  OUTDIRS.push(outdir);
  return new App({ context: { ...context, ...extraContext }, outdir });
}

/** Cloud assemblies of this test file (each holds a copy of the image's build context). */
const OUTDIRS: string[] = [];

/** Deletes the cloud assemblies the tests wrote (test/cleanup.ts runs it after each file). */
export function removeOutdirs(): void {
  for (const dir of OUTDIRS.splice(0)) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function synthPipeline(props: LakehosePipelineStackProps = {}): { stack: LakehosePipelineStack; template: Template } {
  const stack = new LakehosePipelineStack(newApp(), 'Lakehose', { env: PIPELINE_ENV, ...props });
  return { stack, template: Template.fromStack(stack) };
}

/** Template JSON, loosely typed. */
export type Json = any;

export interface Statement {
  readonly Effect: string;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: Json;
  readonly NotResource?: Json;
  readonly Principal?: Json;
  readonly Condition?: Record<string, Record<string, Json>>;
  readonly Sid?: string;
}

export function list<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function resourcesOfType(template: Template, type: string): Record<string, Json> {
  return template.findResources(type);
}

/** The commands with a task definition of their own; `run` is the service's. */
export type CommandName = 'run' | 'backfill' | 'replay' | 'preflight';

/**
 * The task definition of a command: the service's (`run`) is the one the ECS service runs; a
 * one-off command's is the one whose container command starts with the command's name.
 */
export function taskDefinitionOf(template: Template, command: CommandName = 'run'): Json {
  const defs = resourcesOfType(template, 'AWS::ECS::TaskDefinition');
  let ids: string[];
  if (command === 'run') {
    const services = Object.values(resourcesOfType(template, 'AWS::ECS::Service'));
    expect(services).toHaveLength(1);
    ids = [services[0].Properties.TaskDefinition.Ref];
  } else {
    ids = Object.keys(defs).filter(id => list<string>(defs[id].Properties.ContainerDefinitions[0].Command)[0] === command);
  }
  if (ids.length !== 1 || !defs[ids[0]]) {
    throw new Error(`expected one task definition of ${command}, found ${ids.length}`);
  }
  return defs[ids[0]];
}

/** Logical id of the role a command's task definition runs its tasks with. */
export function taskRoleLogicalId(template: Template, command: CommandName = 'run'): string {
  const arn = taskDefinitionOf(template, command).Properties.TaskRoleArn;
  if (!arn?.['Fn::GetAtt']) {
    throw new Error(`task role is not a role of this stack: ${JSON.stringify(arn)}`);
  }
  return arn['Fn::GetAtt'][0];
}

/**
 * Every statement of every policy attached to a role: the role's inline policies, and the
 * AWS::IAM::Policy and AWS::IAM::ManagedPolicy resources that name it. A managed policy ARN
 * on the role (AWS managed or not) cannot be inspected here, so it fails the walk.
 */
export function statementsOfRole(template: Template, roleId: string): Statement[] {
  const role = resourcesOfType(template, 'AWS::IAM::Role')[roleId];
  if (!role) {
    throw new Error(`no role ${roleId}`);
  }
  if (list(role.Properties.ManagedPolicyArns).length > 0) {
    throw new Error(`role ${roleId} has managed policies ${JSON.stringify(role.Properties.ManagedPolicyArns)}`);
  }
  const statements: Statement[] = [];
  for (const p of list<Json>(role.Properties.Policies)) {
    statements.push(...list<Statement>(p.PolicyDocument.Statement));
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const p of Object.values(resourcesOfType(template, type))) {
      const roles = list<Json>(p.Properties.Roles);
      if (roles.some(r => r?.Ref === roleId)) {
        statements.push(...list<Statement>(p.Properties.PolicyDocument.Statement));
      }
    }
  }
  return statements;
}

/**
 * Wildcard findings in statements: an Action or NotAction with `*` in it (`*`, `s3:*`,
 * `kms:ReEncrypt*`), a Resource that is `*`, and a literal ARN with `*` outside its resource
 * part (any account, region or service). A Resource that is a CloudFormation expression names
 * a resource of the template; its `/*` suffix (objects under a named prefix, consumers of a named
 * stream) stays allowed.
 */
export function wildcardFindings(statements: Statement[]): string[] {
  const findings: string[] = [];
  for (const s of statements) {
    if (s.Effect !== 'Allow') {
      continue;
    }
    const where = s.Sid ?? JSON.stringify(s.Action);
    if (s.NotAction !== undefined) {
      findings.push(`${where}: NotAction`);
    }
    if (s.NotResource !== undefined) {
      findings.push(`${where}: NotResource`);
    }
    for (const a of list<string>(s.Action)) {
      if (a.includes('*')) {
        findings.push(`${where}: action ${a}`);
      }
    }
    for (const r of list<Json>(s.Resource)) {
      if (r === '*') {
        findings.push(`${where}: resource *`);
      } else if (typeof r === 'string') {
        const parts = r.split(':');
        if (!r.startsWith('arn:') || parts.length < 6 || parts.slice(0, 5).some(p => p.includes('*'))) {
          findings.push(`${where}: resource ${r}`);
        }
      }
    }
  }
  return findings;
}

/** The Actions of the Allow statements, sorted. */
export function actionsOf(statements: Statement[]): string[] {
  return statements.filter(s => s.Effect === 'Allow').flatMap(s => list<string>(s.Action)).sort();
}

export function statementWithSid(statements: Statement[], sid: string): Statement {
  const found = statements.filter(s => s.Sid === sid);
  if (found.length !== 1) {
    throw new Error(`expected one statement ${sid}, found ${found.length}: ${JSON.stringify(statements.map(s => s.Sid))}`);
  }
  return found[0];
}

/** Container definition of a command's task definition (the service's by default). */
export function containerOf(template: Template, command: CommandName = 'run'): Json {
  const containers = taskDefinitionOf(template, command).Properties.ContainerDefinitions;
  expect(containers).toHaveLength(1);
  return containers[0];
}

export function envOf(container: Json): Record<string, Json> {
  return Object.fromEntries(list<Json>(container.Environment).map(e => [e.Name, e.Value]));
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` of the only resource of a type. */
export function arnOfOnly(template: Template, type: string): Json {
  const ids = Object.keys(resourcesOfType(template, type));
  expect(ids).toHaveLength(1);
  return { 'Fn::GetAtt': [ids[0], 'Arn'] };
}

/** Logical id of an L2 construct's CloudFormation resource. */
export function logicalIdOf(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
}

/** A resource as one string: an Fn::Join of its parts, a reference (Fn::GetAtt, Ref) as its JSON. */
export function resourceText(r: Json): string {
  if (typeof r === 'string') {
    return r;
  }
  if (r?.['Fn::Join']) {
    const [separator, parts] = r['Fn::Join'];
    return (parts as Json[]).map(resourceText).join(separator);
  }
  return JSON.stringify(r);
}

/** IAM's glob: `*` any characters, `?` one. */
function globMatches(pattern: string, text: string): boolean {
  const re = pattern.split('').map(c => c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('');
  return new RegExp(`^${re}$`, 's').test(text);
}

/**
 * Whether one Allow statement of `statements` lets `wanted` through: it names each of its actions,
 * covers each of its resources (IAM globbing), and has no condition that `wanted` does not meet
 * (for each operator and key of the covering statement, every value of `wanted` is matched by one
 * of the covering statement's values).
 */
export function covers(statements: Statement[], wanted: Statement): boolean {
  return statements.filter(s => s.Effect === 'Allow').some(s => {
    const actions = list<string>(s.Action);
    if (!list<string>(wanted.Action).every(a => actions.some(p => globMatches(p, a)))) {
      return false;
    }
    const resources = list<Json>(s.Resource).map(resourceText);
    if (!list<Json>(wanted.Resource).map(resourceText).every(r => resources.some(p => globMatches(p, r)))) {
      return false;
    }
    return Object.entries(s.Condition ?? {}).every(([operator, keys]) => Object.entries(keys).every(([key, values]) => {
      const theirs = list<Json>(wanted.Condition?.[operator]?.[key]).map(resourceText);
      const ours = list<Json>(values).map(resourceText);
      return theirs.length > 0 && theirs.every(v => ours.some(p => operator.includes('Like') ? globMatches(p, v) : p === v));
    }));
  });
}

/**
 * Every role of a template with every statement attached to it, and the managed policy ARNs it
 * names (which cannot be read here: the caller decides which are acceptable).
 */
export function allRoleStatements(template: Template): Record<string, { statements: Statement[]; managed: Json[] }> {
  const roles = resourcesOfType(template, 'AWS::IAM::Role');
  return Object.fromEntries(Object.keys(roles).map(id => {
    const managed = list<Json>(roles[id].Properties.ManagedPolicyArns);
    const bare = { ...roles[id], Properties: { ...roles[id].Properties, ManagedPolicyArns: undefined } };
    const statements = statementsOfRole({ findResources: (type: string) =>
      type === 'AWS::IAM::Role' ? { [id]: bare } : template.findResources(type) } as unknown as Template, id);
    return [id, { statements, managed }];
  }));
}
