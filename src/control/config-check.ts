// config-check.ts — a whole configuration judged by the kernel's rules (core/rules.ts), on a scratch port table,
// and the answer worded for the command line. The rules themselves live only in core/rules.ts: what `run` refuses
// here is what `add` would have the daemon refuse, child after child.

import { MAX_CHILDREN, Mode } from '../core/constants.js';
import { PortTable } from '../core/port-table.js';
import { checkConfig, MTU_MAX, type ConfigChild, type RuleErrno, type RuleError } from '../core/rules.js';
import { formatMac } from '../wire/ethernet.js';
import type { ChildConfig } from './child-config.js';
import { blame, cite, type Said } from './said.js';
import { UsageError, type UsageCode } from './usage-error.js';

const STRERROR: Record<RuleErrno, string> = {
  EINVAL: 'Invalid argument',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENOSPC: 'No space left on device',
  ENODEV: 'No such device',
};

/** `detail: Invalid argument (EINVAL)`, as ip(8) prints the kernel's answer. */
const withErrno = (detail: string, errno: RuleErrno): string => `${detail}: ${STRERROR[errno]} (${errno})`;

/** A child as the kernel's add request: an 'auto' MAC is the kernel's to pick, so none is sent. */
export function addRequest(c: ChildConfig): ConfigChild {
  const req: ConfigChild = { mode: c.mode, flags: c.flags, macGiven: c.mac !== 'auto' };
  if (c.mac !== 'auto') req.mac = c.mac;
  if (c.mtu !== undefined) req.mtu = c.mtu;
  if (c.macaddr.length > 0) req.sourceMacs = c.macaddr;
  if (c.bcQueueLen !== undefined) req.bcQueueLen = c.bcQueueLen;
  return req;
}

/**
 * Throws the UsageError of the first child the kernel would refuse, in the order a start-up creates them (every
 * child added, then every child brought up). The parent is not known yet: its MAC is taken as 0, which no child may
 * have, and its MTU as the largest, so only the rules between children and on each child's own values apply here.
 */
export function checkWholeConfig(children: readonly Said<ChildConfig>[]): void {
  checkOneBcLim(children);
  const t = new PortTable(Math.max(1, Math.min(MAX_CHILDREN, children.length)));
  t.setParent({ mac: 0, mtu: MTU_MAX });
  const refused = checkConfig(t, children.map((c) => addRequest(c.value)));
  if (!refused) return;
  throw explain(children[refused.index], refused.error, children.slice(0, refused.index));
}

/**
 * bclim is the port's, not the child's: the kernel keeps the last one written, so children created in one go that
 * ask for different values would leave the port with whichever came last. Refused instead, naming both.
 */
function checkOneBcLim(children: readonly Said<ChildConfig>[]): void {
  const first = children.find((c) => c.value.bcCutoff !== undefined);
  if (first === undefined) return;
  const other = children.find((c) => c.value.bcCutoff !== undefined && c.value.bcCutoff !== first.value.bcCutoff);
  if (other === undefined) return;
  throw blame(other, `bclim ${other.value.bcCutoff} disagrees with bclim ${first.value.bcCutoff} of ${cite(first)} (bclim is the port's: one value)`);
}

/** The command line's code for a rule's: the same where both name the rule, else by the errno. */
function usageCode(e: RuleError): UsageCode {
  switch (e.code) {
    case 'UMV_ERR_DUP_MAC':
    case 'UMV_ERR_PASSTHRU_NOT_ALONE':
    case 'UMV_ERR_PASSTHRU_NOT_ALONE':
    case 'UMV_ERR_MTU':
      return e.code;
    default:
      return e.errno === 'EADDRNOTAVAIL' ? 'UMV_ERR_BAD_MAC' : 'UMV_ERR_USAGE';
  }
}

/** The rule's verdict on `c`, with the sibling it clashes with named as the user gave it. */
function explain(c: Said<ChildConfig>, e: RuleError, before: readonly Said<ChildConfig>[]): UsageError {
  const passthru = before.find((o) => o.value.mode === Mode.PASSTHRU);
  let detail = e.message;
  if (e.code === 'UMV_ERR_PASSTHRU_NOT_ALONE' && passthru && c.value.mode === Mode.PASSTHRU) {
    detail = `a second passthru child (the first is ${cite(passthru)})`;
  } else if (e.code === 'UMV_ERR_PASSTHRU_NOT_ALONE') {
    // Whichever came second is blamed, as the kernel refuses the second RTM_NEWLINK.
    detail = c.value.mode === Mode.PASSTHRU
      ? `a passthru child must be the parent's only child (there is also ${cite(before[0])})`
      : `the parent already has a passthru child (${cite(passthru ?? before[0])}) and can have no other`;
  } else if (e.code === 'UMV_ERR_DUP_MAC' && c.value.mac !== 'auto') {
    const mac = c.value.mac;
    // Children come up in order, so the holder of the MAC is an earlier one.
    const other = before.find((o) => o.value.mac === mac);
    if (other) detail = `MAC ${formatMac(mac)} is already used by ${cite(other)}`;
  }
  return blame(c, withErrno(detail, e.errno), usageCode(e));
}
