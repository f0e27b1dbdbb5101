// The scale section of the report: 64-byte frames/s child→child with 2 … 4,096 children on the parent, and what the
// daemon costs to start, stop and keep idle with that many.
import { cell, ratioCell } from './results.js';
import type { RunResults } from './results-types.js';

export function renderScale(r: RunResults): string[] {
  const out: string[] = [];
  if (r.scale.length > 0 || r.settings.scale.length > 0) {
    out.push('## Scale: 64-byte frames/s child→child with more children on the parent (offloads off)');
    out.push('');
    if (r.scale.length === 0) {
      out.push(r.settings.scale.length === 0 ? 'Skipped (--quick).' : 'Not measured.');
    } else {
      out.push('| children | kernel macvlan (k frames/s) | umacvlan (k frames/s) | umacvlan / kernel | umacvlan / its 2 children '
        + '| umacvlan CPU s / M frames | umacvlan GC, data-path worker | umacvlan GC, main thread | umacvlan start-up s (all TAPs ready) '
        + '| umacvlan SIGTERM → exit s | umacvlan RSS MiB | umacvlan RSS per child beyond 2, KiB | umacvlan main thread idle, % of a core |');
      out.push('|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
      const rss2 = r.scaleMedians?.find((s) => s.children === 2 && s.alt === 'umacvlan-bridge')?.rssKiB?.median;
      const two = r.scaleMedians?.find((s) => s.children === 2 && s.alt === 'umacvlan-bridge')?.framesPerSecond?.median;
      const fmt = (v: number): string => (v / 1e3).toFixed(0);
      for (const n of [...new Set((r.scaleMedians ?? []).map((s) => s.children))]) {
        const k = r.scaleMedians?.find((s) => s.children === n && s.alt === 'kernel-bridge');
        const u = r.scaleMedians?.find((s) => s.children === n && s.alt === 'umacvlan-bridge');
        const ratio = k?.framesPerSecond && u?.framesPerSecond ? u.framesPerSecond.median / k.framesPerSecond.median : undefined;
        const uCell = r.unavailable['umacvlan-bridge'] ? 'not available' : cell(u?.framesPerSecond, fmt);
        const vsTwo = two && u?.framesPerSecond ? u.framesPerSecond.median / two : undefined;
        out.push(`| ${n} | ${cell(k?.framesPerSecond, fmt)} | ${uCell} | ${ratioCell(ratio)} | ${ratioCell(vsTwo)} | `
          + `${cell(u?.cpuSecondsPerMillion, (v) => v.toFixed(2))} | ${cell(u?.gcFrames, (v) => v.toFixed(0))} | `
          + `${cell(u?.gcMain, (v) => v.toFixed(0))} | ${cell(u?.startupSeconds, (v) => v.toFixed(1))} | `
          + `${cell(u?.stopSeconds, (v) => v.toFixed(1))} | ${cell(u?.rssKiB, (v) => (v / 1024).toFixed(0))} | `
          + `${rss2 !== undefined && u?.rssKiB && n > 2 ? ((u.rssKiB.median - rss2) / (n - 2)).toFixed(0) : '–'} | `
          + `${cell(u?.idleMainPct, (v) => v.toFixed(2))} |`);
      }
    }
    out.push('');
  }
  return out;
}
