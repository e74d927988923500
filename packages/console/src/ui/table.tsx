import type { ComponentChildren } from 'preact';

export interface Column<T> {
  header: string;
  cell: (row: T) => ComponentChildren;
  /** `wrap` for long values (ARNs, images) that may break anywhere. */
  class?: string;
}

/**
 * The console's one table: a header row of named columns, a row per item,
 * and optionally a last column of per-row actions (buttons that act on that
 * row). `empty` is shown instead of a table without rows.
 */
export function Table<T>(props: {
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  /** A caption for screen readers (the section heading usually names the table). */
  label?: string;
  class?: string;
  rowAttrs?: (row: T) => Record<string, string | undefined>;
  actions?: { header: string; cell: (row: T) => ComponentChildren };
  empty?: ComponentChildren;
}) {
  if (props.rows.length === 0 && props.empty !== undefined) return <>{props.empty}</>;
  return (
    <table class={props.class}>
      {props.label ? <caption class="sr-only">{props.label}</caption> : null}
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th key={c.header} scope="col">
              {c.header}
            </th>
          ))}
          {props.actions ? <th scope="col">{props.actions.header}</th> : null}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr key={props.rowKey(r)} {...(props.rowAttrs?.(r) ?? {})}>
            {props.columns.map((c) => (
              <td key={c.header} class={c.class}>
                {c.cell(r)}
              </td>
            ))}
            {props.actions ? <td class="row-actions">{props.actions.cell(r)}</td> : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
