/*
 * The ticket generator form (templates/tickets/partials/ticket_form.html). No inline code
 * (strict CSP); works on the first page and on forms htmx swaps in.
 *
 *   textarea[data-counter="<id>"]   live "n / 4,000" counter in #<id> (data-min, data-max)
 *   input[name=quality][data-cost]  the button's [data-cost-label] says what it costs
 */
(function () {
  "use strict";

  var format = new Intl.NumberFormat("en-US");

  function updateCounter(textarea) {
    var counter = document.getElementById(textarea.getAttribute("data-counter"));
    if (!counter) {
      return;
    }
    var min = parseInt(counter.getAttribute("data-min"), 10) || 0;
    var max = parseInt(counter.getAttribute("data-max"), 10) || 0;
    var length = textarea.value.replace(/\r\n/g, "\n").length;
    var text = format.format(length) + " / " + format.format(max);
    if (length > 0 && length < min) {
      text += " · at least " + min;
    }
    counter.textContent = text;
    counter.classList.toggle("field-error", length > max || (length > 0 && length < min));
  }

  function updateCost(form) {
    var checked = form.querySelector("input[name=quality][data-cost]:checked");
    var label = form.querySelector("[data-cost-label]");
    if (!checked || !label) {
      return;
    }
    var cost = parseInt(checked.getAttribute("data-cost"), 10) || 1;
    label.textContent = cost + (cost === 1 ? " token" : " tokens");
  }

  function init(scope) {
    var root = scope && scope.querySelectorAll ? scope : document;
    root.querySelectorAll("textarea[data-counter]").forEach(updateCounter);
    root.querySelectorAll("form[data-generator-form]").forEach(updateCost);
    if (root.matches && root.matches("form[data-generator-form]")) {
      updateCost(root);
    }
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("textarea[data-counter]")) {
      updateCounter(event.target);
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("input[name=quality]")) {
      var form = event.target.closest("form");
      if (form) {
        updateCost(form);
      }
    }
  });
  document.addEventListener("htmx:load", function (event) {
    init(event.target);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
