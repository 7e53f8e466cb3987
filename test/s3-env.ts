/** A real S3-compatible server for tests: Ceph radosgw over a private one-node cluster (scripts/s3-test-env.sh). */
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ROOT } from './helpers.js';
import { startEnv } from './env-script.js';

export const S3_ENV_SCRIPT = join(ROOT, 'scripts/s3-test-env.sh');

export interface S3Env {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** A client of the server, to look at the bucket from outside Regatta. */
  client: S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the env, once more when the first start fails. The OSD that did not come up ('wrong fsid'
 * from the monitor: Ceph 16's OSD asked to be placed in the CRUSH map before it knew the cluster's
 * fsid) is avoided in the script now; the second try stays for whatever else a loaded machine brings.
 */
export async function startS3Env(): Promise<S3Env> {
  try {
    return await startS3EnvOnce();
  } catch (first) {
    console.warn(`s3-test-env: first start failed, starting a fresh cluster: ${String(first).slice(0, 300)}`);
    return startS3EnvOnce();
  }
}

function startS3EnvOnce(): Promise<S3Env> {
  return startEnv(S3_ENV_SCRIPT, 'rs3-', ({ vars, stop }) => {
    const need = (k: string) => {
      const v = vars.get(k);
      if (!v) throw new Error(`s3-test-env.sh printed no ${k}`);
      return v;
    };
    const endpoint = need('RGW_ENDPOINT');
    const region = need('RGW_REGION');
    const credentials = { accessKeyId: need('RGW_ACCESS_KEY'), secretAccessKey: need('RGW_SECRET_KEY') };
    const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials });
    return {
      endpoint, region, credentials, client,
      createBucket: async (name) => { await client.send(new CreateBucketCommand({ Bucket: name })); },
      stop: async () => { client.destroy(); await stop(); },
    };
  });
}
