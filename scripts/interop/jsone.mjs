// Renders JSON-e templates with the official implementation, for the differential tests and
// the benchmark. Input on stdin: {"cases": [{"template", "context"}, ...]} (every context sets
// `now`, so the reference never reads the clock). Output on stdout: one answer per case, in
// order: {"ok": result} or {"error": {"name", "text"}} where text is the error's toString().
// With {"bench": {"cases": [...], "seconds": s}} it instead renders the cases round-robin for
// about s seconds and answers {"renders", "elapsedMs"}.
import jsone from 'json-e';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));

// Lone surrogates cannot cross as JSON text to a strict decoder, so both sides spell them
// <U+XXXX> before comparing.
const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const spell = (s) => s.replace(lone, (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase()}>`);
const clean = (v) => {
  if (typeof v === 'string') return spell(v);
  if (Array.isArray(v)) return v.map(clean);
  if (v && typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v)) out[spell(k)] = clean(v[k]);
    return out;
  }
  return v;
};

const render = (c) => {
  try {
    const result = jsone(c.template, c.context);
    return { ok: result === undefined ? null : result };
  } catch (e) {
    return { error: { name: e && e.name, text: String(e) } };
  }
};

if (input.bench) {
  const cases = input.bench.cases;
  const budget = input.bench.seconds * 1000;
  // Warm up so the JIT has compiled the renderer before the clock starts.
  for (let i = 0; i < 2000; i++) render(cases[i % cases.length]);
  let renders = 0;
  const start = performance.now();
  let now = start;
  while (now - start < budget) {
    for (let i = 0; i < cases.length; i++) render(cases[i]);
    renders += cases.length;
    now = performance.now();
  }
  process.stdout.write(JSON.stringify({ renders, elapsedMs: now - start }));
} else {
  process.stdout.write(JSON.stringify(input.cases.map((c) => {
    const answer = render(c);
    if ('ok' in answer) return { ok: clean(answer.ok) };
    return { error: { name: answer.error.name, text: spell(answer.error.text) } };
  })));
}
