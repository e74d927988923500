/** JSON with object keys sorted, two-space indented: two revisions print alike where they are alike. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v as object).sort()) out[k] = sort((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2);
}

export interface DiffLine {
  kind: 'same' | 'added' | 'removed';
  text: string;
  /** 1-based line numbers in the old and the new text (absent on the side the line is not in). */
  oldLine?: number;
  newLine?: number;
}

/**
 * A line diff (longest common subsequence), enough for task definitions of
 * a few hundred lines: O(n*m) memory is bounded by refusing more than
 * 4,000 lines a side, where the caller shows both texts instead.
 */
export function diffLines(oldText: string, newText: string): DiffLine[] | undefined {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  if (a.length > 4000 || b.length > 4000) return undefined;
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: LCS length of a[i..] and b[j..], in one flat array.
  const lcs = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => i * (m + 1) + j;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[at(i, j)] = a[i] === b[j] ? lcs[at(i + 1, j + 1)]! + 1 : Math.max(lcs[at(i + 1, j)]!, lcs[at(i, j + 1)]!);
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ kind: 'same', text: a[i]!, oldLine: i + 1, newLine: j + 1 });
      i++;
      j++;
    } else if (j < m && (i === n || lcs[at(i, j + 1)]! > lcs[at(i + 1, j)]!)) {
      out.push({ kind: 'added', text: b[j]!, newLine: j + 1 });
      j++;
    } else {
      out.push({ kind: 'removed', text: a[i]!, oldLine: i + 1 });
      i++;
    }
  }
  return out;
}

/** What RegisterTaskDefinition takes back from a DescribeTaskDefinition result: the fields ECS sets itself are dropped. */
const SERVER_FIELDS = ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy', 'deregisteredAt'];

export function registrableTaskDefinition(td: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(td)) if (!SERVER_FIELDS.includes(k)) out[k] = v;
  return out;
}

/** The same task definition with every container's image replaced (a deploy of a new image). */
export function withImage(td: Record<string, unknown>, container: string, image: string): Record<string, unknown> {
  const defs = Array.isArray(td['containerDefinitions']) ? (td['containerDefinitions'] as Record<string, unknown>[]) : [];
  if (!defs.some((c) => c['name'] === container)) throw new Error(`the task definition has no container named ${container}`);
  return { ...td, containerDefinitions: defs.map((c) => (c['name'] === container ? { ...c, image } : c)) };
}
