import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { LakehosePipelineStack, LakehosePipelineStackProps } from '../lib/pipeline-stack';
import { ENV, HEALTH_CHECK_COMMAND, PENDING_ENV } from '../lib/settings';
import { SCRATCH_PATH } from '../lib/task-definitions';
import { containerOf, newApp, PIPELINE_ENV, REPO_ROOT } from './support';

const DOCKERFILE = fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');

/** Dockerfile instructions: continuation lines joined, comments and blank lines dropped. */
function instructions(text: string): { keyword: string; args: string }[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (current === '' && (line.trim() === '' || line.trim().startsWith('#'))) {
      continue;
    }
    if (line.trim().startsWith('#')) {
      continue; // a comment inside a continued instruction
    }
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
    } else {
      logical.push(current + line);
      current = '';
    }
  }
  return logical.map(l => {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(l)!;
    return { keyword: m[1].toUpperCase(), args: m[2].trim() };
  });
}

const ALL = instructions(DOCKERFILE);
const lastFrom = ALL.map(i => i.keyword).lastIndexOf('FROM');
const BUILD_STAGE = ALL.slice(0, lastFrom);
const FINAL_STAGE = ALL.slice(lastFrom);

/**
 * The runtime command exactly as a test reads it: the one line that starts with `ENTRYPOINT `
 * and the one that starts with `CMD ` (at column 0; the HEALTHCHECK's CMD is indented), each a
 * JSON array; the command is their concatenation. The Java end-to-end test does the same.
 */
function runtimeCommand(text: string): { entrypoint: string[]; cmd: string[] } {
  const lines = text.split('\n');
  const one = (keyword: string): string[] => {
    const found = lines.filter(l => l.startsWith(`${keyword} `));
    expect(found).toHaveLength(1);
    const m = new RegExp(`^${keyword}\\s+(\\[.*\\])\\s*$`).exec(found[0]);
    expect(m).not.toBeNull();
    const parsed = JSON.parse(m![1]);
    expect(Array.isArray(parsed) && parsed.every((x: unknown) => typeof x === 'string')).toBe(true);
    return parsed;
  };
  return { entrypoint: one('ENTRYPOINT'), cmd: one('CMD') };
}

describe('Dockerfile', () => {
  test('is multi-stage: a Maven build of the service only, then a JRE', () => {
    expect(ALL.filter(i => i.keyword === 'FROM').map(i => i.args)).toEqual(['${BUILD_IMAGE} AS build', '${RUNTIME_IMAGE}']);
    expect(ALL.find(i => i.keyword === 'ARG' && i.args.startsWith('BUILD_IMAGE='))?.args).toMatch(/^BUILD_IMAGE=maven:3\.9(\.\d+)?-eclipse-temurin-17@/);
    expect(ALL.find(i => i.keyword === 'ARG' && i.args.startsWith('RUNTIME_IMAGE='))?.args).toMatch(/^RUNTIME_IMAGE=eclipse-temurin:17-jre/);
    const build = BUILD_STAGE.filter(i => i.keyword === 'RUN').map(i => i.args).join('\n');
    expect(build).toMatch(/mvn -B -q package -DskipTests/);
    // the service is the repository root (its parent pom in build/); the local demo stack
    // (emulators) is neither built nor copied, nor are the tests
    const copied = BUILD_STAGE.filter(i => i.keyword === 'COPY').map(i => i.args);
    expect(copied).toEqual(['pom.xml ./', 'build/pom.xml build/', 'src/main src/main']);
    expect(copied.join('\n')).not.toMatch(/src\/test|local-stack/);
  });

  test('final stage: JRE only, the jar and the config, no build tools and no credentials', () => {
    const text = FINAL_STAGE.map(i => `${i.keyword} ${i.args}`).join('\n');
    expect(text).not.toMatch(/\bmvn\b|\.m2|maven|javac|\bgit\b/);
    expect(FINAL_STAGE.filter(i => i.keyword === 'COPY').map(i => i.args)).toEqual([
      '--from=build /src/target/lakehose.jar /app/lakehose.jar',
      'deploy/docker/lakehose.yaml /config/lakehose.yaml',
      'deploy/docker/jit-by-command.sh /app/jit-by-command.sh',
    ]);
    for (const i of ALL.filter(x => x.keyword === 'ARG' || x.keyword === 'ENV')) {
      expect(i.args).not.toMatch(/SECRET|PASSWORD|TOKEN|AWS_ACCESS_KEY|AWS_SECRET|CREDENTIAL/i);
    }
    expect(DOCKERFILE).not.toMatch(/--mount=type=secret|\.aws\/credentials|settings\.xml/);
  });

  test('base images are pinned by digest: a tag moves, a digest does not', () => {
    const args = Object.fromEntries(ALL.filter(i => i.keyword === 'ARG' && i.args.includes('='))
      .map(i => [i.args.slice(0, i.args.indexOf('=')), i.args.slice(i.args.indexOf('=') + 1)]));
    const froms = ALL.filter(i => i.keyword === 'FROM').map(i => i.args.split(/\s+/)[0]);
    expect(froms).toHaveLength(2);
    for (const from of froms) {
      const image = from.replace(/^\$\{(\w+)\}$/, (_, name) => args[name] ?? '');
      expect(image).toMatch(/^[a-z0-9./_-]+:[\w.-]+@sha256:[0-9a-f]{64}$/);
    }
    // How to move them: a script that asks the registry (deploy/README.md).
    expect(fs.existsSync(path.join(REPO_ROOT, 'deploy', 'docker', 'refresh-base-digests.sh'))).toBe(true);
  });

  test('/tmp is the one writable path: owned by the lakehose user, then declared a VOLUME (so ECS\'s bind mount keeps that owner)', () => {
    const volumes = FINAL_STAGE.filter(i => i.keyword === 'VOLUME').map(i => i.args);
    expect(volumes).toEqual(['["/tmp"]']);
    const volumeAt = FINAL_STAGE.findIndex(i => i.keyword === 'VOLUME');
    const prepared = FINAL_STAGE.findIndex(i => i.keyword === 'RUN' && /chown 10001:10001 \/tmp\b/.test(i.args));
    expect(prepared).toBeGreaterThanOrEqual(0);
    expect(prepared).toBeLessThan(volumeAt);
    // A RUN after the VOLUME would write to /tmp in vain (Docker discards it), and the task's
    // path must be this one.
    expect(FINAL_STAGE.slice(volumeAt).filter(i => i.keyword === 'RUN')).toEqual([]);
    expect(SCRATCH_PATH).toBe('/tmp');
  });

  test('runs as a numeric non-root user', () => {
    const users = FINAL_STAGE.filter(i => i.keyword === 'USER').map(i => i.args);
    expect(users).toEqual(['10001:10001']);
    expect(FINAL_STAGE.findIndex(i => i.keyword === 'USER'))
      .toBeLessThan(FINAL_STAGE.findIndex(i => i.keyword === 'ENTRYPOINT'));
  });

  test('runtime command: exec-form ENTRYPOINT (a sh that execs the JVM, so the JVM is PID 1 and gets SIGTERM) with container JVM flags, then CMD', () => {
    const { entrypoint, cmd } = runtimeCommand(DOCKERFILE);
    // the launcher that picks the JIT per command, copied into the image, ends in `exec`
    expect(entrypoint.slice(0, 3)).toEqual(['sh', '/app/jit-by-command.sh', 'java']);
    const launcher = fs.readFileSync(path.join(REPO_ROOT, 'deploy', 'docker', 'jit-by-command.sh'), 'utf8');
    const lastCommand = launcher.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#')).pop();
    expect(lastCommand).toBe('exec "$java" "$@"');
    expect(entrypoint).toContain('-XX:MaxRAMPercentage=75');
    expect(entrypoint).toContain('-XX:+ExitOnOutOfMemoryError');
    // the class-data archive the final stage's RUN writes (deploy/docker/class-data-archive.sh)
    expect(entrypoint).toContain('-XX:SharedArchiveFile=/app/lakehose.jsa');
    expect(entrypoint.slice(-2)).toEqual(['-jar', '/app/lakehose.jar']);
    expect(cmd).toEqual(['run', '--config', '/config/lakehose.yaml']);
    expect(FINAL_STAGE.map(i => i.keyword)).toContain('ENTRYPOINT');
    expect(FINAL_STAGE.find(i => i.keyword === 'STOPSIGNAL')?.args).toBe('SIGTERM');
  });

  test('HEALTHCHECK is the command the ECS task definition runs', () => {
    const health = FINAL_STAGE.filter(i => i.keyword === 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    const m = /^(.*?)\s+CMD\s+(.*)$/.exec(health[0].args)!;
    expect(m[1].split(/\s+/)).toEqual(['--interval=30s', '--timeout=5s', '--start-period=60s', '--retries=3']);
    expect(m[2]).toBe(HEALTH_CHECK_COMMAND);
    const { template } = synth({});
    expect(containerOf(template).HealthCheck).toEqual({
      Command: ['CMD-SHELL', HEALTH_CHECK_COMMAND], Interval: 30, Timeout: 5, Retries: 3, StartPeriod: 60,
    });
    expect(HEALTH_CHECK_COMMAND).toMatch(/^curl .*\/health/);
  });

  test('the container configuration it copies exists and sets no key (the task\'s environment does)', () => {
    const config = fs.readFileSync(path.join(REPO_ROOT, 'deploy', 'docker', 'lakehose.yaml'), 'utf8');
    const keys = config.split('\n').filter(l => l.trim() !== '' && !l.trim().startsWith('#'));
    expect(keys).toEqual([]);
  });
});

function synth(props: LakehosePipelineStackProps): { app: App; stack: LakehosePipelineStack; template: Template } {
  const app = newApp();
  const stack = new LakehosePipelineStack(app, 'Lakehose', { env: PIPELINE_ENV, ...props });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The Docker build context CDK staged for the image asset, and the asset's platform. */
function stagedImageAsset(app: App): { dir: string; platform: string } {
  const assembly = app.synth();
  const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'Lakehose.assets.json'), 'utf8'));
  const images = Object.values(manifest.dockerImages) as { source: { directory: string; platform?: string } }[];
  expect(images).toHaveLength(1);
  return { dir: path.join(assembly.directory, images[0].source.directory), platform: images[0].source.platform ?? '' };
}

function filesUnder(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => e.isDirectory()
    ? filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`)
    : [`${prefix}${e.name}`]);
}

describe('image asset (fromAsset of the repository root)', () => {
  test('stages only the allow-listed build context: no node_modules, target/, tests or local-stack sources', () => {
    const { app } = synth({});
    const { dir, platform } = stagedImageAsset(app);
    expect(platform).toBe('linux/amd64');
    const files = filesUnder(dir);
    expect(files.filter(f => !f.startsWith('src/main/')).sort()).toEqual([
      '.dockerignore', 'Dockerfile', 'build/pom.xml', 'deploy/docker/class-data-archive.sh',
      'deploy/docker/class-data-training.jsonl', 'deploy/docker/jit-by-command.sh', 'deploy/docker/lakehose.yaml', 'pom.xml',
    ]);
    expect(files.filter(f => /node_modules|(^|\/)target\/|\/src\/test\//.test(f))).toEqual([]);
    expect(files.some(f => f.startsWith('src/main/java/'))).toBe(true);
    // every file the Dockerfile copies from the context is there
    for (const c of ALL.filter(i => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
      const sources = c.args.split(/\s+/).slice(0, -1);
      for (const s of sources) {
        expect(fs.existsSync(path.join(dir, s))).toBe(true);
      }
    }
  });

  test('ARM64 builds the image for linux/arm64', () => {
    const { app } = synth({ cpuArchitecture: ecs.CpuArchitecture.ARM64 });
    expect(stagedImageAsset(app).platform).toBe('linux/arm64');
  });
});

test('every LAKEHOSE_* variable the task sets is a configuration key in README.md (pending ones listed)', () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const documented = new Set(readme.match(/LAKEHOSE_[A-Z0-9_]+/g) ?? []);
  const missing = Object.values(ENV).filter(v => !documented.has(v) && !PENDING_ENV.includes(v));
  expect(missing).toEqual([]);
  const { template } = synth({});
  for (const e of containerOf(template).Environment as { Name: string }[]) {
    expect(Object.values(ENV)).toContain(e.Name);
  }
});
