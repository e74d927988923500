import { useEffect, useState } from 'preact/hooks';
import { ApiClient, redeemSigninToken } from '../../api/api-client';
import { signinTokenOf, validateKeyPair, type StoredSession } from '../../session/credentials';
import { browserTransport } from '../transport';
import { ErrorText } from '../components';

/** Checks credentials with one signed call before keeping them. */
async function verify(session: StoredSession): Promise<void> {
  const client = new ApiClient(session.credentials, session.region, browserTransport);
  await client.call('stevedore', 'GetCallerPermissions', { actionNames: ['ecs:ListClusters'] });
}

export function SignIn(props: { onSignedIn: (s: StoredSession) => void; message?: string }) {
  const [accessKeyId, setAccessKeyId] = useState('');
  const [secret, setSecret] = useState('');
  const [region, setRegion] = useState('us-east-1');
  const [error, setError] = useState<string | undefined>(props.message);
  const [busy, setBusy] = useState(false);

  // A `stevedore console` link: redeem its one-time token at once, then drop it from the address bar.
  useEffect(() => {
    const token = signinTokenOf(location.hash);
    if (!token) return;
    history.replaceState(null, '', location.pathname);
    setBusy(true);
    redeemSigninToken(browserTransport, token)
      .then((r) =>
        props.onSignedIn({
          credentials: { accessKeyId: r.credentials.accessKeyId, secretAccessKey: r.credentials.secretAccessKey, sessionToken: r.credentials.sessionToken },
          region: r.region ?? 'us-east-1',
          expiresAt: r.credentials.expiration * 1000,
          label: `${r.roleName} (console session of ${r.sourceAccessKeyId})`,
        }),
      )
      .catch((e: unknown) => setError(`Sign-in failed: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => setBusy(false));
  }, []);

  return (
    <main class="signin">
      <h1>Stevedore console</h1>
      <form
        aria-label="Sign in"
        onSubmit={async (e) => {
          e.preventDefault();
          const problem = validateKeyPair(accessKeyId, secret);
          if (problem) return setError(problem);
          const s: StoredSession = { credentials: { accessKeyId: accessKeyId.trim(), secretAccessKey: secret }, region: region.trim() || 'us-east-1', label: accessKeyId.trim() };
          setBusy(true);
          setError(undefined);
          try {
            await verify(s);
            props.onSignedIn(s);
          } catch (err) {
            setError(`Sign-in failed: ${err instanceof Error ? err.message : String(err)}`);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label>
          Access key id
          <input name="accessKeyId" autocomplete="username" value={accessKeyId} onInput={(e) => setAccessKeyId(e.currentTarget.value)} />
        </label>
        <label>
          Secret access key
          <input name="secretAccessKey" type="password" autocomplete="current-password" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />
        </label>
        <label>
          Region
          <input name="region" value={region} onInput={(e) => setRegion(e.currentTarget.value)} />
        </label>
        <ErrorText error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="muted">
          The secret stays in this tab (session storage) and is only used to sign requests. Or run <code>stevedore console</code> for a one-time sign-in link.
        </p>
      </form>
    </main>
  );
}
