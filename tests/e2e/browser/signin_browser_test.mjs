#!/usr/bin/env node
// Browser end-to-end test of sign-in (issue 4): Debian's Chromium, driven by playwright-core,
// against the real oh-gateway binary, the local OpenID Provider (tests/support/oidc/provider.mjs,
// configured like Cognito) and two small upstreams started here (the main app and a user's
// runtime app). Steps:
//   1. open the main host: the gateway redirects to the provider's login page;
//   2. sign in there: back through /_callback, the app shows the identity the gateway sent;
//   3. open a runtime host: hand-off to the main host, one-time ticket, back to the runtime host,
//      its own cookie, the runtime app (which never sees the gateway's cookies);
//   3b. the runtime app's page plants session cookies for the main host and posts to its API
//      (issue 16): nothing reaches OpenHands and the user stays signed in;
//   4. log out: the provider's /logout, back to the main host, which asks for a sign-in again.
// The runtime app is found through a Docker Engine API stand-in on a Unix socket (GET
// /containers/json and an idle /events stream: the two calls the gateway's container directory
// makes). Host names under .test are mapped to 127.0.0.1 inside Chromium only.
//
// Environment: OH_GATEWAY_BIN (required), CHROMIUM (default /usr/bin/chromium).
// Exit 0 pass, 1 fail, 77 skipped (no Chromium, no node_modules, no gateway binary).

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

import {
  GATEWAY, check, describeChain, freePort, gatewayConfigHead, launchBrowser, listen, recordNavigations, requireBrowser,
  run, startProcess, waitForLine, workDirectory,
} from './harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const PROVIDER = path.join(ROOT, 'tests/support/oidc/provider.mjs');

const MAIN_HOST = 'openhands.oh.test';
const RUNTIME_SUFFIX = `runtime.${MAIN_HOST}`;
const USER = 'alice';
const CONVERSATION = 'abc123def456abc123def456abc12345';  // 32 hex digits, as OpenHands makes them
const STEP_TIMEOUT_MS = 20000;

// An upstream page that shows what the gateway forwarded: identity headers and cookies.
function appServer(label, seen) {
  return http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    const body = JSON.stringify({
      app: label,
      path: req.url,
      user: req.headers['x-cognito-user-id'] || null,
      email: req.headers['x-cognito-email'] || null,
      cookie: req.headers.cookie || '',
    });
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>${label}</title><pre id="seen">${body.replace(/</g, '&lt;')}</pre>`);
  });
}

// The Docker Engine API as the gateway's container directory uses it: one container for the
// conversation, owned by USER, reachable on 127.0.0.1 (its "IP") at the runtime app's port.
function dockerApi(socketPath) {
  const container = {
    Id: 'f'.repeat(64),
    Names: ['/oh-agent-server-e2e'],
    Image: 'openhands-runtime-e2e',
    State: 'running',
    Labels: { conversation_id: CONVERSATION, user_id: USER },
    NetworkSettings: { Networks: { bridge: { IPAddress: '127.0.0.1' } } },
    Ports: [],
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://docker');
    const route = url.pathname.replace(/^\/v[\d.]+/, '');
    if (route === '/containers/json') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify([container]));
    } else if (route === '/events') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();  // an idle stream: nothing changes during the test
    } else if (route === '/_ping') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('OK');
    } else if (route === `/containers/${container.Id}/json`) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ...container, Name: container.Names[0], Config: { Labels: container.Labels } }));
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"message":"not found"}');
    }
  });
  return listen(server, socketPath);
}

// ---------------------------------------------------------------------------------------------
// checks

async function seenOnPage(page) {
  const text = await page.locator('#seen').textContent({ timeout: STEP_TIMEOUT_MS });
  return JSON.parse(text);
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const chromium = await requireBrowser();
  const { work, secretFile } = workDirectory('oh-browser-e2e-');

  // Upstreams and the Docker API stand-in.
  const mainSeen = [];
  const runtimeSeen = [];
  const mainApp = await listen(appServer('main-app', mainSeen), 0, '127.0.0.1');
  const runtimeApp = await listen(appServer('runtime-app', runtimeSeen), 0, '127.0.0.1');
  const dockerSocket = path.join(work, 'docker.sock');
  await dockerApi(dockerSocket);

  // The provider needs the callback URL before the gateway runs, so the gateway's port is chosen first.
  const gatewayPort = await freePort();
  const mainOrigin = `http://${MAIN_HOST}:${gatewayPort}`;
  const provider = startProcess('provider', process.execPath, [
    PROVIDER, '--port', '0', '--redirect-uri', `${mainOrigin}/_callback`, '--logout-uri', `${mainOrigin}/`,
    '--id-token-ttl', '300',
  ]);
  const providerInfo = JSON.parse(await waitForLine(provider, (line) => line.startsWith('{')));
  const issuer = providerInfo.issuer;

  const config = `${gatewayConfigHead({ port: gatewayPort, upstream: `http://127.0.0.1:${mainApp.port}` })}
[auth]
provider = "oidc"
client_id = "${providerInfo.client_id}"
client_secret_file = "${secretFile('client-secret', providerInfo.client_secret)}"
callback_hosts = ["${MAIN_HOST}:${gatewayPort}"]
cookie_secure = false
cookie_key_file = "${secretFile('cookie-key', randomBytes(32))}"
ticket_key_file = "${secretFile('ticket-key', randomBytes(32))}"
http_timeout_seconds = 5

[auth.oidc]
issuer = "${issuer}"
require_token_use_id = true

[runtime]
enabled = true
host_suffixes = ["${RUNTIME_SUFFIX}"]
docker_socket = "${dockerSocket}"
access = "owner"
`;
  const configPath = secretFile('gateway.toml', config);
  const gateway = startProcess('oh-gateway', GATEWAY, ['--config', configPath]);
  await waitForLine(gateway, (line) => line.includes('oh-gateway listening on'));

  const browser = await launchBrowser(chromium);
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const chain = recordNavigations(page);

  // 1. The main host sends an anonymous browser to the provider.
  await page.goto(`${mainOrigin}/workspace?tab=1`);
  await page.waitForURL((url) => url.href.startsWith(`${issuer}/interaction/`));
  check(chain[0]?.status === 302 && chain[0].location.startsWith(`${issuer}/auth?`),
    'main host redirects an anonymous page load to the provider', describeChain(chain));
  const authorize = new URL(chain[0]?.location || 'http://invalid/');
  check(authorize.searchParams.get('code_challenge_method') === 'S256' && authorize.searchParams.get('state')
        && authorize.searchParams.get('nonce'), 'authorize request carries PKCE S256, state and nonce', authorize.href);

  // 2. Sign in on the provider's page (oidc-provider's development form, then its consent).
  await page.fill('input[name="login"]', USER);
  await page.fill('input[name="password"]', 'any-password');
  chain.length = 0;
  await page.click('button[type="submit"]');
  await page.waitForURL((url) => url.href.startsWith(`${issuer}/interaction/`) || url.href.startsWith(mainOrigin));
  if (page.url().startsWith(`${issuer}/interaction/`)) {
    await page.click('button[type="submit"]');  // consent: "Continue"
  }
  await page.waitForURL((url) => url.href.startsWith(mainOrigin) && !url.pathname.startsWith('/_callback'));
  check(chain.some((s) => s.url.startsWith(`${mainOrigin}/_callback?`) && s.status === 302),
    'the provider returns through /_callback', describeChain(chain));
  check(page.url() === `${mainOrigin}/workspace?tab=1`, 'lands on the page first asked for', page.url());
  const main = await seenOnPage(page);
  check(main.app === 'main-app' && main.user === USER && main.email === `${USER}@example.test`,
    'the app receives the identity headers', JSON.stringify(main));
  const cookies = await context.cookies(mainOrigin);
  const session = cookies.find((c) => c.name === 'oh_session');
  check(session && session.httpOnly && session.sameSite === 'Lax' && !session.domain.startsWith('.'),
    'session cookie is host-only, HttpOnly, SameSite=Lax', JSON.stringify(cookies.map(({ value, ...rest }) => rest)));

  // 3. A runtime host: hand-off through the main host, a one-time ticket, its own cookie.
  const runtimeOrigin = `http://${runtimeApp.port}-${CONVERSATION}.${RUNTIME_SUFFIX}:${gatewayPort}`;
  chain.length = 0;
  const runtimeResponse = await page.goto(`${runtimeOrigin}/app/index.html?q=1`);
  const steps = chain.map((s) => new URL(s.url));
  check(steps[0]?.origin === runtimeOrigin && chain[0].status === 302
        && chain[0].location.startsWith(`${mainOrigin}/_gateway/handoff`),
  'runtime host without its cookie redirects to the main host hand-off', describeChain(chain));
  check(steps[1]?.origin === mainOrigin && steps[1].pathname === '/_gateway/handoff' && chain[1].status === 302
        && chain[1].location.startsWith(`${runtimeOrigin}/_gateway/ticket`),
  'the signed-in main host issues a ticket back to the runtime host', describeChain(chain));
  check(steps[2]?.origin === runtimeOrigin && steps[2].pathname === '/_gateway/ticket' && chain[2].status === 302,
    'the runtime host redeems the ticket', describeChain(chain));
  const runtimeCookies = await context.cookies(runtimeOrigin);
  check(runtimeCookies.some((c) => c.name === 'oh_runtime' && c.httpOnly)
        && !runtimeCookies.some((c) => c.name === 'oh_session'),
  'the runtime host has its own HttpOnly cookie and never the main session cookie',
  JSON.stringify(runtimeCookies.map(({ value, ...rest }) => rest)));
  check(runtimeResponse?.status() === 200 && page.url() === `${runtimeOrigin}/app/index.html?q=1`,
    'the runtime app answers at the address first asked for', `${runtimeResponse?.status()} ${page.url()}\n     ${describeChain(chain)}`);
  if (runtimeResponse?.status() === 200) {
    const runtime = await seenOnPage(page);
    check(runtime.app === 'runtime-app' && !/oh_session|oh_runtime/.test(runtime.cookie),
      'the runtime app sees none of the gateway cookies', JSON.stringify(runtime));
  }
  // A replayed ticket is refused.
  const ticketUrl = chain[1]?.location;
  if (ticketUrl) {
    const replay = await page.goto(ticketUrl);
    check(replay?.status() === 403, 'a replayed ticket gives 403', `${replay?.status()}`);
  }

  // 3b. The runtime app turns hostile (issue 16). Its page runs script on a subdomain of the main
  // host, the same site: it plants session cookies for the main host (a longer Path is sent
  // first) and posts to the main host's API with the visitor's cookies. The plain-http local
  // mode cannot use __Host- names, so this is the harder case: the gateway must try every copy
  // and refuse requests whose Origin is a runtime host.
  const appPage = await page.goto(`${runtimeOrigin}/app/index.html`);
  check(appPage?.status() === 200, 'back on the runtime app', `${appPage?.status()}`);
  const postsBefore = mainSeen.filter((r) => r.method === 'POST').length;
  // First the posts (with only the real session in the jar, so nothing but the Origin rule can
  // stop them), then the planted cookies.
  const attack = await page.evaluate(async ({ mainOrigin }) => {
    const results = [];
    for (const mode of ['cors', 'no-cors']) {
      try {
        const response = await fetch(`${mainOrigin}/api/settings`, {
          method: 'POST', mode, credentials: 'include',
          headers: mode === 'cors' ? { 'Content-Type': 'application/json' } : {},
          body: JSON.stringify({ llm_api_key: 'stolen' }),
        });
        results.push(`${mode}: ${response.status}`);
      } catch (error) {
        results.push(`${mode}: ${error.name}`);
      }
    }
    // A form post (a navigation of a hidden frame) carries the Lax session cookie too.
    await new Promise((resolve) => {
      const frame = document.createElement('iframe');
      frame.name = 'sink';
      document.body.appendChild(frame);
      // After the insertion: an inserted frame's about:blank fires load at once, which would
      // end the wait before the post's answer arrives.
      frame.onload = resolve;
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = `${mainOrigin}/api/conversations`;
      form.target = 'sink';
      const field = document.createElement('input');
      field.name = 'x';
      field.value = '1';
      form.appendChild(field);
      document.body.appendChild(form);
      form.submit();
      setTimeout(resolve, 5000);
    });
    return results;
  }, { mainOrigin });
  check(mainSeen.filter((r) => r.method === 'POST').length === postsBefore,
    'no request the app posted to the main host reached OpenHands', JSON.stringify(attack));
  await page.evaluate(({ mainOrigin }) => {
    const mainDomain = new URL(mainOrigin).hostname;
    document.cookie = `oh_session=planted-by-the-app; domain=${mainDomain}; path=/workspace`;
    document.cookie = `oh_session=planted-by-the-app; domain=${mainDomain}; path=/api`;
  }, { mainOrigin });
  // Chromium hands a script's cookie writes to its cookie store asynchronously: on a loaded
  // machine the store may not have them yet when asked, so ask for up to 10 s.
  let planted = [];
  for (const deadline = Date.now() + 10000; ;) {
    planted = (await context.cookies(`${mainOrigin}/workspace`)).filter((c) => c.name === 'oh_session');
    if (planted.some((c) => c.value === 'planted-by-the-app') || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  check(planted.some((c) => c.value === 'planted-by-the-app'),
    'the app could plant a session cookie for the main host (plain http: no __Host- prefix)',
    JSON.stringify(planted.map(({ value, name, path: p, domain }) => ({ name, value, path: p, domain }))));
  const afterAttack = await page.goto(`${mainOrigin}/workspace?after=attack`);
  const stillSignedIn = afterAttack?.status() === 200 && page.url().startsWith(`${mainOrigin}/workspace`)
    ? await seenOnPage(page) : null;
  check(stillSignedIn?.user === USER,
    'the user stays signed in on the main host despite the planted cookies',
    `${afterAttack?.status()} ${page.url()} ${JSON.stringify(stillSignedIn)}`);
  const sessionsNow = (await context.cookies(mainOrigin)).filter((c) => c.name === 'oh_session' && c.path === '/');
  check(sessionsNow.length === 1 && sessionsNow[0].value !== 'planted-by-the-app',
    'the real session cookie is still there', JSON.stringify(sessionsNow.map(({ value, ...rest }) => rest)));

  // 4. Log out: the provider's session ends too, so the main host asks for a sign-in again.
  // An OIDC provider ends its session at end_session_endpoint (oidc-provider asks to confirm
  // there); Cognito's is GET /logout. Either way the browser comes back to the main host.
  chain.length = 0;
  await page.goto(`${mainOrigin}/_logout`);
  check(chain[0]?.status === 302 && chain[0].location.startsWith(issuer),
    'the gateway sends the browser to the provider to end its session', describeChain(chain));
  check(!(await context.cookies(mainOrigin)).some((c) => c.name === 'oh_session'), 'the session cookie is gone');
  const confirm = page.locator('button[name="logout"]');
  if (await confirm.count() === 1) {
    await confirm.click();  // oidc-provider's "Yes, sign me out"
  }
  await page.waitForURL((url) => url.href.startsWith(`${issuer}/interaction/`));
  check(chain.some((s) => s.url.startsWith(mainOrigin) && s.url !== `${mainOrigin}/_logout`),
    'the provider sends the browser back to the main host', describeChain(chain));
  check(await page.locator('input[name="login"]').count() === 1,
    'signed out at the provider too: the main host leads to its login form again', page.url());
}

await run(main);
