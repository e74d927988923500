/**
 * Finding where in a pasted JSON text an API error points: the API names
 * the field in its message (`containerDefinitions[0].memory: ...`), and the
 * console marks that line of what the user typed.
 */

export type PathSegment = string | number;

/** `containerDefinitions[0].memory` -> ['containerDefinitions', 0, 'memory']. */
export function parseFieldPath(path: string): PathSegment[] | undefined {
  const out: PathSegment[] = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\./gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(path)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    last = re.lastIndex;
  }
  return last === path.length && out.length > 0 ? out : undefined;
}

/** The longest field path in an error message whose first name is a key of the submitted object. */
export function fieldOfMessage(message: string, topLevelKeys: readonly string[]): string | undefined {
  const candidates = message.match(/[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\]|\.[A-Za-z_][A-Za-z0-9_]*)*/g) ?? [];
  const keys = new Set(topLevelKeys);
  return candidates.filter((c) => keys.has(c.split(/[.[]/)[0]!)).sort((x, y) => y.length - x.length)[0];
}

interface Position {
  line: number;
  column: number;
}

/**
 * The position (1-based line and column) of the value at `path` in a JSON
 * text, or of its deepest existing ancestor (a missing member is reported
 * where its object is). A small scanner, since JSON.parse keeps no positions.
 */
export function locateJsonPath(text: string, path: readonly PathSegment[]): Position | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const posOf = (k: number): Position => {
    const before = text.slice(0, k).split('\n');
    return { line: before.length, column: before[before.length - 1]!.length + 1 };
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  // Skips one value; returns nothing.
  const skip = (): void => {
    ws();
    const c = text[i];
    if (c === '"') {
      str();
      return;
    }
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          str();
          ws();
          i++; // :
        }
        skip();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        i++; // close
        return;
      }
    }
    while (i < text.length && !/[\s,}\]]/.test(text[i]!)) i++;
  };
  // Walks to path[depth] inside the value starting at i.
  const walk = (depth: number): Position | undefined => {
    ws();
    const here = posOf(i);
    if (depth === path.length) return here;
    const seg = path[depth];
    const c = text[i];
    if (c === '{' && typeof seg === 'string') {
      i++;
      ws();
      if (text[i] === '}') return here;
      for (;;) {
        ws();
        if (text[i] !== '"') return here;
        const keyAt = i;
        const key = str();
        ws();
        if (text[i] !== ':') return here;
        i++;
        if (key === seg) {
          const found = walk(depth + 1);
          return found ?? posOf(keyAt);
        }
        skip();
        ws();
        if (text[i] !== ',') return here;
        i++;
      }
    }
    if (c === '[' && typeof seg === 'number') {
      i++;
      ws();
      if (text[i] === ']') return here;
      for (let n = 0; ; n++) {
        if (n === seg) return walk(depth + 1);
        skip();
        ws();
        if (text[i] !== ',') return here;
        i++;
      }
    }
    return here;
  };
  try {
    return walk(0);
  } catch {
    return undefined;
  }
}

/** Character offsets of a 1-based line's text (without its newline), to select it in a textarea; undefined past the end. */
export function lineRange(text: string, line: number): { start: number; end: number } | undefined {
  if (!Number.isInteger(line) || line < 1) return undefined;
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  const nl = text.indexOf('\n', start);
  return { start, end: nl < 0 ? text.length : nl };
}
