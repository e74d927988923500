#!/usr/bin/env -S node --max-semi-space-size=1 --max-old-space-size=128 --lite-mode
import { trimFootprint } from './footprint';
trimFootprint();
import { CommanderError } from 'commander';
import { ConfigError, parseConfig } from './config';
import { createLogger } from './logger';
import { exitOnFatalErrors, notifySystemdReady } from '@stevedore/core/host';
import { startAgent, type RunningAgent } from './agent';
import { ChannelSetupError } from './session/channel-credentials';
import { CredentialsError } from './session/credential-files';

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    if (err instanceof ConfigError) {
      process.stderr.write(`stevedore-agent: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(cfg.logLevel, { cluster: cfg.cluster });
  exitOnFatalErrors(log, 'stevedore-agent');
  let agent: RunningAgent | undefined;
  let stopping = false;
  const shutdown = (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    // Task containers are deliberately left running: an agent restart must never restart or lose them.
    log.info({ signal }, 'shutting down; task containers keep running');
    const force = setTimeout(() => process.exit(code), 10_000);
    force.unref();
    void (agent?.stop() ?? Promise.resolve()).finally(() => process.exit(code));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    agent = await startAgent(cfg, log, (reason) => {
      log.error({ reason }, 'fatal: restarting');
      shutdown('fatal', 1);
    });
  } catch (err) {
    if (err instanceof ChannelSetupError || err instanceof CredentialsError) {
      // No retry can fix these (no token, a refused token, a pin that does not match): say so and stop.
      log.fatal({ reason: err.message }, 'cannot join the control plane');
      process.exit(1);
    }
    throw err;
  }
  if (stopping) await agent.stop();
  log.info({ instance: agent.instanceId, controlPlane: cfg.controlPlane, hostIp: cfg.hostIp }, 'agent started');
  // systemctl start returns now: containers adopted, the session being (re)established in the background.
  await notifySystemdReady(log);
}

main().catch((err: unknown) => {
  process.stderr.write(`stevedore-agent: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
