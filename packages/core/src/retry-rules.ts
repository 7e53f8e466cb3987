/**
 * `retries`: how many new attempts a job gets, when, and — with `rules` — for which failures. Rules
 * are ordered and the first match wins (Kubernetes' podFailurePolicy, Argo's retryStrategy), and
 * they may look at the attempt's log: the engine reads a bounded tail of it, the matching is pure.
 */
import { z } from 'zod';
import { parseDuration } from './quantity.js';
import { durationSchema } from './services-spec.js';

export const RETRY_ON = ['failed', 'lost', 'timed_out'] as const;
export type RetryOutcome = (typeof RETRY_ON)[number];

/** How much of the end of an attempt's log the `log` rules see. */
export const RETRY_LOG_TAIL_BYTES = 1024 * 1024;
/** Longest wait `backoff` grows to. */
export const RETRY_BACKOFF_CAP_MS = 10 * 60_000;

function isRegex(source: string): boolean {
  try {
    new RegExp(source, 'm');
    return true;
  } catch {
    return false;
  }
}

export const retryRuleSchema = z
  .strictObject({
    log: z.string().min(1).max(1000).refine(isRegex, { message: 'not a valid regular expression' }).optional()
      .describe("A regular expression searched for in the end (last 1 MiB) of the attempt's log; ^ and $ match at line ends"),
    exit_codes: z.array(z.number().int().min(0).max(255)).min(1).optional()
      .describe('Exit codes that match; a job killed by a signal counts as 128 + its number (137 for SIGKILL)'),
    status: z.array(z.enum(RETRY_ON)).min(1).optional().describe('How the attempt ended'),
    action: z.enum(['retry', 'fail']).describe('`retry` (within `limit`) or `fail`'),
  })
  .describe('A rule matches when all its conditions do; a rule with none matches every failure');

export type RetryRule = z.infer<typeof retryRuleSchema>;

export const retriesSchema = z.union([
  z.number().int().min(0).max(100),
  z.strictObject({
    limit: z.number().int().min(0).max(100),
    on: z.array(z.enum(RETRY_ON)).min(1).optional().describe('Outcomes that trigger a retry (default: all three)'),
    delay: durationSchema.optional().describe('Wait before the next attempt (default 0)'),
    backoff: durationSchema.optional().describe('Wait this long before the first retry, doubling for each next one (with jitter, at most 10 minutes)'),
    rules: z.array(retryRuleSchema).min(1).max(50).optional()
      .describe('Ordered rules, the first match wins; a failure no rule matches is not retried'),
  }).superRefine((r, ctx) => {
    if (r.on !== undefined && r.rules !== undefined) ctx.addIssue({ code: 'custom', path: ['on'], message: 'use either on or rules (a rule can match a status)' });
    if (r.delay !== undefined && r.backoff !== undefined) ctx.addIssue({ code: 'custom', path: ['backoff'], message: 'use either delay or backoff' });
  }),
]);

export interface RetryPolicy {
  limit: number;
  on: readonly RetryOutcome[];
  delayMs: number;
  /** First wait of an exponential backoff; replaces `delayMs` when set. */
  backoffMs?: number;
  rules?: RetryRule[];
}

export function resolveRetry(retries: z.infer<typeof retriesSchema> | undefined): RetryPolicy {
  if (typeof retries !== 'object') return { limit: retries ?? 0, on: RETRY_ON, delayMs: 0 };
  const ms = (v: string | number | undefined) => (v !== undefined ? parseDuration(v) ?? 0 : 0);
  return {
    limit: retries.limit,
    on: retries.on ?? RETRY_ON,
    delayMs: ms(retries.delay),
    ...(retries.backoff !== undefined ? { backoffMs: ms(retries.backoff) } : {}),
    ...(retries.rules ? { rules: retries.rules } : {}),
  };
}

/** What a rule sees of an ended attempt. */
export interface FailedAttempt {
  outcome: RetryOutcome;
  /** The exit code, or 128 + the signal's number for a job killed by a signal. */
  exitCode?: number;
  /** The end of the attempt's log (only read when a rule has `log`). */
  logTail?: string;
}

export interface RuleMatch {
  rule: RetryRule;
  /** 0-based position in `rules`. */
  index: number;
  /** Why it matched, for the timeline: `log matched /OutOfMemoryError/ ("java.lang.OutOfMemoryError: …")`. */
  because: string;
}

export function hasLogRules(policy: RetryPolicy): boolean {
  return policy.rules?.some((r) => r.log !== undefined) ?? false;
}

const shorten = (s: string, n = 120) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The first rule matching the attempt, or undefined when none does. */
export function matchRetryRule(rules: readonly RetryRule[], a: FailedAttempt): RuleMatch | undefined {
  for (const [index, rule] of rules.entries()) {
    const because: string[] = [];
    if (rule.status !== undefined) {
      if (!rule.status.includes(a.outcome)) continue;
      because.push(`status ${a.outcome}`);
    }
    if (rule.exit_codes !== undefined) {
      if (a.exitCode === undefined || !rule.exit_codes.includes(a.exitCode)) continue;
      because.push(`exit code ${a.exitCode}`);
    }
    if (rule.log !== undefined) {
      const m = new RegExp(rule.log, 'm').exec(a.logTail ?? '');
      if (!m) continue;
      // The whole line the match is on says more than the match itself.
      const text = a.logTail ?? '';
      const start = text.lastIndexOf('\n', m.index) + 1;
      const end = text.indexOf('\n', m.index);
      because.push(`log matched /${rule.log}/ (${JSON.stringify(shorten(text.slice(start, end < 0 ? undefined : end).trim()))})`);
    }
    return { rule, index, because: because.length ? because.join(', ') : `rule ${index + 1} (matches any failure)` };
  }
  return undefined;
}

/**
 * The wait before retry number `retry` (1-based): `delay`, or `backoff` doubled per retry and
 * jittered into its upper half (so a fleet of items failing together does not come back together).
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  if (policy.backoffMs === undefined) return policy.delayMs;
  const full = Math.min(policy.backoffMs * 2 ** Math.max(0, retry - 1), RETRY_BACKOFF_CAP_MS);
  return Math.round(full / 2 + (full / 2) * random());
}
