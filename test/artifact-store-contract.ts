/** What every artifact store adapter does (local disk, S3): the contract suite of the ArtifactStore port. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { NotFoundError } from '@regatta/core';
import type { ArtifactStore, AttemptRef } from '@regatta/artifacts';
import { tempDir } from './helpers.js';

const sha = async (body: AsyncIterable<Buffer | string>) => {
  const h = createHash('sha256');
  for await (const chunk of body) h.update(chunk);
  return h.digest('hex');
};

/** `dirFor` is where the store's users leave an attempt's files (the local store reads them there). */
export function artifactStoreContract(name: string, setup: () => { store: ArtifactStore; dirFor: (ref: AttemptRef) => string }): void {
  const ref = (attempt: number): AttemptRef => ({
    runId: `run${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`, attempt, params: { scene: 'a/b.json' }, labels: { team: 'blue' }, groupId: 'grp1', itemKey: 'a/b.json',
  });

  it(`${name}: keeps an attempt's files and streams them back, large ones whole`, async () => {
    const { store, dirFor } = setup();
    const r = ref(1);
    const dir = dirFor(r);
    mkdirSync(join(dir, 'sub'), { recursive: true });
    const big = randomBytes(12 * 1024 * 1024 + 3); // more than two 5 MiB parts
    writeFileSync(join(dir, 'result.json'), '{"score": 1}');
    writeFileSync(join(dir, 'sub', 'big.bin'), big);
    await store.persist(r, dir, [{ path: 'result.json', size: 12 }, { path: 'sub/big.bin', size: big.length }]);
    const small = await store.open(r, 'result.json');
    expect(small.size).toBe(12);
    let text = '';
    for await (const c of small.body) text += String(c);
    expect(text).toBe('{"score": 1}');
    const large = await store.open(r, 'sub/big.bin');
    expect(large.size).toBe(big.length);
    expect(await sha(large.body)).toBe(createHash('sha256').update(big).digest('hex'));
  });

  it(`${name}: a path it does not have is not found; a path that climbs out is refused`, async () => {
    const { store, dirFor } = setup();
    const r = ref(2);
    mkdirSync(dirFor(r), { recursive: true });
    await store.persist(r, dirFor(r), []);
    await expect(store.open(r, 'nothing.txt')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.open(r, '../x')).rejects.toThrow(/must not contain \.\./);
  });
}

/** A fresh directory per attempt, as the runtimes leave them: `<root>/<run>/<attempt>/outputs`. */
export function attemptDirs(): { root: string; dirFor: (ref: AttemptRef) => string } {
  const root = tempDir('regatta-artifacts-');
  return { root, dirFor: (r) => join(root, r.runId, String(r.attempt), 'outputs') };
}
