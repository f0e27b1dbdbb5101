#!/usr/bin/env node
// bin entry: argv → a command → the daemon or a client. Every failure is one line on stderr and an exit code.

import { readFileSync } from 'node:fs';
import { parseCommand } from './control/args.js';
import { helpText } from './control/help.js';
import { EXIT, exitStatus } from './errors/catalog.js';
import { UsageError } from './control/usage-error.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const cmd = parseCommand(argv);
  if (cmd instanceof UsageError) {
    process.stderr.write(`umacvlan: ${cmd.message}\n`);
    return exitStatus(cmd.code);
  }
  switch (cmd.kind) {
    case 'help': process.stdout.write(helpText(cmd.topic)); return EXIT.OK;
    case 'version': process.stdout.write(`umacvlan ${version()}\n`); return EXIT.OK;
    case 'run': {
      // Loaded only for run: the client commands must work without the native addon.
      const { runMain } = await import('./control/run.js');
      const { LinuxHost } = await import('./control/host-linux.js');
      return runMain(cmd.config, new LinuxHost());
    }
    case 'cni-install': {
      const { installShim } = await import('./control/cni-install.js');
      try { process.stdout.write(`${installShim(cmd.dir)}\n`); } catch (e) {
        process.stderr.write(`umacvlan: cni install: ${(e as Error).message}\n`);
        return EXIT.FAILURE;
      }
      return EXIT.OK;
    }
    default: {
      const { clientMain } = await import('./control/client.js');
      return clientMain(cmd, argv);
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: Error) => { process.stderr.write(`umacvlan: internal error: ${e.message}\n`); process.exitCode = EXIT.FAILURE; },
);
