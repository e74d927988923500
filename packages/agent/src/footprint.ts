import Module from 'node:module';

/**
 * The agent runs on every host, so its resident memory is a cost paid many
 * times. docker-modem's SSH transport (ssh2 and its crypto bindings) is
 * replaced by a stub before dockerode loads: the agent reaches dockerd over a
 * unix socket or TCP, never SSH. The other trim, a small V8 young generation
 * (`--max-semi-space-size=1`), must be a node flag: it is in the bin's
 * shebang, the systemd unit and the test harness (AGENT_NODE_FLAGS).
 */
export function trimFootprint(): void {
  try {
    const sshPath = require.resolve('docker-modem/lib/ssh.js', { paths: [require.resolve('dockerode')] });
    const stub = new Module(sshPath);
    stub.filename = sshPath;
    stub.loaded = true;
    stub.exports = () => {
      throw new Error('SSH transport to dockerd is not supported by stevedore-agent; use a unix socket or tcp:// DOCKER_HOST');
    };
    require.cache[sshPath] = stub;
  } catch {
    // Layout of docker-modem changed: lose the saving, keep working.
  }
}
