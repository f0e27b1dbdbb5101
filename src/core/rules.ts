// Control-path legality: would the kernel accept this change to the port? Each check returns a RuleError (with the
// errno the kernel would give) or null. Nothing here throws or mutates: the control side checks, then applies.
// This module is the rules' one entry point; they are written in rules-*.ts, one file per kernel gatekeeper below.

/*
 * Theory of operation
 *
 * The PortTable mutators never validate, so that tests and the reference model can build any state; these checks
 * are the kernel's gatekeepers, split the way the kernel splits them:
 *   macvlan_validate        → attribute syntax: flags bits, mode value, MACs unicast and non-zero (checkFlags,
 *                             checkModeValue, checkMacValue), run before anything else for newlink and changelink
 *                             (rules-syntax.ts);
 *   macvlan_common_newlink  → checkAdd (MTU, passthru cardinality, source ops need SOURCE) (rules-create.ts);
 *   macvlan_open            → checkUp (EADDRINUSE: the parent's MAC or an UP child's MAC; not on passthru);
 *   macvlan_set_mac_address → checkSetMac (A1–A4);
 *   macvlan_changelink      → checkSetMode (§4 table), checkSetFlags, checkSourceOp (mode *after* the update);
 *   macvlan_change_mtu      → checkSetMtu (68 … the parent's current MTU) (these four: rules-change.ts).
 * A whole start-up configuration (checkConfig) replays creation, then UP, on a scratch table (rules-config.ts).
 * The kernel applies changelink steps in order without rollback: a request that changes flags and also edits the
 * allow-list of a non-source child fails at step 6 with steps 2–5 already applied. A caller that wants the kernel's
 * exact outcome applies each step after its own check, in §4's order.
 */

export { RuleError, type RuleErrno } from './rules-error.js';
export {
  checkBcCutoff, checkBcQueueLen, checkFlags, checkMacValue, checkModeValue, checkNopromiscMode, MTU_MAX, MTU_MIN,
  type SourceOp,
} from './rules-syntax.js';
export { checkAdd, randomMac, withDefaults, type AddRequest } from './rules-create.js';
export {
  checkChange, checkSetBcCutoff, checkSetBcQueueLen, checkSetFlags, checkSetMac, checkSetMode, checkSetMtu,
  checkSourceOp, checkUp, type ChangeRequest,
} from './rules-change.js';
export { checkConfig, type ConfigChild, type ConfigRefusal } from './rules-config.js';
