// Source mode on topology TS: cases S1–S14 and the delivery rows SR1–SR10 (docs/forwarding.md), i.e. copies by
// the frame's source MAC, NODST, the allow-list operations.

import { describe, expect, it } from 'vitest';
import { Mode } from '../../../../src/core/constants.js';
import { checkSetMode, checkSourceOp } from '../../../../src/core/rules.js';
import { BCAST, E03, E1, E2, E22, E9, P_MAC, T0_CHILDREN, UNK, frame, hairpin, m, run, ts } from '../../helpers/frames.js';
import { G_112233, t0WithS1 } from './fixtures.js';

describe('S — source mode, TS', () => {
  it('S1: from E1 unicast to N1: N1, S1, S3; P-stack no', () => {
    const topo = ts();
    const o = run(topo, 'E', frame({ dst: topo.mac('N1'), src: E1 }));
    expect(o.rows).toEqual(['S1:source_copy', 'S3:source_copy', 'N1:unicast']);
    expect(o.toHost).toBe(false);
  });

  it('S2: from E1 to UNK and to P\'s MAC: S1, S3 + P-stack', () => {
    const topo = ts();
    for (const dst of [UNK, P_MAC]) {
      const o = run(topo, 'E', frame({ dst, src: E1 }));
      expect([o.to, o.toHost, o.reason]).toEqual([['S1', 'S3'], true, 'no_destination']);
    }
  });

  it('S3: from E1 broadcast: S1, S3, N1, N2, N3 + P-stack; to an unjoined group: S1, S3 + P-stack only', () => {
    const topo = ts();
    const b = run(topo, 'E', frame({ dst: BCAST, src: E1 }));
    expect([b.to, b.toHost]).toEqual([['N1', 'N2', 'N3', 'S1', 'S3'], true]);
    expect(b.rows.slice(0, 2)).toEqual(['S1:source_copy', 'S3:source_copy']);
    const g = run(topo, 'E', frame({ dst: G_112233, src: E1 }));
    expect([g.to, g.toHost, g.reason]).toEqual([['S1', 'S3'], true, 'none']);
  });

  it('S4: from E1 to S1\'s MAC: S1, S3 copies + P-stack; from E9: P-stack only', () => {
    const topo = ts();
    const a = run(topo, 'E', frame({ dst: topo.mac('S1'), src: E1 }));
    expect([a.rows, a.toHost]).toEqual([['S1:source_copy', 'S3:source_copy'], true]);
    const b = run(topo, 'E', frame({ dst: topo.mac('S1'), src: E9 }));
    expect([b.to, b.toHost, b.reason]).toEqual([[], true, 'no_destination']);
  });

  it('S5: from E2 (nodst S2) to N1, to P\'s MAC, broadcast: S2 only; N1 no; P-stack no', () => {
    const topo = ts();
    for (const dst of [topo.mac('N1'), P_MAC, BCAST]) {
      const o = run(topo, 'E', frame({ dst, src: E2 }));
      expect([o.rows, o.toHost, o.reason]).toEqual([['S2:source_copy'], false, 'nodst']);
    }
  });

  it('S6: S2 DOWN: from E2 to N1 and broadcast: nobody at all, P-stack included', () => {
    const topo = ts();
    topo.t.setUp(topo.s('S2'), false);
    for (const dst of [topo.mac('N1'), BCAST]) {
      const o = run(topo, 'E', frame({ dst, src: E2 }));
      expect([o.n, o.toHost, o.reason]).toEqual([0, false, 'nodst']);
    }
  });

  it('S7: from E9 broadcast: every non-source child + P-stack; no source child', () => {
    const topo = ts();
    const o = run(topo, 'E', frame({ dst: BCAST, src: E9 }));
    expect([o.to, o.toHost]).toEqual([['N1', 'N2', 'N3'], true]);
    const t0s = t0WithS1([E1]);
    expect(run(t0s, 'E', frame({ dst: BCAST, src: E9 })).to).toEqual(T0_CHILDREN);
  });

  it('S8: S3 created empty; add E1, add …:03 twice, del …:99: all succeed, count 2', () => {
    const topo = ts();
    const s3 = topo.s('S3');
    topo.t.sourceFlush(s3);
    const ops: Array<['add' | 'del', number]> = [['add', E1], ['add', E03], ['add', E03], ['del', m('02:ee:00:00:00:99')]];
    for (const [op, mac] of ops) {
      expect(checkSourceOp(topo.t, s3, Mode.SOURCE, [mac], op)).toBeNull();
      if (op === 'add') topo.t.sourceAdd(s3, mac); else topo.t.sourceDel(s3, mac);
    }
    expect(topo.t.sourceCount(s3)).toBe(2);
    expect(topo.t.sourceList(s3)).toEqual([E1, E03]);
  });

  it('S9: S1 → vepa → source flushes its list: from E1 to N1, S1 gets nothing (N1 does; S3 still lists E1)', () => {
    const topo = ts();
    const s1 = topo.s('S1');
    expect(checkSetMode(topo.t, s1, Mode.VEPA)).toBeNull();
    topo.t.setMode(s1, Mode.VEPA);
    topo.t.setMode(s1, Mode.SOURCE);
    expect(topo.t.sourceCount(s1)).toBe(0);
    expect(run(topo, 'E', frame({ dst: topo.mac('N1'), src: E1 })).to).toEqual(['N1', 'S3']);
  });

  it('S10: S1 → N1 unicast and S1 broadcast: wire only', () => {
    const topo = ts();
    expect(run(topo, 'S1', frame({ dst: topo.mac('N1'), src: topo.mac('S1') })).rows).toEqual(['wire:wire']);
    expect(run(topo, 'S1', frame({ dst: BCAST, src: topo.mac('S1') })).rows).toEqual(['wire:wire']);
  });

  it('S11: S3 lists N2: N2 → N3 unicast: N3 and S3, not on the wire', () => {
    const topo = ts();
    topo.t.sourceAdd(topo.s('S3'), topo.mac('N2'));
    const o = run(topo, 'N2', frame({ dst: topo.mac('N3'), src: topo.mac('N2') }));
    expect(o.rows).toEqual(['S3:source_copy', 'N3:local_unicast']);
  });

  it('S12: as S11, N2 broadcast: N3 + wire; S3 does not get it', () => {
    const topo = ts();
    topo.t.sourceAdd(topo.s('S3'), topo.mac('N2'));
    expect(run(topo, 'N2', frame({ dst: BCAST, src: topo.mac('N2') })).rows).toEqual(['N3:local_flood', 'wire:wire']);
  });

  it('S13: T0 + S1: broadcast with source = S1\'s MAC → S1 only, P-stack no; hairpin S1 broadcast → S1 only', () => {
    const topo = t0WithS1([E1]);
    const f = frame({ dst: BCAST, src: topo.mac('S1') });
    const o = run(topo, 'E', f);
    expect([o.rows, o.toHost]).toEqual([['S1:origin_only'], false]);
    const h = hairpin(topo, 'S1', f);
    expect([h.receivers, h.pStack]).toEqual([['S1'], false]);
  });

  it('S14: S3 macaddr flush: from E1 to N1 → N1 and S1 only', () => {
    const topo = ts();
    expect(checkSourceOp(topo.t, topo.s('S3'), Mode.SOURCE, [], 'flush')).toBeNull();
    topo.t.sourceFlush(topo.s('S3'));
    expect(run(topo, 'E', frame({ dst: topo.mac('N1'), src: E1 })).to).toEqual(['N1', 'S1']);
  });
});


describe('docs/forwarding.md — source mode delivery (SR1–SR10)', () => {
  it('SR1: listed source → copy to the UP source child before anything else, no filter check', () => {
    const o = run(ts(), 'E', frame({ dst: G_112233, src: E03 }));
    expect(o.rows).toEqual(['S3:source_copy']);
  });

  it('SR2: without NODST processing continues: destination, flood, P-stack', () => {
    const topo = ts();
    expect(run(topo, 'E', frame({ dst: topo.mac('N3'), src: E03 })).rows).toEqual(['S3:source_copy', 'N3:unicast']);
    const b = run(topo, 'E', frame({ dst: BCAST, src: E03 }));
    expect([b.to, b.toHost]).toEqual([['N1', 'N2', 'N3', 'S3'], true]);
  });

  it('SR3: a NODST match drops the frame after the copies: no destination, no flood, no P-stack', () => {
    const topo = ts();
    for (const dst of [topo.mac('N1'), BCAST, UNK]) {
      const o = run(topo, 'E', frame({ dst, src: E22 }));
      expect([o.rows, o.toHost, o.reason]).toEqual([['S2:source_copy'], false, 'nodst']);
    }
  });

  it('SR4: the NODST child DOWN: no copy, still dropped for everyone', () => {
    const topo = ts();
    topo.t.setUp(topo.s('S2'), false);
    const o = run(topo, 'E', frame({ dst: topo.mac('N1'), src: E22 }));
    expect([o.n, o.toHost, o.reason]).toEqual([0, false, 'nodst']);
  });

  it('SR5: unlisted source to S\'s own MAC: S gets nothing; P-stack', () => {
    const topo = ts();
    const o = run(topo, 'E', frame({ dst: topo.mac('S1'), src: E9 }));
    expect([o.to, o.toHost]).toEqual([[], true]);
  });

  it('SR6: bridge child to bridge sibling (X2) with the sender listed: S gets a copy', () => {
    const topo = ts();
    topo.t.sourceAdd(topo.s('S1'), topo.mac('N3'));
    expect(run(topo, 'N3', frame({ dst: topo.mac('N2'), src: topo.mac('N3') })).rows)
      .toEqual(['S1:source_copy', 'N2:local_unicast']);
  });

  it('SR6 with NODST: the bridge-local unicast is consumed after the copy', () => {
    const topo = ts();
    topo.t.sourceAdd(topo.s('S2'), topo.mac('N3'));
    const o = run(topo, 'N3', frame({ dst: topo.mac('N2'), src: topo.mac('N3') }));
    expect([o.rows, o.reason]).toEqual([['S2:source_copy'], 'nodst']);
  });

  it('SR7: a bridge child\'s local flood (X1): S gets nothing', () => {
    const topo = ts();
    topo.t.sourceAdd(topo.s('S1'), topo.mac('N3'));
    expect(run(topo, 'N3', frame({ dst: BCAST, src: topo.mac('N3') })).rows).toEqual(['N2:local_flood', 'wire:wire']);
  });

  it('SR8: S transmits: always to the wire', () => {
    const topo = ts();
    for (const dst of [topo.mac('N2'), topo.mac('S3'), BCAST, UNK]) {
      expect(run(topo, 'S3', frame({ dst, src: topo.mac('S3') })).rows).toEqual(['wire:wire']);
    }
  });

  it('SR9: unlisted source, group frame or unicast to S\'s MAC: S gets nothing', () => {
    const topo = ts();
    for (const c of ['S1', 'S2', 'S3']) topo.t.setAllmulti(topo.s(c), true);
    expect(run(topo, 'E', frame({ dst: G_112233, src: E9 })).to).toEqual([]);
    expect(run(topo, 'E', frame({ dst: BCAST, src: E9 })).to).toEqual(['N1', 'N2', 'N3']);
    expect(run(topo, 'E', frame({ dst: topo.mac('S2'), src: E9 })).to).toEqual([]);
  });

  it('SR10: reflected group frame with S\'s own MAC as source: to S only', () => {
    const topo = ts();
    const o = run(topo, 'E', frame({ dst: BCAST, src: topo.mac('S1') }));
    expect([o.rows, o.toHost]).toEqual([['S1:origin_only'], false]);
  });
});
