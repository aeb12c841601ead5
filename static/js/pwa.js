/* Registers the service worker (/sw.js, rendered by config/pwa.py) that makes MyBA installable
   and shows an offline page when the network is gone. Loaded with `defer` from
   templates/partials/pwa_head.html. Browsers without service workers, or pages not served
   over HTTPS (or localhost), simply go without. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) {
    return;
  }
  function register() {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function (error) {
      console.warn("MyBA: the offline service worker could not be registered.", error);
    });
  }
  if (document.readyState === "complete") {
    register();
  } else {
    window.addEventListener("load", register, { once: true });
  }
})();
