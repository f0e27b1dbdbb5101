// The parts of the report that are not per-round medians: the targets (judged in targets.ts), what the once-per-run
// rows measured beside their medians (capture losses), and the daemon rows.
import { rowsMarkdown } from './daemon-report.js';
import type { RunResults } from './results-types.js';
import { benchTargets } from './targets.js';

export function renderTargets(r: RunResults): string[] {
  const out = ['## Targets (offloads off; reported, never asserted)', '',
    r.settings.scaleOnly ? 'Every target of the bench is in `bench/system/targets.ts`; a --scale-only run judges the scale measure\'s.'
      : 'Every target of the bench is in `bench/system/targets.ts`; the daemon rows\' verdicts are in their own section below.', '',
    '| measure | target | measured | |', '|---|---|--:|---|'];
  for (const t of benchTargets(r).filter((x) => !r.settings.scaleOnly || x.scale)) {
    out.push(`| ${t.measure} | ${t.target} | ${t.value === undefined ? '–' : t.fmt(t.value)} | `
      + `${t.met === undefined ? 'not measured' : t.met ? 'met' : 'short'} |`);
  }
  if (r.unavailable['umacvlan-bridge']) out.push('', `umacvlan: not available: ${r.unavailable['umacvlan-bridge']}`);
  out.push('');
  return out;
}

export function renderExtras(r: RunResults): string[] {
  const out: string[] = [];
  const cap = r.samples.find((s) => s.alt === 'umacvlan-capture');
  if (cap || r.unavailable['umacvlan-capture']) {
    out.push('## Capture on (once per run, offloads off)', '');
    if (r.unavailable['umacvlan-capture']) out.push(`Not available: ${r.unavailable['umacvlan-capture']}`);
    else {
      const k = (v: number | undefined): string => (v === undefined ? '–' : (v / 1e3).toFixed(0));
      out.push('`run --capture FILE --capture-port all` (pcapng, into the sandbox\'s scratch directory); frames lost = the '
        + 'capture ring\'s drops + the writer\'s, from the daemon\'s `capture stopped` log line at SIGTERM.', '',
        '| load | 64-B frames/s delivered (k) | capture frames lost |', '|---|--:|--:|',
        `| paced (trafgen --rate) | ${k(cap?.pacedFramesPerSecond)} | ${cap?.captureLostPaced ?? '–'} |`,
        `| as fast as trafgen sends | ${k(cap?.framesPerSecond)} | ${cap?.captureLostFull ?? '–'} |`);
    }
    out.push('');
  }
  if (r.daemonRows !== undefined) {
    out.push('## Daemon rows (once per run; bench/system/daemon-*.ts, as `npm run bench:daemon`)', '');
    out.push(...rowsMarkdown(r.daemonRows, '###'));
  }
  return out;
}
