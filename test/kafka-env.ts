/** A real Kafka-protocol broker for tests: librdkafka's mock cluster, via scripts/kafka-test-env.sh. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

export interface KafkaEnv {
  brokers: string;
  stop(): Promise<void>;
}

export function startKafka(topics: string[] = [], timeoutMs = 120_000): Promise<KafkaEnv> {
  const child = spawn(join(ROOT, 'scripts/kafka-test-env.sh'), ['run', ...topics], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`kafka mock did not start: ${stderr}`)); }, timeoutMs);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /BOOTSTRAP=(\S+)/.exec(out);
      if (!m?.[1]) return;
      clearTimeout(timer);
      resolve({
        brokers: m[1],
        stop: () => new Promise<void>((res) => {
          if (child.exitCode !== null) return res();
          child.once('exit', () => res());
          child.kill('SIGTERM');
        }),
      });
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`kafka mock exited (${code}): ${stderr}`)); });
  });
}
