// The Lorenz vector field of examples/lorenz-ensemble.ts, in a plain ES module so that worker
// threads can import it by URL (a closure cannot travel to a worker).
export function lorenz(t, u, p, du) {
  const x = u[0], y = u[1], z = u[2];
  du[0] = p.sigma * (y - x);
  du[1] = x * (p.rho - z) - y;
  du[2] = x * y - p.beta * z;
}

/** The same field over lanes (structure of arrays: component j of lane b at j·stride + b). */
export function lorenzLanes(t, u, p, du, m, stride) {
  for (let b = 0; b < m; b++) {
    const x = u[b], y = u[stride + b], z = u[2 * stride + b];
    const a = p[b];
    du[b] = a.sigma * (y - x);
    du[stride + b] = x * (a.rho - z) - y;
    du[2 * stride + b] = x * y - a.beta * z;
  }
}
