export * from './client.js';
export { flushReports, reportEvent, reportMetric, reportMetrics, reportResult } from './job.js';
