import type { Writer } from '../context';

/** `--output json`: the API's own objects, pretty-printed, one document. */
export function printJson(out: Writer, value: unknown): void {
  out.write(JSON.stringify(value, null, 2) + '\n');
}
