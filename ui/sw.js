// Service worker of build {{version}}. It makes the page work offline after one full load:
//  - the app shell (this build's page, styles, scripts, wasm) lives in the cache "shell-{{version}}";
//    a new build installs its own cache and deletes the old ones;
//  - the model folder lives in a cache "model-<id>" that the page fills (and verifies against
//    the model's manifest.json) before it loads the model; this worker serves /model/ from it only
//    once the page has written the completion marker, so a model is never half-cached;
//  - the engine reads weights with Range requests, which are answered from the cached full files.
"use strict";
const SHELL = "shell-{{version}}";
const SHELL_FILES = ["/"].concat({{assets}});
const MODEL_CACHE = "model-";
const COMPLETE = "/model/.cones-complete";
const NETWORK = "X-Cones-Network"; // the page's own downloads bypass this worker

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(SHELL).then((c) => c.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

// The page asks a waiting worker to take over again (see nudgeWaiting in main.js).
self.addEventListener("message", (e) => {
  if (e.data === "skip-waiting") self.skipWaiting();
});

self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((k) => k.startsWith("shell-") && k !== SHELL).map((k) => caches.delete(k))
  )).then(() => self.clients.claim()));
});

self.addEventListener("fetch", (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (url.origin !== location.origin || (req.method !== "GET" && req.method !== "HEAD")) return;
  if (url.pathname.startsWith("/model/")) {
    if (!req.headers.has(NETWORK)) e.respondWith(model(req, url.pathname));
  } else if (url.pathname.startsWith("/app/")) {
    e.respondWith(caches.match(req.url, { cacheName: SHELL }).then((r) => r || fetch(req)));
  } else if (url.pathname === "/" || url.pathname === "/index.html") {
    // The page itself: fresh from the server when it is up (a new build shows at once),
    // from the cache when it is not.
    e.respondWith(fetch(req).catch(() => caches.match("/", { cacheName: SHELL })
      .then((r) => r || new Response("Offline, and this page was never saved.", { status: 503 }))));
  }
});

// completeModel returns the model cache the page finished and verified, or null.
async function completeModel() {
  for (const name of await caches.keys()) {
    if (!name.startsWith(MODEL_CACHE)) continue;
    const c = await caches.open(name);
    if (await c.match(COMPLETE)) return c;
  }
  return null;
}

async function model(req, path) {
  const network = () => fetch(req);
  if (path === "/model/manifest.json") {
    // The manifest says which model the server has now: ask the server first, so a new model is
    // noticed; offline, the saved model's manifest stands in.
    try {
      const r = await network();
      if (r.ok) return r;
    } catch (err) { /* offline: fall through to the cache */ }
  }
  const cache = await completeModel();
  const hit = cache && await cache.match(path);
  if (hit) return ranged(req, hit);
  if (!cache) return network();
  // Not part of the saved model (an optional file the engine probes for): the server decides
  // when it is up; offline, the saved model is all there is.
  return network().catch(() => new Response(null, { status: 404 }));
}

// ranged answers a (single) Range request from a full cached response; anything else gets the
// whole file, which is what a server may do with ranges it does not support.
async function ranged(req, full) {
  const blob = await full.blob();
  const size = blob.size;
  const headers = {
    "Content-Type": full.headers.get("Content-Type") || "application/octet-stream",
    "Accept-Ranges": "bytes",
  };
  const range = req.headers.get("Range");
  const m = range && /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!m || (m[1] === "" && m[2] === "")) {
    headers["Content-Length"] = String(size);
    return new Response(req.method === "HEAD" ? null : blob, { status: 200, headers });
  }
  let start, end;
  if (m[1] === "") { // suffix range: the last n bytes
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) {
    return new Response(null, { status: 416, headers: { "Content-Range": "bytes */" + size } });
  }
  headers["Content-Range"] = "bytes " + start + "-" + end + "/" + size;
  headers["Content-Length"] = String(end - start + 1);
  return new Response(req.method === "HEAD" ? null : blob.slice(start, end + 1), { status: 206, headers });
}
