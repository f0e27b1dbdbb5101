// A VLAN the host terminates on the parent (a VLAN upper, `ip link add link P type vlan id N`) takes its tagged
// frames before macvlan does (vlan_do_receive runs before the rx_handler); our packet socket sees them first, so
// decide() drops them from the wire with reason vlan_claimed. Untagged frames, frames with other VIDs, and every
// frame from a child are decided as before.
import { describe, expect, it } from 'vitest';
import { COUNTER_COLUMNS, countVerdict, dropColumn, makeCounters } from '../../../src/core/counters.js';
import { Drop, PARENT } from '../../../src/core/constants.js';
import { explain } from '../../../src/core/trace.js';
import { PortTable } from '../../../src/core/port-table.js';
import { VLAN_PROTO, VlanClaims } from '../../../src/core/vlan-claims.js';
import { Verdict } from '../../../src/core/verdict.js';
import { decide } from '../../../src/core/decide.js';
import { BCAST, E, frame, run, t0 } from '../helpers/frames.js';
import { ethFrame } from '../../support/frames.js';

/** the frame with its outer TPID set to 802.1ad */
function serviceTagged(f: Uint8Array): Uint8Array {
  const b = f.slice();
  b[12] = 0x88; b[13] = 0xa8;
  return b;
}

describe('VLAN claims (the parent\'s VLAN uppers)', () => {
  it('a claimed 802.1Q VID from the wire goes nowhere, broadcast or unicast; other VIDs and untagged frames go on, tagged', () => {
    const topo = t0();
    topo.t.setVlanClaimed(VLAN_PROTO.Q, 100, true);
    const b1 = topo.mac('B1');
    expect(run(topo, 'E', frame({ dst: BCAST, src: E, vid: 100 }))).toMatchObject({ n: 0, reason: 'vlan_claimed', toHost: false });
    expect(run(topo, 'E', frame({ dst: b1, src: E, vid: 100 }))).toMatchObject({ n: 0, reason: 'vlan_claimed' });
    // The priority bits (PCP 7, DEI 0) are not the VID
    expect(run(topo, 'E', ethFrame({ dst: b1, src: E, tci: 0xe000 | 100, len: 100 })).reason).toBe('vlan_claimed');
    expect(run(topo, 'E', frame({ dst: b1, src: E, vid: 101 })).to).toEqual(['B1']);
    expect(run(topo, 'E', frame({ dst: b1, src: E })).to).toEqual(['B1']);
    expect(run(topo, 'E', frame({ dst: BCAST, src: E, vid: 7 })).to.length).toBeGreaterThan(1);
  });

  it('802.1Q and 802.1ad are separate sets: a service tag with a claimed customer VID is not claimed, and back', () => {
    const topo = t0();
    const b1 = topo.mac('B1');
    topo.t.setVlanClaimed(VLAN_PROTO.AD, 20, true);
    expect(run(topo, 'E', serviceTagged(frame({ dst: b1, src: E, vid: 20 }))).reason).toBe('vlan_claimed');
    expect(run(topo, 'E', frame({ dst: b1, src: E, vid: 20 })).to).toEqual(['B1']);
    topo.t.setVlanClaimed(VLAN_PROTO.AD, 20, false);
    expect(run(topo, 'E', serviceTagged(frame({ dst: b1, src: E, vid: 20 }))).to).toEqual(['B1']);
  });

  it('frames from children are never claimed: a child sending that tag reaches the wire and its siblings as before', () => {
    const topo = t0();
    topo.t.setVlanClaimed(VLAN_PROTO.Q, 100, true);
    expect(run(topo, 'B1', frame({ dst: E, src: topo.mac('B1'), vid: 100 })).to).toEqual(['wire']);
    expect(run(topo, 'B1', frame({ dst: topo.mac('B2'), src: topo.mac('B1'), vid: 100 })).to).toEqual(['B2']);
  });

  it('counted on the parent\'s drop_vlan_claimed only; a frame cut before its TCI is not read past its end', () => {
    const t = new PortTable(4);
    t.setVlanClaimed(VLAN_PROTO.Q, 100, true);
    const v = new Verdict(Verdict.capacityFor(4));
    const f = frame({ dst: BCAST, src: E, vid: 100 });
    decide(t, PARENT, f, 0, f.length, false, v);
    const c = makeCounters(5);
    countVerdict(c, v, PARENT, f.length);
    expect([...c].flatMap((x, i) => (x ? [[Math.floor(i / COUNTER_COLUMNS), i % COUNTER_COLUMNS, x]] : [])))
      .toEqual([[PARENT, dropColumn(Drop.VLAN_CLAIMED), 1]]);
    // 15 bytes: the TPID is there, the TCI is not. Not a claimed frame (and not over-read).
    decide(t, PARENT, f, 0, 15, false, v);
    expect(v.reason).not.toBe(Drop.VLAN_CLAIMED);
  });

  it('trace names the claim; the claims travel in a snapshot to the worker\'s replica', () => {
    const topo = t0();
    topo.t.setVlanClaimed(VLAN_PROTO.AD, 4095, true);
    topo.t.setVlanClaimed(VLAN_PROTO.Q, 0, true);
    const tr = explain(topo.t, PARENT, serviceTagged(frame({ dst: BCAST, src: E, vid: 4095 })));
    expect([tr.reasonName, tr.rule]).toEqual(['vlan_claimed', "a VLAN upper of the parent claims the frame's tag: the host's, not macvlan's"]);
    const replica = PortTable.fromSnapshot(structuredClone(topo.t.snapshot()));
    expect(replica.vlan.list()).toEqual([{ proto: VLAN_PROTO.Q, vid: 0 }, { proto: VLAN_PROTO.AD, vid: 4095 }]);
    expect(replica.vlan.count).toBe(2);
  });

  it('the bitmap: set twice counts once, any other TPID is never claimed, a bad protocol or VID is refused', () => {
    const v = new VlanClaims();
    v.set(VLAN_PROTO.Q, 31, true);
    v.set(VLAN_PROTO.Q, 31, true);
    v.set(VLAN_PROTO.Q, 32, true);
    expect([v.count, v.has(0x8100, 31), v.has(0x8100, 32), v.has(0x8100, 33), v.has(0x88a8, 31), v.has(0x0800, 31)])
      .toEqual([2, true, true, false, false, false]);
    v.set(VLAN_PROTO.Q, 31, false);
    v.set(VLAN_PROTO.Q, 31, false);
    expect([v.count, v.has(0x8100, 31)]).toEqual([1, false]);
    expect(() => v.set(0x9100 as never, 1, true)).toThrow(RangeError);
    expect(() => v.set(VLAN_PROTO.Q, 4096, true)).toThrow(RangeError);
  });
});
