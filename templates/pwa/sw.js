{% autoescape off %}/* MyBA service worker (rendered by config/pwa.py; served at /sw.js, scope "/").

   What it caches, and only this:
   - static files (CSS, JS, images): pre-cached at install, then served from the cache and
     refreshed in the background (stale-while-revalidate; production names are hashed);
   - the offline page (/offline/), public and the same for everyone.
   Pages are network-only: a page or htmx fragment is never put in a cache, so nothing a
   signed-in person saw (a balance, a ticket) can be shown to someone else on the same device
   or shown stale. When the network is gone, a page visit shows the offline page instead.
   Anything but GET, and anything from another origin, is left to the browser. */
"use strict";

const VERSION = "{{ version }}";
const CACHE = "myba-static-" + VERSION;
const CACHE_PREFIX = "myba-";
const PRECACHE = {{ precache_json }};
const OFFLINE_URL = {{ offline_url_json }};
const STATIC_PREFIX = {{ static_prefix_json }};

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // The offline page is required; an asset that fails is fetched again when a page asks.
    await cache.add(new Request(OFFLINE_URL, { cache: "reload", credentials: "omit" }));
    await Promise.all(PRECACHE.filter((url) => url !== OFFLINE_URL).map((url) =>
      cache.add(new Request(url, { cache: "reload" })).catch(() => undefined)));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

function isCacheableStatic(response) {
  const type = (response.headers.get("Content-Type") || "").toLowerCase();
  return response.status === 200 && response.type === "basic" && !type.startsWith("text/html");
}

async function staticResponse(event) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(event.request);
  const network = fetch(event.request).then((response) => {
    if (isCacheableStatic(response)) {
      cache.put(event.request, response.clone());
    }
    return response;
  });
  if (cached) {
    event.waitUntil(network.catch(() => undefined));
    return cached;
  }
  return network;
}

async function pageResponse(event) {
  try {
    return await fetch(event.request);
  } catch (error) {
    const cache = await caches.open(CACHE);
    const offline = await cache.match(OFFLINE_URL, { ignoreVary: true });
    if (offline) {
      return offline;
    }
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(pageResponse(event));
    return;
  }
  if (url.pathname.startsWith(STATIC_PREFIX) && !url.search) {
    event.respondWith(staticResponse(event));
  }
  // Everything else (htmx fragments, JSON, downloads, the offline page itself) goes to the
  // network as if there were no worker.
});
{% endautoescape %}
