// The official JS packages' side of `dotnet fsi build.fsx bench`: one case per process,
// `node bench-side-by-side.mjs --case hawk|scopes|get|transfer [--runs N] [--seconds S] [--size BYTES]`.
// The emulator and credentials come from TASKCLUSTER_ROOT_URL / _CLIENT_ID / _ACCESS_TOKEN, the
// task the GETs read from SIDE_BY_SIDE_TASK_ID. The last line printed is
// `SIDE-BY-SIDE-RESULT {"series": {...}, "peakKiB": n}`, the same line the .NET cases print.
// Any failure (an error from a client, a byte that differs) ends the process with a non-zero code.
import tc from 'taskcluster-client';
import Hawk from 'hawk';
import * as scopes from 'taskcluster-lib-scopes';
import { Readable, Writable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

const MiB = 1048576;

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
};
const caseName = option('case');
const runs = Number(option('runs', '5'));
const seconds = Number(option('seconds', '1'));
const size = Number(option('size', String(64 * MiB)));

const env = name => {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set (run the cases through the driver)`);
  }
  return v;
};

const rootUrl = () => env('TASKCLUSTER_ROOT_URL').replace(/\/$/, '');
const taskId = () => env('SIDE_BY_SIDE_TASK_ID');
const clientOptions = () => ({
  rootUrl: rootUrl(),
  credentials: { clientId: env('TASKCLUSTER_CLIENT_ID'), accessToken: env('TASKCLUSTER_ACCESS_TOKEN') },
});

// VmHWM of this process (KiB), as the .NET cases read theirs.
const peakKiB = () => {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find(l => l.startsWith('VmHWM:'));
    if (line) {
      return Number(line.slice(6).trim().split(/\s+/)[0]);
    }
  } catch {
    // not Linux: fall through
  }
  return Math.round(process.memoryUsage().rss / 1024);
};

const report = series => {
  console.log('SIDE-BY-SIDE-RESULT ' + JSON.stringify({ series, peakKiB: peakKiB() }));
};

const now = () => Number(process.hrtime.bigint()) / 1e9;

// CPU time of the whole process so far (µs): every thread, the GC's included.
const cpu = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

// One timed run: the rate per wall-clock second and the process CPU µs per operation.
const runOf = (count, wall, cpuUsed) => ({ rate: count / wall, cpuPerOp: cpuUsed / count });

// A synchronous operation repeated for `secs` (clock read every 32 operations).
const rate = (secs, operation) => {
  const cpuBefore = cpu();
  const start = now();
  let count = 0;
  let elapsed = 0;
  while (elapsed < secs) {
    for (let i = 0; i < 32; i++) {
      operation();
    }
    count += 32;
    elapsed = now() - start;
  }
  return runOf(count, elapsed, cpu() - cpuBefore);
};

// `workers` loops each awaiting `operation` until `secs` have passed.
const rateAsync = async (secs, workers, operation) => {
  const cpuBefore = cpu();
  const start = now();
  let count = 0;
  const worker = async () => {
    while (now() - start < secs) {
      await operation();
      count++;
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return runOf(count, now() - start, cpu() - cpuBefore);
};

const repeat = async measure => {
  const values = [];
  for (let i = 0; i < runs; i++) {
    values.push(await measure());
  }
  return values;
};

// The series of a list of runs: `name` (rates) and `name.cpu` (CPU µs per operation).
const series = (name, list) => ({
  [name]: list.map(r => r.rate),
  [`${name}.cpu`]: list.map(r => r.cpuPerOp),
});

// The pattern block: byte i = low byte of the i-th xorshift32 (13, 17, 5) state from 0x9E3779B9,
// the same block tests/Taskcluster.SideBySide/Pattern.fs builds.
const block = (() => {
  const b = Buffer.alloc(MiB);
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < b.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
})();

// `length` pattern bytes as a readable stream, in 64 KiB views of the block (no copies).
const patternStream = length => {
  let position = 0;
  return new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (position >= length) {
        this.push(null);
        return;
      }
      const at = position % MiB;
      const n = Math.min(64 * 1024, length - position, MiB - at);
      position += n;
      this.push(block.subarray(at, at + n));
    },
  });
};

// A destination that keeps nothing and compares every byte with the pattern at its position.
class VerifyingSink extends Writable {
  constructor() {
    super();
    this.written = 0;
    this.firstMismatch = -1;
  }

  _write(chunk, _encoding, callback) {
    let done = 0;
    while (this.firstMismatch < 0 && done < chunk.length) {
      const at = (this.written + done) % MiB;
      const n = Math.min(chunk.length - done, MiB - at);
      if (!chunk.subarray(done, done + n).equals(block.subarray(at, at + n))) {
        this.firstMismatch = this.written + done;
      }
      done += n;
    }
    this.written += chunk.length;
    callback();
  }

  check(what, expected) {
    if (this.firstMismatch >= 0) {
      throw new Error(`${what}: the bytes written at ${this.firstMismatch} differ from the data uploaded`);
    }
    if (this.written !== expected) {
      throw new Error(`${what}: ${this.written} bytes received, ${expected} expected`);
    }
  }
}

const nonceAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// Hawk headers per second: the header of a GET of the task URL, as the client builds it.
const hawk = async () => {
  const url = `${rootUrl()}/api/queue/v1/task/${taskId()}`;
  const credentials = { id: env('TASKCLUSTER_CLIENT_ID'), key: env('TASKCLUSTER_ACCESS_TOKEN'), algorithm: 'sha256' };
  const one = () => {
    const { header } = Hawk.client.header(url, 'GET', { credentials });
    if (!header.startsWith('Hawk id=')) {
      throw new Error('unexpected header shape');
    }
  };
  rate(1.0, one);
  report(series('headers', await repeat(() => rate(seconds, one))));
};

// The same 10,000 held scopes and 20 required scopes as tests/Taskcluster.SideBySide/Cases.fs.
const heldScopes = Array.from({ length: 10000 }, (_, i) => {
  switch (i % 4) {
    case 0: return `queue:create-task:highest:proj-${i}/*`;
    case 1: return `secrets:get:project/${i}/ci`;
    case 2: return `assume:repo:github.com/org/repo-${i}:*`;
    default: return `index:insert-task:project.${i}.*`;
  }
});
const requiredScopes = Array.from({ length: 20 }, (_, k) =>
  `queue:create-task:highest:proj-${((k * 617 + 101) % 2500) * 4}/worker-${k}`);

const scopeCase = async () => {
  const satisfiable = { AllOf: requiredScopes };
  const unsatisfiable = { AllOf: [...requiredScopes, 'queue:create-task:highest:proj-1/worker-0'] };
  if (!scopes.satisfiesExpression(heldScopes, satisfiable)) {
    throw new Error('satisfiesExpression does not satisfy the expression');
  }
  if (scopes.satisfiesExpression(heldScopes, unsatisfiable)) {
    throw new Error('satisfiesExpression satisfies an expression it should not');
  }
  const one = () => {
    if (!scopes.satisfiesExpression(heldScopes, satisfiable)) {
      throw new Error('check failed');
    }
  };
  rate(1.0, one);
  report(series('satisfiesExpression', await repeat(() => rate(seconds, one))));
};

// queue.task(taskId) through the official client, sequential and 64 at a time.
const get = async () => {
  const queue = new tc.Queue(clientOptions());
  const id = taskId();
  const one = async () => {
    const t = await queue.task(id);
    if (!t.taskQueueId) {
      throw new Error('queue.task answered without a taskQueueId');
    }
  };
  // warm-up by time, as the .NET cases do
  const warmUp = Math.max(2, 1.5 * seconds);
  await rateAsync(warmUp, 1, one);
  await rateAsync(warmUp, 64, one);
  const sequential = await repeat(() => rateAsync(seconds, 1, one));
  const concurrent = await repeat(() => rateAsync(seconds, 64, one));
  report({ ...series('sequential', sequential), ...series('concurrent', concurrent) });
};

// tc.upload and tc.download (hashes computed on the way up, verified on the way down), every
// byte received compared with the pattern.
const transfer = async () => {
  const object = new tc.Object(clientOptions());
  const up = async (name, length) => {
    await tc.upload({
      projectId: 'bench',
      name,
      contentType: 'application/octet-stream',
      contentLength: length,
      expires: tc.fromNow('1 hour'),
      object,
      streamFactory: async () => patternStream(length),
    });
  };
  const down = async (name, length) => {
    let sink;
    await tc.download({
      name,
      object,
      streamFactory: async () => {
        sink = new VerifyingSink();
        return sink;
      },
    });
    sink.check('tc.download', length);
  };
  const objectName = (length, run) => `side-by-side/js/${length}/${run}/${randomUUID()}`;
  const throughput = async (length, f) => {
    const cpuBefore = cpu();
    const start = now();
    await f();
    return runOf(length / MiB, now() - start, cpu() - cpuBefore);
  };

  for (let round = 1; round <= 2; round++) {
    const warm = objectName(16 * MiB, -round);
    await up(warm, 16 * MiB);
    await down(warm, 16 * MiB);
  }
  const upload = [];
  const download = [];
  for (let run = 1; run <= runs; run++) {
    const name = objectName(size, run);
    upload.push(await throughput(size, () => up(name, size)));
    download.push(await throughput(size, () => down(name, size)));
  }
  report({ ...series('upload', upload), ...series('download', download) });
};

const cases = { hawk, scopes: scopeCase, get, transfer };

if (!cases[caseName]) {
  console.error(`unknown case '${caseName}' (known: ${Object.keys(cases).join(', ')})`);
  process.exit(2);
}

try {
  await cases[caseName]();
} catch (err) {
  // the message only: a client error can carry a request, never print credentials
  console.error(`${caseName} failed: ${err && err.message ? err.message : err}`);
  process.exit(1);
}
