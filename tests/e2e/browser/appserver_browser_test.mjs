#!/usr/bin/env node
// Browser end-to-end test of one OpenHands app server per user (issue 14): Debian's Chromium,
// driven by playwright-core, against the real oh-gateway with local accounts, [sandbox] and
// [appserver] on, and real (rootful) Podman running each user's app server (the app-server
// stand-in's image) and their conversations' sandboxes (the agent-server stand-in). Steps:
//   1. Alice signs in; her first visit shows the start page, whose phases change live (at least
//      two distinct ones seen in the DOM), and it continues by itself to her app server's page;
//   2. Alice and Bob, each in their own browser context, start a conversation from that page:
//      each lists only their own, and Alice's server does not know Bob's;
//   3. with an OpenHands image that does not exist, Carol's start fails and the page says why
//      (her browser runs no script: the start page refreshes itself).
// The app servers reach the sandbox API on this machine's address (the users' bridge networks
// cannot reach loopback), and the agent servers through that listener's forward proxy (the
// pool's HTTP_PROXY for plain-http sandbox URLs).
//
// Environment: OH_GATEWAY_BIN, OH_APPSERVER_STANDIN_BIN and OH_APPSERVER_STANDIN_SCRIPT (the
// stand-in's binary and its image script), OH_AGENT_SERVER_STANDIN_BIN, CHROMIUM.
// Exit 0 pass, 1 fail, 77 skipped (no Chromium, node_modules, podman, root or host address).

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

import {
  appServerProxies, buildDeployedStandinImage, ensureAgentServerImage, ensureStandinImage, hostAddress, removeManaged,
  startPodman,
} from './appserver_peers.mjs';
import {
  GATEWAY, atEnd, check, freePort, gatewayConfigHead, launchBrowser, recordNavigations, requireBrowser, run, skip,
  startProcess, step, stopProcess, waitForLine, workDirectory,
} from './harness.mjs';

const MAIN_HOST = 'openhands.oh.test';
const RUNTIME_SUFFIX = 'runtime.oh.test';
const STANDIN_IMAGE = 'localhost/oh-appserver-standin:1.7.0';
const PASSWORD = 'correct horse battery staple';
const STEP_TIMEOUT_MS = 20000;
const START_TIMEOUT_MS = 120000;  // a deadline for a hung start on a loaded machine, not a timing check

function requirePeers() {
  const needed = ['OH_APPSERVER_STANDIN_BIN', 'OH_APPSERVER_STANDIN_SCRIPT', 'OH_AGENT_SERVER_STANDIN_BIN'];
  for (const name of needed) {
    if (!process.env[name] || !existsSync(process.env[name])) skip(`${name} does not name a built file`);
  }
  if (spawnSync('podman', ['--version']).status !== 0) skip('podman is not installed (scripts/setup.sh)');
  if (process.getuid() !== 0) skip('the users\' bridge networks need rootful Podman (run as root, as CI does)');
  if (!existsSync('/usr/bin/busybox')) skip('busybox is not installed');
  const address = hostAddress();
  if (!address) skip('no IPv4 address on the default route\'s interface for the containers to reach');
  return address;
}

// The local accounts file (one name:argon2id-hash line each): `oh-gateway users add` for each
// name into a file of its own, at the same time (each run of the sanitized binary takes seconds),
// then the accounts' lines together.
async function writeAccounts(work, names) {
  const files = await Promise.all(names.map((name) => new Promise((resolve, reject) => {
    const file = path.join(work, `users-${name}`);
    const child = spawn(GATEWAY, ['users', 'add', name, '--file', file, '--password-stdin'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => (code === 0 ? resolve(file) : reject(new Error(`oh-gateway users add ${name}: ${output}`))));
    child.stdin.end(`${PASSWORD}\n`);
  })));
  const lines = files.flatMap((file) => readFileSync(file, 'utf8').split('\n').filter((line) => line && !line.startsWith('#')));
  writeFileSync(path.join(work, 'users'), `${lines.join('\n')}\n`, { mode: 0o600 });
}

function gatewayConfig({ port, work, podman, address, image, agentImage, labels, networkPrefix }) {
  // [upstream] is never used: every signed-in request goes to the user's app server.
  return `${gatewayConfigHead({ port, upstream: 'http://127.0.0.1:9' })}
[auth]
provider = "local"
users_file = "${work}/users"
callback_hosts = ["${MAIN_HOST}:${port}"]
cookie_secure = false
cookie_key_file = "${work}/cookie-key"
ticket_key_file = "${work}/ticket-key"

[runtime]
docker_socket = "${podman.socket}"

[sandbox]
enabled = true
listen_address = "${address}"
listen_port = 0
key_file = "${work}/sandbox-key"
seal_key_file = "${work}/sandbox-seal-key"
store_url = "sqlite://${work}/sandboxes.db"
allowed_images = ["${agentImage}"]
workspace_root = "${work}/workspaces"
public_scheme = "http"
runtime_suffix = "${RUNTIME_SUFFIX}"
network_prefix = "${networkPrefix}"
managed_label_value = "${labels.sandbox}"
stop_grace_seconds = 2

[appserver]
enabled = true
image = "${image}"
openhands_version = "1.7.0"
data_root = "${work}/users.d"
web_url = "http://${MAIN_HOST}:${port}"
secret_key_file = "${work}/appserver-key"
managed_label_value = "${labels.appserver}"
pass_environment = ["LLM_MODEL"]
cpus = 0.5
memory_mb = 256
`;
}

// Records the start page's current step (data-phase of #steps li.current) at load and at every
// change, across the page's reloads, in `phases` (consecutive repeats dropped).
async function watchPhases(page) {
  const phases = [];
  await page.exposeFunction('ohReportPhase', (phase) => {
    if (phases[phases.length - 1] !== phase) phases.push(phase);
  });
  await page.addInitScript(() => {
    addEventListener('DOMContentLoaded', () => {
      const steps = document.getElementById('steps');
      if (!steps) return;
      const report = () => window.ohReportPhase(steps.querySelector('li.current')?.getAttribute('data-phase') || 'none');
      report();
      new MutationObserver(report).observe(steps, { subtree: true, attributes: true, attributeFilter: ['class'] });
    });
  });
  return phases;
}

async function signIn(page, origin, user) {
  await page.goto(`${origin}/`);
  await page.waitForURL((url) => url.pathname === '/_gateway/login');
  await page.fill('#username', user);
  await page.fill('#password', PASSWORD);
  await page.click('button[type="submit"]');
}

// The stand-in's page ("My conversations"), reached by the start page on its own.
async function waitForApp(page) {
  await page.locator('h1', { hasText: 'My conversations' }).waitFor({ timeout: START_TIMEOUT_MS });
}

async function conversationsOnPage(page) {
  return page.locator('tr.conversation').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-id')));
}

// Clicks "Start a conversation" and waits until the page has listed it (the page reloads itself
// when the start task is READY or ERROR); the ids listed then.
async function startConversation(page) {
  const before = await conversationsOnPage(page);
  await page.click('#start');
  await page.waitForFunction((count) => document.querySelectorAll('tr.conversation').length > count,
    before.length, { timeout: START_TIMEOUT_MS, polling: 500 });
  return conversationsOnPage(page);
}

async function main() {
  const chromium = await requireBrowser();
  const address = requirePeers();
  const { work, secretFile } = workDirectory('oh-appserver-browser-');
  const runId = randomBytes(4).toString('hex');
  const labels = { sandbox: `browser-sb-${runId}`, appserver: `browser-as-${runId}`, failing: `browser-bad-${runId}` };
  const networkPrefix = `ohb${runId}-`;

  step('peers: Podman and the images');
  const podman = await startPodman(work);
  await ensureStandinImage(podman, {
    image: STANDIN_IMAGE, binary: process.env.OH_APPSERVER_STANDIN_BIN, script: process.env.OH_APPSERVER_STANDIN_SCRIPT,
  });
  const agentImage = await ensureAgentServerImage(podman, work, process.env.OH_AGENT_SERVER_STANDIN_BIN);
  const image = await buildDeployedStandinImage(podman, work, {
    base: STANDIN_IMAGE, tag: `localhost/oh-browser-appserver:${runId}`, agentImage,
  });

  // After the gateways stop, before the image goes: the containers and networks they made.
  atEnd(() => removeManaged(podman, Object.values(labels), networkPrefix), 'removing the containers and networks');

  for (const key of ['cookie-key', 'ticket-key', 'sandbox-key', 'sandbox-seal-key', 'appserver-key']) {
    secretFile(key, `${randomBytes(32).toString('hex')}\n`);
  }
  for (const dir of ['workspaces', 'users.d']) mkdirSync(path.join(work, dir), { mode: 0o700 });
  await writeAccounts(work, ['alice', 'bob', 'carol']);

  step('the gateway');
  const port = await freePort();
  const origin = `http://${MAIN_HOST}:${port}`;
  const startGateway = async (name, config) => {
    const gateway = startProcess(name, GATEWAY, ['--config', secretFile(`${name}.toml`, config)],
      { env: { ...process.env, LLM_MODEL: 'browser-e2e-model' } });
    await waitForLine(gateway, (line) => line.includes('oh-gateway listening on'));
    return gateway;
  };
  const settings = { port, work, podman, address, agentImage, networkPrefix };
  const gateway = await startGateway('oh-gateway', gatewayConfig({ ...settings, image, labels }));
  const sandboxApi = / sandbox-api (\S+)/.exec(gateway.output.find((line) => line.includes(' sandbox-api ')) || '')?.[1];

  const browser = await launchBrowser(chromium);
  const alice = await (await browser.newContext()).newPage();
  const bob = await (await browser.newContext()).newPage();
  for (const page of [alice, bob]) page.setDefaultTimeout(STEP_TIMEOUT_MS);

  step('1. Alice\'s first visit after signing in: the start page, live, then her app by itself');
  const phases = await watchPhases(alice);
  const chain = recordNavigations(alice);
  // The start page's script runs under the gateway's CSP (script-src 'self'): a violation or an
  // error in it shows here (not the 503 of the page itself, which Chromium logs as well).
  const pageErrors = [];
  alice.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
  });
  alice.on('pageerror', (error) => pageErrors.push(String(error)));
  await signIn(alice, origin, 'alice');
  await alice.waitForURL(`${origin}/`);
  const first = chain.find((nav) => nav.url === `${origin}/` && nav.status !== 302);
  check(first?.status === 503 && (await alice.title()) === 'Starting OpenHands',
    'after signing in, the first visit shows the start page (503)', `${first?.status} ${await alice.title()}`);
  await waitForApp(alice);
  const distinct = new Set(phases.filter((phase) => phase !== 'none'));
  check(pageErrors.length === 0, 'no script error or CSP violation on the way', pageErrors.join('\n     '));
  check(distinct.size >= 2, 'the start page showed the phases as they changed (two or more)', phases.join(' -> '));
  process.stdout.write(`     phases seen: ${phases.join(' -> ')}\n`);
  check(alice.url() === `${origin}/` && await alice.locator('#empty').count() === 1,
    'then it continued to Alice\'s own app server, which lists no conversation yet', alice.url());

  step('2. Alice and Bob start a conversation each, at the same time, from the stand-in\'s page');
  await signIn(bob, origin, 'bob');
  await waitForApp(bob);
  const [aliceIds, bobIds] = await Promise.all([startConversation(alice), startConversation(bob)]);
  check(aliceIds.length === 1 && bobIds.length === 1 && aliceIds[0] !== bobIds[0],
    'each started one conversation of their own', `alice ${aliceIds} bob ${bobIds}`);
  await Promise.all([alice.reload(), bob.reload()]);
  const [aliceNow, bobNow] = [await conversationsOnPage(alice), await conversationsOnPage(bob)];
  check(aliceNow.join() === aliceIds.join() && bobNow.join() === bobIds.join(),
    'each lists only their own conversation, never the other\'s', `alice ${aliceNow} bob ${bobNow}`);
  const statusOf = (page) => page.locator('tr.conversation td').nth(3).textContent();
  check(await statusOf(alice) === 'RUNNING' && await statusOf(bob) === 'RUNNING',
    'each conversation\'s sandbox runs', `${await statusOf(alice)} ${await statusOf(bob)}`);
  // Not a filter over one shared list: Alice's server has never heard of Bob's conversation.
  const asked = await alice.evaluate(async (id) => {
    const response = await fetch(`/api/v1/app-conversations?ids=${id}`);
    return { status: response.status, body: await response.json() };
  }, bobIds[0]);
  check(asked.status === 200 && JSON.stringify(asked.body) === '[null]',
    'Alice\'s app server does not know Bob\'s conversation', JSON.stringify(asked));
  // Their calls to the agent servers (which the RUNNING conversations needed) went through the
  // sandbox API listener: no other way leads from a container to a runtime host's name.
  const proxies = await appServerProxies(podman, labels.appserver);
  check(proxies.length === 2 && proxies.every((p) => p.replace(/\/$/, '') === `http://${sandboxApi}`),
    'both app servers send agent-server calls to the sandbox API listener\'s proxy', `${proxies} (${sandboxApi})`);

  step('3. a start that fails: the gateway again, with an OpenHands image that does not exist');
  await stopProcess(gateway.child);
  await startGateway('oh-gateway-missing-image', gatewayConfig({
    ...settings, image: `localhost/oh-browser-missing:${runId}`, labels: { ...labels, appserver: labels.failing },
  }));
  // Carol's browser runs no script: the start page's <noscript> refresh takes her there.
  const carol = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  carol.setDefaultTimeout(STEP_TIMEOUT_MS);
  const titles = [];
  carol.on('load', async () => titles.push(await carol.title().catch(() => '')));
  await signIn(carol, origin, 'carol');
  const failed = carol.locator('h1', { hasText: 'OpenHands could not start' });
  await failed.waitFor({ timeout: START_TIMEOUT_MS });
  check(titles.includes('Starting OpenHands'), 'without script, the start page refreshed itself to the outcome',
    titles.join(' -> '));
  const why = await carol.locator('.error').textContent();
  check(/image could not be pulled/.test(why), 'a failed start shows why on the page', why);
  step('done: stopping and removing what the test started');
}

await run(main);
