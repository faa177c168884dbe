import * as fs from 'fs';
import * as path from 'path';
import { Duration, IgnoreMode } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { HEALTH_CHECK_COMMAND } from './settings';

/** The repository root: the nearest directory above `start` holding the Dockerfile and pom.xml. */
export function findRepoRoot(start: string = __dirname): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'Dockerfile')) && fs.existsSync(path.join(dir, 'pom.xml'))) {
      return dir;
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`no directory above ${start} holds both Dockerfile and pom.xml (the lakehose repository root)`);
    }
  }
}

/**
 * Asset paths never sent to Docker, on top of the root .dockerignore (an allow-list that
 * already keeps them out): a second line of defence, because hashing node_modules or target/
 * would make every synth slow and every image rebuild spurious.
 */
export const ASSET_EXCLUDES = ['**/node_modules', '**/cdk.out', '.git', 'target', 'service/target', 'local-stack/target'];

export interface ImageOptions {
  /**
   * A prebuilt image (context value `imageUri`). An ECR URI (`<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`
   * or `@sha256:<digest>`) gets pull permissions for that repository on the execution role;
   * any other URI is pulled as a public image.
   * @default the repository's Dockerfile, built and pushed by `cdk deploy`
   */
  readonly imageUri?: string;
  /** Directory with the Dockerfile. @default the repository root */
  readonly dockerContext?: string;
  readonly cpuArchitecture: ecs.CpuArchitecture;
}

const ECR_URI = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9._\/-]+)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** The region of an ECR image URI, or undefined for an image from any other registry. */
export function ecrRegionOf(imageUri: string): string | undefined {
  return ECR_URI.exec(imageUri)?.[2];
}

/** The lakehose image: the root Dockerfile as an asset, or a prebuilt image by URI. */
export function lakehoseImage(scope: Construct, options: ImageOptions): ecs.ContainerImage {
  if (options.imageUri) {
    const m = ECR_URI.exec(options.imageUri);
    if (m) {
      const [, account, region, cn, name, tag, digest] = m;
      const partition = cn ? 'aws-cn' : 'aws';
      const repository = ecr.Repository.fromRepositoryAttributes(scope, 'ImageRepository', {
        repositoryArn: `arn:${partition}:ecr:${region}:${account}:repository/${name}`,
        repositoryName: name,
      });
      return ecs.ContainerImage.fromEcrRepository(repository, digest ?? tag ?? 'latest');
    }
    return ecs.ContainerImage.fromRegistry(options.imageUri);
  }
  // At synth this only copies and hashes the (small, allow-listed) build context; Docker runs
  // when `cdk deploy` publishes the asset, never in `cdk synth` or the tests.
  return ecs.ContainerImage.fromAsset(options.dockerContext ?? findRepoRoot(), {
    file: 'Dockerfile',
    ignoreMode: IgnoreMode.DOCKER,
    exclude: ASSET_EXCLUDES,
    platform: options.cpuArchitecture === ecs.CpuArchitecture.ARM64 ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
  });
}

/** The ECS container health check: the image's HEALTHCHECK, restated because ECS ignores it. */
export const CONTAINER_HEALTH_CHECK: ecs.HealthCheck = {
  command: ['CMD-SHELL', HEALTH_CHECK_COMMAND],
  interval: Duration.seconds(30),
  timeout: Duration.seconds(5),
  retries: 3,
  startPeriod: Duration.seconds(60),
};
