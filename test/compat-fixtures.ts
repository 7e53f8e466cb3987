/**
 * The benchmark tools of the benchmark-controller tests (seed 003), as a process: read the
 * configuration, leave it in the outputs, post the result to result_webhook (with the run token,
 * or with none when the template sets ANONYMOUS, as the original's tools did), then linger: the
 * posted result ends the run. With {"hang": true} in its configuration it never posts.
 */
const benchmarkTask = `node -e '
const cfg = JSON.parse(process.env.BENCHMARK_CONFIG);
console.log("webhook " + (cfg.result_webhook === process.env.RESULT_WEBHOOK));
require("fs").writeFileSync(process.env.REGATTA_OUTPUTS + "/results.json", JSON.stringify(cfg));
const latency = { latency_avg: { value: 1.5 }, latency_std: { value: 0.25 } };
const auth = process.env.ANONYMOUS ? {} : { authorization: "Bearer " + process.env.REGATTA_RUN_TOKEN };
if (!cfg.hang) fetch(cfg.result_webhook, {
  method: "POST", headers: { ...auth, "content-type": "application/json" },
  body: JSON.stringify({
    evaluations: { passed: true, publishers: cfg.publishers, version: process.env.REGATTA_PARAM_TARGET_VERSION, "benchmark_tools.evaluation.latency_evaluation": latency },
    config: cfg, sleep: process.env.SLEEP_AFTER_TARGET_STARTUP ?? null,
  }),
}).then((r) => console.log("posted " + r.status));
'; sleep 60`;

/** The benchmark template: a forwarder service (it prints $MODE) plus the given services. */
export function benchmarkTemplate(services: Record<string, unknown>, env: Record<string, string> = {}): Record<string, unknown> {
  return {
    name: 'mps-benchmark',
    command: benchmarkTask,
    env,
    params: { benchmark: { publishers: 1 }, target_version: 'master' },
    services: { forwarder: { command: 'echo "forwarder MODE=$MODE"; exec sleep 60', env: { MODE: 'default' } }, ...services },
  };
}
