/**
 * What the compatibility facades answer, in their originals' shapes, for the OpenAPI document.
 * Free-form parts of the originals (a benchmark's result) stay free-form.
 */
import { z } from 'zod';
import { problemSchema, runStatusSchema, textBody } from '@regatta/core/api-schema';
import { problems } from '../http/openapi.js';

const benchmarkStatus = z.enum(['RUNNING', 'CLEANUP', 'FINISHED']);

export const benchmarkResponses = {
  started: {
    200: z.union([
      z.object({ result_id: z.string(), run_id: z.string(), warnings: z.array(z.string()).optional() }),
      z.object({ wait: z.int().describe('Seconds until the queue is likely free (busy: refuse)') }),
    ]),
    ...problems(400, 409, 422),
  },
  result: {
    200: z.object({
      status: benchmarkStatus,
      result: z.unknown().describe('What the benchmark posted to set_result; null before'),
      run_id: z.string(),
      run_status: runStatusSchema,
      queue_position: z.int().optional(),
      reason: z.string().optional(),
    }),
    ...problems(404),
  },
  setResult: {
    200: z.object({ status: z.string().describe('ok'), result_id: z.string(), benchmark_status: z.string().describe('CLEANUP'), forced: z.boolean().optional() }),
    ...problems(400, 404, 409),
  },
  list: { 200: z.object({ benchmarks: z.array(z.string()).describe('get_result paths, newest first') }), ...problems() },
  masked: {
    200: z.object({ status: benchmarkStatus, processes: z.boolean(), forced: z.boolean() }),
    202: z.object({ status: benchmarkStatus, processes: z.boolean(), forced: z.boolean() }),
    ...problems(400, 404, 409),
  },
  artefactsSet: { 200: z.object({ status: z.string().describe('ok') }), ...problems(400, 404) },
  artefacts: {
    200: z.union([
      textBody('application/octet-stream', 'The file set_artefacts named'),
      textBody('application/gzip', 'The outputs as a .tar.gz'),
    ]),
    ...problems(400, 404),
  },
};

const trainingView = z.object({ id: z.int(), algorithm: z.string().nullable(), dockerfile: z.string().nullable(), created_on: z.string() });
const taskView = z.object({
  training_configuration: z.int(),
  id: z.int(),
  status: z.enum(['created', 'building', 'training', 'complete', 'aborted', 'failure']),
  created_on: z.string(),
  started_on: z.string().nullable(),
  terminated_on: z.string().nullable(),
  failure_message: z.string().nullable(),
  test_loss: z.string().nullable().describe('A decimal with 6 places'),
  test_accuracy: z.string().nullable(),
  docker_id: z.string().nullable(),
});
/** Django REST framework's error bodies, as the original answered them. */
const drfError = z.union([z.object({ detail: z.string() }), z.object({ error: z.string() })]);
const drfErrors = { 400: drfError, 401: problemSchema, 403: drfError, 404: drfError, 413: drfError, 500: problemSchema };

export const trainingResponses = {
  list: { 200: z.array(trainingView), ...drfErrors },
  created: { 201: trainingView, ...drfErrors },
  one: { 200: trainingView, ...drfErrors },
  uploaded: { 204: z.undefined().describe('No content'), ...drfErrors },
  run: { 201: z.object({ id: z.int().describe('The task number') }), ...drfErrors },
  tasks: { 200: z.array(taskView), ...drfErrors },
  task: { 200: taskView, ...drfErrors },
  aborted: { 202: z.literal('').describe('An empty JSON string, as the original'), ...drfErrors },
};
