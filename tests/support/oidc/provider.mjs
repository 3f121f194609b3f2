#!/usr/bin/env node
// A local OpenID Provider for oh-gateway's sign-in integration tests, built on npm
// `oidc-provider` (a certified OP) and configured to behave like Amazon Cognito:
//   - ID tokens carry `token_use: "id"` plus email / email_verified (Cognito puts them there);
//   - a refresh token is issued on every code exchange (Cognito does not need offline_access)
//     and is NOT rotated on refresh (Cognito returns no new refresh token);
//   - PKCE S256 is required; the client authenticates with client_secret_basic;
//   - GET /logout?client_id=…&logout_uri=… ends the provider session and redirects (Cognito's
//     logout endpoint), beside the standard end_session_endpoint;
//   - short lifetimes from the command line, so tests can see expiry and silent renewal.
//
// Usage (prints one JSON line with issuer, port and client settings on stdout when ready):
//   node tests/support/oidc/provider.mjs --port 0 --redirect-uri http://127.0.0.1:8080/_callback \
//        [--logout-uri URL] [--client-id ID] [--client-secret S] [--id-token-ttl 30] \
//        [--refresh-token-ttl 600] [--keys FILE] [--rotate] [--tls-cert PEM --tls-key PEM]
// --keys FILE keeps the signing keys across restarts; --rotate adds a new signing key in front
// of the old ones (JWKS rotation test: old tokens keep verifying, new ones use a new kid).
// --tls-cert/--tls-key serve HTTPS (issuer https://127.0.0.1:PORT) with a certificate the test
// made from its own CA, so the gateway's certificate verification (auth.ca_file) is exercised.
// Stop it by PID (SIGTERM). Binds 127.0.0.1 only.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import process from 'node:process';

import Provider from 'oidc-provider';

function parseArgs(argv) {
  const opts = {
    port: 0,
    redirectUris: [],
    logoutUris: [],
    clientId: 'oh-gateway-test',
    clientSecret: randomBytes(24).toString('base64url'),
    idTokenTtl: 60,
    refreshTokenTtl: 3600,
    keys: null,
    rotate: false,
    tlsCert: null,
    tlsKey: null,
  };
  for (let i = 2; i < argv.length; i += 1) {
    const arg = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      i += 1;
      return argv[i];
    };
    switch (arg) {
      case '--port': opts.port = Number(next()); break;
      case '--redirect-uri': opts.redirectUris.push(next()); break;
      case '--logout-uri': opts.logoutUris.push(next()); break;
      case '--client-id': opts.clientId = next(); break;
      case '--client-secret': opts.clientSecret = next(); break;
      case '--id-token-ttl': opts.idTokenTtl = Number(next()); break;
      case '--refresh-token-ttl': opts.refreshTokenTtl = Number(next()); break;
      case '--keys': opts.keys = next(); break;
      case '--rotate': opts.rotate = true; break;
      case '--tls-cert': opts.tlsCert = next(); break;
      case '--tls-key': opts.tlsKey = next(); break;
      default: throw new Error(`unknown argument ${arg}`);
    }
  }
  if (opts.redirectUris.length === 0) throw new Error('--redirect-uri is required');
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw new Error('--tls-cert and --tls-key go together');
  return opts;
}

function newSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: `test-${randomBytes(6).toString('hex')}`, alg: 'RS256', use: 'sig' };
}

// The first key signs; the others stay in the JWKS so earlier tokens keep verifying.
function loadKeys(opts) {
  let keys = [];
  if (opts.keys && existsSync(opts.keys)) {
    keys = JSON.parse(readFileSync(opts.keys, 'utf8')).keys;
  }
  if (keys.length === 0 || opts.rotate) keys.unshift(newSigningKey());
  if (opts.keys) writeFileSync(opts.keys, JSON.stringify({ keys }), { mode: 0o600 });
  return keys;
}

function accountFor(id) {
  return {
    accountId: id,
    // `use` is "id_token" or "userinfo": Cognito marks its ID tokens with token_use=id.
    async claims(use) {
      const claims = { sub: id, email: `${id}@example.test`, email_verified: true };
      if (use === 'id_token') claims.token_use = 'id';
      return claims;
    },
  };
}

async function main() {
  const opts = parseArgs(process.argv);
  const keys = loadKeys(opts);
  const tls = Boolean(opts.tlsCert);
  const server = tls
    ? https.createServer({ cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) })
    : http.createServer();
  await new Promise((resolve) => { server.listen(opts.port, '127.0.0.1', resolve); });
  const { port } = server.address();
  const issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const logoutUris = opts.logoutUris.length > 0
    ? opts.logoutUris
    : opts.redirectUris.map((u) => new URL('/', u).toString());

  const provider = new Provider(issuer, {
    clients: [{
      client_id: opts.clientId,
      client_secret: opts.clientSecret,
      redirect_uris: opts.redirectUris,
      post_logout_redirect_uris: logoutUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    }],
    jwks: { keys },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true, methods: ['S256'] },
    claims: { openid: ['sub', 'token_use'], email: ['email', 'email_verified'] },
    // Cognito puts the profile claims into the ID token even though an access token is issued.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },  // a plain login form: any user name signs in
      rpInitiatedLogout: { enabled: true },
      revocation: { enabled: true },
    },
    // Cognito issues a refresh token on every code exchange and does not rotate it.
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: false,
    ttl: {
      AccessToken: opts.idTokenTtl,
      IdToken: opts.idTokenTtl,
      AuthorizationCode: 60,
      RefreshToken: opts.refreshTokenTtl,
      Grant: opts.refreshTokenTtl,
      Session: opts.refreshTokenTtl,
      Interaction: 600,
    },
    findAccount: async (ctx, id) => accountFor(id),
  });

  // Cognito's logout endpoint: GET /logout?client_id=…&logout_uri=… ends the provider session
  // and redirects to logout_uri when it is registered for the client (else 400, as Cognito).
  provider.use(async (ctx, next) => {
    if (ctx.path !== '/logout' || ctx.method !== 'GET') {
      await next();
      return;
    }
    const { client_id: clientId, logout_uri: logoutUri } = ctx.query;
    if (clientId !== opts.clientId || !logoutUris.includes(logoutUri)) {
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: 'unknown client_id or logout_uri' };
      return;
    }
    const session = await provider.Session.get(ctx);
    if (session) await session.destroy();
    ctx.cookies.set(provider.cookieName('session'), null);
    ctx.redirect(logoutUri);
  });

  server.on('request', provider.callback());
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();  // keep-alive clients must not delay the stop
  });
  process.stdout.write(`${JSON.stringify({
    issuer,
    port,
    discovery: `${issuer}/.well-known/openid-configuration`,
    jwks_uri: `${issuer}/jwks`,
    client_id: opts.clientId,
    client_secret: opts.clientSecret,
    signing_kid: keys[0].kid,
    kids: keys.map((k) => k.kid),
  })}\n`);
}

main().catch((err) => {
  process.stderr.write(`oidc test provider: ${err.stack || err}\n`);
  process.exit(1);
});
