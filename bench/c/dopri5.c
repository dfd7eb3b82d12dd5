/*
 * dopri5.c: the native-C limit for odeflow's Dopri5 benchmark.
 *
 * Our own small Dormand-Prince 5(4) (J. R. Dormand & P. J. Prince, J. Comput. Appl. Math. 6 (1980)
 * 19-26), written to take exactly the steps odeflow's Dopri5 takes under diffeqsolve with
 * PIDController defaults: the same tableau (src/solvers/methods/dopri5.ts), the same stage sums in
 * the same order as the generated kernel (src/solvers/erk.ts), FSAL reuse, the RMS error norm
 * with atol + rtol * max(|y0|, |y1|), the I controller factor = safety * err^(-1/5) clamped to
 * [0.2, 10] with safety 0.9 and no growth right after a rejection, Hairer's initial step
 * (Solving ODEs I, II.4) and the 1.01 stretch rule that lands on t1 (src/integrate.ts).
 * f-evaluations: 1 (f at t0) + 1 (initial step) + 6 per step, as odeflow counts them.
 *
 * The problems are compiled in (same formulas as bench/lib/problems.ts).
 *
 * Usage: dopri5 <arenstorf|pleiades|lorenz> <t0> <t1> <y0 comma-separated> <minTime> <rtol> <atol> [<rtol> <atol> ...]
 *        dopri5 <problem> <t0> <t1> <y0> <minTime> f      (time one evaluation of f alone: {"fTime": s})
 * Prints JSON: one entry per tolerance pair with steps, f-evaluations, y(t1) and seconds per solve
 * (fastest and median of 5 timed batches after a warm-up, wall-clock; fastest batch in CPU time).
 * Build: gcc -O3 -march=native -o bench/build/dopri5 bench/c/dopri5.c -lm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NMAX 64

typedef void (*rhs_t)(double t, const double *y, double *dy);

/* ---- problems ---- */

static const double MU = 0.012277471;
#define MU1 (1.0 - MU)

static void arenstorf(double t, const double *y, double *dy) {
  (void)t;
  const double y0 = y[0], y1 = y[1], y2 = y[2], y3 = y[3];
  const double a = y0 + MU, b = y0 - MU1, q = y1 * y1;
  const double d1s = a * a + q, d2s = b * b + q;
  const double d1 = d1s * sqrt(d1s), d2 = d2s * sqrt(d2s);
  dy[0] = y2;
  dy[1] = y3;
  dy[2] = y0 + 2 * y3 - MU1 * a / d1 - MU * b / d2;
  dy[3] = y1 - 2 * y2 - MU1 * y1 / d1 - MU * y1 / d2;
}

static void pleiades(double t, const double *y, double *dy) {
  (void)t;
  for (int i = 0; i < 14; i++) dy[i] = y[i + 14];
  for (int i = 0; i < 7; i++) {
    dy[14 + i] = 0;
    dy[21 + i] = 0;
  }
  for (int i = 0; i < 7; i++) {
    const double xi = y[i], yi = y[7 + i];
    for (int j = i + 1; j < 7; j++) {
      const double dx = y[j] - xi, dyy = y[7 + j] - yi;
      const double r2 = dx * dx + dyy * dyy;
      const double r3 = r2 * sqrt(r2);
      const double fx = dx / r3, fy = dyy / r3;
      dy[14 + i] += (j + 1) * fx;
      dy[21 + i] += (j + 1) * fy;
      dy[14 + j] -= (i + 1) * fx;
      dy[21 + j] -= (i + 1) * fy;
    }
  }
}

static void lorenz(double t, const double *y, double *dy) {
  (void)t;
  const double S = 10, R = 28, B = 8.0 / 3;
  const double x = y[0], u = y[1], z = y[2];
  dy[0] = S * (u - x);
  dy[1] = x * (R - z) - u;
  dy[2] = x * u - B * z;
}

/* ---- Dormand-Prince 5(4) ---- */

static const double A21 = 1.0 / 5;
static const double A31 = 3.0 / 40, A32 = 9.0 / 40;
static const double A41 = 44.0 / 45, A42 = -56.0 / 15, A43 = 32.0 / 9;
static const double A51 = 19372.0 / 6561, A52 = -25360.0 / 2187, A53 = 64448.0 / 6561, A54 = -212.0 / 729;
static const double A61 = 9017.0 / 3168, A62 = -355.0 / 33, A63 = 46732.0 / 5247, A64 = 49.0 / 176, A65 = -5103.0 / 18656;
static const double B1 = 35.0 / 384, B3 = 500.0 / 1113, B4 = 125.0 / 192, B5 = -2187.0 / 6784, B6 = 11.0 / 84;
static const double E1 = 71.0 / 57600, E3 = -71.0 / 16695, E4 = 71.0 / 1920, E5 = -17253.0 / 339200, E6 = 22.0 / 525, E7 = -1.0 / 40;
static const double C2 = 1.0 / 5, C3 = 3.0 / 10, C4 = 4.0 / 5, C5 = 8.0 / 9;

typedef struct {
  long steps, accepted, rejected, fevals;
  int ok;
  double y[NMAX];
} result_t;

/* Hairer's initial step, as initialStepSize in src/integrate.ts (order 5). */
static double initial_step(rhs_t f, int n, double t0, const double *y0, const double *f0, double dir, double rtol, double atol, double dtmax, double *ytmp, double *f1) {
  double d0 = 0, d1 = 0;
  for (int i = 0; i < n; i++) {
    const double s = atol + rtol * fabs(y0[i]);
    d0 += (y0[i] / s) * (y0[i] / s);
    d1 += (f0[i] / s) * (f0[i] / s);
  }
  d0 = sqrt(d0 / n);
  d1 = sqrt(d1 / n);
  double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * (d0 / d1);
  h0 = fmin(h0, dtmax);
  for (int i = 0; i < n; i++) ytmp[i] = y0[i] + dir * h0 * f0[i];
  f(t0 + dir * h0, ytmp, f1);
  double d2 = 0;
  for (int i = 0; i < n; i++) {
    const double s = atol + rtol * fabs(y0[i]);
    const double r = (f1[i] - f0[i]) / s;
    d2 += r * r;
  }
  d2 = sqrt(d2 / n) / h0;
  const double dmax = fmax(d1, d2);
  const double h1 = !(dmax > 1e-15) ? fmax(1e-6, h0 * 1e-3) : pow(0.01 / dmax, 1.0 / 5); /* Hairer's hinit: exponent 1/p, p = 5 */
  double h = fmin(fmin(100 * h0, h1), dtmax);
  return (isfinite(h) && h > 0) ? h : fmin(1e-6, dtmax);
}

static void solve(rhs_t f, int n, double t0, double t1, const double *yinit, double rtol, double atol, long max_steps, result_t *res) {
  double buf[11][NMAX];
  double *y = buf[0], *y1 = buf[1], *ytmp = buf[2], *yerr = buf[3];
  double *k0 = buf[4], *k1 = buf[5], *k2 = buf[6], *k3 = buf[7], *k4 = buf[8], *k5 = buf[9], *k6 = buf[10];
  const double dir = t1 >= t0 ? 1 : -1;
  const double safety = 0.9, factormin = 0.2, factormax = 10, beta1 = 1.0 / 5;
  memcpy(y, yinit, sizeof(double) * n);
  long steps = 0, accepted = 0, rejected = 0, fevals = 0;
  double t = t0;
  res->ok = 1;
  if (t0 != t1) {
    f(t, y, k0);
    fevals++;
    const double dtmax = fabs(t1 - t0);
    double dt = initial_step(f, n, t0, y, k0, dir, rtol, atol, dtmax, ytmp, k1);
    fevals++;
    int last_rejected = 0;
    while (t != t1) {
      if (steps >= max_steps) {
        res->ok = 0;
        break;
      }
      if (dt > dtmax) dt = dtmax;
      double tnext = t + dir * dt;
      const double reach = fmin(1.01 * dt, dtmax); /* stretch by up to 1% to land on t1, never beyond dtmax */
      if (dir * (t + dir * reach - t1) >= 0) tnext = t1;
      const double h = tnext - t;
      if (t + h == t || h == 0) {
        res->ok = 0;
        break;
      }
      const double th = t + h;
      for (int j = 0; j < n; j++) ytmp[j] = y[j] + h * (A21 * k0[j]);
      f(t + C2 * h, ytmp, k1);
      for (int j = 0; j < n; j++) ytmp[j] = y[j] + h * (A31 * k0[j] + A32 * k1[j]);
      f(t + C3 * h, ytmp, k2);
      for (int j = 0; j < n; j++) ytmp[j] = y[j] + h * (A41 * k0[j] + A42 * k1[j] + A43 * k2[j]);
      f(t + C4 * h, ytmp, k3);
      for (int j = 0; j < n; j++) ytmp[j] = y[j] + h * (A51 * k0[j] + A52 * k1[j] + A53 * k2[j] + A54 * k3[j]);
      f(t + C5 * h, ytmp, k4);
      for (int j = 0; j < n; j++) ytmp[j] = y[j] + h * (A61 * k0[j] + A62 * k1[j] + A63 * k2[j] + A64 * k3[j] + A65 * k4[j]);
      f(th, ytmp, k5);
      for (int j = 0; j < n; j++) y1[j] = y[j] + h * (B1 * k0[j] + B3 * k2[j] + B4 * k3[j] + B5 * k4[j] + B6 * k5[j]);
      f(th, y1, k6);
      for (int j = 0; j < n; j++) yerr[j] = h * (E1 * k0[j] + E3 * k2[j] + E4 * k3[j] + E5 * k4[j] + E6 * k5[j] + E7 * k6[j]);
      fevals += 6;
      steps++;
      double acc = 0;
      for (int i = 0; i < n; i++) {
        const double a0 = fabs(y[i]), a1 = fabs(y1[i]);
        const double r = yerr[i] / (atol + rtol * (a0 > a1 ? a0 : a1));
        acc += r * r;
      }
      const double err = sqrt(acc / n);
      double factor;
      if (err <= 1) {
        const double inv = err == 0 ? INFINITY : 1 / err;
        factor = safety * exp(beta1 * log(inv)); /* as src/integrate.ts */
        if (!(factor <= factormax)) factor = factormax;
        if (factor < factormin) factor = factormin;
        if (last_rejected) factor = fmin(factor, 1);
        last_rejected = 0;
        accepted++;
        double *s = y; y = y1; y1 = s;       /* ping-pong the state */
        s = k0; k0 = k6; k6 = s;             /* FSAL: f(t1, y1) is the next k0 */
        t = tnext;
      } else {
        if (err == err && err != INFINITY) factor = fmax(factormin, fmin(1, safety * exp(log(err) / -5.0)));
        else factor = 0.25;
        rejected++;
        last_rejected = 1;
      }
      dt = fabs(h) * factor;
    }
  }
  memcpy(res->y, y, sizeof(double) * n);
  res->steps = steps;
  res->accepted = accepted;
  res->rejected = rejected;
  res->fevals = fevals;
}

/* ---- timing ---- */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static volatile double sink;

/* Time one evaluation of f alone (the vector field's native cost), perturbing y so nothing is hoisted. */
static void time_f(rhs_t f, int n, const double *y0, double min_time) {
  double y[NMAX], dy[NMAX];
  memcpy(y, y0, sizeof(double) * n);
  double acc = 0;
  long reps = 1000;
  for (;;) { /* calibrate: one batch of about min_time / 5 */
    const double s = now();
    for (long i = 0; i < reps; i++) {
      y[0] += 1e-15;
      f(0, y, dy);
      acc += dy[n - 1];
    }
    const double d = now() - s;
    if (d > min_time / 5 || reps > (1L << 40)) break;
    reps *= 2;
  }
  double per[5];
  for (int r = 0; r < 5; r++) {
    const double s = now();
    for (long i = 0; i < reps; i++) {
      y[0] += 1e-15;
      f(0, y, dy);
      acc += dy[n - 1];
    }
    per[r] = (now() - s) / reps;
  }
  sink = acc;
  qsort(per, 5, sizeof(double), cmp_double);
  printf("{\"fTime\":%.6e,\"fTimeMedian\":%.6e,\"reps\":%ld}\n", per[0], per[2], reps);
}

int main(int argc, char **argv) {
  const int f_only = argc == 7 && strcmp(argv[6], "f") == 0;
  if (!f_only && (argc < 8 || (argc - 6) % 2 != 0)) {
    fprintf(stderr, "usage: %s <arenstorf|pleiades|lorenz> <t0> <t1> <y0,...> <minTime> <rtol> <atol> [<rtol> <atol> ...]\n", argv[0]);
    return 2;
  }
  rhs_t f;
  int n_expected;
  if (strcmp(argv[1], "arenstorf") == 0) f = arenstorf, n_expected = 4;
  else if (strcmp(argv[1], "pleiades") == 0) f = pleiades, n_expected = 28;
  else if (strcmp(argv[1], "lorenz") == 0) f = lorenz, n_expected = 3;
  else {
    fprintf(stderr, "unknown problem %s\n", argv[1]);
    return 2;
  }
  const double t0 = strtod(argv[2], NULL), t1 = strtod(argv[3], NULL);
  double y0[NMAX];
  int n = 0;
  for (char *p = argv[4]; *p && n < NMAX;) {
    char *end;
    y0[n++] = strtod(p, &end);
    p = (*end == ',') ? end + 1 : end;
    if (end == p && *p) break;
  }
  if (n != n_expected) {
    fprintf(stderr, "%s needs %d initial values, got %d\n", argv[1], n_expected, n);
    return 2;
  }
  const double min_time = strtod(argv[5], NULL);
  if (f_only) {
    time_f(f, n, y0, min_time);
    return 0;
  }
  printf("[");
  for (int a = 6; a < argc; a += 2) {
    const double rtol = strtod(argv[a], NULL), atol = strtod(argv[a + 1], NULL);
    result_t res;
    solve(f, n, t0, t1, y0, rtol, atol, 10000000, &res);
    /* Warm-up until 0.05 s; the fastest call sizes the batches. */
    double best = 1e300, spent = 0;
    for (int c = 0; c < 2 || spent < 0.05; c++) {
      result_t r;
      const double s = now();
      solve(f, n, t0, t1, y0, rtol, atol, 10000000, &r);
      const double d = now() - s;
      sink = r.y[0];
      spent += d;
      if (d < best) best = d;
    }
    const int runs = 5;
    long reps = (long)ceil(min_time / runs / (best > 1e-9 ? best : 1e-9));
    if (reps < 1) reps = 1;
    double per[5], cpu_best = 1e300;
    for (int r = 0; r < runs; r++) {
      const double c = cpu_now();
      const double s = now();
      for (long i = 0; i < reps; i++) {
        result_t rr;
        solve(f, n, t0, t1, y0, rtol, atol, 10000000, &rr);
        sink = rr.y[0];
      }
      per[r] = (now() - s) / reps;
      const double cd = (cpu_now() - c) / reps;
      if (cd < cpu_best) cpu_best = cd;
    }
    qsort(per, runs, sizeof(double), cmp_double);
    printf("%s{\"rtol\":%.17g,\"atol\":%.17g,\"ok\":%s,\"steps\":%ld,\"accepted\":%ld,\"rejected\":%ld,\"fevals\":%ld,\"time\":%.6e,\"timeMedian\":%.6e,\"cpu\":%.6e,\"reps\":%ld,\"y\":[",
           a == 6 ? "" : ",", rtol, atol, res.ok ? "true" : "false", res.steps, res.accepted, res.rejected, res.fevals, per[0], per[runs / 2], cpu_best, reps);
    for (int i = 0; i < n; i++) printf("%s%.17g", i ? "," : "", res.y[i]);
    printf("]}");
  }
  printf("]\n");
  return 0;
}
