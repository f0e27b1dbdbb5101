// The Kubernetes files and the Containerfile cannot run here: this parses them, runs every `umacvlan …` command line
// in them through the project's own argument parser (with Kubernetes' $(VAR) and the probe shell's "$VAR" expanded
// from the container's environment, the ConfigMap's value standing in), checks what the DaemonSet must hold for the
// daemon to serve CNI on a node, and puts the NetworkAttachmentDefinition's config through the plugin's validation.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parseCniEnv } from '../../src/cni/cni-env.js';
import { parseNetConf } from '../../src/cni/netconf.js';
import { parseCommand, type Command } from '../../src/control/args.js';
import { UsageError } from '../../src/control/usage-error.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const K8S = join(ROOT, 'deploy', 'kubernetes');

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- manifests are free-form

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? jsonFiles(join(dir, d.name)) : d.name.endsWith('.json') ? [join(dir, d.name)] : []);
}

const manifests: Obj[] = jsonFiles(K8S).map((f) => JSON.parse(readFileSync(f, 'utf8')) as Obj);
const one = (kind: string): Obj => {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
};
const configMap = one('ConfigMap');
const daemonSet = one('DaemonSet');
const nad = one('NetworkAttachmentDefinition');
const pod = one('Pod');
const podSpec: Obj = daemonSet.spec.template.spec;

/** A container's environment: literal values, and configMapKeyRef looked up in the ConfigMap shipped beside it. */
function envOf(c: Obj): Map<string, string> {
  const env = new Map<string, string>();
  for (const e of (c.env ?? []) as Obj[]) {
    if (typeof e.value === 'string') env.set(e.name, e.value);
    const ref = e.valueFrom?.configMapKeyRef;
    if (ref) {
      expect(ref.name, `${e.name}'s ConfigMap`).toBe(configMap.metadata.name);
      const v = configMap.data[ref.key];
      expect(typeof v, `${e.name} = ConfigMap ${ref.key}`).toBe('string');
      env.set(e.name, v);
    }
  }
  return env;
}

/** Kubernetes' expansion of command and args: $(VAR) from the container's env; $$ is a literal $. */
function k8sExpand(word: string, env: Map<string, string>): string {
  return word.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name?: string) => {
    if (m === '$$') return '$';
    const v = env.get(name!);
    if (v === undefined) throw new Error(`$(${name}) is not in the container's env`);
    return v;
  });
}

/**
 * The words of a probe's `sh -c` script, for the only shape the files use: `[exec] word...`, each word bare or in
 * double quotes, with "$VAR" / "${VAR}" expanded. Anything else (pipes, other quoting) fails the test.
 */
function shWords(script: string, env: Map<string, string>): string[] {
  const words: string[] = [];
  const re = /\s*(?:"((?:[^"\\$]|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)*)"|([A-Za-z0-9_./=:-]+))/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < script.length && (m = re.exec(script)) !== null) {
    const text = m[1] ?? m[2];
    words.push(text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => {
      const v = env.get(n);
      if (v === undefined) throw new Error(`$${n} is not in the container's env`);
      return v;
    }));
  }
  expect(script.slice(re.lastIndex).trim(), `the rest of ${JSON.stringify(script)}`).toBe('');
  return words[0] === 'exec' ? words.slice(1) : words;
}

/** Every umacvlan command line of a container: its command + args, and its probes. */
function commandLines(c: Obj): Array<{ where: string; argv: string[] }> {
  const env = envOf(c);
  const out: Array<{ where: string; argv: string[] }> = [];
  const take = (where: string, words: string[] | undefined, shell: boolean): void => {
    if (!words) return;
    const argv = shell && words[0] === 'sh' && words[1] === '-c' ? shWords(words[2], env) : words.map((w) => k8sExpand(w, env));
    if (argv[0] === 'umacvlan') out.push({ where, argv });
    else expect(JSON.stringify(words), `${where} runs only umacvlan`).not.toMatch(/umacvlan/);
  };
  take(`${c.name} command`, [...(c.command ?? []), ...(c.args ?? [])], false);
  for (const p of ['readinessProbe', 'livenessProbe', 'startupProbe']) take(`${c.name} ${p}`, c[p]?.exec?.command, true);
  return out;
}

function parsed(argv: string[]): Command {
  const cmd = parseCommand(argv.slice(1), () => new UsageError('--config', 'no config files in these tests'));
  if (cmd instanceof UsageError) throw new Error(`${argv.join(' ')}: ${cmd.message}`);
  return cmd;
}

const MASTER = configMap.data.master as string;

describe('deploy/kubernetes: the DaemonSet', () => {
  const init: Obj[] = podSpec.initContainers;
  const main: Obj[] = podSpec.containers;

  test('every umacvlan command line is accepted by the project\'s parser', () => {
    const lines = [...init, ...main].flatMap(commandLines);
    expect(lines.map((l) => l.where)).toEqual([
      'install-cni-plugin command', 'umacvlan command', 'umacvlan readinessProbe',
    ]);
    for (const l of lines) expect(() => parsed(l.argv), l.where).not.toThrow();
  });

  test('the init container installs the plugin into the host\'s CNI directory', () => {
    const [c] = init;
    const cmd = parsed(commandLines(c)[0].argv);
    expect(cmd).toEqual({ kind: 'cni-install', dir: '/host/opt/cni/bin' });
    const mount = (c.volumeMounts as Obj[]).find((m) => m.mountPath === '/host/opt/cni/bin');
    const vol = (podSpec.volumes as Obj[]).find((v) => v.name === mount?.name);
    expect(vol?.hostPath.path).toBe('/opt/cni/bin');
  });

  test('the daemon runs on the ConfigMap\'s master, persistent; readiness asks its control socket', () => {
    const [run, probe] = commandLines(main[0]).map((l) => parsed(l.argv));
    expect(run.kind).toBe('run');
    if (run.kind !== 'run') return;
    expect(run.config.parent).toBe(MASTER);
    expect(run.config.persist).toBe(true);
    expect(probe).toMatchObject({ kind: 'show', target: { parent: MASTER } });
  });

  test('the host\'s network, PIDs and devices; privileged (Bidirectional propagation needs it)', () => {
    expect(podSpec.hostNetwork).toBe(true);
    expect(podSpec.hostPID).toBe(true);
    expect(main[0].securityContext.privileged).toBe(true);
    expect(podSpec.tolerations).toContainEqual({ operator: 'Exists' });
  });

  test('the mounts the daemon needs, with their propagation', () => {
    const vols = new Map((podSpec.volumes as Obj[]).map((v) => [v.name as string, v]));
    const mounts = new Map((main[0].volumeMounts as Obj[]).map((m) => [m.mountPath as string, m]));
    const want: Array<[string, string, string | undefined]> = [
      ['/dev/net/tun', '/dev/net/tun', undefined],
      ['/run/umacvlan', '/run/umacvlan', 'Bidirectional'],
      ['/run/netns', '/run/netns', 'HostToContainer'],
      ['/var/run/netns', '/var/run/netns', 'HostToContainer'],
      ['/opt/cni/bin', '/opt/cni/bin', undefined],
      ['/var/lib/cni', '/var/lib/cni', undefined],
    ];
    for (const [path, host, propagation] of want) {
      const m = mounts.get(path);
      expect(m, path).toBeDefined();
      expect(vols.get(m!.name)?.hostPath?.path, path).toBe(host);
      expect(m!.mountPropagation, path).toBe(propagation);
    }
    expect(vols.get(mounts.get('/dev/net/tun')!.name)?.hostPath.type).toBe('CharDevice');
    for (const c of [...init, ...main]) {
      for (const m of c.volumeMounts as Obj[]) expect(vols.has(m.name), `${c.name}: ${m.name}`).toBe(true);
    }
  });

  test('both containers run the image the Containerfile builds', () => {
    for (const c of [...init, ...main]) expect(c.image).toBe('umacvlan:latest');
  });
});

describe('deploy/kubernetes/examples: Multus', () => {
  const config = nad.spec.config as string;

  test('the NetworkAttachmentDefinition\'s config passes the plugin\'s validation', () => {
    const env = parseCniEnv({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'pod1', CNI_NETNS: '/var/run/netns/x', CNI_IFNAME: 'net1', CNI_PATH: '/opt/cni/bin' });
    const conf = parseNetConf(config, env);
    expect(JSON.parse(config).type).toBe('umacvlan');
    expect(conf.name).toBe(nad.metadata.name);
    expect(conf.master).toBe(MASTER);
    expect(conf.ipamType).toBe('host-local');
  });

  test('the example pod asks for it by name', () => {
    expect(pod.metadata.annotations['k8s.v1.cni.cncf.io/networks']).toBe(nad.metadata.name);
    expect(pod.metadata.namespace).toBe(nad.metadata.namespace);
  });
});

describe('deploy/Containerfile', () => {
  const text = readFileSync(join(ROOT, 'deploy', 'Containerfile'), 'utf8');
  const lines = text.split('\n').filter((l) => /^[A-Z]+ /.test(l));

  test('Node 20, npm ci, the development packages dropped', () => {
    expect(lines.filter((l) => l.startsWith('FROM ')).every((l) => /node:20-/.test(l))).toBe(true);
    expect(text).toMatch(/^RUN npm ci && npm prune --omit=dev$/m);
  });

  test('every COPY from the checkout names something that exists; the command on PATH is the package\'s bin', () => {
    for (const l of lines.filter((x) => x.startsWith('COPY ') && !x.includes('--from='))) {
      const srcs = l.split(/\s+/).slice(1, -1);
      for (const s of srcs) expect(existsSync(join(ROOT, s)), s).toBe(true);
    }
    const bin = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Obj).bin.umacvlan as string;
    expect(text).toContain(`ln -s /opt/umacvlan/${bin} /usr/local/bin/umacvlan`);
  });

  test('everything tsconfig.json compiles is copied in', () => {
    const include = (JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as Obj).include as string[];
    for (const glob of include) expect(text, glob).toContain(`COPY ${glob.split('/')[0]} ./${glob.split('/')[0]}`);
  });
});
