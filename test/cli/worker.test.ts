// `odeflow worker`: its command line (the worker itself runs in test/distributed).
import assert from "node:assert/strict";
import { test } from "node:test";
import { main } from "../../src/cli/main.js";
import { parseWorkerArgs, redisConnection } from "../../src/cli/worker.js";

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await main(argv, { stdout: (s) => void (out += s), stderr: (s) => void (err += s), isTTY: false, cwd: process.cwd() });
  return { code, out, err };
}

test("--redis takes a redis:// URL (user, password, database, TLS) or host:port", () => {
  assert.deepEqual(redisConnection("redis://127.0.0.1:6380"), { host: "127.0.0.1", port: 6380 });
  assert.deepEqual(redisConnection("redis://me:p%40ss@cache.local/3"), { host: "cache.local", port: 6379, username: "me", password: "p@ss", db: 3 });
  assert.deepEqual(redisConnection("rediss://[::1]:7000"), { host: "::1", port: 7000, tls: {} });
  assert.deepEqual(redisConnection("10.0.0.5:6379"), { host: "10.0.0.5", port: 6379 });
  assert.throws(() => redisConnection("http://x:1"), /--redis "http:\/\/x:1": the scheme must be redis:\/\/ or rediss:\/\//);
  assert.throws(() => redisConnection("redis://h/db"), /the database "db" must be a number/);
});

test("worker options are checked, with the fix in the message", async () => {
  const w = parseWorkerArgs(["--redis", "127.0.0.1:6379", "--concurrency", "2", "--queue", "sweeps", "--lock-ms=5000", "--quiet"])!;
  assert.deepEqual(w, { connection: { host: "127.0.0.1", port: 6379 }, queue: "sweeps", prefix: undefined, concurrency: 2, lockMs: 5000, stalledMs: undefined, quiet: true });
  assert.equal(parseWorkerArgs(["--help"]), null);
  assert.throws(() => parseWorkerArgs([]), /worker needs the Redis server: odeflow worker --redis redis:\/\/127\.0\.0\.1:6379/);
  assert.throws(() => parseWorkerArgs(["--redis", "h:1", "--concurency", "2"]), /unknown option --concurency of worker\. Did you mean concurrency\?/);
  assert.throws(() => parseWorkerArgs(["--redis", "h:1", "--concurrency", "0"]), /--concurrency must be a whole number ≥ 1; got "0"/);
  const bad = await run("worker", "--redis");
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--redis needs a value[^]*Run odeflow worker --help for usage/);
  const help = await run("worker", "--help");
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: odeflow worker --redis URL/);
  assert.match((await run("--help")).out, /odeflow worker --redis URL/);
  assert.match((await run("wroker")).err, /unknown command "wroker"\. Did you mean worker\?/);
});
