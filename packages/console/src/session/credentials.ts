import type { Credentials } from '../api/signing';

/** What the console keeps of a sign-in: in sessionStorage only (gone with the tab), never sent but as signatures. */
export interface StoredSession {
  credentials: Credentials;
  region: string;
  /** Epoch ms; absent for a long-term access key. */
  expiresAt?: number;
  /** What the header shows: the key id, or the role and key a console session was opened for. */
  label: string;
}

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const KEY = 'stevedore.console.session';
const ACCESS_KEY_ID_RE = /^[A-Z0-9]{16,128}$/;

export function saveSession(storage: KeyValueStorage, s: StoredSession): void {
  storage.setItem(KEY, JSON.stringify(s));
}

export function clearSession(storage: KeyValueStorage): void {
  storage.removeItem(KEY);
}

/** The stored session, or undefined when there is none, it is malformed, or it has expired. */
export function loadSession(storage: KeyValueStorage, nowMs: number): StoredSession | undefined {
  const raw = storage.getItem(KEY);
  if (!raw) return undefined;
  try {
    const s = JSON.parse(raw) as StoredSession;
    if (!s || typeof s !== 'object' || !s.credentials || typeof s.credentials.secretAccessKey !== 'string' || !ACCESS_KEY_ID_RE.test(String(s.credentials.accessKeyId))) return undefined;
    if (typeof s.region !== 'string' || !s.region) return undefined;
    if (s.expiresAt !== undefined && s.expiresAt <= nowMs) {
      clearSession(storage);
      return undefined;
    }
    return s;
  } catch {
    return undefined;
  }
}

/** Checks a typed-in key pair before any request: a clear message beats a signature error. */
export function validateKeyPair(accessKeyId: string, secretAccessKey: string): string | undefined {
  if (!accessKeyId.trim()) return 'Enter an access key id.';
  if (!ACCESS_KEY_ID_RE.test(accessKeyId.trim())) return 'An access key id is 16 or more capital letters and digits (AKIA...).';
  if (!secretAccessKey) return 'Enter the secret access key.';
  return undefined;
}

/** The sign-in token of a `stevedore console` URL: `#token=...` in the fragment, which is never sent to a server. */
export function signinTokenOf(hash: string): string | undefined {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const t = params.get('token');
  return t && /^svs1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/.test(t) ? t : undefined;
}
