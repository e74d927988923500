import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiClient, ApiError } from '../api/api-client';
import { clearSession, loadSession, saveSession, type StoredSession } from '../session/credentials';
import { actionsToCheck, capabilitiesFrom, isReadOnly, NO_CAPABILITIES, type Capabilities, type EvaluationResult } from '../session/permissions';
import { hrefOf, type Route } from '../routing/routes';
import { AppContext, type AppState } from './app-context';
import { browserTransport } from './transport';
import { Link, navigate, useRoute } from './router';
import { SignIn } from './pages/signin';
import { ClustersPage } from './pages/clusters';
import { ClusterPage } from './pages/cluster';
import { ServicePage } from './pages/service';
import { TaskPage } from './pages/task';
import { InstancePage } from './pages/instance';
import { TaskDefinitionsPage, TaskDefinitionPage } from './pages/task-definitions';
import { LoadBalancersPage, LoadBalancerPage } from './pages/load-balancers';
import { SecretsPage, SchedulesPage } from './pages/secrets';
import * as data from './data';

/** Resources the permission check evaluates: any resource, and each cluster's (a key may be scoped to some clusters). */
async function capabilitiesOf(client: ApiClient): Promise<Capabilities> {
  let resourceArns = ['*'];
  try {
    const cs = await data.clusters(client);
    for (const c of cs.slice(0, 4)) {
      const base = c.clusterArn.slice(0, c.clusterArn.indexOf(':cluster/'));
      resourceArns.push(c.clusterArn, `${base}:service/${c.clusterName}/*`, `${base}:task/${c.clusterName}/*`, `${base}:container-instance/${c.clusterName}/*`);
    }
  } catch {
    resourceArns = ['*'];
  }
  const r = await client.call<{ evaluationResults: EvaluationResult[] }>('stevedore', 'GetCallerPermissions', { actionNames: actionsToCheck(), resourceArns });
  return capabilitiesFrom(r.evaluationResults);
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'clusters':
    case 'signin':
      return <ClustersPage />;
    case 'cluster':
      return <ClusterPage cluster={route.cluster} />;
    case 'service':
      return <ServicePage cluster={route.cluster} service={route.service} />;
    case 'task':
      return <TaskPage cluster={route.cluster} task={route.task} />;
    case 'instance':
      return <InstancePage cluster={route.cluster} instance={route.instance} />;
    case 'task-definitions':
      return <TaskDefinitionsPage />;
    case 'task-definition':
      return <TaskDefinitionPage family={route.family} {...(route.revision !== undefined ? { revision: route.revision } : {})} />;
    case 'load-balancers':
      return <LoadBalancersPage />;
    case 'load-balancer':
      return <LoadBalancerPage name={route.name} />;
    case 'secrets':
      return <SecretsPage />;
    case 'schedules':
      return <SchedulesPage />;
    case 'not-found':
      return (
        <p>
          No page at {route.path}. <Link to={{ page: 'clusters' }}>Clusters</Link>
        </p>
      );
  }
}

const NAV: [string, Route][] = [
  ['Clusters', { page: 'clusters' }],
  ['Task definitions', { page: 'task-definitions' }],
  ['Load balancers', { page: 'load-balancers' }],
  ['Secrets', { page: 'secrets' }],
  ['Schedules', { page: 'schedules' }],
];

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<StoredSession | undefined>(() => loadSession(sessionStorage, Date.now()));
  const [caps, setCaps] = useState<Capabilities | undefined>();
  const [signedOutMessage, setSignedOutMessage] = useState<string>();
  const [status, setStatus] = useState('');
  const client = useMemo(() => (session ? new ApiClient(session.credentials, session.region, browserTransport) : undefined), [session]);

  const signOut = (message?: string) => {
    clearSession(sessionStorage);
    setSession(undefined);
    setCaps(undefined);
    setSignedOutMessage(message);
    navigate({ page: 'signin' }, true);
  };

  useEffect(() => {
    if (!client) return;
    setCaps(undefined);
    capabilitiesOf(client)
      .then(setCaps)
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.isAuthFailure) signOut(`Signed out: ${e.message}`);
        // Without an answer the console offers nothing it cannot check; the API decides anyway.
        else setCaps(NO_CAPABILITIES);
      });
  }, [client]);

  // A console session ends at its expiry, even on an idle page.
  useEffect(() => {
    if (!session?.expiresAt) return;
    const t = setTimeout(() => signOut('Your console session expired. Run stevedore console for a new one.'), Math.max(0, session.expiresAt - Date.now()));
    return () => clearTimeout(t);
  }, [session]);

  if (!session || !client) {
    return (
      <SignIn
        {...(signedOutMessage ? { message: signedOutMessage } : {})}
        onSignedIn={(s) => {
          saveSession(sessionStorage, s);
          setSignedOutMessage(undefined);
          setSession(s);
          if (route.page === 'signin') navigate({ page: 'clusters' }, true);
        }}
      />
    );
  }
  if (!caps) return <p class="loading">Loading…</p>;
  const readOnly = isReadOnly(caps);
  const state: AppState = { client, session, caps, readOnly, signOut, notify: setStatus };
  return (
    <AppContext.Provider value={state}>
      <a class="skip-link" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={hrefOf({ page: 'clusters' })} onClick={(e) => (e.preventDefault(), navigate({ page: 'clusters' }))}>
          Stevedore
        </a>
        <nav aria-label="Main">
          {NAV.map(([label, r]) => (
            <Link key={label} to={r} class={r.page === route.page || (r.page === 'clusters' && ['cluster', 'service', 'task', 'instance'].includes(route.page)) ? 'current' : ''}>
              {label}
            </Link>
          ))}
        </nav>
        <div class="who">
          {readOnly ? (
            <span class="badge badge-neutral" title="This key's policy allows no changes">
              read-only
            </span>
          ) : null}
          <span class="muted">{session.label}</span>
          <button type="button" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <p class="status" role="status" aria-live="polite">
          {status}
        </p>
        <Page route={route} />
      </main>
    </AppContext.Provider>
  );
}
