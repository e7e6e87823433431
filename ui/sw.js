// Service worker: keeps the app shell of this build ({{version}}) available offline.
const SHELL = "shell-{{version}}";
const FILES = ["/"].concat({{assets}});
self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((k) => k.startsWith("shell-") && k !== SHELL).map((k) => caches.delete(k))
  )).then(() => self.clients.claim()));
});
self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.startsWith("/app/")) {
    e.respondWith(caches.match(e.request).then((r) => r || fetch(e.request)));
  } else if (url.pathname === "/") {
    e.respondWith(fetch(e.request).catch(() => caches.match("/")));
  }
});
