// The daemon's parts import in one direction (docs/architecture.md, "Control: the daemon"): daemon.ts wires them;
// the concerns below it never import daemon.ts, host-linux.ts or the addon, and port-state.ts imports none of them.
// host-linux.ts and host-linux-tap.ts reach the system through src/io/ only, never the addon directly; io takes an address as bytes, which
// host-linux.ts reads from the daemon's text with wire/ip-address.ts, the one home of IP text.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const CONTROL = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src/control');

/** Relative module specifiers of a source file (static imports and re-exports), comments removed */
function imports(file: string): string[] {
  const code = readFileSync(join(CONTROL, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...code.matchAll(/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

const CONCERNS = ['daemon-children.ts', 'port-state.ts', 'child-changes.ts', 'tap-events.ts', 'parent-events.ts', 'group-memberships.ts', 'daemon-error.ts', 'vlan-uppers.ts'];
const NEVER = ['./daemon.js', './host-linux.js', '../io/native.js'];
/** What each concern may not import besides NEVER: the arrows run daemon → events → changes → state */
const ALSO_NEVER: Record<string, string[]> = {
  'port-state.ts': ['./child-changes.js', './tap-events.js', './parent-events.js', './group-memberships.js'],
  'group-memberships.ts': ['./child-changes.js', './tap-events.js', './parent-events.js'],
  'child-changes.ts': ['./tap-events.js', './parent-events.js'],
  'parent-events.ts': ['./tap-events.js', './child-changes.js'],
  'vlan-uppers.ts': ['./tap-events.js', './child-changes.js', './parent-events.js', './group-memberships.js'],
};

describe('the daemon\'s rooms', () => {
  for (const f of CONCERNS) {
    test(`${f} imports downwards only`, () => {
      const got = imports(f);
      expect(got.length).toBeGreaterThan(0);
      expect(got.filter((s) => NEVER.includes(s) || (ALSO_NEVER[f] ?? []).includes(s))).toEqual([]);
    });
  }

  for (const f of ['host-linux.ts', 'host-linux-tap.ts']) {
    test(`${f} goes through src/io/, not the addon`, () => {
      const got = imports(f);
      expect(got).not.toContain('../io/native.js');
      expect(got.filter((s) => s.startsWith('../') && !s.startsWith('../io/') && s !== '../wire/ip-address.js')).toEqual([]);
      expect(readFileSync(join(CONTROL, f), 'utf8')).not.toMatch(/loadAddon/);
    });
  }

  test('the checker sees imports and re-exports', () => {
    expect(imports('daemon.ts')).toEqual(expect.arrayContaining(['./port-state.js', './daemon-error.js', '../datapath/handle.js']));
  });
});
