// Reference OpenID Connect provider for scripts/bench: panva's oidc-provider, one Node
// process, in-memory storage, one confidential client, listening on 127.0.0.1 only.
//
//   node server.mjs --port 5999 --client-id bench --client-secret s3cret \
//     --refresh-tokens 40000 --out /tmp/tokens.json
//
// Every option may also come from the environment: PORT, ISSUER, CLIENT_ID, CLIENT_SECRET,
// REFRESH_TOKENS, OUT, STORE_SIZE. Before listening it mints one access token and N
// single-use refresh tokens through the provider's own models, writes them (and the
// endpoint paths read from the discovery document) as JSON to --out, then listens and
// prints "ready" on stdout.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';
// The provider's own in-memory adapter and LRU store. Its default store holds only 1,000
// entries (then 2,000 at most, oldest generation dropped): far fewer than the tokens this
// benchmark mints and creates, so the same adapter gets a store sized for the run.
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT },
    issuer: { type: 'string', default: process.env.ISSUER },
    'client-id': { type: 'string', default: process.env.CLIENT_ID ?? 'bench-client' },
    'client-secret': { type: 'string', default: process.env.CLIENT_SECRET },
    'refresh-tokens': { type: 'string', default: process.env.REFRESH_TOKENS ?? '40000' },
    'store-size': { type: 'string', default: process.env.STORE_SIZE ?? '5000000' },
    out: { type: 'string', default: process.env.OUT },
  },
  strict: true,
});

function fail(message) {
  process.stderr.write(`server.mjs: ${message}\n`);
  process.exit(2);
}

const port = Number.parseInt(args.port ?? '', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) fail('--port (or PORT) is required');
if (!args.out) fail('--out (or OUT) is required: where to write the minted tokens as JSON');
const refreshTokenCount = Number.parseInt(args['refresh-tokens'], 10);
if (!Number.isInteger(refreshTokenCount) || refreshTokenCount < 0) fail('bad --refresh-tokens');
const storeSize = Number.parseInt(args['store-size'], 10);
if (!Number.isInteger(storeSize) || storeSize < 3 * refreshTokenCount + 1000) {
  fail('--store-size must exceed 3 entries per refresh token plus 1000');
}

const HOST = '127.0.0.1';
const issuer = args.issuer ?? `http://${HOST}:${port}`;
const clientId = args['client-id'];
const clientSecret = args['client-secret'] ?? randomBytes(24).toString('base64url');

const ACCOUNT_ID = 'bench-user';
const ACCOUNT_CLAIMS = {
  sub: ACCOUNT_ID,
  name: 'Bench User',
  given_name: 'Bench',
  family_name: 'User',
  email: 'bench.user@example.test',
  email_verified: true,
};
const ACCESS_TOKEN_SCOPE = 'openid profile email';
const REFRESH_TOKEN_SCOPE = 'openid profile email offline_access';

// One RS256 signing key made at start (ID tokens from the refresh grant, JWKS endpoint).
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-rs256', alg: 'RS256', use: 'sig' };

const store = new LRU({ maxSize: storeSize });

const provider = new Provider(issuer, {
  adapter: (name) => new MemoryAdapter(name, store),
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1:9/cb'],
      scope: REFRESH_TOKEN_SCOPE,
    },
  ],
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name'],
    email: ['email', 'email_verified'],
  },
  async findAccount(_ctx, sub) {
    if (sub !== ACCOUNT_ID) return undefined;
    return { accountId: ACCOUNT_ID, claims: async () => ({ ...ACCOUNT_CLAIMS }) };
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    // Enabled by default in v9. With no `resource` parameter and the default
    // defaultResource(), client_credentials and refresh grants yield opaque tokens without
    // an audience, usable at userinfo and introspectable by the client.
    resourceIndicators: { enabled: true },
  },
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    ClientCredentials: 600,
    Grant: 14 * 24 * 3600,
    IdToken: 3600,
    Interaction: 3600,
    RefreshToken: 14 * 24 * 3600,
    Session: 14 * 24 * 3600,
  },
});
provider.proxy = false;

// Endpoint paths, read from the provider's own discovery document through its Koa callback
// on a throwaway ephemeral port (URLs are built from the issuer, not the Host header).
async function discoveryPaths() {
  const probe = http.createServer(provider.callback());
  await new Promise((resolve) => { probe.listen(0, HOST, resolve); });
  try {
    const { port: probePort } = probe.address();
    const discoveryPath = '/.well-known/openid-configuration';
    const response = await fetch(`http://${HOST}:${probePort}${discoveryPath}`);
    if (response.status !== 200) throw new Error(`discovery answered ${response.status}`);
    const doc = await response.json();
    const path = (url) => new URL(url).pathname;
    return {
      discovery: discoveryPath,
      jwks: path(doc.jwks_uri),
      token: path(doc.token_endpoint),
      introspection: path(doc.introspection_endpoint),
      userinfo: path(doc.userinfo_endpoint),
      revocation: path(doc.revocation_endpoint),
    };
  } finally {
    await new Promise((resolve) => { probe.close(resolve); });
  }
}

async function newGrant(scope) {
  const grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId });
  grant.addOIDCScope(scope);
  return grant.save();
}

async function mint() {
  const client = await provider.Client.find(clientId);
  const authTime = Math.floor(Date.now() / 1000);

  const accessToken = await new provider.AccessToken({
    accountId: ACCOUNT_ID,
    client,
    grantId: await newGrant(ACCESS_TOKEN_SCOPE),
    gty: 'authorization_code',
    scope: ACCESS_TOKEN_SCOPE,
  }).save();

  // One grant per refresh token, as if each came from its own login: reusing a rotated
  // refresh token revokes its whole grant, and grants index their tokens in one Map each.
  const refreshTokens = new Array(refreshTokenCount);
  for (let i = 0; i < refreshTokenCount; i += 1) {
    refreshTokens[i] = await new provider.RefreshToken({
      accountId: ACCOUNT_ID,
      authTime,
      client,
      grantId: await newGrant(REFRESH_TOKEN_SCOPE),
      gty: 'authorization_code',
      scope: REFRESH_TOKEN_SCOPE,
    }).save();
  }
  return { accessToken, refreshTokens };
}

const started = Date.now();
const paths = await discoveryPaths();
const { accessToken, refreshTokens } = await mint();
writeFileSync(args.out, JSON.stringify({
  issuer,
  client_id: clientId,
  client_secret: clientSecret,
  access_token: accessToken,
  refresh_tokens: refreshTokens,
  paths,
}));
process.stderr.write(`minted ${refreshTokens.length} refresh tokens in ${Date.now() - started} ms\n`);

const server = http.createServer(provider.callback());
server.keepAliveTimeout = 65_000;
server.listen(port, HOST, () => {
  process.stdout.write('ready\n');
});

// Everything lives in memory: nothing to flush, so a signal ends the process at once.
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
