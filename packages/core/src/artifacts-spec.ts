/**
 * `artifacts:` in a job spec: the key its files get in the server's artifact store (an S3 bucket),
 * e.g. `{key: "eval-5/{params.eval_name}_{labels.team}_{item}"}`. The store fills it in.
 */
import { z } from 'zod';

const PLACEHOLDER = /\{([^{}]*)\}/g;
const KNOWN = /^(run|group|item|attempt|path|(params|labels)\.[A-Za-z0-9_.-]+)$/;

export const artifactsSpecSchema = z
  .strictObject({
    key: z.string().min(1).max(512)
      .refine((t) => [...t.matchAll(PLACEHOLDER)].every((m) => KNOWN.test(m[1] ?? '')), {
        message: 'placeholders are {params.x}, {labels.x}, {item}, {run}, {group}, {attempt} and {path}',
      })
      .refine((t) => !t.startsWith('/') && !t.split('/').includes('..'), { message: 'must be relative and must not contain ..' })
      .describe('Key template in the artifact store; {path} (the file) is appended as /<path> when missing. Default: <run or group>/<item>/<attempt>/<path>'),
  })
  .describe("Where the run's artifacts go in the server's artifact store");
