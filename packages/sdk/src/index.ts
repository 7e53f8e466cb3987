export * from './client.js';
export * from './users.js';
export { flushReports, reportEvent, reportMetric, reportMetrics, reportResult } from './job.js';
