import { describe, expect, it } from 'vitest';
import { dockerfileCommand, pickScores, taskStatus, trainingCommand, trainingSpec, uploadKind } from './training-spec.js';

describe('training files and the command of a Dockerfile', () => {
  it('runs what `docker run IMAGE` runs: CMD and ENTRYPOINT in exec and shell form, final stage only', () => {
    expect(dockerfileCommand('FROM python:3\nCOPY algo.py /app/\nCMD ["python", "/app/algo.py"]')).toEqual(['python', '/app/algo.py']);
    expect(dockerfileCommand('FROM x\nCMD python algo.py --epochs 2')).toBe('python algo.py --epochs 2');
    expect(dockerfileCommand('FROM x\nENTRYPOINT ["python"]\nCMD ["algo.py"]')).toEqual(['python', 'algo.py']);
    expect(dockerfileCommand('FROM x\nCMD ["algo.py"]\nENTRYPOINT ["python"]')).toEqual(['python', 'algo.py']);
    expect(dockerfileCommand('FROM x\nENTRYPOINT ["/run.sh"]\nCMD echo hi')).toEqual(['/run.sh', '/bin/sh', '-c', 'echo hi']);
    expect(dockerfileCommand('FROM x\nENTRYPOINT /run.sh\nCMD ["ignored"]')).toBe('/run.sh');
    expect(dockerfileCommand('FROM x AS build\nCMD ["make"]\nFROM y\nRUN true')).toBeUndefined();
    expect(dockerfileCommand('# comment\nfrom x\ncmd sh \\\n  # inside\n  /app/algo.py \\\n  --fast\n')).toBe('sh /app/algo.py --fast');
    expect(dockerfileCommand('FROM x\nCMD [not json')).toBe('[not json');
  });

  it("runs the image as the original did: IMAGE -V /training_output/, that folder being the run's outputs", () => {
    const link = '[ -e /training_output ] || ln -s "$REGATTA_OUTPUTS" /training_output; exec "$@"';
    expect(trainingCommand('FROM keras\nADD ./algo.py /\nENTRYPOINT ["python3", "/algo.py"]'))
      .toEqual(['/bin/sh', '-c', link, 'sh', 'python3', '/algo.py', '-V', '/training_output/']);
    // The arguments replace CMD; a shell-form ENTRYPOINT ignores them, as Docker does.
    expect(trainingCommand('FROM x\nENTRYPOINT ["python3"]\nCMD ["ignored.py"]')?.slice(4)).toEqual(['python3', '-V', '/training_output/']);
    expect(trainingCommand('FROM x\nENTRYPOINT python3 /algo.py')?.slice(4)).toEqual(['/bin/sh', '-c', 'python3 /algo.py']);
    // Only a CMD: it runs as written (the original would have run "-V" and failed).
    expect(trainingCommand('FROM x\nCMD ["sh", "/app/algo.py"]')?.slice(4)).toEqual(['sh', '/app/algo.py']);
    expect(trainingCommand('FROM x')).toBeUndefined();
  });

  it('accepts only *.py and Dockerfile.dms uploads, and says what a training lacks', () => {
    expect(['algo.py', 'Dockerfile.dms', 'my.Dockerfile.dms', 'Dockerfile', 'notes.txt', 'readme.md', '.py'].map(uploadKind))
      .toEqual(['algorithm', 'dockerfile', 'dockerfile', undefined, undefined, undefined, undefined]);
    const meta = { id: 3, templateName: 'training-3', name: 'mnist' };
    const ready = trainingSpec(meta, { dockerfile: 'Dockerfile.dms', script: 'algo.py' }, 'FROM x\nENTRYPOINT ["python3", "/algo.py"]');
    expect(ready.missing).toEqual([]);
    expect(ready.spec).toMatchObject({
      name: 'training-3', runtime: 'docker', build: { context: '.', dockerfile: 'Dockerfile.dms' },
      labels: { 'regatta.compat': 'training', 'regatta.compat/training': '3', 'regatta.compat/name': 'mnist', 'regatta.compat/algorithm': 'algo.py' },
    });
    expect(trainingSpec(meta, {}, undefined).missing).toHaveLength(2);
    const noCmd = trainingSpec(meta, { dockerfile: 'Dockerfile.dms', script: 'algo.py' }, 'FROM x');
    expect(noCmd.missing).toEqual(['an ENTRYPOINT (or CMD) in Dockerfile.dms (what runs the script)']);
    expect(noCmd.spec.command).toBeUndefined();
  });

  it('shows run states as task states, and reads scores from the first source that has them', () => {
    expect(['queued', 'starting', 'building', 'running', 'cleanup', 'succeeded', 'canceled', 'failed', 'timed_out', 'lost'].map((s) => taskStatus(s as 'queued')))
      .toEqual(['created', 'created', 'building', 'training', 'training', 'complete', 'aborted', 'failure', 'failure', 'failure']);
    expect(pickScores({ test_loss: 0.3 }, null, { test_loss: 9, test_accuracy: '0.91' })).toEqual({ test_loss: 0.3, test_accuracy: 0.91 });
    expect(pickScores(undefined, [1], { test_accuracy: 'x' })).toEqual({ test_loss: null, test_accuracy: null });
  });
});
