export * from './client.js';
export { reportMetric, reportResult } from './job.js';
