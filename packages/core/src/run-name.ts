/**
 * A run's name when the spec gives none, from its command: the script or program that does the work,
 * not the interpreter or shell around it (`python3 -u train.py` → `train`, `sh -c 'cd x && ./eval.sh'`
 * → `eval`, `python -m pkg.bench` → `pkg.bench`, `torchrun --nproc 4 fit.py` → `fit`).
 */
const WRAPPERS = new Set([
  'sh', 'bash', 'zsh', 'dash', 'env', 'exec', 'time', 'nice', 'nohup', 'stdbuf', 'timeout', 'srun', 'mpirun', 'mpiexec',
  'python', 'python2', 'python3', 'node', 'deno', 'bun', 'ruby', 'perl', 'Rscript', 'julia',
  'uv', 'poetry', 'pipenv', 'conda', 'npx', 'npm', 'pnpm', 'yarn', 'run', 'exec',
  'torchrun', 'accelerate', 'launch', 'deepspeed', 'horovodrun', 'sudo',
  // shell words around the command
  'cd', 'export', 'source', '.', 'set', 'do', 'done', 'then', 'fi', 'else', 'while', 'until', 'if', 'true', '!', '{', '}',
]);
const SCRIPT_EXT = /\.(py|sh|bash|js|mjs|cjs|ts|rb|pl|R|jl|ipynb)$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function tokens(command: string | readonly string[]): string[] {
  const argv = typeof command === 'string' ? [command] : [...command];
  // A shell string (sh -c '...', or a spec's string command) is split into its words.
  return argv.flatMap((a) => (/[\s;&|]/.test(a) ? a.split(/[\s;&|()]+/) : [a]))
    .map((w) => w.replace(/^['"]|['"]$/g, ''))
    .filter(Boolean);
}

export function deriveRunName(command: string | readonly string[]): string {
  const words = tokens(command);
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (w === 'for' || w === 'case' || w === 'select') {
      while (i < words.length && words[i] !== 'do' && words[i] !== 'in') i++;
      if (words[i] === 'in') while (i < words.length && words[i] !== 'do') i++;
      continue;
    }
    if (w === 'cd' || w === 'timeout') {
      i++; // its argument is a directory or a duration, not the work
      continue;
    }
    if ((w === '-m' || w === '--module') && words[i + 1]) return clean(words[i + 1] ?? '');
    // Flags and their numeric values, assignments, variables, wrappers: not the work itself.
    if (/^[-$]/.test(w) || /^[\d.:]+$/.test(w) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(w) || WRAPPERS.has(w) || /^python\d/.test(w)) continue;
    const name = clean(w);
    if (name) return name;
  }
  // Only wrappers and shell words (`true`, `bash`): the first of them still says more than "run".
  return words.filter((w) => !w.startsWith('$')).map(clean).find(Boolean) ?? 'run';
}

function clean(word: string): string {
  const base = (word.split('/').pop() ?? '').replace(SCRIPT_EXT, '').replace(/[^A-Za-z0-9._-]/g, '').slice(0, 63);
  return NAME_RE.test(base) ? base : '';
}
