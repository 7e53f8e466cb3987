export * from './client.js';
export { reportEvent, reportMetric, reportResult } from './job.js';
