// The real peers of the app-server browser test (appserver_browser_test.mjs): a private Podman
// API service, the images the per-user servers and their sandboxes run (built here from the
// stand-ins' binaries, without a registry), and the address on this machine that containers on
// the users' bridge networks reach. Everything is stopped or removed at the end (harness.mjs's
// atEnd).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { atEnd, startProcess } from './harness.mjs';

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function runOrThrow(command, args, options = {}) {
  const done = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (done.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${done.status}: ${done.stderr || done.stdout}`);
  }
  return done.stdout;
}

// ---------------------------------------------------------------------------------------------
// Podman

// `podman system service` on a socket in `work` (rootful: the users' bridge networks).
export async function startPodman(work) {
  const socket = path.join(work, 'podman.sock');
  const proc = startProcess('podman', 'podman', ['system', 'service', '--time=0', `unix://${socket}`]);
  const podman = {
    socket,
    proc,
    // One Docker API call; {status, body (parsed JSON when it is)}.
    call(method, target, body) {
      return new Promise((resolve, reject) => {
        const request = http.request({ socketPath: socket, method, path: target, headers: { 'Content-Type': 'application/json' } },
          (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk) => { text += chunk; });
            response.on('end', () => {
              let parsed = text;
              try { parsed = JSON.parse(text); } catch { /* not JSON */ }
              resolve({ status: response.statusCode, body: parsed });
            });
          });
        request.on('error', reject);
        request.setTimeout(60000, () => request.destroy(new Error(`podman ${method} ${target}: timed out`)));
        request.end(body === undefined ? undefined : JSON.stringify(body));
      });
    },
  };
  for (let i = 0; i < 100; i += 1) {
    if (existsSync(socket) && (await podman.call('GET', '/_ping').catch(() => null))?.status === 200) return podman;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`podman system service did not answer on ${socket}:\n${proc.output.join('\n')}`);
}

// Removes the containers carrying any of these org.openhands.managed values, killed first and
// all at once (a forced removal would wait out each one's stop timeout on a loaded machine), and
// the networks named with the prefix (what the gateway's pools made for this run).
export async function removeManaged(podman, managedValues, networkPrefix) {
  const ids = [];
  for (const value of managedValues) {
    const filters = encodeURIComponent(JSON.stringify({ label: [`org.openhands.managed=${value}`] }));
    const listed = await podman.call('GET', `/containers/json?all=true&filters=${filters}`);
    ids.push(...(Array.isArray(listed.body) ? listed.body : []).map((container) => container.Id));
  }
  await Promise.all(ids.map(async (id) => {
    await podman.call('POST', `/containers/${id}/kill?signal=KILL`);
    await podman.call('DELETE', `/containers/${id}?force=true`);
  }));
  const networks = await podman.call('GET', '/networks');
  const ours = (Array.isArray(networks.body) ? networks.body : []).filter((n) => n.Name?.startsWith(networkPrefix));
  await Promise.all(ours.map((network) => podman.call('DELETE', `/networks/${network.Name}`)));
}

// The container's address on its (first) network, or ''.
export async function containerAddress(podman, name) {
  const inspected = await podman.call('GET', `/containers/${encodeURIComponent(name)}/json`);
  if (inspected.status !== 200) return '';
  const networks = inspected.body?.NetworkSettings?.Networks || {};
  return Object.values(networks).map((n) => n.IPAddress).find(Boolean) || '';
}

// The HTTP_PROXY each app-server container of this pool runs with ('' when none).
export async function appServerProxies(podman, managedValue) {
  const filters = encodeURIComponent(JSON.stringify({ label: [`org.openhands.managed=${managedValue}`] }));
  const listed = await podman.call('GET', `/containers/json?filters=${filters}`);
  const out = [];
  for (const container of Array.isArray(listed.body) ? listed.body : []) {
    const inspected = await podman.call('GET', `/containers/${container.Id}/json`);
    const env = inspected.body?.Config?.Env || [];
    out.push((env.findLast((entry) => entry.startsWith('HTTP_PROXY=')) || '').slice('HTTP_PROXY='.length));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// images

async function imageLabel(podman, image, label) {
  const inspected = await podman.call('GET', `/images/${encodeURIComponent(image)}/json`);
  return inspected.status === 200 ? inspected.body?.Config?.Labels?.[label] || '' : null;
}

// The app-server stand-in's image (ctest's fixture appserver_standin_image builds it; rebuilt
// here when it is missing or holds another binary, as appserver_standin_podman_test.cpp does).
export async function ensureStandinImage(podman, { image, binary, script }) {
  if (await imageLabel(podman, image, 'org.openhands.standin.binary-sha256') === sha256(binary)) return;
  runOrThrow(script, [binary, image]);
}

// The agent-server stand-in (static) alone in an image: what the sandbox API runs for each
// conversation. Tagged by the binary's digest, so a rebuilt stand-in never runs an old image.
export async function ensureAgentServerImage(podman, work, binary) {
  const image = `localhost/oh-browser-agent-server:${sha256(binary).slice(0, 16)}`;
  if (await imageLabel(podman, image, 'org.openhands.standin') !== null) return image;
  const root = path.join(work, 'agent-rootfs');
  mkdirSync(path.join(root, 'usr/local/bin'), { recursive: true });
  mkdirSync(path.join(root, 'tmp'), { recursive: true, mode: 0o1777 });
  copyFileSync(binary, path.join(root, 'usr/local/bin/openhands-agent-server'));
  runOrThrow('tar', ['-C', root, '-cf', `${root}.tar`, '.']);
  runOrThrow('podman', ['--remote', '--url', `unix://${podman.socket}`, 'import',
    '--change', 'LABEL org.openhands.standin=agent-server', `${root}.tar`, image]);
  return image;
}

// The stand-in as this deployment runs it: the agent-server image it asks sandboxes for, and a
// start-up that takes a few seconds as the real Python server's does (busybox sleeps before the
// binary), so the start page's "waiting" phase is there to see. Removed at the end.
export async function buildDeployedStandinImage(podman, work, { base, tag, agentImage }) {
  const context = path.join(work, 'appserver-image');
  mkdirSync(context, { recursive: true });
  copyFileSync('/usr/bin/busybox', path.join(context, 'busybox'));
  const colon = agentImage.lastIndexOf(':');
  writeFileSync(path.join(context, 'Containerfile'), [
    `FROM ${base}`,
    'COPY busybox /bin/busybox',
    `ENV AGENT_SERVER_IMAGE_REPOSITORY=${agentImage.slice(0, colon)} AGENT_SERVER_IMAGE_TAG=${agentImage.slice(colon + 1)}`,
    'ENTRYPOINT ["/bin/busybox", "sh", "-c", "sleep 3 && exec /usr/local/bin/openhands-app-server \\"$@\\"", "app-server"]',
    // A new ENTRYPOINT drops the base's CMD: the stock image's again (Dockerfile:104-105).
    'CMD ["uvicorn", "openhands.server.listen:app", "--host", "0.0.0.0", "--port", "3000"]',
    '',
  ].join('\n'));
  runOrThrow('podman', ['--remote', '--url', `unix://${podman.socket}`, 'build', '-q', '-t', tag, context]);
  atEnd(() => podman.call('DELETE', `/images/${encodeURIComponent(tag)}?force=true`), `removing ${tag}`);
  return tag;
}

// ---------------------------------------------------------------------------------------------
// networking

// This machine's IPv4 address on the interface of its default route: containers on any bridge
// network reach it (through their gateway), unlike 127.0.0.1. '' when there is none.
export function hostAddress() {
  let iface = '';
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const [name, destination] = line.split('\t');
      if (destination === '00000000') { iface = name; break; }
    }
  } catch { return ''; }
  return (os.networkInterfaces()[iface] || []).find((a) => a.family === 'IPv4' && !a.internal)?.address || '';
}
