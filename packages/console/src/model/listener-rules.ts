/**
 * An ELBv2 listener rule in words, as the console lists it: its conditions
 * (`path-pattern /api/*`, `host-header a.example, b.example`) and where it
 * sends requests (`forward to web-tg`, `fixed-response 404`, `redirect`).
 */
interface Condition {
  Field?: string;
  Values?: string[];
  [config: string]: unknown;
}

interface Action {
  Type?: string;
  TargetGroupArn?: string;
  ForwardConfig?: { TargetGroups?: { TargetGroupArn?: string; Weight?: number }[] };
  FixedResponseConfig?: { StatusCode?: string };
  RedirectConfig?: { Host?: string; Path?: string; StatusCode?: string };
}

/** `targetgroup/<name>/<id>` in an ARN: the name. */
const tgName = (arn: string | undefined) => (arn ? (/targetgroup\/([^/]+)/.exec(arn)?.[1] ?? arn) : '?');

function conditionValues(c: Condition): string[] {
  if (Array.isArray(c.Values) && c.Values.length > 0) return c.Values;
  // Newer shapes keep the values in a per-field config (PathPatternConfig, HostHeaderConfig, HttpHeaderConfig...).
  for (const [k, v] of Object.entries(c)) {
    if (!k.endsWith('Config') || !v || typeof v !== 'object') continue;
    const cfg = v as { Values?: unknown; HttpHeaderName?: unknown; Values_?: unknown };
    const vals = Array.isArray(cfg.Values) ? cfg.Values.map(String) : [];
    if (typeof cfg.HttpHeaderName === 'string') return [`${cfg.HttpHeaderName}: ${vals.join(', ')}`];
    if (vals.length > 0) return vals;
  }
  return [];
}

export function conditionsText(conditions: readonly Condition[] | undefined): string {
  if (!conditions || conditions.length === 0) return 'any request';
  return conditions.map((c) => `${c.Field ?? '?'} ${conditionValues(c).join(', ')}`.trim()).join(' and ');
}

export function actionsText(actions: readonly Action[] | undefined): string {
  if (!actions || actions.length === 0) return 'no action';
  return actions
    .map((a) => {
      if (a.Type === 'forward') {
        const groups = a.ForwardConfig?.TargetGroups ?? (a.TargetGroupArn ? [{ TargetGroupArn: a.TargetGroupArn }] : []);
        return `forward to ${groups.map((g) => `${tgName(g.TargetGroupArn)}${g.Weight !== undefined && groups.length > 1 ? ` (weight ${g.Weight})` : ''}`).join(', ')}`;
      }
      if (a.Type === 'fixed-response') return `fixed-response ${a.FixedResponseConfig?.StatusCode ?? ''}`.trim();
      if (a.Type === 'redirect') return `redirect ${a.RedirectConfig?.StatusCode ?? ''}`.trim();
      return a.Type ?? '?';
    })
    .join(', then ');
}
