/** Test images made on a test engine from TEST_IMAGE: run a shell command in it and commit the result. */
import { connectDocker } from '@regatta/runtimes';
import { TEST_IMAGE } from './docker-env.js';

/** `repo:tag` = TEST_IMAGE after `sh -c script` (e.g. a /version file), without a registry. */
export async function commitTestImage(host: string, repo: string, tag: string, script: string): Promise<void> {
  const d = connectDocker({ url: host });
  const maker = await d.createContainer({ Image: TEST_IMAGE, Cmd: ['sh', '-c', script] });
  await maker.start();
  await maker.wait();
  await maker.commit({ repo, tag });
  await maker.remove();
}
