import { InvalidParameterException } from '../errors';

/**
 * ExecuteCommand's `command` is one string (ECS's shape); Docker runs an
 * argv. It is split into words the way a POSIX shell splits a simple
 * command, quotes and backslashes included, and nothing more: no variables,
 * globs or operators, which only a shell in the container would give it
 * (`sh -c '...'`), as with ECS Exec. A malformed string is refused, naming
 * the field, rather than run as something else.
 */
export function splitCommand(command: string, field = 'command'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && i + 1 < command.length && '"\\$`\n'.includes(command[i + 1]!)) word += command[++i]!;
      else word += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\') {
      if (i + 1 >= command.length) throw new InvalidParameterException(`${field} ends with an unescaped backslash.`, field);
      word += command[++i]!;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new InvalidParameterException(`${field} has an unterminated ${quote === "'" ? 'single' : 'double'} quote.`, field);
  if (inWord) words.push(word);
  if (words.length === 0) throw new InvalidParameterException(`${field} must name a program to run.`, field);
  return words;
}

/** The reverse, for clients: an argv as one command string that splitCommand gives back unchanged. */
export function joinCommand(argv: readonly string[]): string {
  return argv.map((a) => (a !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
