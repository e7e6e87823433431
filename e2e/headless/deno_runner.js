// Runs the Go harness (e2e/harness compiled to js/wasm) under Deno, whose WebGPU talks to the
// host's GPU natively: for benchmarks on machines without a browser. It serves ROOT over HTTP
// (HEAD and Range requests, as the engine's loader uses them), then calls the harness methods
// listed in COMMANDS (a JSON list of {method, arg}) in order, printing one JSON line per result.
//
// deno run -A --unstable-webgpu --location http://127.0.0.1:PORT/ deno_runner.js ROOT PORT WASM COMMANDS
const [root, port, wasm, commandsFile] = Deno.args;

async function readRange(path, start, len) {
  const f = await Deno.open(path);
  try {
    await f.seek(start, Deno.SeekMode.Start);
    const buf = new Uint8Array(len);
    let n = 0;
    while (n < len) {
      const got = await f.read(buf.subarray(n));
      if (got === null) break;
      n += got;
    }
    return buf.subarray(0, n);
  } finally {
    f.close();
  }
}

Deno.serve({ port: Number(port), hostname: "127.0.0.1", onListen() {} }, async (req) => {
  const path = root + decodeURIComponent(new URL(req.url).pathname);
  let info;
  try {
    info = await Deno.stat(path);
  } catch {
    return new Response("not found", { status: 404 });
  }
  if (!info.isFile) return new Response("not found", { status: 404 });
  const size = info.size;
  if (req.method === "HEAD") {
    return new Response(null, { status: 200, headers: { "Content-Length": String(size), "Accept-Ranges": "bytes" } });
  }
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.get("Range") ?? "");
  if (!m) return new Response(await Deno.readFile(path), { status: 200 });
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if (start > end) return new Response("bad range", { status: 416 });
  const body = await readRange(path, start, end - start + 1);
  return new Response(body, { status: 206, headers: { "Content-Range": `bytes ${start}-${end}/${size}` } });
});

await import(new URL("./wasm_exec.js", import.meta.url).href);
const go = new Go();
go.argv = ["harness"];
const { instance } = await WebAssembly.instantiate(await Deno.readFile(wasm), go.importObject);
go.run(instance);
for (const c of JSON.parse(await Deno.readTextFile(commandsFile))) {
  const t0 = performance.now();
  try {
    const out = await globalThis.conesHarness[c.method](JSON.stringify(c.arg));
    console.log(JSON.stringify({ method: c.method, ok: true, ms: performance.now() - t0, out: JSON.parse(out) }));
  } catch (e) {
    console.log(JSON.stringify({ method: c.method, ok: false, error: String(e) }));
    Deno.exit(1);
  }
}
Deno.exit(0);
