/**
 * Regatta's typed errors. Every error carries a stable `code`; the HTTP layer maps codes to statuses
 * in exactly one place, and the CLI prints `message` plus any field issues.
 */
export interface FieldIssue {
  /** JSON path of the offending field, e.g. `resources.memory` or `labels.team`. */
  path: string;
  message: string;
}

export type ErrorCode =
  | 'invalid_spec'
  | 'invalid_request'
  | 'not_found'
  | 'conflict'
  | 'unauthorized'
  | 'forbidden'
  | 'unschedulable'
  | 'payload_too_large'
  | 'backend_error'
  | 'internal';

export class RegattaError extends Error {
  readonly code: ErrorCode;
  readonly issues: readonly FieldIssue[];

  constructor(code: ErrorCode, message: string, options: { issues?: FieldIssue[]; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RegattaError';
    this.code = code;
    this.issues = options.issues ?? [];
  }
}

export class SpecError extends RegattaError {
  constructor(message: string, issues: FieldIssue[]) {
    super('invalid_spec', message, { issues });
    this.name = 'SpecError';
  }
}

export class NotFoundError extends RegattaError {
  constructor(what: string, id: string) {
    super('not_found', `${what} '${id}' was not found`);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends RegattaError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'ConflictError';
  }
}

/**
 * A run's status change that lost: the run was no longer in the status the writer read (another
 * writer moved it first), or the change is not one `canTransition` allows.
 */
export class TransitionError extends ConflictError {
  readonly runId: string;
  readonly from: string;
  readonly to: string;
  /** The status the store holds, when the run exists. */
  readonly actual: string | undefined;

  constructor(runId: string, from: string, to: string, actual: string | undefined) {
    super(actual === undefined
      ? `run ${runId}: ${from} → ${to} is not a transition a run can make`
      : `run ${runId} is ${actual}, not ${from}: its change to ${to} lost to another`);
    this.name = 'TransitionError';
    this.runId = runId;
    this.from = from;
    this.to = to;
    this.actual = actual;
  }
}

/** A launch failure that retrying cannot fix (bad workdir, missing executable...). */
export class NonRetriableError extends RegattaError {
  constructor(message: string, cause?: unknown) {
    super('backend_error', message, { cause });
    this.name = 'NonRetriableError';
  }
}

export function isRegattaError(e: unknown): e is RegattaError {
  return e instanceof RegattaError;
}
