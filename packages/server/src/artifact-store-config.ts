/** `artifactStore:` in the server config: where ended attempts' artifacts (and logs) are kept. */
import { z } from 'zod';
import { parseDuration, parseMemory, type FieldIssue } from '@regatta/core';
import { createLocalArtifactStore, createS3ArtifactStore, type ArtifactStore, type LocalStoreOptions, type S3StoreOptions } from '@regatta/artifacts';

export const artifactStoreConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('local') }),
  z.strictObject({
    type: z.literal('s3'),
    bucket: z.string().min(3).max(63),
    region: z.string().min(1).optional().describe('Default us-east-1'),
    endpoint: z.string().url().optional().describe('An S3-compatible server (radosgw, MinIO); default AWS'),
    forcePathStyle: z.boolean().optional().describe('endpoint/bucket/key URLs (default true with an endpoint)'),
    accessKeyId: z.string().min(1).optional().describe('Default $AWS_ACCESS_KEY_ID'),
    secretAccessKey: z.string().min(1).optional().describe('Default $AWS_SECRET_ACCESS_KEY'),
    prefix: z.string().optional().describe('Prepended to every key'),
    partSize: z.union([z.string(), z.number()]).optional().describe('Part size of multipart uploads (default 8Mi, at least 5Mi)'),
    uploadAttempts: z.number().int().min(1).max(10).optional().describe('Tries per file on transient errors (default 3)'),
    retryDelay: z.union([z.string(), z.number()]).optional().describe('First wait between tries, doubling (default 1s)'),
    archiveLogs: z.boolean().optional().describe("Also keep each finished attempt's log in the bucket"),
  }),
]).describe("Where artifacts are kept: the server's disk (default) or an S3-compatible bucket");

export type ArtifactStoreConfigInput = z.infer<typeof artifactStoreConfigSchema>;

export type ArtifactStoreConfig = { type: 'local' } | ({ type: 's3'; archiveLogs: boolean } & S3StoreOptions);

export function compileArtifactStoreConfig(c: ArtifactStoreConfigInput | undefined, env: Record<string, string | undefined>, issues: FieldIssue[]): ArtifactStoreConfig {
  if (!c || c.type === 'local') return { type: 'local' };
  const partSize = parseMemory(c.partSize ?? '8Mi');
  if (partSize === undefined || partSize < 5 * 1024 * 1024) issues.push({ path: 'artifactStore.partSize', message: 'expected a size of at least 5Mi (S3\'s smallest part)' });
  const retryDelayMs = parseDuration(c.retryDelay ?? '1s');
  if (retryDelayMs === undefined) issues.push({ path: 'artifactStore.retryDelay', message: 'expected a duration such as 1s' });
  const accessKeyId = c.accessKeyId ?? env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = c.secretAccessKey ?? env.AWS_SECRET_ACCESS_KEY;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    issues.push({ path: 'artifactStore.secretAccessKey', message: 'give both accessKeyId and secretAccessKey, or neither' });
  }
  return {
    type: 's3',
    bucket: c.bucket,
    region: c.region ?? env.AWS_REGION ?? 'us-east-1',
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    forcePathStyle: c.forcePathStyle ?? c.endpoint !== undefined,
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    prefix: c.prefix ?? '',
    partSize: partSize ?? 0,
    uploadAttempts: c.uploadAttempts ?? 3,
    retryDelayMs: retryDelayMs ?? 0,
    archiveLogs: c.archiveLogs ?? false,
  };
}

export function createArtifactStore(c: ArtifactStoreConfig, local: LocalStoreOptions): ArtifactStore {
  return c.type === 'local' ? createLocalArtifactStore(local) : createS3ArtifactStore(c);
}
