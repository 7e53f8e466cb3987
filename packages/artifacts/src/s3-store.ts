/**
 * An S3-compatible artifact store (AWS S3, Ceph radosgw, MinIO...) through AWS SDK v3: files are
 * streamed up when an attempt ends (multipart above `partSize`), retried on transient errors, and
 * downloads stream back from the bucket.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type * as ClientS3 from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { NotFoundError, RegattaError } from '@regatta/core';
import type { ArtifactStore, AttemptRef, StoredFile } from './artifact-store.js';
import { artifactKey, logKey } from './key-template.js';
import { checkArtifactPath } from './local-store.js';

export interface S3StoreOptions {
  bucket: string;
  region: string;
  endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`), as most S3-compatible servers want. */
  forcePathStyle: boolean;
  /** Without them, the SDK's default chain (environment, shared config, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Prepended to every key. */
  prefix: string;
  /** Bytes per part of a multipart upload (at least 5 MiB, S3's minimum). */
  partSize: number;
  /** Whole-file attempts per upload (the SDK also retries each request). */
  uploadAttempts: number;
  retryDelayMs: number;
}

interface ErrorWithStatus {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

/** A refusal (bad credentials, no such bucket) is not worth another try; a 5xx, a 429 or a dropped connection is. */
export function isTransient(e: unknown): boolean {
  const err = e as ErrorWithStatus;
  const status = err.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  return true; // no answer at all: the connection failed
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The SDK (some 15 MiB of a server's memory) is loaded when a bucket is first used, not by every server. */
let sdkLoad: Promise<[typeof ClientS3, typeof LibStorage]> | undefined;
const sdk = () => (sdkLoad ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]));

export function createS3ArtifactStore(o: S3StoreOptions): ArtifactStore {
  const config: S3ClientConfig = {
    region: o.region,
    forcePathStyle: o.forcePathStyle,
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
  };
  let made: Promise<S3Client> | undefined;
  const client = () => (made ??= sdk().then(([{ S3Client }]) => new S3Client(config)));

  async function upload(key: string, file: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        // A fresh stream per try: a failed upload has consumed the last one.
        const [, { Upload }] = await sdk();
        const up = new Upload({ client: await client(), params: { Bucket: o.bucket, Key: key, Body: createReadStream(file) }, partSize: o.partSize, queueSize: 2 });
        await up.done();
        return;
      } catch (e) {
        if (attempt >= o.uploadAttempts || !isTransient(e)) {
          throw new RegattaError('backend_error', `storing ${key} in s3://${o.bucket} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        }
        await sleep(o.retryDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  async function get(key: string, what: string): Promise<{ body: Readable; size?: number }> {
    try {
      const [{ GetObjectCommand }] = await sdk();
      const res = await (await client()).send(new GetObjectCommand({ Bucket: o.bucket, Key: key }));
      if (!(res.Body instanceof Readable)) throw new RegattaError('backend_error', `s3://${o.bucket} answered without a body`);
      return { body: res.Body, ...(res.ContentLength !== undefined ? { size: res.ContentLength } : {}) };
    } catch (e) {
      if ((e as ErrorWithStatus).name === 'NoSuchKey') throw new NotFoundError('artifact', what);
      throw e;
    }
  }

  return {
    kind: 's3',
    async persist(ref: AttemptRef, dir: string, files: readonly StoredFile[]) {
      for (const f of files) await upload(artifactKey(ref, f.path, o.prefix), `${dir}/${f.path}`);
    },
    async archiveLog(ref: AttemptRef, logPath: string) {
      await upload(logKey(ref, o.prefix), logPath);
    },
    async open(ref: AttemptRef, path: string) {
      checkArtifactPath(path);
      return get(artifactKey(ref, path, o.prefix), path);
    },
    openLog: (ref: AttemptRef) => get(logKey(ref, o.prefix), 'log'),
    locate: (ref, path) => `s3://${o.bucket}/${artifactKey(ref, path, o.prefix)}`,
    close: async () => { if (made) (await made).destroy(); },
  };
}
