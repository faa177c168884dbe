import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** The encryption context of `lakehose preflight`'s KMS probe (Policies.java in the service). */
export const PREFLIGHT_CONTEXT_KEY = 'lakehose-preflight';
export const PREFLIGHT_CONTEXT_VALUE = 'probe';

/** How long old object versions stay (deploy/README.md, "Bucket versioning"). */
export const DEFAULT_NONCURRENT_VERSION_DAYS = 30;

export interface LakeBucketProps {
  /** Physical bucket name; generated when absent. */
  readonly bucketName?: string;
  /**
   * Days S3 keeps a replaced or deleted object's old version; 0 turns versioning off. The
   * decision (deploy/README.md, "Bucket versioning"): the writers may overwrite and (Iceberg)
   * delete, and hold no s3:DeleteObjectVersion, so with versions a buggy or compromised writer
   * cannot destroy what the lake held for this long; lakehose writes each data object once, so
   * versions cost little. @default 30
   */
  readonly noncurrentVersionDays?: number;
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
    const noncurrentDays = props.noncurrentVersionDays ?? DEFAULT_NONCURRENT_VERSION_DAYS;
    if (!Number.isInteger(noncurrentDays) || noncurrentDays < 0) {
      throw new Error(`noncurrentVersionDays ${noncurrentDays} must be 0 (no versioning) or a positive number of days`);
    }
    const versioned = noncurrentDays > 0;
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
      versioned,
      lifecycleRules: [
        {
          id: 'abort-incomplete-multipart-uploads',
          abortIncompleteMultipartUploadAfter: Duration.days(props.abortIncompleteMultipartUploadDays ?? 2),
        },
        ...(versioned ? [
          { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(noncurrentDays) },
          // A delete marker with no versions left behind it is removed too.
          { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
        ] : []),
      ],
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
   * The statements of the cross-account writer role, which `run`, `backfill` and `preflight`
   * all assume (lake-account-stack.ts): put and abort objects under the given prefixes, list and
   * read those prefixes, and use the key only through S3 (GenerateDataKey for new objects and
   * multipart uploads, Decrypt for the parts of a multipart upload), plus preflight's direct key
   * probe. No deletes. In one account each command's own role gets only its part of these
   * (permissions.ts).
   */
  static writerStatements(bucketArn: string, keyArn: string, bucketRegion: string, prefixes: string[]): iam.PolicyStatement[] {
    return [
      LakeBucket.putObjects(bucketArn, prefixes),
      LakeBucket.listPrefixes(bucketArn, prefixes),
      LakeBucket.readObjects(bucketArn, prefixes),
      LakeBucket.keyThroughS3(keyArn, bucketRegion),
      LakeBucket.keyPreflightProbe(keyArn),
    ];
  }

  /** Put objects (single and multipart) under the prefixes, and abort a multipart upload that failed. */
  static putObjects(bucketArn: string, prefixes: string[]): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid: 'LakePutObjects',
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: prefixes.map(p => `${bucketArn}/${p}/*`),
    });
  }

  /**
   * List keys under the prefixes only: high-water marks at lease start, and "is it there" before
   * a GetObject (without s3:ListBucket S3 answers 403 instead of 404 for a missing key).
   */
  static listPrefixes(bucketArn: string, prefixes: string[]): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid: 'LakeListPrefixes',
      actions: ['s3:ListBucket'],
      resources: [bucketArn],
      conditions: { StringLike: { 's3:prefix': prefixes.map(p => `${p}/*`) } },
    });
  }

  /**
   * Read objects under the prefixes. HeadObject is authorized as s3:GetObject: the fence
   * (docs/design.md, "The fence for folders") learns where an object ends from its metadata, by
   * HeadObject of the shard's newest object at lease start and of a key another writer won.
   */
  static readObjects(bucketArn: string, prefixes: string[]): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid: 'LakeReadObjects',
      actions: ['s3:GetObject'],
      resources: prefixes.map(p => `${bucketArn}/${p}/*`),
    });
  }

  /** The lake key, only through S3: GenerateDataKey for new objects, Decrypt for multipart parts and reads. */
  static keyThroughS3(keyArn: string, bucketRegion: string): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid: 'LakeKeyThroughS3',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${bucketRegion}.amazonaws.com` } },
    });
  }

  /**
   * `lakehose preflight` calls KMS directly (GenerateDataKey, then Decrypt of that data key),
   * which kms:ViaService does not allow: only for data keys with preflight's encryption context,
   * so it cannot decrypt the data keys of lake objects (S3's context is the object's ARN).
   */
  static keyPreflightProbe(keyArn: string): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid: 'LakeKeyPreflightProbe',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [keyArn],
      conditions: { StringEquals: { [`kms:EncryptionContext:${PREFLIGHT_CONTEXT_KEY}`]: PREFLIGHT_CONTEXT_VALUE } },
    });
  }
}
