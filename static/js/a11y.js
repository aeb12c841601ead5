/* Tables wider than a phone scroll sideways inside .table-wrap: a region that scrolls must be
   reachable with the keyboard (WCAG 2.1.1), so each one that actually overflows becomes a
   focusable region named after its table's caption or its card's heading (or, inside a
   section already named, simply focusable). Run on load, on
   every htmx swap and when the window is resized. */
(function () {
  "use strict";

  function label(wrap) {
    var table = wrap.querySelector("table");
    var caption = table && table.querySelector("caption");
    if (caption) {
      return caption;
    }
    var card = wrap.closest(".card, section");
    return card && card.querySelector("h1, h2, h3");
  }

  function mark(root) {
    (root.querySelectorAll ? root : document).querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.hasAttribute("data-scroll-region") || wrap.scrollWidth <= wrap.clientWidth) {
        return;
      }
      if (!wrap.hasAttribute("tabindex")) {
        wrap.setAttribute("tabindex", "0");
      }
      // Inside a section already named by the same heading, a second landmark of that name
      // would only repeat it: being reachable is what the table needs.
      var named = wrap.parentElement && wrap.parentElement.closest(
        "section[aria-labelledby], section[aria-label], [role=region]");
      var name = named ? null : label(wrap);
      if (!wrap.hasAttribute("role") && name) {
        if (!name.id) {
          name.id = "table-label-" + Math.random().toString(36).slice(2, 9);
        }
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-labelledby", name.id);
      }
      wrap.setAttribute("data-scroll-region", "");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { mark(document); });
  document.addEventListener("htmx:load", function (event) { mark(event.target); });
  window.addEventListener("resize", function () { mark(document); });
})();
