/**
 * Share links: the problem on the page (sources, numbers, solver, view) as JSON in the URL's
 * fragment, `#p=` followed by base64url. Reading a link checks every field's type and size and
 * drops what it does not know; the sources it carries are text for the compiler (safe.ts), never
 * code for `new Function`. Names are shown with textContent, never as HTML.
 */
import type { EventSpec, View } from "./gallery.js";

/** What a link carries: the form's contents. */
export interface Shared {
  code: string;
  diffusion?: string;
  event?: EventSpec;
  y0: number[];
  args: Record<string, number>;
  t0: number;
  t1: number;
  solver: string;
  rtol: number;
  atol: number;
  paths: number;
  spread: number;
  names: string[];
  phase: [number, number];
  view: View;
}

const MAX_SOURCE = 20_000;
const MAX_STATE = 64;

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): string {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** The fragment (`#p=…`) that reproduces `s`. */
export function encodeLink(s: Shared): string {
  return `#p=${toBase64Url(JSON.stringify(s))}`;
}

/** A link's problem, checked; throws an Error saying which field is wrong. */
export function decodeLink(hash: string): Shared {
  const m = /^#?p=([A-Za-z0-9_-]*)$/.exec(hash);
  if (m === null) throw new Error("this link's fragment is not #p=… (a problem written by the Share button)");
  if (m[1]!.length > 4 * MAX_SOURCE) throw new Error("this link is too long to be a problem written by the Share button");
  let o: unknown;
  try {
    o = JSON.parse(fromBase64Url(m[1]!));
  } catch (e) {
    throw new Error(`this link's problem cannot be read (${(e as Error).message})`);
  }
  if (o === null || typeof o !== "object" || Array.isArray(o)) throw new Error("this link's problem is not an object");
  const r = o as Record<string, unknown>;
  const str = (k: string, v: unknown = r[k]): string => {
    if (typeof v !== "string" || v.length > MAX_SOURCE) throw new Error(`the link's \`${k}\` must be text of at most ${MAX_SOURCE} characters`);
    return v;
  };
  const num = (k: string, v: unknown = r[k]): number => {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`the link's \`${k}\` must be a finite number`);
    return v;
  };
  const nums = (k: string, max: number): number[] => {
    const v = r[k];
    if (!Array.isArray(v) || v.length === 0 || v.length > max) throw new Error(`the link's \`${k}\` must be a list of 1 to ${max} numbers`);
    return v.map((x, i) => num(`${k}[${i}]`, x));
  };
  const args: Record<string, number> = {};
  if (r.args !== undefined) {
    if (r.args === null || typeof r.args !== "object" || Array.isArray(r.args)) throw new Error("the link's `args` must be an object of numbers");
    for (const [k, v] of Object.entries(r.args as Record<string, unknown>)) {
      if (!/^[A-Za-z_$][\w$]{0,39}$/.test(k) || ["__proto__", "constructor", "prototype"].includes(k)) throw new Error(`the link's args key ${JSON.stringify(k.slice(0, 40))} is not a parameter name`);
      args[k] = num(`args.${k}`, v);
    }
  }
  const y0 = nums("y0", MAX_STATE);
  const phase = nums("phase", 2);
  const names = Array.isArray(r.names) ? r.names.slice(0, MAX_STATE).map((x, i) => str(`names[${i}]`, x).slice(0, 40)) : [];
  let event: EventSpec | undefined;
  if (r.event !== undefined && r.event !== null) {
    const e = r.event as Record<string, unknown>;
    if (typeof e !== "object") throw new Error("the link's `event` must be an object");
    const direction = str("event.direction", e.direction);
    if (direction !== "up" && direction !== "down" && direction !== "either") throw new Error("the link's event direction must be up, down or either");
    event = { cond: str("event.cond", e.cond), direction, terminal: e.terminal === true, ...(e.affect === undefined ? {} : { affect: str("event.affect", e.affect) }) };
  }
  const v = (r.view ?? {}) as Record<string, unknown>;
  const view: View = {};
  if (v.logx === true) view.logx = true;
  if (v.logy === true) view.logy = true;
  if (v.phaseEqual === true) view.phaseEqual = true;
  if (v.scale !== undefined && v.scale !== null && typeof v.scale === "object") {
    view.scale = {};
    for (const [k, f] of Object.entries(v.scale as Record<string, unknown>)) if (/^\d{1,2}$/.test(k)) view.scale[Number(k)] = num(`view.scale.${k}`, f);
  }
  if (Array.isArray(v.markers)) {
    view.markers = v.markers.slice(0, 16).map((mk: Record<string, unknown>, i) => ({ x: num(`markers[${i}].x`, mk?.x), y: num(`markers[${i}].y`, mk?.y), label: str(`markers[${i}].label`, mk?.label).slice(0, 40) }));
  }
  return {
    code: str("code"),
    ...(r.diffusion === undefined || r.diffusion === null ? {} : { diffusion: str("diffusion") }),
    ...(event ? { event } : {}),
    y0, args, t0: num("t0"), t1: num("t1"), solver: str("solver").slice(0, 40), rtol: num("rtol"), atol: num("atol"),
    paths: r.paths === undefined ? 1 : num("paths"), spread: r.spread === undefined ? 0 : num("spread"),
    names, phase: [phase[0]!, phase[1] ?? phase[0]!], view,
  };
}
