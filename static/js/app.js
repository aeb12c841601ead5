/*
 * MyBA site behaviour. No inline handlers anywhere (strict CSP): everything hangs off
 * data attributes and is (re)initialised on every piece of content htmx swaps in.
 *
 *   [data-toast]            a toast; auto-dismisses after a few seconds unless it is an error
 *                           (role="alert"); hovering or focusing it pauses the timer
 *   [data-toast-dismiss]    close button inside a toast
 *   [data-nav-menu]         the <details> header menu on narrow screens: Escape, a click
 *                           outside or following a link closes it
 *   form[data-busy]         one submission at a time, for plain and htmx forms alike: see busy()
 *   [data-copy="#id"]       copies the text (or a field's value) of #id to the clipboard
 *
 * Their text comes from templates/partials/js_strings.html (the page's language).
 * Toasts raised here (a copy, a failed htmx request) are clones of the markup that
 * templates/partials/messages.html renders for Django messages.
 */
(function () {
  "use strict";

  var TOAST_MS = 6000;

  /* The page's text for the JS, in its language (templates/partials/js_strings.html):
     text("key", {n: 5}) fills "{n}"; a plural entry picks the form for `vars.n`
     (Intl.PluralRules). English when the block is missing. */
  var STRINGS = null;
  function text(key, vars, fallback) {
    if (STRINGS === null) {
      var node = document.getElementById("js-strings");
      try {
        STRINGS = node ? JSON.parse(node.textContent) : {};
      } catch (error) {
        STRINGS = {};
      }
    }
    var value = STRINGS[key];
    vars = vars || {};
    if (value && typeof value === "object") {
      var category = "other";
      try {
        category = new Intl.PluralRules(document.documentElement.lang || "en").select(vars.n);
      } catch (error) {
        category = vars.n === 1 ? "one" : "other";
      }
      value = value[category] || value.other;
    }
    if (typeof value !== "string") {
      value = fallback;
    }
    return value.replace(/\{(\w+)\}/g, function (match, name) {
      return name in vars ? String(vars[name]) : match;
    });
  }
  // Shared with the page scripts that need text too (tickets-generator.js).
  window.MyBA = Object.assign(window.MyBA || {}, { text: text });

  function toastRegion() {
    return document.getElementById("toasts");
  }

  function dismiss(toast) {
    if (!toast || toast.classList.contains("is-leaving")) {
      return;
    }
    window.clearTimeout(toast._mybaTimer);
    toast.classList.add("is-leaving");
    var removed = false;
    function remove() {
      if (!removed) {
        removed = true;
        toast.remove();
      }
    }
    toast.addEventListener("transitionend", remove, { once: true });
    window.setTimeout(remove, 400);
  }

  function arm(toast) {
    if (toast._mybaArmed) {
      return;
    }
    toast._mybaArmed = true;
    if (toast.getAttribute("role") === "alert") {
      return;
    }
    function start() {
      window.clearTimeout(toast._mybaTimer);
      toast._mybaTimer = window.setTimeout(function () {
        dismiss(toast);
      }, TOAST_MS);
    }
    function pause() {
      window.clearTimeout(toast._mybaTimer);
    }
    toast.addEventListener("mouseenter", pause);
    toast.addEventListener("focusin", pause);
    toast.addEventListener("mouseleave", start);
    toast.addEventListener("focusout", start);
    start();
  }

  /* level: "success" or "error", the two <template data-toast-template> in messages.html. */
  function toast(message, level) {
    var region = toastRegion();
    var template = document.querySelector('template[data-toast-template="' + level + '"]');
    if (!region || !template) {
      return;
    }
    var el = template.content.firstElementChild.cloneNode(true);
    el.querySelector(".toast-body").textContent = message;
    region.appendChild(el);
    arm(el);
  }

  /*
   * The double-submit guard. The first submit of a form[data-busy] marks it busy: its submit
   * buttons get aria-disabled (which also takes clicks away from them, see app.css) and the
   * clicked one shows the attribute's value, if it has one. Any further submit is stopped
   * here, in the capture phase, before the browser or htmx sees it. Buttons are not
   * `disabled`: a disabled submitter's name and value would be left out of the submission.
   * An htmx form is released when its request ends (a 429 or a network error leaves it on
   * the page); a plain form when the back button brings its page back from the cache.
   */
  function busy(form, submitter) {
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
    });
    var label = form.getAttribute("data-busy");
    if (label && submitter) {
      submitter.setAttribute("data-idle-label", submitter.textContent);
      submitter.textContent = label;
    }
  }

  function release(form) {
    form.removeAttribute("aria-busy");
    form.querySelectorAll("[aria-disabled=true]").forEach(function (button) {
      button.removeAttribute("aria-disabled");
    });
    form.querySelectorAll("[data-idle-label]").forEach(function (button) {
      button.textContent = button.getAttribute("data-idle-label");
      button.removeAttribute("data-idle-label");
    });
  }

  function closeMenus(except) {
    document.querySelectorAll("[data-nav-menu][open]").forEach(function (menu) {
      if (menu !== except) {
        menu.removeAttribute("open");
      }
    });
  }

  /* Runs on the first page and on every element htmx swaps in (htmx.onLoad). */
  function init(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-toast]")) {
      arm(scope);
    }
    scope.querySelectorAll("[data-toast]").forEach(arm);
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    var closeBtn = target.closest("[data-toast-dismiss]");
    if (closeBtn) {
      dismiss(closeBtn.closest("[data-toast]"));
      return;
    }
    var copyBtn = target.closest("[data-copy]");
    if (copyBtn) {
      var source = document.querySelector(copyBtn.getAttribute("data-copy"));
      if (source && navigator.clipboard) {
        // A field's value (a link to share), else the element's text.
        var text = "value" in source ? source.value : source.innerText;
        navigator.clipboard.writeText(text.trim()).then(
          function () {
            toast(text("copied", null, "Copied to the clipboard."), "success");
          },
          function () {
            toast(text("copyFailed", null,
              "Could not copy: your browser refused clipboard access."), "error");
          }
        );
      }
      return;
    }
    var menu = target.closest("[data-nav-menu]");
    var nav = target.closest(".site-nav");
    if (nav && target.closest("a")) {
      closeMenus(null);
    } else if (!menu && !nav) {
      closeMenus(null);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var open = document.querySelector("[data-nav-menu][open]");
    if (open) {
      open.removeAttribute("open");
      open.querySelector("summary").focus();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-busy")) {
      return;
    }
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    busy(form, event.submitter);
  }, true);

  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("form[data-busy][aria-busy=true]").forEach(release);
    }
  });

  /* htmx: release guarded forms, surface failures, keep toasts out of history. */
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt instanceof HTMLFormElement && elt.hasAttribute("data-busy")) {
      release(elt);
    }
  });

  document.body.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    toast(
      status === 429
        ? text("tooMany", null, "Too many requests. Please wait a moment and try again.")
        : text("failed", {status: status}, "Something went wrong ({status}). Please try again."),
      "error"
    );
  });

  document.body.addEventListener("htmx:sendError", function () {
    toast(text("network", null, "Network error: check your connection and try again."),
      "error");
  });

  document.body.addEventListener("htmx:beforeHistorySave", function () {
    var region = toastRegion();
    if (region) {
      region.replaceChildren();
    }
    closeMenus(null);
  });

  if (window.htmx) {
    window.htmx.onLoad(init);
  } else {
    init(document);
  }
})();
