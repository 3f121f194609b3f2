// What the browser end-to-end tests share: Debian's Chromium through playwright-core, child
// processes and small servers stopped at the end (by PID, or closed), a scratch directory, the
// checks and their tally, and the run's exit code (0 pass, 1 fail, 77 skipped).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { createInterface } from 'node:readline';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const GATEWAY = process.env.OH_GATEWAY_BIN || '';

export function skip(reason) {
  process.stdout.write(`SKIP: ${reason}\n`);
  process.exit(77);
}

// ---------------------------------------------------------------------------------------------
// processes and small servers (everything started here is stopped by PID or closed at the end)

const cleanups = [];
const processes = [];

// `what` names it in the output when it takes long.
export function atEnd(cleanup, what = 'a cleanup') {
  cleanups.push({ cleanup, what });
}

export function startProcess(name, command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const proc = { child, name, output: [], watchers: new Set() };
  const keep = (stream) => createInterface({ input: stream }).on('line', (line) => {
    proc.output.push(line);
    if (proc.output.length > 400) proc.output.shift();
    for (const watcher of proc.watchers) watcher(line);
  });
  keep(child.stdout);
  keep(child.stderr);
  processes.push(proc);
  atEnd(() => stopProcess(child), `stopping ${name}`);
  return proc;
}

export function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

export function waitForLine(proc, predicate, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    const seen = proc.output.find(predicate);
    if (seen) { resolve(seen); return; }
    const finish = (error, line) => {
      clearTimeout(timer);
      proc.watchers.delete(watcher);
      proc.child.off('exit', onExit);
      if (error) reject(error); else resolve(line);
    };
    const watcher = (line) => { if (predicate(line)) finish(null, line); };
    const onExit = (code) => finish(new Error(`${proc.name} exited (${code}):\n${proc.output.join('\n')}`));
    const timer = setTimeout(() => finish(new Error(`${proc.name}: no ready line in ${timeoutMs} ms:\n${proc.output.join('\n')}`)), timeoutMs);
    proc.watchers.add(watcher);
    proc.child.once('exit', onExit);
  });
}

export function listen(server, ...args) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...args, () => resolve(server.address()));
    atEnd(() => new Promise((done) => { server.closeAllConnections?.(); server.close(() => done()); }), 'closing a server');
  });
}

export async function freePort(address = '127.0.0.1') {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, address, resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// A scratch directory removed at the end, and a writer of 0600 files in it.
export function workDirectory(prefix) {
  const work = mkdtempSync(path.join(os.tmpdir(), prefix));
  atEnd(() => rmSync(work, { recursive: true, force: true }), `removing ${work}`);
  const secretFile = (name, content) => {
    const file = path.join(work, name);
    writeFileSync(file, content, { mode: 0o600 });
    return file;
  };
  return { work, secretFile };
}

// The start of a test gateway's configuration: local mode on loopback in front of `upstream`,
// no origin check, rate limit or admin listener, access log on. The test adds [auth] and more.
export function gatewayConfigHead({ port, upstream }) {
  return `mode = "local"

[server]
listen_address = "127.0.0.1"
listen_port = ${port}

[upstream]
url = "${upstream}"

[origin]
enabled = false

[rate_limit]
enabled = false

[admin]
enabled = false

[log]
level = "info"
access_log = true
`;
}

// ---------------------------------------------------------------------------------------------
// the browser

// playwright-core's chromium, or a skip (no Chromium, no node_modules, no gateway binary).
export async function requireBrowser() {
  if (!existsSync(CHROMIUM)) skip(`${CHROMIUM} not found (apt-get install -y chromium)`);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    skip('playwright-core not installed (npm ci at the repository root)');
  }
  if (!GATEWAY || !existsSync(GATEWAY)) skip('OH_GATEWAY_BIN is not set to a built oh-gateway');
  return chromium;
}

// Headless Chromium in which every host name resolves to this machine: the tests' .test names,
// and any page's third-party host (which then fails fast instead of leaving the machine).
export async function launchBrowser(chromium) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP * 127.0.0.1',
    ],
  });
  atEnd(() => browser.close(), 'closing Chromium');
  return browser;
}

// Main-frame navigations of one step, redirects included: [{url, status, location}].
export function recordNavigations(page) {
  const chain = [];
  page.on('response', (response) => {
    const request = response.request();
    if (!request.isNavigationRequest() || request.frame() !== page.mainFrame()) return;
    chain.push({ url: response.url(), status: response.status(), location: response.headers().location || '' });
  });
  return chain;
}

export function describeChain(chain) {
  return chain.map((s) => `${s.status} ${s.url}${s.location ? ` -> ${s.location}` : ''}`).join('\n     ');
}

// ---------------------------------------------------------------------------------------------
// checks and the run

let failures = 0;
let passes = 0;
const began = Date.now();

// Names a step in the output with the time since the start (where a slow run spends it).
export function step(what) {
  process.stdout.write(`---- ${what} (${((Date.now() - began) / 1000).toFixed(1)} s)\n`);
}

export function check(condition, what, detail = '') {
  if (condition) {
    passes += 1;
    process.stdout.write(`ok   ${what}\n`);
  } else {
    failures += 1;
    process.stdout.write(`FAIL ${what}${detail ? `\n     ${detail}` : ''}\n`);
  }
  return condition;
}

// Runs the test, prints the last output of every process on a failure, stops everything
// started, and exits with the result.
export async function run(main) {
  let exitCode = 0;
  try {
    await main();
    exitCode = failures === 0 ? 0 : 1;
  } catch (error) {
    process.stdout.write(`FAIL ${error.stack || error}\n`);
    failures += 1;
    exitCode = 1;
  } finally {
    if (failures > 0) {
      for (const proc of processes) {
        process.stdout.write(`--- last output of ${proc.name}:\n${proc.output.slice(-60).join('\n')}\n`);
      }
    }
    for (const { cleanup, what } of cleanups.reverse()) {
      const started = Date.now();
      try { await cleanup(); } catch { /* best effort: keep stopping the rest */ }
      if (Date.now() - started > 2000) process.stdout.write(`     ${what} took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    }
  }
  process.stdout.write(`${passes} passed, ${failures} failed (${((Date.now() - began) / 1000).toFixed(1)} s)\n`);
  process.exit(exitCode);
}
