import Module from 'node:module';

/**
 * The agent runs on every host, so its resident memory is a cost paid many
 * times. Parts of dockerode the agent never uses are replaced by stubs before
 * dockerode loads (each throws if ever called):
 * - docker-modem's SSH transport (ssh2 and its crypto bindings): the agent
 *   reaches dockerd over a unix socket or TCP, never SSH;
 * - dockerode's BuildKit session (a second copy of @grpc/proto-loader, uuid):
 *   only `buildImage` uses it;
 * - tar-fs and @balena/dockerignore (build contexts): only `buildImage` packs one.
 * The other trims: the agent imports core through `@stevedore/core/host`
 * (not the control plane's logic), the Dispatcher service is built with
 * protobufjs (not proto-loader's descriptors), and node flags
 * (AGENT_NODE_FLAGS in node-flags.ts): in the bin's shebang, the systemd
 * unit, scripts/local-cluster.sh, the local host-group provisioner and the
 * test harness. footprint.test.ts checks what the agent loads.
 */
const UNUSED = [
  { module: 'docker-modem/lib/ssh.js', what: 'SSH transport to dockerd', instead: 'use a unix socket or tcp:// DOCKER_HOST' },
  { module: 'dockerode/lib/session.js', what: 'BuildKit sessions (buildImage)', instead: 'build images outside the agent' },
  { module: 'tar-fs', what: 'tar archives of build contexts (buildImage)', instead: 'build images outside the agent' },
  { module: '@balena/dockerignore', what: '.dockerignore handling (buildImage)', instead: 'build images outside the agent' },
] as const;

export function trimFootprint(): void {
  let from: string;
  try {
    from = require.resolve('dockerode');
  } catch {
    return;
  }
  for (const u of UNUSED) {
    try {
      const file = require.resolve(u.module, { paths: [from] });
      const stub = new Module(file);
      stub.filename = file;
      stub.loaded = true;
      const refuse = () => {
        throw new Error(`${u.what} is not supported by stevedore-agent; ${u.instead}`);
      };
      // Called as a function (ssh, session) or used as a namespace (tar.pack, DockerIgnore()): both refuse.
      stub.exports = new Proxy(refuse, { get: (target, prop) => (typeof prop === 'string' && prop !== 'then' ? refuse : Reflect.get(target, prop)) });
      require.cache[file] = stub;
    } catch {
      // Layout of dockerode changed: lose the saving, keep working.
    }
  }
}
