/**
 * GPUs of a pool node, read on the engine's machine: when the engine has the NVIDIA runtime and the
 * admin declared no `gpus`, a short-lived container runs `nvidia-smi` (the NVIDIA container toolkit
 * mounts it into any image given the `utility` capability) and its CSV answer is parsed.
 */
import type Docker from 'dockerode';

export interface GpuInfo {
  index: number;
  name: string;
  memoryMiB: number;
  uuid: string;
}

/** The query the probe runs; parseNvidiaSmi reads its output. */
export const NVIDIA_SMI_QUERY = ['nvidia-smi', '--query-gpu=index,name,memory.total,uuid', '--format=csv,noheader,nounits'];

/** Parses `nvidia-smi --query-gpu=index,name,memory.total,uuid --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(csv: string): GpuInfo[] {
  const out: GpuInfo[] = [];
  for (const line of csv.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split(',').map((x) => x.trim());
    if (f.length < 4) throw new Error(`unexpected nvidia-smi line: '${line.trim()}'`);
    // A GPU name may itself hold commas: index first, memory and uuid last.
    const index = Number(f[0]);
    const memoryMiB = Number(f[f.length - 2]);
    if (!Number.isInteger(index) || index < 0) throw new Error(`unexpected GPU index in nvidia-smi line: '${line.trim()}'`);
    out.push({ index, name: f.slice(1, -2).join(', '), memoryMiB: Number.isFinite(memoryMiB) ? memoryMiB : 0, uuid: f[f.length - 1] ?? '' });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Whether `docker info` lists the NVIDIA runtime. */
export function hasNvidiaRuntime(info: { Runtimes?: Record<string, unknown> }): boolean {
  return Object.keys(info.Runtimes ?? {}).some((r) => r.startsWith('nvidia'));
}

/** Docker's stdout frames (8-byte headers) to text. */
function demux(buf: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= buf.length;) {
    const len = buf.readUInt32BE(i + 4);
    if (buf[i] === 1) out += buf.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return out;
}

/** Runs nvidia-smi in a throw-away container of `image` with every GPU; rejects with why not. */
export async function probeGpus(docker: Docker, image: string): Promise<GpuInfo[]> {
  const c = await docker.createContainer({
    Image: image, Entrypoint: [NVIDIA_SMI_QUERY[0] ?? 'nvidia-smi'], Cmd: NVIDIA_SMI_QUERY.slice(1),
    Env: ['NVIDIA_DRIVER_CAPABILITIES=utility'], Labels: { 'dev.regatta.probe': 'gpus' },
    HostConfig: { DeviceRequests: [{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu', 'utility']] }] },
  });
  try {
    await c.start();
    const { StatusCode } = await c.wait() as { StatusCode: number };
    const text = demux(await c.logs({ stdout: true, stderr: false }));
    if (StatusCode !== 0) throw new Error(`nvidia-smi exited with ${StatusCode}`);
    return parseNvidiaSmi(text);
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}
