/*
 * rk_vec.c: the native-C limit for odeflow's large-state explicit solvers (bench/wasm.bench.ts).
 *
 * An explicit Runge-Kutta driver around a generated step (bench/lib/rk-c.ts writes rk_step from
 * odeflow's tableau, with the same sums in the same order as odeflow's kernels; the bench names
 * the header with -DRK_HEADER), the controller of src/integrate.ts with PIDController defaults (RMS
 * norm with atol + rtol * max(|y0|, |y1|), I controller safety * err^(-1/k) clamped to [0.2, 10],
 * no growth right after a rejection, Hairer's initial step, the 1.01 stretch that lands on t1),
 * and three vector fields of any size n:
 *   decay   y_i' = -k_i y_i, k_i = 1 + (i mod 7)/10
 *   heat1d  u_i' = D/h^2 (u_(i-1) - 2 u_i + u_(i+1)), h = 1/(n+1), zero Dirichlet boundaries, D = 1
 *   wave2d  state [u; v] on an m x m grid (n = 2 m^2): u' = v, v' = c^2/h^2 (5-point Laplacian of u),
 *           h = 1/(m+1), c = 1, zero Dirichlet boundaries
 * The initial state is read from a file of n little-endian doubles (written by the bench), so that
 * both sides start from the same bits.
 *
 * Usage: rk_vec <problem> <n> <y0 file> <t0> <t1> <minTime> fixed <steps>
 *        rk_vec <problem> <n> <y0 file> <t0> <t1> <minTime> adaptive <rtol> <atol>
 * Prints JSON: steps, accepted, rejected, f-evaluations, seconds per solve (fastest and median of
 * 5 timed batches after a warm-up; fastest batch in CPU time), and y(t1) summaries (y[0], y[n/2],
 * max |y|, sum y).
 * Build: gcc -O3 -march=native -DRK_HEADER='"bench/build/rk_<method>.h"' -o bench/build/rk_vec_<method> bench/c/rk_vec.c -lm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void (*rhs_t)(double t, const double *restrict y, double *restrict dy);

/* The generated step of the method (bench/lib/rk-c.ts): -DRK_HEADER='"path/rk_<method>.h"'. */
#include RK_HEADER

static int N;       /* state size */
static int M;       /* wave2d grid side */
static double *K;   /* decay rates */
static double COEF; /* heat1d D/h^2, wave2d c^2/h^2 */

static void decay(double t, const double *restrict y, double *restrict dy) {
  (void)t;
  for (int i = 0; i < N; i++) dy[i] = -K[i] * y[i];
}

static void heat1d(double t, const double *restrict u, double *restrict du) {
  (void)t;
  const double c = COEF;
  du[0] = c * (0 - 2 * u[0] + u[1]);
  for (int i = 1; i < N - 1; i++) du[i] = c * (u[i - 1] - 2 * u[i] + u[i + 1]);
  du[N - 1] = c * (u[N - 2] - 2 * u[N - 1] + 0);
}

static void wave2d(double t, const double *restrict y, double *restrict dy) {
  (void)t;
  const int m = M, mm = M * M;
  const double *u = y, *v = y + mm;
  double *du = dy, *dv = dy + mm;
  const double c = COEF;
  memcpy(du, v, sizeof(double) * mm);
  for (int i = 0; i < m; i++) {
    for (int j = 0; j < m; j++) {
      const int p = i * m + j;
      const double up = i > 0 ? u[p - m] : 0, down = i < m - 1 ? u[p + m] : 0;
      const double left = j > 0 ? u[p - 1] : 0, right = j < m - 1 ? u[p + 1] : 0;
      dv[p] = c * (up + down + left + right - 4 * u[p]);
    }
  }
}

/* ---- controller (as src/integrate.ts) ---- */

static double rms_norm(int n, const double *y0, const double *y1, const double *e, double rtol, double atol) {
  double acc = 0;
  for (int i = 0; i < n; i++) {
    const double a0 = fabs(y0[i]), a1 = fabs(y1[i]);
    const double r = e[i] / (atol + rtol * (a0 > a1 ? a0 : a1));
    acc += r * r;
  }
  return sqrt(acc / n);
}

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
    const double r = (f1[i] - f0[i]) / (atol + rtol * fabs(y0[i]));
    d2 += r * r;
  }
  d2 = sqrt(d2 / n) / h0;
  const double dmax = fmax(d1, d2);
  const double h1 = !(dmax > 1e-15) ? fmax(1e-6, h0 * 1e-3) : pow(0.01 / dmax, 1.0 / RK_ORDER);
  const double h = fmin(fmin(100 * h0, h1), dtmax);
  return (isfinite(h) && h > 0) ? h : fmin(1e-6, dtmax);
}

typedef struct {
  long steps, accepted, rejected, fevals;
  int ok;
} stats_t;

typedef struct {
  double *y, *y1, *yerr, *yerr2, *ytmp, *kbuf;
  double *k[RK_STAGES];
} work_t;

static void solve(rhs_t f, int n, const double *yinit, double t0, double t1, int adaptive, long fixed_steps, double rtol, double atol, work_t *w, stats_t *st) {
  double *y = w->y, *y1 = w->y1;
  memcpy(y, yinit, sizeof(double) * n);
  for (int i = 0; i < RK_STAGES; i++) w->k[i] = w->kbuf + (size_t)i * n;
  memset(st, 0, sizeof *st);
  st->ok = 1;
  double t = t0;
  const double dir = t1 >= t0 ? 1 : -1;
  f(t, y, w->k[0]);
  st->fevals++;
  int k0_valid = 1;
  if (!adaptive) {
    const double h = (t1 - t0) / fixed_steps;
    for (long s = 0; s < fixed_steps; s++) {
      const double tn = s + 1 == fixed_steps ? t1 : t0 + (s + 1) * h;
      if (!k0_valid) { f(t, y, w->k[0]); st->fevals++; }
      rk_step(f, n, t, tn - t, y, y1, w->yerr, w->yerr2, w->k, w->ytmp);
      st->fevals += RK_STAGES - 1;
      st->steps++;
      st->accepted++;
      double *sw = y; y = y1; y1 = sw;
      if (RK_FSAL) { double *sk = w->k[0]; w->k[0] = w->k[RK_STAGES - 1]; w->k[RK_STAGES - 1] = sk; }
      else k0_valid = 0;
      t = tn;
    }
    w->y = y; w->y1 = y1;
    return;
  }
  const double safety = 0.9, factormin = 0.2, factormax = 10, beta1 = 1.0 / RK_ERR_ORDER;
  const double dtmax = fabs(t1 - t0);
  double dt = initial_step(f, n, t0, y, w->k[0], dir, rtol, atol, dtmax, w->ytmp, w->k[1]);
  st->fevals++;
  int last_rejected = 0;
  while (t != t1) {
    if (dt > dtmax) dt = dtmax;
    double tn = t + dir * dt;
    const double reach = fmin(1.01 * dt, dtmax);
    if (dir * (t + dir * reach - t1) >= 0) tn = t1;
    const double h = tn - t;
    if (t + h == t || h == 0) { st->ok = 0; break; }
    if (!k0_valid) { f(t, y, w->k[0]); st->fevals++; k0_valid = 1; }
    rk_step(f, n, t, h, y, y1, w->yerr, w->yerr2, w->k, w->ytmp);
    st->fevals += RK_STAGES - 1;
    st->steps++;
    double err = rms_norm(n, y, y1, w->yerr, rtol, atol);
#if RK_HAS_ERR2
    const double err2 = rms_norm(n, y, y1, w->yerr2, rtol, atol);
    const double deno = err * err + 0.01 * err2 * err2;
    err = deno > 0 ? (err * err) / sqrt(deno) : 0;
#endif
    double factor;
    if (err <= 1) {
      const double inv = err == 0 ? INFINITY : 1 / err;
      factor = safety * exp(beta1 * log(inv));
      if (!(factor <= factormax)) factor = factormax;
      if (factor < factormin) factor = factormin;
      if (last_rejected) factor = fmin(factor, 1);
      last_rejected = 0;
      st->accepted++;
      double *sw = y; y = y1; y1 = sw;
      if (RK_FSAL) { double *sk = w->k[0]; w->k[0] = w->k[RK_STAGES - 1]; w->k[RK_STAGES - 1] = sk; }
      else k0_valid = 0;
      t = tn;
    } else {
      if (err == err && err != INFINITY) factor = fmax(factormin, fmin(1, safety * exp(log(err) / -RK_ERR_ORDER)));
      else factor = 0.25;
      st->rejected++;
      last_rejected = 1;
    }
    dt = fabs(h) * factor;
  }
  w->y = y; w->y1 = y1;
}

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

static double *alloc(size_t count) {
  double *p = aligned_alloc(64, ((count * sizeof(double) + 63) / 64) * 64);
  if (!p) { fprintf(stderr, "out of memory\n"); exit(3); }
  memset(p, 0, count * sizeof(double));
  return p;
}

int main(int argc, char **argv) {
  if (argc < 9) {
    fprintf(stderr, "usage: %s <decay|heat1d|wave2d> <n> <y0 file> <t0> <t1> <minTime> fixed <steps> | adaptive <rtol> <atol>\n", argv[0]);
    return 2;
  }
  rhs_t f;
  N = atoi(argv[2]);
  if (strcmp(argv[1], "decay") == 0) {
    f = decay;
    K = alloc(N);
    for (int i = 0; i < N; i++) K[i] = 1 + (i % 7) / 10.0;
  } else if (strcmp(argv[1], "heat1d") == 0) {
    f = heat1d;
    const double h = 1.0 / (N + 1);
    COEF = 1.0 / (h * h);
  } else if (strcmp(argv[1], "wave2d") == 0) {
    f = wave2d;
    M = (int)lround(sqrt(N / 2.0));
    if (2 * M * M != N) { fprintf(stderr, "wave2d needs n = 2 m^2\n"); return 2; }
    const double h = 1.0 / (M + 1);
    COEF = 1.0 / (h * h);
  } else {
    fprintf(stderr, "unknown problem %s\n", argv[1]);
    return 2;
  }
  double *y0 = alloc(N);
  FILE *fp = fopen(argv[3], "rb");
  if (!fp || fread(y0, sizeof(double), N, fp) != (size_t)N) { fprintf(stderr, "cannot read %d doubles from %s\n", N, argv[3]); return 2; }
  fclose(fp);
  const double t0 = strtod(argv[4], NULL), t1 = strtod(argv[5], NULL), min_time = strtod(argv[6], NULL);
  const int adaptive = strcmp(argv[7], "adaptive") == 0;
  const long fixed_steps = adaptive ? 0 : atol(argv[8]);
  const double rtol = adaptive ? strtod(argv[8], NULL) : 0, atol_ = adaptive && argc > 9 ? strtod(argv[9], NULL) : 0;
  work_t w;
  w.y = alloc(N); w.y1 = alloc(N); w.yerr = alloc(N); w.yerr2 = alloc(N); w.ytmp = alloc(N);
  w.kbuf = alloc((size_t)RK_STAGES * N);
  double *ya = w.y, *yb = w.y1;
  stats_t st;
  double best = 1e300, spent = 0;
  for (int c = 0; c < 2 || spent < 0.3 * min_time; c++) {
    w.y = ya; w.y1 = yb;
    const double s = now();
    solve(f, N, y0, t0, t1, adaptive, fixed_steps, rtol, atol_, &w, &st);
    const double d = now() - s;
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
      w.y = ya; w.y1 = yb;
      solve(f, N, y0, t0, t1, adaptive, fixed_steps, rtol, atol_, &w, &st);
      sink = w.y[0];
    }
    per[r] = (now() - s) / reps;
    const double cd = (cpu_now() - c) / reps;
    if (cd < cpu_best) cpu_best = cd;
  }
  qsort(per, runs, sizeof(double), cmp_double);
  double ymax = 0, ysum = 0;
  for (int i = 0; i < N; i++) { ymax = fmax(ymax, fabs(w.y[i])); ysum += w.y[i]; }
  printf("{\"method\":\"%s\",\"problem\":\"%s\",\"n\":%d,\"ok\":%s,\"steps\":%ld,\"accepted\":%ld,\"rejected\":%ld,\"fevals\":%ld,"
         "\"time\":%.6e,\"timeMedian\":%.6e,\"cpu\":%.6e,\"reps\":%ld,\"y0\":%.17g,\"yMid\":%.17g,\"yMax\":%.17g,\"ySum\":%.17g}\n",
         RK_NAME, argv[1], N, st.ok ? "true" : "false", st.steps, st.accepted, st.rejected, st.fevals, per[0], per[runs / 2], cpu_best, reps,
         w.y[0], w.y[N / 2], ymax, ysum);
  return 0;
}
