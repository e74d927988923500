/**
 * Things derived from the whole command tree once it is built: the aliases
 * people used to kubectl and nomad type (`ls`, `rm`, `get`), and the bash
 * completion script, generated from the tree so it never falls behind it.
 */
import { Argument, type Command, type Option } from 'commander';
import type { Io } from './context';

/** Verb -> alias, added wherever the verb exists and the alias is not a command of its own. */
export const ALIASES: Readonly<Record<string, string>> = { list: 'ls', delete: 'rm', describe: 'get' };

export function addAliases(cmd: Command): void {
  const taken = new Set(cmd.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  for (const sub of cmd.commands) {
    const alias = ALIASES[sub.name()];
    if (alias !== undefined && !taken.has(alias)) {
      sub.alias(alias);
      taken.add(alias);
    }
    addAliases(sub);
  }
}

interface Node {
  path: string;
  words: string[];
}

function flagsOf(options: readonly Option[]): string[] {
  return options.flatMap((o) => [o.long, o.short].filter((f): f is string => typeof f === 'string' && f !== ''));
}

function collect(cmd: Command, path: string[], out: Node[], valueFlags: Set<string>): void {
  const words = [...cmd.commands.flatMap((c) => [c.name(), ...c.aliases()]), ...flagsOf(cmd.options), '--help'];
  out.push({ path: path.join(' '), words });
  for (const o of cmd.options) {
    if (o.required || o.optional) for (const f of flagsOf([o])) valueFlags.add(f);
  }
  for (const c of cmd.commands) {
    // Aliases resolve to the same node: completion follows `ls` as it follows `list`.
    for (const n of [c.name(), ...c.aliases()]) collect(c, [...path, n], out, valueFlags);
  }
}

const shellWord = (s: string) => (/^[A-Za-z0-9_.:/=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The bash completion script for `program` (source it, or put it in /etc/bash_completion.d/). */
export function bashCompletion(program: Command): string {
  const nodes: Node[] = [];
  const valueFlags = new Set<string>();
  collect(program, [], nodes, valueFlags);
  const globalFlags = flagsOf(program.options);
  // Command names are plain words, so a path quotes safely in double quotes.
  const cases = nodes.map((n) => `    "${n.path}") echo ${n.words.map(shellWord).join(' ')} ;;`).join('\n');
  return `# bash completion for stevedore, generated from its command tree: stevedore completion bash
_stevedore_words() {
  case "$1" in
${cases}
  esac
}
_stevedore() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w i skip=0 words
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case " ${[...valueFlags].join(' ')} " in *" $w "*) skip=1; continue ;; esac
    [[ $w == -* ]] && continue
    words=" $(_stevedore_words "$path") "
    [[ $words == *" $w "* ]] && path="\${path:+$path }$w"
  done
  if ((skip)); then COMPREPLY=(); return; fi
  words="$(_stevedore_words "$path")"
  [[ $cur == -* ]] && words="$words ${globalFlags.join(' ')}"
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _stevedore stevedore
`;
}

export function completionCommand(program: Command, io: Io): void {
  program
    .command('completion')
    .description('print a shell completion script: source <(stevedore completion bash)')
    .addArgument(new Argument('<shell>', 'bash (zsh reads it too, after `autoload bashcompinit && bashcompinit`)').choices(['bash']))
    .action(() => {
      io.stdout.write(bashCompletion(program));
    });
}
