// The Lorenz vector field of the ensemble benchmark, in a plain ES module so that worker threads
// can import it (closures cannot travel to workers). args: { sigma, rho, beta }.
export function lorenz(t, u, p, du) {
  const x = u[0], y = u[1], z = u[2];
  du[0] = p.sigma * (y - x);
  du[1] = x * (p.rho - z) - y;
  du[2] = x * y - p.beta * z;
}

/** The same vector field over lanes (structure of arrays), for the lockstep mode. */
export function lorenzBatch(t, u, p, du, m, B) {
  for (let b = 0; b < m; b++) {
    const x = u[b], y = u[B + b], z = u[2 * B + b];
    const a = p[b];
    du[b] = a.sigma * (y - x);
    du[B + b] = x * (a.rho - z) - y;
    du[2 * B + b] = x * y - a.beta * z;
  }
}
