// The Debian tools the bench drives, installed only when missing (a fresh machine has none of them).
import { spawnSync } from 'node:child_process';
import type { Shell } from './sh.js';

const TOOLS: readonly { readonly command: string; readonly pkg: string }[] = [
  { command: 'iperf3', pkg: 'iperf3' },
  { command: 'trafgen', pkg: 'netsniff-ng' },
  { command: 'vde_switch', pkg: 'vde2' },
  { command: 'ethtool', pkg: 'ethtool' },
  { command: 'stdbuf', pkg: 'coreutils' },
  { command: 'python3', pkg: 'python3' },
];

export function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Installs what is missing; returns the commands still missing afterwards (the caller decides what that costs). */
export function ensureTools(sh: Shell): string[] {
  const pkgs = [...new Set(TOOLS.filter((t) => !has(t.command)).map((t) => t.pkg))];
  if (pkgs.length > 0) {
    console.error(`installing for the bench (apt-get, only what is missing): ${pkgs.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env, timeout: 300_000 });
    sh.commands.push('apt-get update -qq');
    if (update.status === 0) {
      spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 600_000 });
      sh.commands.push(`apt-get install -y -qq ${pkgs.join(' ')}`);
    }
  }
  return TOOLS.filter((t) => !has(t.command)).map((t) => t.command);
}

/** First line of a tool's version output, for the report. */
export function version(argv: readonly string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 5000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '';
}
