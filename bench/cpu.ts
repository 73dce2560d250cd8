/**
 * CPU time per process from /proc (Linux): lets the benchmark say where the cycles went (the
 * browser's processes by type, the local server), not only how long things took.
 */
import { readFileSync, readdirSync } from 'node:fs';

export type CpuSample = Map<number, { name: string; ticks: number }>;

const TICK_MS = 10; // USER_HZ = 100 on Linux

function classify(pid: number): string | undefined {
  let cmd: string;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
  if (cmd.includes('chromium')) {
    const type = /--type=(\S+)/.exec(cmd)?.[1];
    const sub = /--utility-sub-type=(\S+)/.exec(cmd)?.[1];
    if (!type) return 'browser';
    if (type === 'utility') return sub?.includes('Network') ? 'network' : 'utility';
    return type;
  }
  if (cmd.includes('ahi-server/cli.ts')) return 'ahi-server';
  return undefined;
}

/**
 * A process and all its descendants: the one browser a run launched, not any other Chromium on
 * the machine (a stray one from an interrupted run once added 250 MB to every number).
 */
export function processTree(root: number): Set<number> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    } catch {
      // exited
    }
  }
  const out = new Set<number>([root]);
  const todo = [root];
  while (todo.length) {
    for (const c of children.get(todo.pop()!) ?? []) {
      if (out.has(c)) continue;
      out.add(c);
      todo.push(c);
    }
  }
  return out;
}

export function sampleCpu(only?: Set<number>): CpuSample {
  const out: CpuSample = new Map();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || (only && !only.has(pid))) continue;
    const name = classify(pid);
    if (!name) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, { name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // exited
    }
  }
  return out;
}

/** CPU ms per process kind between two samples. */
export function cpuDelta(a: CpuSample, b: CpuSample): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, s] of b) {
    const before = a.get(pid)?.ticks ?? 0;
    out[s.name] = (out[s.name] ?? 0) + (s.ticks - before) * TICK_MS;
  }
  return out;
}

/**
 * Memory of all Chromium processes, MB, as proportional set size (a page shared by n processes
 * counts 1/n in each): summed RSS would count the zygote's shared pages once per process.
 */
export function chromiumRssMb(byType?: Record<string, number>, only?: Set<number>): number {
  let kb = 0;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || (only && !only.has(pid))) continue;
    const name = classify(pid);
    if (!name || name === 'ahi-server') continue;
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (m) kb += Number(m[1]);
      if (m && byType) byType[name] = (byType[name] ?? 0) + Number(m[1]) / 1024;
    } catch {
      // exited
    }
  }
  return kb / 1024;
}

/**
 * Resident memory of the Chromium processes, MB, from /proc/<pid>/statm: about 0.02 ms a process,
 * where PSS (smaps_rollup walks the page tables) takes 1-5 ms each, 20-28 ms for one browser
 * under load. The bench reads this often and PSS only at a new high of it.
 */
export function chromiumResidentMb(only: Set<number>): number {
  let pages = 0;
  for (const pid of only) {
    try {
      pages += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    } catch {
      // exited
    }
  }
  return (pages * 4096) / 1024 / 1024;
}

/**
 * The renderer process of the page under test: the one running its dedicated workers (a fresh
 * headless Chromium also runs a renderer of its own, the "WebUI Top Renderer").
 */
export function pageRenderer(only: Set<number>): number | undefined {
  for (const pid of only) {
    if (classify(pid) !== 'renderer') continue;
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`))
        if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('DedicatedWorker'))
          return pid;
    } catch {
      // exited
    }
  }
  return undefined;
}

/**
 * The scheduler's counters for a process's main thread (its thread ID is the process ID): ms on a
 * core, and ms runnable but waiting for one (/proc/<pid>/task/<pid>/schedstat, in ns).
 */
export function mainThreadSched(pid: number): { runMs: number; waitMs: number } | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ');
    return { runMs: Number(run) / 1e6, waitMs: Number(wait) / 1e6 };
  } catch {
    return undefined;
  }
}

export interface SchedSample {
  /** ms since the epoch */
  t: number;
  runMs: number;
  waitMs: number;
}

/**
 * The counters' change over the smallest sampled window holding [from, to] (ms since the epoch;
 * samples in time order), or undefined when the samples do not cover it.
 */
export function schedOver(samples: readonly SchedSample[], from: number, to: number) {
  let i = samples.length - 1;
  while (i > 0 && samples[i]!.t > from) i--;
  let j = i;
  while (j < samples.length - 1 && samples[j]!.t < to) j++;
  const [a, b] = [samples[i], samples[j]];
  if (!a || !b || a.t > from || b.t < to) return undefined;
  return { windowMs: b.t - a.t, runMs: b.runMs - a.runMs, waitMs: b.waitMs - a.waitMs };
}

/**
 * Chromium processes running now: called before the bench launches its own, any is another's. One
 * left over by an interrupted run shares its binary's and zygote's pages with the bench's browser,
 * and PSS divides shared pages between them: one idle such browser took about 100 MB off every
 * memory peak in one bench.
 */
export function chromiumPids(): number[] {
  return [...sampleCpu()].filter(([, s]) => s.name !== 'ahi-server').map(([pid]) => pid);
}
