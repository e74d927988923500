import type { Command } from 'commander';
import { STEVEDORE_TARGET_PREFIX } from '../api-client';
import { action, CliError, EXIT_USAGE, type App } from '../context';
import { printData } from '../output/structured';
import { renderTable } from '../output/table';
import { dash } from '../output/format';
import { listAllStevedore } from './iam-access-keys';
import { nfsExportScript } from './file-system-exports';

interface FileSystemView {
  fileSystemId: string;
  name?: string;
  server: string;
  path: string;
  nfsVersion: string;
  mountOptions?: string;
  numberOfAccessPoints: number;
}

interface AccessPointView {
  accessPointId: string;
  fileSystemId: string;
  name?: string;
  rootDirectory: { path: string };
  posixUser?: { uid: number; gid: number };
}

/** `stevedore fs ...`: the NFS exports behind efsVolumeConfiguration (CreateFileSystem etc.). */
export function register(program: Command, app: App): void {
  const fs = program.command('fs').description('shared file systems (NFS exports) for efsVolumeConfiguration volumes');
  fs.command('create')
    .description('register an NFS export as a file system (CreateFileSystem); prints its fs- id')
    .requiredOption('--server <host>', 'NFS server host name or IPv4 address')
    .option('--path <path>', 'exported path on the server', '/')
    .option('--nfs-version <v>', '3 | 4 | 4.0 | 4.1 | 4.2', '4.1')
    .option('--mount-options <list>', 'extra NFS mount options, comma-separated (e.g. noatime,actimeo=30)')
    .option('--name <name>', 'a name to recognise it by')
    .option('--creation-token <token>', 'idempotency token: the same token returns the same file system')
    .action(
      action<[], { server: string; path: string; nfsVersion: string; mountOptions?: string; name?: string; creationToken?: string }>(app, async (ctx, o) => {
        const r = await ctx.client.call<FileSystemView>(
          'CreateFileSystem',
          { server: o.server, path: o.path, nfsVersion: o.nfsVersion, ...(o.mountOptions ? { mountOptions: o.mountOptions } : {}), ...(o.name ? { name: o.name } : {}), ...(o.creationToken ? { creationToken: o.creationToken } : {}) },
          STEVEDORE_TARGET_PREFIX,
        );
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(`${r.fileSystemId}\n`);
      }),
    );
  fs.command('list')
    .description('list file systems (DescribeFileSystems)')
    .action(
      action<[], object>(app, async (ctx) => {
        const items = await listAllStevedore<FileSystemView>(ctx.client, 'DescribeFileSystems', {}, 'fileSystems');
        if (ctx.structured) return printData(ctx, { fileSystems: items });
        ctx.io.stdout.write(renderTable(['ID', 'NAME', 'EXPORT', 'NFS', 'OPTIONS', 'ACCESS POINTS'], items.map((f) => [f.fileSystemId, dash(f.name), `${f.server}:${f.path}`, f.nfsVersion, dash(f.mountOptions), String(f.numberOfAccessPoints)])));
      }),
    );
  fs.command('delete')
    .description('delete a file system (DeleteFileSystem); refused while it has access points')
    .argument('<fs-id>', 'fs-...')
    .action(
      action<[string], object>(app, async (ctx, _o, id) => {
        await ctx.client.call('DeleteFileSystem', { fileSystemId: id }, STEVEDORE_TARGET_PREFIX);
        if (ctx.structured) return printData(ctx, {});
        ctx.io.stdout.write(`deleted ${id}\n`);
      }),
    );
  fs.command('create-access-point')
    .description('an access point: a root directory of the file system (CreateAccessPoint); prints its fsap- id')
    .argument('<fs-id>', 'fs-...')
    .option('--root <path>', 'root directory under the export', '/')
    .option('--uid <n>', 'POSIX uid the operator\'s export maps it to (recorded, shown in DescribeAccessPoints)')
    .option('--gid <n>', 'POSIX gid')
    .option('--name <name>', 'a name to recognise it by')
    .action(
      action<[string], { root: string; uid?: string; gid?: string; name?: string }>(app, async (ctx, o, id) => {
        const posix = o.uid !== undefined ? { posixUser: { uid: Number(o.uid), gid: Number(o.gid ?? o.uid) } } : {};
        const r = await ctx.client.call<AccessPointView>('CreateAccessPoint', { fileSystemId: id, rootDirectory: { path: o.root }, ...posix, ...(o.name ? { name: o.name } : {}) }, STEVEDORE_TARGET_PREFIX);
        if (ctx.structured) return printData(ctx, r);
        ctx.io.stdout.write(`${r.accessPointId}\n`);
      }),
    );
  fs.command('list-access-points')
    .description('list access points (DescribeAccessPoints)')
    .option('--file-system <fs-id>', 'only this file system\'s')
    .action(
      action<[], { fileSystem?: string }>(app, async (ctx, o) => {
        const items = await listAllStevedore<AccessPointView>(ctx.client, 'DescribeAccessPoints', o.fileSystem ? { fileSystemId: o.fileSystem } : {}, 'accessPoints');
        if (ctx.structured) return printData(ctx, { accessPoints: items });
        ctx.io.stdout.write(renderTable(['ID', 'FILE SYSTEM', 'NAME', 'ROOT', 'POSIX USER'], items.map((a) => [a.accessPointId, a.fileSystemId, dash(a.name), a.rootDirectory.path, a.posixUser ? `${a.posixUser.uid}:${a.posixUser.gid}` : '-'])));
      }),
    );
  fs.command('exports')
    .description("print what the NFS server needs so each access point's POSIX user is imposed (root directories, /etc/exports with all_squash), to review and run on the server")
    .argument('<fs-id>', 'fs-...')
    .option('--clients <spec>', 'the agent hosts allowed to mount, in exports(5) syntax', '*')
    .action(
      action<[string], { clients: string }>(app, async (ctx, o, id) => {
        const f = (await listAllStevedore<FileSystemView>(ctx.client, 'DescribeFileSystems', {}, 'fileSystems')).find((x) => x.fileSystemId === id);
        if (!f) throw new CliError(`file system ${id} not found`, EXIT_USAGE);
        const aps = await listAllStevedore<AccessPointView>(ctx.client, 'DescribeAccessPoints', { fileSystemId: id }, 'accessPoints');
        ctx.io.stdout.write(nfsExportScript(f, aps, o.clients));
      }),
    );
  fs.command('delete-access-point')
    .description('delete an access point (DeleteAccessPoint)')
    .argument('<fsap-id>', 'fsap-...')
    .action(
      action<[string], object>(app, async (ctx, _o, id) => {
        await ctx.client.call('DeleteAccessPoint', { accessPointId: id }, STEVEDORE_TARGET_PREFIX);
        if (ctx.structured) return printData(ctx, {});
        ctx.io.stdout.write(`deleted ${id}\n`);
      }),
    );
}
