/*
 * MyBA site behaviour. No inline handlers anywhere (strict CSP): everything hangs off
 * data attributes and is (re)initialised on every piece of content htmx swaps in.
 *
 *   [data-toast]            a toast; auto-dismisses after a few seconds unless it is an error
 *                           (role="alert"); hovering or focusing it pauses the timer
 *   [data-toast-dismiss]    close button inside a toast
 *   [data-nav-menu]         the <details> header menu on narrow screens: Escape, a click
 *                           outside or following a link closes it
 *   form[data-confirm]      asks window.confirm(<value>) before submitting
 *   form[data-busy]         on submit, disables its submit button and labels it <value>
 *                           (for slow posts: no double submits, visible progress)
 *   [data-copy="#id"]       copies the text of the element #id to the clipboard
 *
 *   MyBA.toast(message, level)   show a toast from JS (level: info|success|warning|error)
 *   HX-Trigger: {"toast": {"message": "...", "level": "success"}}   the same from a response
 */
(function () {
  "use strict";

  var TOAST_MS = 6000;

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

  var ICONS = {
    success: "M8 12.5l2.7 2.7L16 9.8",
    error: "M12 10v4M12 17.2v.1",
    warning: "M12 10v4M12 17.2v.1",
    info: "M12 11v5M12 7.8v.1",
  };

  function svgEl(name, attrs) {
    var el = document.createElementNS("http://www.w3.org/2000/svg", name);
    Object.keys(attrs).forEach(function (key) {
      el.setAttribute(key, attrs[key]);
    });
    return el;
  }

  function toast(message, level) {
    var region = toastRegion();
    if (!region || !message) {
      return null;
    }
    level = ICONS[level] ? level : "info";
    var el = document.createElement("div");
    el.className = "toast toast-" + level;
    el.setAttribute("data-toast", "");
    if (level === "error") {
      el.setAttribute("role", "alert");
    }
    var icon = svgEl("svg", {
      class: "toast-icon",
      viewBox: "0 0 24 24",
      "aria-hidden": "true",
      fill: "none",
      stroke: "currentColor",
      "stroke-width": "2",
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
    });
    icon.appendChild(
      level === "error" || level === "warning"
        ? svgEl("path", { d: "M12 3.5l9.5 16.5h-19z" })
        : svgEl("circle", { cx: "12", cy: "12", r: "9" })
    );
    icon.appendChild(svgEl("path", { d: ICONS[level] }));
    var body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = String(message);
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("data-toast-dismiss", "");
    close.setAttribute("aria-label", "Dismiss message");
    close.textContent = "\u00d7";
    el.append(icon, body, close);
    region.appendChild(el);
    arm(el);
    return el;
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
        navigator.clipboard.writeText(source.innerText.trim()).then(
          function () {
            toast("Copied to the clipboard.", "success");
          },
          function () {
            toast("Could not copy: your browser refused clipboard access.", "error");
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
    if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm")) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) ||
        !form.hasAttribute("data-busy")) {
      return;
    }
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
      button.textContent = form.getAttribute("data-busy");
    }
    form.setAttribute("aria-busy", "true");
  });

  /* htmx: re-initialise swapped content, surface failures, keep toasts out of history. */
  document.body.addEventListener("toast", function (event) {
    var detail = event.detail || {};
    toast(detail.message || detail.value, detail.level);
  });

  document.body.addEventListener("htmx:responseError", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.closest && elt.closest("[data-silent-errors]")) {
      return;
    }
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    toast(
      status === 429
        ? "Too many requests. Please wait a moment and try again."
        : "Something went wrong (" + status + "). Please try again.",
      "error"
    );
  });

  document.body.addEventListener("htmx:sendError", function () {
    toast("Network error: check your connection and try again.", "error");
  });

  document.body.addEventListener("htmx:beforeHistorySave", function () {
    var region = toastRegion();
    if (region) {
      region.replaceChildren();
    }
    closeMenus(null);
  });

  window.MyBA = { toast: toast, dismiss: dismiss };

  if (window.htmx) {
    window.htmx.onLoad(init);
  } else {
    init(document);
  }
})();
