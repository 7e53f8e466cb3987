import { describe, expect, it } from 'vitest';
import { dockerfileCommand, pickScores, taskStatus, trainingFiles, trainingSpec } from './training-spec.js';

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

  it('tells the Dockerfile from the script and says what is missing', () => {
    expect(trainingFiles(['algo.py', 'Dockerfile.dms', 'notes.txt'])).toEqual({ dockerfile: 'Dockerfile.dms', script: 'algo.py' });
    expect(trainingFiles(['Dockerfile', 'Dockerfile.gpu'], 'Dockerfile.gpu')).toEqual({ dockerfile: 'Dockerfile.gpu' });
    expect(trainingFiles(['run.sh', 'train.dockerfile'])).toEqual({ dockerfile: 'train.dockerfile', script: 'run.sh' });
    const meta = { id: 3, templateName: 'training-3', name: 'mnist' };
    const ready = trainingSpec(meta, { dockerfile: 'Dockerfile.dms', script: 'algo.py' }, 'FROM x\nCMD ["sh", "algo.py"]');
    expect(ready).toEqual({
      missing: [],
      spec: {
        name: 'training-3', runtime: 'docker', build: { context: '.', dockerfile: 'Dockerfile.dms' }, command: ['sh', 'algo.py'],
        labels: { 'regatta.compat': 'training', 'regatta.compat/training': '3', 'regatta.compat/name': 'mnist' },
      },
    });
    expect(trainingSpec(meta, {}, undefined).missing).toHaveLength(2);
    const noCmd = trainingSpec(meta, { dockerfile: 'Dockerfile', script: 'algo.py' }, 'FROM x');
    expect(noCmd.missing).toEqual(['a CMD or ENTRYPOINT in Dockerfile (what runs the script)']);
    expect(noCmd.spec.command).toBeUndefined();
  });

  it('shows run states as task states, and reads scores from the first source that has them', () => {
    expect(['queued', 'starting', 'building', 'running', 'cleanup', 'succeeded', 'canceled', 'failed', 'timed_out', 'lost'].map((s) => taskStatus(s as 'queued')))
      .toEqual(['created', 'created', 'building', 'training', 'training', 'complete', 'aborted', 'failure', 'failure', 'failure']);
    expect(pickScores({ test_loss: 0.3 }, null, { test_loss: 9, test_accuracy: '0.91' })).toEqual({ test_loss: 0.3, test_accuracy: 0.91 });
    expect(pickScores(undefined, [1], { test_accuracy: 'x' })).toEqual({ test_loss: null, test_accuracy: null });
  });
});
