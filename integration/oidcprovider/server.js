// oidc-provider on loopback for rp's integration tests (see
// ../oidcprovider_test.go, which writes the configuration and starts this).
//
//   node server.js CONFIG.json
//
// CONFIG.json holds:
//   clients: client metadata objects, registered as they are;
//   users:   [{ username, password, claims: { sub, ... } }];
//   tls:     { cert, key, ca }: PEM file paths for the mutual-TLS listener
//            (its server certificate and key, and the CA that issues the
//            clients' certificates for tls_client_auth).
//
// It listens on two free loopback ports: plain HTTP for the issuer and every
// endpoint, and HTTPS (asking for, not requiring, a client certificate) for
// the same endpoints, published as mtls_endpoint_aliases. Once both listen it
// prints one line, "rp-oidc-provider ready " and a JSON object with the
// issuer and the HTTPS base URL, then logs to stderr.
//
// Sign-in needs no browser: the login page is one form (username, password)
// checked against the users; consent is granted without a page.
//
// Per client, by client_id: "dpop-nonce" must send DPoP nonces, and "fapi2"
// is held to the FAPI 2.0 Security Profile.
import * as nodeCrypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

import Provider from 'oidc-provider';

// oidc-provider 9 calls crypto.hash, which Node.js has since 20.12.
if (typeof nodeCrypto.hash !== 'function') {
  console.error(`server.js: Node.js ${process.version} is too old for oidc-provider 9: it needs 20.12 or later`);
  process.exit(1);
}

const configPath = process.argv[2];
if (!configPath) {
  console.error('usage: node server.js CONFIG.json');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, 'utf8'));

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

// The HTTPS listener asks for any client certificate: it names no CA in
// its request (so that clients send self-signed ones too) and checks
// tls_client_auth certificates against the CA itself.
const clientCA = new nodeCrypto.X509Certificate(readFileSync(config.tls.ca));
const plain = http.createServer();
const mtls = https.createServer({
  cert: readFileSync(config.tls.cert),
  key: readFileSync(config.tls.key),
  requestCert: true,
  rejectUnauthorized: false,
});
const issuer = `http://127.0.0.1:${await listen(plain)}`;
const mtlsBase = `https://127.0.0.1:${await listen(mtls)}`;

// The provider's signing keys, new for every run.
function signingKey(kid, alg, type, options) {
  const { privateKey } = nodeCrypto.generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}
const jwks = {
  keys: [
    signingKey('op-rs256', 'RS256', 'rsa', { modulusLength: 2048 }),
    signingKey('op-ps256', 'PS256', 'rsa', { modulusLength: 2048 }),
    signingKey('op-es256', 'ES256', 'ec', { namedCurve: 'P-256' }),
    signingKey('op-eddsa', 'EdDSA', 'ed25519'),
  ],
};

const users = new Map(config.users.map((u) => [u.claims.sub, u]));
const byUsername = new Map(config.users.map((u) => [u.username, u]));

function peerCertificate(ctx) {
  const { socket } = ctx.req;
  if (typeof socket.getPeerX509Certificate !== 'function') {
    return undefined; // plain HTTP
  }
  return socket.getPeerX509Certificate();
}

// issuedByCA says whether the client's certificate is issued by the CA
// and valid now.
function issuedByCA(ctx) {
  const cert = peerCertificate(ctx);
  if (!cert) {
    return false;
  }
  const now = Date.now();
  return cert.checkIssued(clientCA) && cert.verify(clientCA.publicKey)
    && Date.parse(cert.validFrom) <= now && now < Date.parse(cert.validTo);
}

function subjectMatches(ctx, property, expected) {
  const cert = peerCertificate(ctx);
  if (!cert) {
    return false;
  }
  switch (property) {
    case 'tls_client_auth_subject_dn':
      // Node lists the RDNs one a line, most significant first; RFC 4514
      // strings go the other way.
      return cert.subject.split('\n').reverse().join(',') === expected;
    case 'tls_client_auth_san_dns':
      return (cert.subjectAltName ?? '').split(', ').includes(`DNS:${expected}`);
    default:
      return false;
  }
}

const encryptionAlgs = ['RSA-OAEP', 'RSA-OAEP-256', 'ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A256KW'];
const encryptionEncs = ['A128GCM', 'A256GCM', 'A128CBC-HS256'];

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks,
  cookies: { keys: [nodeCrypto.randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username', 'locale'],
  },
  async findAccount(ctx, sub) {
    const user = users.get(sub);
    if (!user) {
      return undefined;
    }
    return { accountId: sub, claims: async () => ({ ...user.claims }) };
  },
  clientAuthMethods: [
    'client_secret_basic',
    'client_secret_post',
    'private_key_jwt',
    'none',
    'tls_client_auth',
    'self_signed_tls_client_auth',
  ],
  enabledJWA: {
    idTokenEncryptionAlgValues: encryptionAlgs,
    idTokenEncryptionEncValues: encryptionEncs,
    userinfoEncryptionAlgValues: encryptionAlgs,
    userinfoEncryptionEncValues: encryptionEncs,
    authorizationEncryptionAlgValues: encryptionAlgs,
    authorizationEncryptionEncValues: encryptionEncs,
    dPoPSigningAlgValues: ['ES256', 'PS256', 'RS256', 'EdDSA'],
  },
  discovery: {
    mtls_endpoint_aliases: {
      token_endpoint: `${mtlsBase}/token`,
      userinfo_endpoint: `${mtlsBase}/me`,
      pushed_authorization_request_endpoint: `${mtlsBase}/request`,
      revocation_endpoint: `${mtlsBase}/token/revocation`,
      introspection_endpoint: `${mtlsBase}/token/introspection`,
    },
  },
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    pushedAuthorizationRequests: { enabled: true },
    requestObjects: { enabled: true },
    jwtResponseModes: { enabled: true },
    jwtUserinfo: { enabled: true },
    encryption: { enabled: true },
    dPoP: {
      enabled: true,
      nonceSecret: nodeCrypto.randomBytes(32),
      requireNonce: (ctx) => ctx.oidc?.client?.clientId === 'dpop-nonce',
    },
    mTLS: {
      enabled: true,
      certificateBoundAccessTokens: true,
      tlsClientAuth: true,
      selfSignedTlsClientAuth: true,
      getCertificate: peerCertificate,
      certificateAuthorized: issuedByCA,
      certificateSubjectMatches: subjectMatches,
    },
    fapi: {
      enabled: true,
      profile: (ctx, client) => (client?.clientId === 'fapi2' ? '2.0' : undefined),
    },
    rpInitiatedLogout: {
      enabled: true,
      // The provider's confirmation form, with the "yes" answer inside it
      // so that submitting the form as it stands signs out.
      async logoutSource(ctx, form) {
        const yes = '<input type="hidden" name="logout" value="yes"></form>';
        ctx.body = `<!DOCTYPE html><html><head><title>Sign out</title></head><body>
<h1>Sign out?</h1>${form.replace('</form>', yes)}</body></html>`;
      },
    },
  },
  interactions: {
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
});

function escapeHTML(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(ctx, uid, message) {
  ctx.type = 'html';
  ctx.body = `<!DOCTYPE html><html><head><title>Sign in</title></head><body>
<h1>Sign in</h1>${message ? `<p class="error">${escapeHTML(message)}</p>` : ''}
<form method="post" action="/interaction/${escapeHTML(uid)}/login">
<input name="username" autocomplete="username">
<input type="password" name="password" autocomplete="current-password">
<button type="submit">Sign in</button>
</form></body></html>`;
}

async function readForm(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) {
      throw new Error('form too large');
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// consent grants whatever the authorization request asks for.
async function consent(details) {
  const { prompt, params, session, grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) {
    grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  }
  if (prompt.details.missingOIDCClaims) {
    grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  }
  for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const saved = await grant.save();
  return grantId ? {} : { consent: { grantId: saved } };
}

provider.use(async (ctx, next) => {
  const m = /^\/interaction\/([\w-]+)(\/login)?$/.exec(ctx.path);
  if (!m) {
    return next();
  }
  const [, uid, login] = m;
  let details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    ctx.status = 400;
    ctx.body = `no such interaction: ${err.message}`;
    return undefined;
  }
  if (details.uid !== uid) {
    ctx.status = 400;
    ctx.body = 'interaction mismatch';
    return undefined;
  }
  let result;
  if (ctx.method === 'GET' && !login) {
    if (details.prompt.name === 'login') {
      loginPage(ctx, uid);
      return undefined;
    }
    if (details.prompt.name !== 'consent') {
      ctx.status = 400;
      ctx.body = `unexpected prompt ${details.prompt.name}`;
      return undefined;
    }
    result = await consent(details);
  } else if (ctx.method === 'POST' && login) {
    const form = await readForm(ctx.req);
    const user = byUsername.get(form.get('username') ?? '');
    if (!user || user.password !== form.get('password')) {
      loginPage(ctx, uid, 'wrong username or password');
      return undefined;
    }
    result = { login: { accountId: user.claims.sub } };
  } else {
    ctx.status = 405;
    ctx.body = 'method not allowed';
    return undefined;
  }
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  ctx.status = 303;
  ctx.redirect(to);
  return undefined;
});

const handler = provider.callback();
plain.on('request', handler);
mtls.on('request', handler);

process.on('SIGTERM', () => {
  plain.close();
  mtls.close();
  process.exit(0);
});

console.log(`rp-oidc-provider ready ${JSON.stringify({ issuer, mtls: mtlsBase })}`);
