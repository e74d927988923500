/** Borderless, column-aligned tables (kubectl style) built on cli-table3. */
import Table from 'cli-table3';

const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '   ',
};

export function renderTable(head: string[], rows: string[][]): string {
  const table = new Table({
    head,
    chars: BORDERLESS,
    // No colours: output is identical on a terminal, in a pipe and in tests.
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) table.push(row);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n') + '\n';
}

/** `Key:   value` lines for describe views. */
export function renderFields(fields: [string, string][], indent = ''): string {
  const width = Math.max(0, ...fields.map(([k]) => k.length)) + 2;
  return fields.map(([k, v]) => `${indent}${`${k}:`.padEnd(width)}${v}`).join('\n') + '\n';
}

export function indentBlock(text: string, indent: string): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? l : indent + l))
    .join('\n');
}
