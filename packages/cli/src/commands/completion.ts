/**
 * `regatta completion bash|zsh|fish`: a completion script made from the command tree itself, so it
 * never drifts from the commands. Install: `regatta completion bash > /etc/bash_completion.d/regatta`,
 * `regatta completion zsh > "${fpath[1]}/_regatta"`, `regatta completion fish > ~/.config/fish/completions/regatta.fish`.
 */
import type { Command } from 'commander';
import { RegattaError } from '@regatta/core';

interface Node { path: string[]; subcommands: string[]; options: string[] }

function walk(cmd: Command, path: string[] = []): Node[] {
  const node: Node = {
    path,
    subcommands: cmd.commands.map((c) => c.name()),
    options: cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined)),
  };
  return [node, ...cmd.commands.flatMap((c) => walk(c, [...path, c.name()]))];
}

function bash(nodes: Node[]): string {
  const cases = nodes.map((n) => `    "${n.path.join(' ')}") words="${[...n.subcommands, ...n.options].join(' ')}" ;;`).join('\n');
  return `# bash completion for regatta (regatta completion bash)
_regatta() {
  local cur path="" w words i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  # The command path: the leading words that are subcommands, before the current word.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && break
    case "\${path:+$path }$w" in
${nodes.filter((n) => n.path.length).map((n) => `      "${n.path.join(' ')}") path="${n.path.join(' ')}" ;;`).join('\n')}
      *) break ;;
    esac
  done
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  [[ \${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _regatta regatta
`;
}

function zsh(nodes: Node[]): string {
  return `#compdef regatta
# zsh completion for regatta (regatta completion zsh): the bash completion through bashcompinit.
autoload -U +X bashcompinit && bashcompinit
${bash(nodes)}`;
}

function fish(nodes: Node[]): string {
  const lines = ['# fish completion for regatta (regatta completion fish)', 'complete -c regatta -f'];
  for (const n of nodes) {
    const depth = n.path.length;
    // Fish sees the command path through __fish_seen_subcommand_from, one level at a time.
    const cond = depth === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${n.path[depth - 1] ?? ''}`;
    if (n.subcommands.length) lines.push(`complete -c regatta -n '${cond}' -a '${n.subcommands.join(' ')}'`);
    for (const o of n.options) lines.push(`complete -c regatta -n '${cond}' ${o.startsWith('--') ? `-l ${o.slice(2)}` : `-s ${o.slice(1)}`}`);
  }
  return lines.join('\n') + '\n';
}

export function completionCommand(program: Command): void {
  program
    .command('completion')
    .description('Print a shell completion script: regatta completion bash|zsh|fish')
    .argument('<shell>', 'bash, zsh or fish')
    .action((shell: string) => {
      const nodes = walk(program);
      const make = { bash, zsh, fish }[shell];
      if (!make) throw new RegattaError('invalid_request', `no completion for '${shell}': choose bash, zsh or fish`);
      process.stdout.write(make(nodes));
    });
}
