/**
 * The ring modulator (RINGMOD): a stiff ODE of dimension 15 on [0, 1e-3], from the Test Set for
 * IVP Solvers of the University of Bari (F. Mazzia, C. Magherini & F. Iavernaro, release 2.4, 2008,
 * problem "Ring Modulator (ODE case)", source file ringmod.f; the model is from E.-H. Horneber,
 * "Analyse nichtlinearer RLCÜ-Netzwerke mit Hilfe der gemischten Potentialfunktion", thesis,
 * Universität Kaiserslautern 1976, and W. Kampowski, P. Rentrop & W. Schmidt, "Classification and
 * numerical simulation of electric circuits", Surveys on Mathematics for Industry 2 (1992) 23–65).
 *
 * A diode ring mixes a low-frequency signal U_in1 = ½ sin(2000πt) with a high-frequency carrier
 * U_in2 = 2 sin(20000πt). y1, y2 are voltages across capacitors C, y3…y7 voltages at the diode
 * nodes (capacitances Cs, Cp), y8…y15 currents through the inductors. Each diode conducts
 * q(U) = γ (e^{δU} − 1), an exponential with δ ≈ 17.7 per volt, which makes the Jacobian swing by
 * orders of magnitude as the diodes switch; with Cs = 2e-12 the fastest eigenvalues reach ~1e10.
 *
 * The reference values at t = 1e-3 are the test set's (computed there with RADAU5 at tight
 * tolerances).
 */

/** The parameters of the test set. */
const C = 1.6e-8;
const CS = 2e-12;
const CP = 1e-8;
const R = 25e3;
const RP = 50;
const LH = 4.45;
const LS1 = 2e-3;
const LS2 = 5e-4;
const LS3 = 5e-4;
const RG1 = 36.3;
const RG2 = 17.3;
const RG3 = 17.3;
const RI = 50;
const RC = 600;
const GAMMA = 40.67286402e-9;
const DELTA = 17.7493332;

export const RINGMOD = {
  n: 15,
  t0: 0,
  t1: 1e-3,
  y0: new Array<number>(15).fill(0),
  /** y(1e-3) from the test set's ringsoln. */
  reference: [
    -0.2339057358486745e-1, -0.7367485485540825e-2, 0.2582956709291169, -0.406446572128345, -0.4039455665149794, 0.2607966765422943,
    0.1106761861269975, 0.2939904342435596e-6, -0.2840029933642329e-7, 0.7267198267264553e-3, 0.792948719696084e-3,
    -0.7255283495698965e-3, -0.7941401968526521e-3, 0.7088495416976114e-4, 0.239005907523657e-4,
  ],
  f(t: number, y: Float64Array, _a: unknown, dy: Float64Array): void {
    const uin1 = 0.5 * Math.sin(2e3 * Math.PI * t);
    const uin2 = 2 * Math.sin(2e4 * Math.PI * t);
    const ud1 = y[2]! - y[4]! - y[6]! - uin2;
    const ud2 = -y[3]! + y[5]! - y[6]! - uin2;
    const ud3 = y[3]! + y[4]! + y[6]! + uin2;
    const ud4 = -y[2]! - y[5]! + y[6]! + uin2;
    const q1 = GAMMA * (Math.exp(DELTA * ud1) - 1);
    const q2 = GAMMA * (Math.exp(DELTA * ud2) - 1);
    const q3 = GAMMA * (Math.exp(DELTA * ud3) - 1);
    const q4 = GAMMA * (Math.exp(DELTA * ud4) - 1);
    dy[0] = (y[7]! - 0.5 * y[9]! + 0.5 * y[10]! + y[13]! - y[0]! / R) / C;
    dy[1] = (y[8]! - 0.5 * y[11]! + 0.5 * y[12]! + y[14]! - y[1]! / R) / C;
    dy[2] = (y[9]! - q1 + q4) / CS;
    dy[3] = (-y[10]! + q2 - q3) / CS;
    dy[4] = (y[11]! + q1 - q3) / CS;
    dy[5] = (-y[12]! - q2 + q4) / CS;
    dy[6] = (-y[6]! / RP + q1 + q2 - q3 - q4) / CP;
    dy[7] = -y[0]! / LH;
    dy[8] = -y[1]! / LH;
    dy[9] = (0.5 * y[0]! - y[2]! - RG2 * y[9]!) / LS2;
    dy[10] = (-0.5 * y[0]! + y[3]! - RG3 * y[10]!) / LS3;
    dy[11] = (0.5 * y[1]! - y[4]! - RG2 * y[11]!) / LS2;
    dy[12] = (-0.5 * y[1]! + y[5]! - RG3 * y[12]!) / LS3;
    dy[13] = (-y[0]! + uin1 - (RI + RG1) * y[13]!) / LS1;
    dy[14] = (-y[1]! - (RC + RG1) * y[14]!) / LS1;
  },
  /** The exact Jacobian, row-major 15 × 15 (zero entries must already be zero in J). */
  jac(t: number, y: Float64Array, _a: unknown, J: Float64Array): void {
    const uin2 = 2 * Math.sin(2e4 * Math.PI * t);
    const d1 = GAMMA * DELTA * Math.exp(DELTA * (y[2]! - y[4]! - y[6]! - uin2));
    const d2 = GAMMA * DELTA * Math.exp(DELTA * (-y[3]! + y[5]! - y[6]! - uin2));
    const d3 = GAMMA * DELTA * Math.exp(DELTA * (y[3]! + y[4]! + y[6]! + uin2));
    const d4 = GAMMA * DELTA * Math.exp(DELTA * (-y[2]! - y[5]! + y[6]! + uin2));
    J.fill(0);
    const set = (i: number, j: number, v: number): void => {
      J[i * 15 + j] = v;
    };
    set(0, 0, -1 / (C * R)); set(0, 7, 1 / C); set(0, 9, -0.5 / C); set(0, 10, 0.5 / C); set(0, 13, 1 / C);
    set(1, 1, -1 / (C * R)); set(1, 8, 1 / C); set(1, 11, -0.5 / C); set(1, 12, 0.5 / C); set(1, 14, 1 / C);
    // dud/dy: ud1 = y3 − y5 − y7, ud2 = −y4 + y6 − y7, ud3 = y4 + y5 + y7, ud4 = −y3 − y6 + y7 (1-based).
    set(2, 2, (-d1 - d4) / CS); set(2, 4, d1 / CS); set(2, 5, -d4 / CS); set(2, 6, (d1 + d4) / CS); set(2, 9, 1 / CS);
    set(3, 3, (-d2 - d3) / CS); set(3, 4, -d3 / CS); set(3, 5, d2 / CS); set(3, 6, (-d2 - d3) / CS); set(3, 10, -1 / CS);
    set(4, 2, d1 / CS); set(4, 3, -d3 / CS); set(4, 4, (-d1 - d3) / CS); set(4, 6, (-d1 - d3) / CS); set(4, 11, 1 / CS);
    set(5, 2, -d4 / CS); set(5, 3, d2 / CS); set(5, 5, (-d2 - d4) / CS); set(5, 6, (d2 + d4) / CS); set(5, 12, -1 / CS);
    set(6, 2, (d1 + d4) / CP); set(6, 3, (-d2 - d3) / CP); set(6, 4, (-d1 - d3) / CP); set(6, 5, (d2 + d4) / CP); set(6, 6, (-1 / RP - d1 - d2 - d3 - d4) / CP);
    set(7, 0, -1 / LH);
    set(8, 1, -1 / LH);
    set(9, 0, 0.5 / LS2); set(9, 2, -1 / LS2); set(9, 9, -RG2 / LS2);
    set(10, 0, -0.5 / LS3); set(10, 3, 1 / LS3); set(10, 10, -RG3 / LS3);
    set(11, 1, 0.5 / LS2); set(11, 4, -1 / LS2); set(11, 11, -RG2 / LS2);
    set(12, 1, -0.5 / LS3); set(12, 5, 1 / LS3); set(12, 12, -RG3 / LS3);
    set(13, 0, -1 / LS1); set(13, 13, -(RI + RG1) / LS1);
    set(14, 1, -1 / LS1); set(14, 14, -(RC + RG1) / LS1);
  },
};

/** ∂f/∂t: the sources U_in1, U_in2 are the only explicit time dependence. */
export function ringmodDfdt(t: number, y: Float64Array, _a: unknown, out: Float64Array): void {
  const w1 = 2e3 * Math.PI;
  const w2 = 2e4 * Math.PI;
  const uin2 = 2 * Math.sin(w2 * t);
  const duin1 = 0.5 * w1 * Math.cos(w1 * t);
  const duin2 = 2 * w2 * Math.cos(w2 * t);
  // d q_k/dt = γ δ e^{δ ud_k} · d ud_k/dt, with d ud_{1,2}/dt = −U_in2', d ud_{3,4}/dt = +U_in2'.
  const g1 = -GAMMA * DELTA * Math.exp(DELTA * (y[2]! - y[4]! - y[6]! - uin2)) * duin2;
  const g2 = -GAMMA * DELTA * Math.exp(DELTA * (-y[3]! + y[5]! - y[6]! - uin2)) * duin2;
  const g3 = GAMMA * DELTA * Math.exp(DELTA * (y[3]! + y[4]! + y[6]! + uin2)) * duin2;
  const g4 = GAMMA * DELTA * Math.exp(DELTA * (-y[2]! - y[5]! + y[6]! + uin2)) * duin2;
  out.fill(0);
  out[2] = (-g1 + g4) / CS;
  out[3] = (g2 - g3) / CS;
  out[4] = (g1 - g3) / CS;
  out[5] = (-g2 + g4) / CS;
  out[6] = (g1 + g2 - g3 - g4) / CP;
  out[13] = duin1 / LS1;
}
