// Runs batches of operations with the official JS packages, for the interop tests.
// Input: one JSON document on stdin, {"ops": [...]}. Output: one JSON array on stdout, one
// answer per op, in order. An op that throws answers {"error": message, "status"?, "code"?};
// the driver itself never exits non-zero because of one op.
import tc from 'taskcluster-client';
import scopes from 'taskcluster-lib-scopes';
import slugid from 'slugid';
import apis from 'taskcluster-client/src/apis.js';
import { Writable, Readable } from 'node:stream';

const readStdin = async () => {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
};

// Clients never retry here: a 501 from the emulator must come back at once.
const clientFor = (className, options) => {
  let credentials = options.credentials;
  if (options.temporary) {
    const now = Date.now();
    credentials = tc.createTemporaryCredentials({
      credentials,
      scopes: options.temporary.scopes,
      clientId: options.temporary.clientId || undefined,
      start: new Date(now - 60 * 1000),
      expiry: new Date(now + 60 * 60 * 1000),
    });
  }
  const opts = { rootUrl: options.rootUrl, credentials, retries: 0 };
  if (options.authorizedScopes) opts.authorizedScopes = options.authorizedScopes;
  return new tc[className](opts);
};

const errorOf = (e) => ({ error: String(e && e.message || e), status: e && e.statusCode, code: e && e.code });

const collect = () => {
  const chunks = [];
  const sink = new Writable({
    write(chunk, _enc, cb) { chunks.push(chunk); cb(); },
  });
  return { factory: async () => { chunks.length = 0; return sink; }, bytes: () => Buffer.concat(chunks) };
};

// The client classes and their references, as the JS package ships them.
const references = () => Object.entries(apis).map(([className, { reference }]) => ({
  className,
  serviceName: reference.serviceName,
  exchangePrefix: reference.exchangePrefix || null,
  entries: reference.entries.map(e => e.type === 'function'
    ? { type: e.type, name: e.name, method: e.method, route: e.route, args: e.args, query: e.query || [], input: !!e.input }
    : { type: e.type, name: e.name, exchange: e.exchange, routingKey: e.routingKey.map(r => ({ name: r.name, multipleWords: r.multipleWords, required: r.required, constant: r.constant || null })) }),
}));

const attempt = (f) => {
  try {
    return { ok: f() };
  } catch (e) {
    return { threw: String(e && e.message || e) };
  }
};

const scopeFns = {
  satisfiesExpression: (a) => scopes.satisfiesExpression(a[0], a[1]),
  scopesSatisfying: (a) => scopes.scopesSatisfying(a[0], a[1]),
  removeGivenScopes: (a) => scopes.removeGivenScopes(a[0], a[1]),
  normalizeScopeSet: (a) => scopes.normalizeScopeSet(a[0]),
  scopeUnion: (a) => scopes.scopeUnion(a[0], a[1]),
  scopeIntersection: (a) => scopes.scopeIntersection(a[0], a[1]),
  validScope: (a) => scopes.validScope(a[0]),
  validExpression: (a) => scopes.validExpression(a[0]),
  patternMatch: (a) => scopes.patternMatch(a[0], a[1]),
};

const run = async (op) => {
  switch (op.op) {
    case 'references':
      return references();
    case 'call': {
      const client = clientFor(op.className, op.options);
      try {
        const body = await client[op.method](...op.args);
        return { status: 200, body: body === undefined ? null : body };
      } catch (e) {
        return errorOf(e);
      }
    }
    case 'signedUrl': {
      const client = clientFor(op.className, op.options);
      return { url: client.buildSignedUrl(client[op.method], ...op.args, { expiration: op.expiration || 900 }) };
    }
    case 'upload': {
      const data = Buffer.from(op.data, 'base64');
      try {
        await tc.upload({
          projectId: op.projectId,
          name: op.name,
          contentType: 'application/octet-stream',
          contentLength: data.length,
          expires: new Date(op.expires),
          object: clientFor('Object', op.options),
          streamFactory: async () => Readable.from([data]),
          retries: 0,
        });
        return { done: true };
      } catch (e) {
        return errorOf(e);
      }
    }
    case 'download': {
      const sink = collect();
      try {
        const contentType = await tc.download({ name: op.name, object: clientFor('Object', op.options), streamFactory: sink.factory, retries: 0 });
        return { data: sink.bytes().toString('base64'), contentType };
      } catch (e) {
        return errorOf(e);
      }
    }
    case 'downloadArtifact': {
      const sink = collect();
      try {
        const contentType = await tc.downloadArtifact({
          taskId: op.taskId, runId: op.runId === null ? undefined : op.runId, name: op.name,
          queue: clientFor('Queue', op.options), streamFactory: sink.factory, retries: 0,
        });
        return { data: sink.bytes().toString('base64'), contentType };
      } catch (e) {
        return errorOf(e);
      }
    }
    case 'fromNow': {
      const reference = new Date(op.reference);
      return op.inputs.map(expr => attempt(() => {
        const d = tc.fromNow(expr, reference);
        return isNaN(d.getTime()) ? 'Invalid Date' : d.toISOString();
      }));
    }
    case 'urlHost':
      return op.inputs.map(h => attempt(() => new URL(`http://${h}/`).hostname));
    case 'slugDecode':
      return op.inputs.map(s => attempt(() => slugid.decode(s)));
    case 'slugGenerate':
      return {
        nice: Array.from({ length: op.count }, () => slugid.nice()),
        v4: Array.from({ length: op.count }, () => slugid.v4()),
      };
    case 'slugEncode':
      return op.inputs.map(u => attempt(() => slugid.encode(u)));
    case 'scopes':
      return op.inputs.map(args => attempt(() => {
        const r = scopeFns[op.fn](args);
        return r === undefined ? null : r;
      }));
    case 'bindings':
      return op.inputs.map(({ className, exchange, pattern }) => attempt(() => {
        const client = new tc[className]({ rootUrl: 'https://tc.example.com' });
        return client[exchange](pattern);
      }));
    default:
      throw new Error(`unknown op ${op.op}`);
  }
};

const input = await readStdin();
const answers = [];
for (const op of input.ops) {
  try {
    answers.push(await run(op));
  } catch (e) {
    answers.push(errorOf(e));
  }
}
process.stdout.write(JSON.stringify(answers));
