/**
 * The training API's answers in the original's shapes (its DRF serializers): datetimes as
 * `%Y-%m-%dT%H:%M:%S.%f%z` in UTC, scores as 6-place decimal strings, integer ids, and the
 * fields in the serializers' order. Pure, so the shapes are tested alone.
 */
import type { RunStatus } from '@regatta/core';
import { taskStatus, type Scores, type TaskStatus } from './training-spec.js';

/** `2019-01-16T19:15:04.582000+0000` (microseconds from milliseconds). */
export function djangoDate(ms: number): string;
export function djangoDate(ms: number | undefined): string | null;
export function djangoDate(ms: number | undefined): string | null {
  if (ms === undefined) return null;
  const iso = new Date(ms).toISOString(); // 2019-01-16T19:15:04.582Z
  return `${iso.slice(0, 23)}000+0000`;
}

/** A DecimalField(decimal_places=6): `"0.058676"`. */
export function decimal6(n: number | null): string | null {
  return n === null ? null : n.toFixed(6);
}

export interface TrainingView {
  id: number;
  algorithm: string | null;
  dockerfile: string | null;
  created_on: string;
}

export function trainingView(id: number, files: { script?: string; dockerfile?: string }, createdAt: number): TrainingView {
  return { id, algorithm: files.script ?? null, dockerfile: files.dockerfile ?? null, created_on: djangoDate(createdAt) };
}

export interface TaskFacts {
  number: number;
  training: number;
  status: RunStatus;
  reason?: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  scores: Scores;
  dockerId?: string;
}

/**
 * A task as the original's TrainingTaskSerializer wrote it. An aborted task has no scores (it was
 * killed); one that ended without a readable score.json failed, as the original's did.
 */
export function taskView(t: TaskFacts) {
  let status: TaskStatus = taskStatus(t.status);
  let failure: string | null = status === 'failure' ? t.reason ?? 'the task failed' : null;
  const scored = t.scores.test_loss !== null || t.scores.test_accuracy !== null;
  if (status === 'complete' && !scored) {
    status = 'failure';
    failure = 'Could not find task_results: no score.json with test_loss and test_accuracy in /training_output/';
  }
  const scores = status === 'aborted' ? { test_loss: null, test_accuracy: null } : t.scores;
  return {
    training_configuration: t.training,
    id: t.number,
    status,
    created_on: djangoDate(t.createdAt),
    started_on: djangoDate(t.startedAt),
    terminated_on: djangoDate(t.finishedAt),
    failure_message: failure,
    test_loss: decimal6(scores.test_loss),
    test_accuracy: decimal6(scores.test_accuracy),
    docker_id: t.dockerId ?? null,
  };
}
