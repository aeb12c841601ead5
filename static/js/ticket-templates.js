/*
 * The generator's Template select: choosing a template ticks the ticket type it is for
 * (each option's data-kind), so the form never asks for a type the template does not fit.
 * The server checks the pair anyway. Delegated: works on forms htmx swaps in.
 */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target instanceof Element && event.target.closest("select[data-template-select]");
    if (!select) {
      return;
    }
    var option = select.options[select.selectedIndex];
    var kindValue = option && option.getAttribute("data-kind");
    var form = select.closest("form");
    if (!kindValue || !form) {
      return;
    }
    var kind = form.querySelector("input[name=ticket_type][value='" + CSS.escape(kindValue) + "']");
    if (kind) {
      kind.checked = true;
    }
  });
})();
