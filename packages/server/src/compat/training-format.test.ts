import { describe, expect, it } from 'vitest';
import { decimal6, djangoDate, taskView, trainingView } from './training-format.js';

const base = { number: 1, training: 2, createdAt: Date.UTC(2019, 0, 16, 19, 15, 4, 582), scores: { test_loss: 0.05867586990906857, test_accuracy: 0.9822 } };

describe("the training API's shapes (the original's DRF serializers)", () => {
  it('writes datetimes as %Y-%m-%dT%H:%M:%S.%f%z in UTC, and scores as 6-place decimals', () => {
    expect(djangoDate(Date.UTC(2019, 0, 16, 19, 15, 4, 582))).toBe('2019-01-16T19:15:04.582000+0000');
    expect(djangoDate(undefined)).toBeNull();
    expect([decimal6(0.05867586990906857), decimal6(0.54231), decimal6(0.7462), decimal6(1), decimal6(null)]).toEqual(['0.058676', '0.542310', '0.746200', '1.000000', null]);
  });

  it("has exactly the serializers' fields, in their order", () => {
    expect(trainingView(1, { script: 'algo1.py', dockerfile: 'Dockerfile.dms' }, base.createdAt))
      .toEqual({ id: 1, algorithm: 'algo1.py', dockerfile: 'Dockerfile.dms', created_on: '2019-01-16T19:15:04.582000+0000' });
    expect(trainingView(2, {}, base.createdAt)).toEqual({ id: 2, algorithm: null, dockerfile: null, created_on: '2019-01-16T19:15:04.582000+0000' });
    const done = taskView({ ...base, status: 'succeeded', startedAt: base.createdAt + 1000, finishedAt: base.createdAt + 2000, dockerId: 'abc' });
    expect(Object.keys(done)).toEqual(['training_configuration', 'id', 'status', 'created_on', 'started_on', 'terminated_on', 'failure_message', 'test_loss', 'test_accuracy', 'docker_id']);
    expect(done).toEqual({
      training_configuration: 2, id: 1, status: 'complete', created_on: '2019-01-16T19:15:04.582000+0000', started_on: '2019-01-16T19:15:05.582000+0000',
      terminated_on: '2019-01-16T19:15:06.582000+0000', failure_message: null, test_loss: '0.058676', test_accuracy: '0.982200', docker_id: 'abc',
    });
    expect(taskView({ ...base, status: 'queued', scores: { test_loss: null, test_accuracy: null } })).toMatchObject({ status: 'created', started_on: null, terminated_on: null, docker_id: null });
  });

  it('has no scores for an aborted task, and fails one that ended without a score.json', () => {
    expect(taskView({ ...base, status: 'canceled' })).toMatchObject({ status: 'aborted', test_loss: null, test_accuracy: null, failure_message: null });
    expect(taskView({ ...base, status: 'succeeded', scores: { test_loss: null, test_accuracy: null } }))
      .toMatchObject({ status: 'failure', failure_message: expect.stringMatching(/^Could not find task_results/) as unknown });
    expect(taskView({ ...base, status: 'failed', reason: 'exit code 1' })).toMatchObject({ status: 'failure', failure_message: 'exit code 1' });
  });
});
