// A loopback HTTP server that checks Hawk headers and bewits with the `hawk` package's own
// server side, the way the Taskcluster auth service uses it.
// stdin: one JSON document {"clients": {clientId: accessToken}}; then it listens on a free
// port of 127.0.0.1 and prints {"port": n} as its first line. Each request is answered 200
// {"id", "ext"} when Hawk accepts it, else 401 {"error"}. Close stdin to stop it.
import http from 'node:http';
import crypto from 'node:crypto';
import Hawk from 'hawk';

const firstLine = () => new Promise((resolve) => {
  let text = '';
  const onData = (c) => {
    text += c.toString('utf8');
    const nl = text.indexOf('\n');
    if (nl >= 0) {
      process.stdin.off('data', onData);
      resolve(text.slice(0, nl));
    }
  };
  process.stdin.on('data', onData);
});
// The parent closing stdin (or dying) stops the server.
process.stdin.on('end', () => process.exit(0));
const { clients } = JSON.parse(await firstLine());
process.stdin.resume();

// As the auth service: with a certificate in ext, the key is derived from the issuer's access
// token and the certificate's seed (the certificate's own signature is not Hawk's business).
const extOf = (ext) => {
  if (!ext) return {};
  try {
    return JSON.parse(Buffer.from(ext, 'base64').toString('utf8'));
  } catch {
    return {};
  }
};

const keyFor = (id, ext) => {
  const { certificate } = extOf(ext);
  if (certificate) {
    const cert = typeof certificate === 'string' ? JSON.parse(certificate) : certificate;
    const issuer = cert.issuer || id;
    const issuerKey = clients[issuer];
    if (issuerKey === undefined) return undefined;
    return crypto.createHmac('sha256', issuerKey).update(cert.seed).digest('base64')
      .replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '');
  }
  return clients[id];
};

const bewitExt = (url) => {
  const m = /[?&]bewit=([^&]*)/.exec(url);
  if (!m) return undefined;
  const parts = Buffer.from(m[1], 'base64url').toString('utf8').split('\\');
  return parts[3];
};

const server = http.createServer(async (req, res) => {
  const body = [];
  for await (const c of req) body.push(c);
  const payload = Buffer.concat(body).toString('utf8');
  const header = req.headers.authorization || '';
  const isBewit = !header && /[?&]bewit=/.test(req.url);
  let ext;
  try {
    ext = isBewit ? bewitExt(req.url) : Hawk.utils.parseAuthorizationHeader(header).ext;
  } catch {
    ext = undefined;
  }
  const credentialsFunc = (id) => {
    const key = keyFor(id, ext);
    return key === undefined ? undefined : { id, key, algorithm: 'sha256' };
  };
  let status = 200;
  let answer;
  try {
    let result;
    if (isBewit) {
      result = await Hawk.uri.authenticate(req, credentialsFunc, {});
    } else {
      const hasHash = /\bhash="/.test(header);
      result = await Hawk.server.authenticate(req, credentialsFunc, hasHash ? { payload } : {});
    }
    answer = { id: result.credentials.id, ext: (result.artifacts || result.attributes || {}).ext || null };
  } catch (e) {
    status = 401;
    answer = { error: String(e && e.message || e) };
  }
  const text = JSON.stringify(answer);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});

