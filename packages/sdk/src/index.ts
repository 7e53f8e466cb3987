export * from './client.js';
export { reportEvent, reportMetric, reportMetrics, reportResult } from './job.js';
