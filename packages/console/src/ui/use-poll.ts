import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/api-client';
import { nextPollDelay } from '../model/poll-schedule';
import { useApp } from './app-context';

export interface Polled<T> {
  data?: T;
  error?: string;
  loading: boolean;
  /** Polls now (after an action), instead of at the next tick. */
  refresh(): void;
}

/**
 * Loads a page's data, then keeps it live: polls on nextPollDelay's
 * schedule (fast while `isActive(data)`, backing off on errors, paused while
 * the tab is hidden and polled at once when it shows again). Credentials
 * the API no longer takes sign the user out.
 */
export function usePoll<T>(load: () => Promise<T>, deps: unknown[], isActive: (d: T) => boolean = () => false): Polled<T> {
  const { signOut } = useApp();
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const kick = useRef<() => void>(() => undefined);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let active = false;
    let running = false;
    // A refresh asked for while a poll is under way runs right after it (the poll may predate the change).
    let again = false;
    setState({ loading: true });
    const schedule = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (stopped) return;
      const delay = nextPollDelay({ failures, active, hidden: document.hidden });
      if (delay !== undefined) timer = setTimeout(() => void tick(), delay);
    };
    const tick = async () => {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      again = false;
      try {
        const data = await load();
        if (stopped) return;
        failures = 0;
        active = isActive(data);
        setState({ data, loading: false });
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && e.isAuthFailure) {
          signOut(`Signed out: ${e.message}`);
          return;
        }
        failures++;
        setState((s) => ({ ...s, error: e instanceof Error ? e.message : String(e), loading: false }));
      } finally {
        running = false;
      }
      if (again) void tick();
      else schedule();
    };
    kick.current = () => void tick();
    const onVisibility = () => (document.hidden ? schedule() : void tick());
    document.addEventListener('visibilitychange', onVisibility);
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return { ...state, refresh: () => kick.current() };
}
