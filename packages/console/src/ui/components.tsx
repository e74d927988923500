import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { percentOf, type CapacityBar } from '../model/capacity';

export function StatusBadge({ value }: { value: string | undefined }) {
  const v = value ?? '-';
  const tone = /^(ACTIVE|RUNNING|HEALTHY|COMPLETED|PRIMARY|healthy|allowed)$/.test(v) ? 'ok' : /^(FAILED|STOPPED|UNHEALTHY|INACTIVE|unhealthy|DRAINING)$/.test(v) ? 'bad' : 'neutral';
  return <span class={`badge badge-${tone}`}>{v}</span>;
}

export function ErrorText({ error }: { error: string | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

export function Section(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const id = `s-${props.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section aria-labelledby={id} class="section">
      <div class="section-head">
        <h2 id={id}>{props.title}</h2>
        {props.actions ? <div class="actions">{props.actions}</div> : null}
      </div>
      {props.children}
    </section>
  );
}

/** A capacity bar: registered is the whole, reserved shaded, used as a marker line. */
export function Bar({ bar, label }: { bar: CapacityBar; label: string }) {
  const reserved = percentOf(bar.reserved, bar.registered);
  const used = percentOf(bar.used, bar.registered);
  const text = `${label} ${bar.resource}: ${bar.reserved} of ${bar.registered} ${bar.unit} reserved${bar.used !== undefined ? `, ${Math.round(bar.used)} used` : ''}`;
  return (
    <div class="bar-row">
      <span class="bar-label">{bar.resource === 'CPU' ? 'CPU' : 'Memory'}</span>
      <div class="bar" role="meter" aria-label={text} aria-valuemin={0} aria-valuemax={bar.registered} aria-valuenow={bar.reserved} title={text}>
        <div class="bar-reserved" style={{ width: `${reserved}%` }} />
        {bar.used !== undefined ? <div class="bar-used" style={{ width: `${used}%` }} /> : null}
      </div>
      <span class="bar-text">
        {bar.reserved}/{bar.registered}
        {bar.used !== undefined ? ` (used ${Math.round(bar.used)})` : ''}
      </span>
    </div>
  );
}

export function Progress({ percent, label }: { percent: number; label: string }) {
  return (
    <div class="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
      <div class="progress-fill" style={{ width: `${percent}%` }} />
    </div>
  );
}

/**
 * A confirmation step for every action: a modal <dialog> (focus moves into
 * it, Escape cancels), the action's own form inside, its error shown in
 * place. `run` throws to keep the dialog open with the message.
 */
export function ActionButton(props: { label: string; title: string; confirmLabel?: string; danger?: boolean; children?: ComponentChildren; run: () => Promise<void>; disabled?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const d = ref.current;
    const onClose = () => setError(undefined);
    d?.addEventListener('close', onClose);
    return () => d?.removeEventListener('close', onClose);
  }, []);
  return (
    <>
      <button type="button" class={props.danger ? 'danger' : ''} disabled={props.disabled} onClick={() => ref.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={ref} aria-label={props.title}>
        <form
          method="dialog"
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            setError(undefined);
            try {
              await props.run();
              ref.current?.close();
            } catch (err) {
              setError(err instanceof Error ? err.message : String(err));
            } finally {
              setBusy(false);
            }
          }}
        >
          <h2>{props.title}</h2>
          {props.children}
          <ErrorText error={error} />
          <div class="dialog-buttons">
            <button type="button" onClick={() => ref.current?.close()}>
              Cancel
            </button>
            <button type="submit" class={props.danger ? 'danger' : 'primary'} disabled={busy}>
              {busy ? 'Working…' : (props.confirmLabel ?? 'Confirm')}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

export function fmtTime(epochSeconds: number | undefined): string {
  if (epochSeconds === undefined) return '-';
  return new Date(epochSeconds * 1000).toLocaleString();
}
