import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from '../api/api-client';
import type { Capabilities } from '../session/permissions';
import type { StoredSession } from '../session/credentials';

export interface AppState {
  client: ApiClient;
  session: StoredSession;
  caps: Capabilities;
  readOnly: boolean;
  signOut(message?: string): void;
  /** Shows a short status message (role=status) after an action. */
  notify(message: string): void;
}

export const AppContext = createContext<AppState | undefined>(undefined);

export function useApp(): AppState {
  const s = useContext(AppContext);
  if (!s) throw new Error('useApp outside the signed-in app');
  return s;
}
