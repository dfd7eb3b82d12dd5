/** The `machine` block every benchmark result carries: what the figures were measured on. */
import { spawnSync } from "node:child_process";
import os from "node:os";

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  v8: string;
  /** 1-, 5- and 15-minute load averages when the bench started: above the core count means contention. */
  loadavg: number[];
  date: string;
  gcc?: string;
  python?: string;
}

/** Describes this machine (and, when asked, the gcc and python3 that the native and SciPy peers use). */
export function machineInfo(extra: { gcc?: boolean; python?: boolean } = {}): MachineInfo {
  const cpus = os.cpus();
  const info: MachineInfo = {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    date: new Date().toISOString(),
  };
  if (extra.gcc) info.gcc = firstLine("gcc", ["--version"]);
  if (extra.python) info.python = firstLine("python3", ["-c", "import sys, numpy, scipy; print(sys.version.split()[0], 'numpy', numpy.__version__, 'scipy', scipy.__version__)"]);
  return info;
}

function firstLine(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0 || typeof r.stdout !== "string") return undefined;
  return r.stdout.split("\n")[0]!.trim();
}

/** One markdown line stating the machine. */
export function machineLine(m: MachineInfo): string {
  const parts = [`${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB`, `Node ${m.node} (V8 ${m.v8})`];
  if (m.gcc) parts.push(m.gcc);
  if (m.python) parts.push(`Python ${m.python}`);
  parts.push(`load average ${m.loadavg.join(" / ")} at start`, m.date);
  return `Machine: ${parts.join("; ")}.`;
}
