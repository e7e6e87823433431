// The few lines the browser demands in JavaScript: register the service worker and start the Go
// program (app.wasm, loaded by wasm_exec.js). Everything else is Go.
"use strict";
(() => {
  const status = document.getElementById("status");
  // nudgeWaiting asks a new worker that has installed to take over, every two seconds until it
  // has. The worker calls skipWaiting() when it installs, but Chromium parks it in "waiting" when
  // one of the page's requests (the model's Range reads) reaches the old worker while it hands
  // over, and it would wait there for minutes; asking again restarts the hand-over.
  let nudging = 0;
  const nudgeWaiting = (r) => {
    if (nudging) return;
    nudging = setInterval(() => {
      if (r.waiting) r.waiting.postMessage("skip-waiting");
      else if (!r.installing) {
        clearInterval(nudging);
        nudging = 0;
      }
    }, 2000);
  };
  const fail = (msg) => {
    status.textContent = msg;
    document.getElementById("app").setAttribute("aria-busy", "false");
  };
  if ("serviceWorker" in navigator) {
    // Ask for the worker script on every visit, not when the browser's heuristics get to it,
    // so that a new build replaces the saved one at once. Offline the check fails quietly.
    navigator.serviceWorker.register("/sw.js", { scope: "/", updateViaCache: "none" })
      .then((r) => {
        nudgeWaiting(r);
        r.addEventListener("updatefound", () => nudgeWaiting(r));
        return r.update().catch(() => {});
      })
      .catch((e) => console.warn("service worker not registered: " + e));
  }
  if (typeof WebAssembly !== "object" || typeof Go !== "function") {
    fail("This browser cannot run the page: it needs WebAssembly.");
    return;
  }
  const go = new Go();
  const url = document.body.dataset.wasm;
  const start = async () => {
    const resp = await fetch(url);
    if (!resp.ok) throw new Error("fetch " + url + ": HTTP " + resp.status);
    const { instance } = await WebAssembly.instantiateStreaming(resp, go.importObject);
    return go.run(instance);
  };
  start().then(() => fail("The page stopped. Reload to start it again."),
    (e) => fail("The page could not start: " + e.message + ". Reload to try again."));
})();
