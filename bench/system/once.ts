// The rows measured once per run, after the rounds, offloads off: umacvlan with --mac-nat beside plain bridge mode,
// and with a capture of every port to a pcapng file (a paced load for its losses, then full rate).
import { existsSync, readFileSync } from 'node:fs';
import { macNatUnavailable, type Deployer } from './alternatives.js';
import type { Ctx } from './measure.js';
import type { RunResults, Settings } from './results-types.js';
import { fmtSample, sample } from './sample.js';

export async function onceRows(ctx: Ctx, deployer: Deployer, settings: Settings, results: RunResults, write: () => void): Promise<void> {
  const log = (label: string, s: { seconds?: number }, line: string): void =>
    console.error(`once ${label.padEnd(24)} ${line} (${s.seconds?.toFixed(1)} s)`);
  const why = macNatUnavailable();
  if (!settings.alternatives.includes('umacvlan-macnat')) {
    // not asked for (--only)
  } else if (why) {
    results.unavailable['umacvlan-macnat'] = why;
  } else {
    const s = await sample(ctx, deployer, settings, 0, 'umacvlan-macnat', 'off', 2, 'main');
    // The flag is listed but the daemon refused it at start (a build between the two): say what it answered.
    if (s.notStarted) results.unavailable['umacvlan-macnat'] = `the daemon refuses --mac-nat: ${s.notStarted}`;
    else results.samples.push(s);
    log('umacvlan --mac-nat', s, fmtSample(s));
  }
  write();
  if (!settings.alternatives.includes('umacvlan-capture')) return;
  const paced = await sample(ctx, deployer, settings, 0, 'umacvlan-capture', 'off', 2, 'capture', { paced: true });
  const full = await sample(ctx, deployer, settings, 0, 'umacvlan-capture', 'off', 2, 'capture');
  if (paced.notStarted || full.notStarted) {
    results.unavailable['umacvlan-capture'] = `the daemon does not start with --capture: ${paced.notStarted ?? full.notStarted}`;
  } else {
    full.pacedFramesPerSecond = paced.pacedFramesPerSecond;
    full.captureLostPaced = paced.captureLostPaced;
    full.errors.push(...paced.errors.map((e) => `paced: ${e}`));
    results.samples.push(full);
  }
  log('umacvlan capture on', full, `paced ${((paced.pacedFramesPerSecond ?? 0) / 1e3).toFixed(0)} k frames/s, lost `
    + `${paced.captureLostPaced ?? '?'}; full ${fmtSample(full)}, lost ${full.captureLostFull ?? '?'}`);
  write();
}

/** umacvlan's back-to-back RTT p50 (bridge, offloads off) of bench/results/baseline.json, when there is one. */
export function readBaseline(root: string): number | undefined {
  const file = `${root}/bench/results/baseline.json`;
  if (!existsSync(file)) return undefined;
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as RunResults;
    return j.medians?.['umacvlan-bridge/off']?.rttP50Us?.median;
  } catch {
    return undefined;
  }
}
