// Debian packages from a staged release (package.mjs), built with dpkg-deb:
// files owned by root (--root-owner-group), no fakeroot needed.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * Each package: its program, what it needs from Debian and what it installs.
 * The control plane's native addon is built for one Node.js major (its ABI),
 * so it depends on exactly that major; the agent and the CLI are plain
 * JavaScript for any Node.js >= 20.
 */
function packages(nodeMajor) {
  return [
    {
      name: 'stevedore-control-plane',
      program: 'control-plane',
      bin: 'stevedore-control-plane',
      depends: `nodejs (>= ${nodeMajor}), nodejs (<< ${Number(nodeMajor) + 1}), passwd`,
      unit: 'stevedore-control-plane.service',
      env: 'control-plane.env',
      description: 'Stevedore control plane: the ECS API, scheduler and agent dispatcher\n Keeps the desired state in SQLite, serves the Amazon ECS JSON API (and\n CloudWatch, Auto Scaling, ELBv2, Logs, Secrets Manager) and talks to the\n agents over mutual TLS. Backup: stevedore-control-plane backup --to FILE.',
    },
    {
      name: 'stevedore-agent',
      program: 'agent',
      bin: 'stevedore-agent',
      depends: 'nodejs (>= 20)',
      recommends: 'docker.io | docker-ce, haproxy',
      unit: 'stevedore-agent.service',
      env: 'agent.env',
      description: 'Stevedore agent: runs the tasks a Stevedore control plane assigns to this host\n One per Docker host. Not started until /etc/stevedore/agent.env names the\n control plane and a join token. Restarting or upgrading it never restarts\n task containers.',
    },
    {
      name: 'stevedore-cli',
      program: 'cli',
      bin: 'stevedore',
      depends: 'nodejs (>= 20)',
      description: 'Stevedore command-line client\n The stevedore command: an ordinary client of the Stevedore API (SigV4).',
    },
  ];
}


export function buildDebs(root, stage, outDir, build, nodeMajor) {
  const out = [];
  for (const p of packages(nodeMajor)) {
    const dir = path.join(outDir, `${p.name}_${build.version}_amd64`);
    fs.rmSync(dir, { recursive: true, force: true });
    const lib = path.join(dir, 'usr', 'lib', 'stevedore', p.program);
    fs.mkdirSync(path.dirname(lib), { recursive: true });
    fs.cpSync(path.join(stage, 'lib', p.program), lib, { recursive: true });
    fs.mkdirSync(path.join(dir, 'usr', 'bin'), { recursive: true });
    fs.symlinkSync(`../lib/stevedore/${p.program}/main.js`, path.join(dir, 'usr', 'bin', p.bin));
    const doc = path.join(dir, 'usr', 'share', 'doc', p.name);
    fs.mkdirSync(doc, { recursive: true });
    fs.copyFileSync(path.join(root, 'docs', 'running-a-cluster.md'), path.join(doc, 'running-a-cluster.md'));
    fs.writeFileSync(path.join(doc, 'copyright'), `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: stevedore\n\nFiles: *\nLicense: Apache-2.0\n On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.\n`);
    const debian = path.join(dir, 'DEBIAN');
    fs.mkdirSync(debian, { recursive: true });
    const conffiles = [];
    if (p.unit) {
      const units = path.join(dir, 'lib', 'systemd', 'system');
      fs.mkdirSync(units, { recursive: true });
      fs.copyFileSync(path.join(root, 'deploy', p.unit), path.join(units, p.unit));
      fs.chmodSync(path.join(units, p.unit), 0o644);
    }
    if (p.env) {
      const etc = path.join(dir, 'etc', 'stevedore');
      fs.mkdirSync(etc, { recursive: true });
      // Mode and group are set by postinst (the group is created there); the content is the documented example.
      fs.copyFileSync(path.join(root, 'deploy', `${p.env}.example`), path.join(etc, p.env));
      fs.chmodSync(path.join(etc, p.env), 0o600);
      conffiles.push(`/etc/stevedore/${p.env}`);
    }
    for (const script of ['postinst', 'prerm', 'postrm']) {
      const src = path.join(HERE, 'debian', `${p.program}.${script}`);
      if (fs.existsSync(src)) {
        fs.copyFileSync(src, path.join(debian, script));
        fs.chmodSync(path.join(debian, script), 0o755);
      }
    }
    if (conffiles.length) fs.writeFileSync(path.join(debian, 'conffiles'), `${conffiles.join('\n')}\n`);
    const installedKiB = Number(execFileSync('du', ['-sk', '--exclude=DEBIAN', dir], { encoding: 'utf8' }).split('\t')[0]);
    const fields = [
      `Package: ${p.name}`,
      `Version: ${build.version}`,
      'Architecture: amd64',
      'Maintainer: Stevedore developers <stevedore@localhost>',
      `Installed-Size: ${installedKiB}`,
      `Depends: ${p.depends}`,
      ...(p.recommends ? [`Recommends: ${p.recommends}`] : []),
      'Section: admin',
      'Priority: optional',
      'Homepage: https://github.com/stevedore/stevedore',
      `Description: ${p.description}`,
      // Not a Debian field dpkg acts on: what the bundles were built from (dpkg-deb --field shows it).
      `X-Stevedore-Commit: ${build.commit}`,
    ];
    fs.writeFileSync(path.join(debian, 'control'), `${fields.join('\n')}\n`);
    const deb = path.join(outDir, `${p.name}_${build.version}_amd64.deb`);
    execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', dir, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
    fs.rmSync(dir, { recursive: true, force: true });
    out.push(deb);
  }
  return out;
}
