// Fixtures several spec files share, on top of the topologies in ../../helpers/frames.ts (T0, TS, TP).

import { Mode } from '../../../../src/core/constants.js';
import { type Topo, m, t0 } from '../../helpers/frames.js';

/** A group nobody on the standard topologies has joined */
export const G_112233 = m('01:00:5e:11:22:33');

/** T0 plus a source-mode child S1 (MAC …:51) listing `sources` */
export function t0WithS1(sources: number[] = []): Topo {
  return t0([{ name: 'S1', mac: m('02:aa:00:00:00:51'), mode: Mode.SOURCE, sources }]);
}
