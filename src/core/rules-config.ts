// A whole start-up configuration judged as the kernel would take it: each child created in order, then brought up.

import { Mode } from './constants.js';
import type { PortTable } from './port-table.js';
import { checkUp } from './rules-change.js';
import { checkAdd, withDefaults, type AddRequest } from './rules-create.js';
import type { RuleError } from './rules-error.js';
import { checkNopromiscMode } from './rules-syntax.js';

/** One child of a configuration: an add request, and whether its MAC was given (an 'auto' MAC never clashes). */
export interface ConfigChild extends AddRequest {
  macGiven: boolean;
}

/** Which child of a configuration the kernel would refuse, and why. */
export interface ConfigRefusal {
  /** index into the list given to checkConfig */
  index: number;
  error: RuleError;
}

/**
 * A whole start-up configuration, as the kernel would take it: every child created in order (checkAdd: passthru
 * cardinality, MTU, source lists), then every child with a given MAC brought up (checkUp: EADDRINUSE). `t` is a
 * scratch table the caller owns and gives up: the children are really added to it. Its parent should have MAC 0
 * (which no child may have) when the real parent's MAC is not known yet, so only children can clash.
 */
export function checkConfig(t: PortTable, children: readonly ConfigChild[]): ConfigRefusal | null {
  const slots: number[] = children.map(() => -1);
  for (let k = 0; k < children.length; k++) {
    const c = children[k];
    const error = checkAdd(t, c) ?? checkNopromiscMode(c.mode ?? Mode.VEPA, c.flags ?? 0, -1);
    if (error) return { index: k, error };
    slots[k] = t.freeSlot();
    t.addChild(slots[k], withDefaults(t, c, () => 0));
    for (const m of c.sourceMacs ?? []) t.sourceAdd(slots[k], m);
  }
  for (let k = 0; k < children.length; k++) {
    if (!children[k].macGiven) continue;
    const error = checkUp(t, slots[k]);
    if (error) return { index: k, error };
    t.setUp(slots[k], true);
  }
  return null;
}
