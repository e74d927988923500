import { execFile } from 'node:child_process';
import type { TestCluster } from './cluster';

/** Debian's AWS CLI v2 (not a pyenv shim of v1 that may come first on PATH). */
export const AWS_CLI = '/usr/bin/aws';

/** The AWS CLI against the cluster's endpoint, with the admin key; the JSON it prints. */
export function awsCli(c: TestCluster, args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_SHARED_CREDENTIALS_FILE: c.adminCredentialsFile, AWS_CONFIG_FILE: '/dev/null', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '', ...(c.endpoint.startsWith('https:') ? { AWS_CA_BUNDLE: c.apiCaFile } : {}) };
    execFile(AWS_CLI, ['--endpoint-url', c.endpoint, '--output', 'json', ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`aws ${args.slice(0, 2).join(' ')}: ${stderr || err.message}`));
      resolve(stdout.trim() ? JSON.parse(stdout) : {});
    });
  });
}
