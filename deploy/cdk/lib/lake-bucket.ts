import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** The encryption context of `lakehose preflight`'s KMS probe (Policies.java in the service). */
export const PREFLIGHT_CONTEXT_KEY = 'lakehose-preflight';
export const PREFLIGHT_CONTEXT_VALUE = 'probe';

export interface LakeBucketProps {
  /** Physical bucket name; generated when absent. */
  readonly bucketName?: string;
  /** Keep old object versions (costs storage for every rewrite). @default false */
  readonly versioned?: boolean;
  /**
   * Days after which S3 deletes the parts of multipart uploads that were never completed or
   * aborted (a task killed mid-upload leaves them; lakehose re-uploads from the checkpoint).
   * @default 2
   */
  readonly abortIncompleteMultipartUploadDays?: number;
}

/**
 * The data lake bucket and its customer-managed key: SSE-KMS by default with S3 Bucket Keys,
 * no public access, TLS only, and a bucket policy that refuses objects not encrypted with
 * this key.
 */
export class LakeBucket extends Construct {
  readonly key: kms.Key;
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: LakeBucketProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'lakehose data lake: SSE-KMS of every object in the lake bucket',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      // One data key per bucket instead of per object: far fewer KMS calls (cost, throttling).
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: props.versioned ?? false,
      lifecycleRules: [{
        id: 'abort-incomplete-multipart-uploads',
        abortIncompleteMultipartUploadAfter: Duration.days(props.abortIncompleteMultipartUploadDays ?? 2),
      }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // "Deny unencrypted puts", done so that multipart uploads still work. The classic statement
    // (deny s3:PutObject when s3:x-amz-server-side-encryption is not aws:kms) also denies every
    // UploadPart, which is authorized as s3:PutObject but never carries that header, so
    // lakehose's multipart uploads (files from 16 MiB) would fail. Instead: deny any request
    // that asks for another encryption than this key, and let requests without encryption
    // headers take the bucket default, which is SSE-KMS with this key. No object can be stored
    // unencrypted or under another key either way.
    const objects = this.bucket.arnForObjects('*');
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'DenyEncryptionOtherThanKms',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [objects],
      conditions: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
    }));
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'DenyKmsKeyOtherThanLakeKey',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [objects],
      conditions: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': this.key.keyArn } },
    }));
    // aws:kms without a key id would use the AWS managed key aws/s3, not this one.
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'DenyKmsWithoutKeyId',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [objects],
      conditions: {
        StringEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
        Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'true' },
      },
    }));
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'DenyCustomerProvidedKeys',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [objects],
      conditions: { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } },
    }));
  }

  /**
   * The statements a lakehose writer needs, and no more: put and abort objects under the
   * given prefixes, list and read those prefixes, and use the key only through S3
   * (GenerateDataKey for new objects and multipart uploads, Decrypt for the parts of a multipart
   * upload). Reads: the fence (docs/design.md, "The fence for folders") learns where an object
   * ends from its metadata, by HeadObject of the shard's newest object at lease start and of a key
   * another writer won; S3 authorizes HeadObject as s3:GetObject, so the writer can read what it
   * writes. A backfill reads its progress file under the first prefix's _lakehose/. No deletes.
   * `lakehose preflight` calls KMS directly too (GenerateDataKey, then Decrypt of that data key),
   * which kms:ViaService does not allow: LakeKeyPreflightProbe allows it only for data keys with
   * preflight's encryption context, so it cannot decrypt the data keys of lake objects (S3's
   * context is the object's ARN). Its S3 probe is an aborted multipart upload, hence no
   * s3:DeleteObject.
   */
  static writerStatements(bucketArn: string, keyArn: string, bucketRegion: string, prefixes: string[]): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        sid: 'LakePutObjects',
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: prefixes.map(p => `${bucketArn}/${p}/*`),
      }),
      new iam.PolicyStatement({
        sid: 'LakeListPrefixes',
        actions: ['s3:ListBucket'],
        resources: [bucketArn],
        conditions: { StringLike: { 's3:prefix': prefixes.map(p => `${p}/*`) } },
      }),
      new iam.PolicyStatement({
        sid: 'LakeReadObjects',
        // HeadObject (authorized as s3:GetObject): the fence reads where an object ends
        // (lakehose-last); `backfill` reads back <lake prefix>/_lakehose/backfill/<table>.json.
        actions: ['s3:GetObject'],
        resources: prefixes.map(p => `${bucketArn}/${p}/*`),
      }),
      new iam.PolicyStatement({
        sid: 'LakeKeyThroughS3',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${bucketRegion}.amazonaws.com` } },
      }),
      new iam.PolicyStatement({
        sid: 'LakeKeyPreflightProbe',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [keyArn],
        conditions: { StringEquals: { [`kms:EncryptionContext:${PREFLIGHT_CONTEXT_KEY}`]: PREFLIGHT_CONTEXT_VALUE } },
      }),
    ];
  }
}
