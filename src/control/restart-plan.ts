// restart-plan.ts — the run configuration beside the state file: which children a restarted `--persist` daemon
// adopts, creates or forgets, and with which settings. Pure: no I/O, so every rule is a unit test.
//
// The stored setting is the live one (it may have been changed over the control socket, or from inside the child's
// namespace): where the configuration says something else, the stored one wins and a warning names both. `auto`
// MACs and an omitted MTU match anything. Only what the kernel's rules forbid live (a mode change to or from
// passthru) stops the start. A child stored but not configured was added live: it is kept unless forgotten.

import { Mode, MODE_NAMES } from '../core/constants.js';
import { formatMac } from '../wire/ethernet.js';
import type { ChildConfig } from './child-config.js';
import { DaemonError } from './daemon-error.js';
import { childConfigOf, type DaemonState, type StateChild } from './state-file.js';

export interface PlannedChild {
  /** the settings it runs with */
  cfg: ChildConfig;
  /** its state-file entry, when there is one: its TAP is adopted (or recreated if deleted meanwhile) */
  stored: StateChild | null;
}

export interface RestartPlan {
  children: PlannedChild[];
  /** entries `--forget` names: their TAPs are deleted */
  forgotten: StateChild[];
  warnings: string[];
}

const macText = (m: number | 'auto'): string => (m === 'auto' ? 'auto' : formatMac(m));
const list = (l: readonly number[]): string => (l.length ? l.map(formatMac).join(',') : 'none');

/** The configured settings that differ from the stored ones, as warnings; throws on a passthru change. */
function differences(c: ChildConfig, s: StateChild): string[] {
  const out: string[] = [];
  const differs = (what: string, given: string, kept: string): void => {
    out.push(`child ${c.name}: the configuration's ${what} ${given} differs from the kept ${kept}; the kept one stays`);
  };
  if (c.mode !== s.mode) {
    if (c.mode === Mode.PASSTHRU || s.mode === Mode.PASSTHRU) {
      throw new DaemonError(`child ${c.name}: the configuration's mode ${MODE_NAMES[c.mode]} cannot replace the kept ` +
        `${MODE_NAMES[s.mode]} (a mode change to or from passthru); use --forget ${c.name} to make it anew`, 'UMV_ERR_STATE_MODE');
    }
    differs('mode', MODE_NAMES[c.mode], MODE_NAMES[s.mode]);
  }
  if (c.mac !== 'auto' && c.mac !== s.mac && c.mode !== Mode.PASSTHRU) differs('MAC', macText(c.mac), formatMac(s.mac));
  if (c.mtu !== undefined && c.mtu !== s.mtu) differs('MTU', String(c.mtu), String(s.mtu));
  if (c.flags !== s.flags) differs('flags', String(c.flags), String(s.flags));
  if (list(c.macaddr) !== list(s.macaddr)) differs('macaddr', list(c.macaddr), list(s.macaddr));
  if (c.bcQueueLen !== undefined && s.bcQueueLen !== undefined && c.bcQueueLen !== s.bcQueueLen) {
    differs('bcqueuelen', String(c.bcQueueLen), String(s.bcQueueLen));
  }
  const ns = s.netns?.path;
  if (c.netns !== ns) differs('netns', c.netns ?? '(none)', ns ?? '(none)');
  return out;
}

export function planRestart(configured: readonly ChildConfig[], state: DaemonState, forget: readonly string[]): RestartPlan {
  const warnings: string[] = [];
  const stored = new Map(state.children.map((c) => [c.name, c]));
  for (const name of forget) {
    if (!stored.has(name)) warnings.push(`--forget ${name}: the state file holds no such child`);
  }
  const forgotten = state.children.filter((c) => forget.includes(c.name));
  const children: PlannedChild[] = [];
  for (const c of configured) {
    const s = forget.includes(c.name) ? undefined : stored.get(c.name);
    if (!s) { children.push({ cfg: c, stored: null }); continue; }
    warnings.push(...differences(c, s));
    children.push({ cfg: childConfigOf(s), stored: s });
  }
  for (const s of state.children) {
    if (forget.includes(s.name) || configured.some((c) => c.name === s.name)) continue;
    children.push({ cfg: childConfigOf(s), stored: s });
  }
  keepBclim(children, configured, state, warnings);
  return { children, forgotten, warnings };
}

/**
 * bclim is the port's (the last value any child set, kept after it went): the stored one goes back through the
 * first child started; a configured one that differs loses to it, as the other kept settings do.
 */
function keepBclim(children: PlannedChild[], configured: readonly ChildConfig[], state: DaemonState, warnings: string[]): void {
  if (state.bclim === undefined || children.length === 0) return;
  for (const c of configured) {
    if (c.bcCutoff !== undefined && c.bcCutoff !== state.bclim) {
      warnings.push(`child ${c.name}: the configuration's bclim ${c.bcCutoff} differs from the kept ${state.bclim}; the kept one stays`);
    }
  }
  children.forEach((c, i) => {
    const { bcCutoff: _, ...rest } = c.cfg;  // a copy: the configuration given stays as it was
    c.cfg = i === 0 ? { ...rest, bcCutoff: state.bclim } : rest;
  });
}
