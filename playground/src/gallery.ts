/**
 * The playground's gallery: each entry is what the form shows (vector field source, initial state,
 * parameters, time span, solver, tolerances) plus which components the phase portrait uses.
 * The browser test solves each one with the library in Node and compares with what was plotted.
 */
export interface Example {
  id: string;
  title: string;
  /** One or two sentences shown under the title. */
  about: string;
  /** The vector field: a JavaScript function (t, y, args) => [...] or (t, y, args, dy) => { ... }. */
  code: string;
  /** Optional diffusion g(t, y, args, g) for SDEs (diagonal noise). */
  diffusion?: string;
  /** Optional event: condition g(t, y, args) (a number whose sign change fires it), direction, and an affect returning the new state. */
  event?: EventSpec;
  y0: number[];
  args: Record<string, number>;
  t0: number;
  t1: number;
  solver: string;
  rtol: number;
  atol: number;
  /** Fixed step for SDE solvers without an error estimate. */
  dt0?: number;
  /** Trajectories: SDE sample paths (seeds 0 … n−1), or ODE solutions from perturbed y0. @defaultValue 1 */
  paths?: number;
  /** ODE ensembles: relative perturbation of y0 across the trajectories. @defaultValue 0 */
  spread?: number;
  names: string[];
  phase: [number, number];
  /** How the plots open. */
  view?: View;
  /** The browser test compares plotted values with Node up to this time (chaos grows differences). */
  checkUntil: number;
}

/** An event as the playground takes it: every function goes through `compile`. */
export interface EventSpec {
  /** (t, y, args) => number: the event fires where it crosses zero. */
  cond: string;
  direction: "up" | "down" | "either";
  /** (t, y, args) => [...]: the state after the event (omit for none). */
  affect?: string;
  terminal: boolean;
}

/** Plot settings: log axes, scale factors per component, equal aspect and markers of the phase portrait. */
export interface View {
  logx?: boolean;
  logy?: boolean;
  /** Factors per component for the time plot (ROBER's B × 10⁴). */
  scale?: Record<number, number>;
  phaseEqual?: boolean;
  markers?: { x: number; y: number; label: string }[];
}

export const GALLERY: Example[] = [
  {
    id: "lorenz", title: "Lorenz attractor",
    about: "Lorenz's 1963 convection model: chaotic for σ = 10, ρ = 28, β = 8/3.",
    code: `function lorenz(t, [x, y, z], { sigma, rho, beta }) {
  return [
    sigma * (y - x),
    x * (rho - z) - y,
    x * y - beta * z,
  ];
}`,
    y0: [1, 1, 1], args: { sigma: 10, rho: 28, beta: 8 / 3 }, t0: 0, t1: 40, solver: "Tsit5", rtol: 1e-8, atol: 1e-10,
    names: ["x", "y", "z"], phase: [0, 2], checkUntil: 10,
  },
  {
    id: "lorenz-ensemble", title: "Lorenz: 50 nearby starts (ensemble)",
    about: "Fifty solutions from starting points 10⁻⁶ apart: they follow each other for a while, then chaos spreads them over the attractor.",
    code: `function lorenz(t, [x, y, z], { sigma, rho, beta }) {
  return [
    sigma * (y - x),
    x * (rho - z) - y,
    x * y - beta * z,
  ];
}`,
    y0: [1, 1, 1], args: { sigma: 10, rho: 28, beta: 8 / 3 }, t0: 0, t1: 30, solver: "Tsit5", rtol: 1e-8, atol: 1e-10, paths: 50, spread: 1e-6,
    names: ["x", "y", "z"], phase: [0, 2], checkUntil: 10,
  },
  {
    id: "vanderpol", title: "Van der Pol (stiff, μ = 1000)",
    about: "Relaxation oscillations: slow drifts and sudden jumps (v peaks near ±1300, so it is drawn × 10⁻³). Stiff: Rodas5P with the compiled, exact Jacobian.",
    code: `function vanderpol(t, [x, v], { mu }) {
  return [v, mu * (1 - x * x) * v - x];
}`,
    y0: [2, 0], args: { mu: 1000 }, t0: 0, t1: 3000, solver: "Rodas5P", rtol: 1e-6, atol: 1e-8,
    names: ["x", "v"], phase: [0, 1], view: { scale: { 1: 1e-3 } }, checkUntil: 3000,
  },
  {
    id: "rober", title: "Robertson chemical kinetics (ROBER)",
    about: "Three reactions with rate constants 0.04, 3·10⁷ and 10⁴: a classic stiff test (Hairer & Wanner), shown their way: log t up to 10¹¹, B × 10⁴.",
    code: `function rober(t, [a, b, c], { k1, k2, k3 }) {
  return [
    -k1 * a + k3 * b * c,
    k1 * a - k2 * b * b - k3 * b * c,
    k2 * b * b,
  ];
}`,
    y0: [1, 0, 0], args: { k1: 0.04, k2: 3e7, k3: 1e4 }, t0: 0, t1: 1e11, solver: "Rodas5P", rtol: 1e-8, atol: 1e-12,
    names: ["A", "B", "C"], phase: [0, 2], view: { logx: true, scale: { 1: 1e4 } }, checkUntil: 1e11,
  },
  {
    id: "bouncing-ball", title: "Bouncing ball (events)",
    about: "Free fall with an Event at height 0 that reverses and damps the velocity (restitution 0.9).",
    code: `function ball(t, [h, v], { g }) {
  return [v, -g];
}`,
    event: {
      cond: `(t, [h, v]) => h   // height crosses zero ...`,
      direction: "down", // ... going down
      affect: `(t, [h, v]) => [h, -0.9 * v]   // the state after the bounce`,
      terminal: false,
    },
    y0: [10, 0], args: { g: 9.81 }, t0: 0, t1: 12, solver: "Dopri5", rtol: 1e-10, atol: 1e-12,
    names: ["height", "velocity"], phase: [0, 1], checkUntil: 12,
  },
  {
    id: "sir", title: "SIR epidemic",
    about: "Susceptible, infected, recovered fractions with contact rate β = 0.3 and recovery rate γ = 0.1 (R₀ = 3).",
    code: `function sir(t, [s, i, r], { beta, gamma }) {
  return [
    -beta * s * i,
    beta * s * i - gamma * i,
    gamma * i,
  ];
}`,
    y0: [0.99, 0.01, 0], args: { beta: 0.3, gamma: 0.1 }, t0: 0, t1: 160, solver: "Tsit5", rtol: 1e-8, atol: 1e-10,
    names: ["S", "I", "R"], phase: [0, 1], checkUntil: 160,
  },
  {
    id: "pendulum", title: "Nonlinear pendulum",
    about: "θ'' = −(g/L) sin θ from a large amplitude; the phase portrait is a closed curve (energy is conserved).",
    code: `function pendulum(t, [theta, omega], { g, L }) {
  return [omega, -(g / L) * Math.sin(theta)];
}`,
    y0: [2.5, 0], args: { g: 9.81, L: 1 }, t0: 0, t1: 20, solver: "Vern9", rtol: 1e-10, atol: 1e-12,
    names: ["θ", "ω"], phase: [0, 1], checkUntil: 20,
  },
  {
    id: "arenstorf", title: "Arenstorf orbit",
    about: "A periodic orbit of the restricted three-body problem (Earth, Moon, satellite); one period T ≈ 17.0652.",
    code: `function arenstorf(t, [y1, y2, v1, v2], { mu }) {
  const mu1 = 1 - mu;
  const D1 = Math.pow((y1 + mu) * (y1 + mu) + y2 * y2, 1.5);
  const D2 = Math.pow((y1 - mu1) * (y1 - mu1) + y2 * y2, 1.5);
  return [
    v1,
    v2,
    y1 + 2 * v2 - mu1 * (y1 + mu) / D1 - mu * (y1 - mu1) / D2,
    y2 - 2 * v1 - mu1 * y2 / D1 - mu * y2 / D2,
  ];
}`,
    y0: [0.994, 0, 0, -2.00158510637908252240537862224], args: { mu: 0.012277471 }, t0: 0, t1: 17.0652165601579625588917206249,
    solver: "Vern9", rtol: 1e-10, atol: 1e-12, names: ["y1", "y2", "v1", "v2"], phase: [0, 1], checkUntil: 17.0652165601579625588917206249,
    view: { phaseEqual: true, markers: [{ x: -0.012277471, y: 0, label: "Earth" }, { x: 1 - 0.012277471, y: 0, label: "Moon" }] },
  },
  {
    id: "sde", title: "SDE paths (Ornstein–Uhlenbeck)",
    about: "dX = θ(μ − X) dt + σ dW: 32 sample paths (seeds 0–31) with ShARK and adaptive steps over a virtual Brownian tree.",
    code: `function drift(t, [x], { theta, mean }) {
  return [theta * (mean - x)];
}`,
    diffusion: `(t, y, args, g) => { g[0] = args.sigma; }`,
    y0: [3], args: { theta: 2, mean: 1, sigma: 0.5 }, t0: 0, t1: 5, solver: "ShARK", rtol: 1e-3, atol: 1e-3, paths: 32,
    names: ["X"], phase: [0, 0], checkUntil: 5,
  },
];
