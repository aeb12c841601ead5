/*
 * The ticket generator form (templates/tickets/partials/ticket_form.html). No inline code
 * (strict CSP); works on the first page and on forms htmx swaps in.
 *
 *   textarea[data-counter="<id>"]   live "1,234 / 4,000" counter in #<id> (data-min, data-max)
 *   input[name=quality][data-cost]  the button's [data-cost-label] says what it costs
 *   select[name=max_children]       an epic's stories: its data-own-<quality> and
 *                                   data-each-<quality> make the button say "up to N tokens"
 *   [data-examples]                 shown while the description is empty (or an example);
 *     button[data-example]          fills the description with its text and checks the
 *                                   ticket type in data-example-kind
 *   #duplicate-warning               the duplicate check's answer (htmx); once dismissed, its
 *                                   note takes the focus
 */
(function () {
  "use strict";

  // The numbers as tickets/forms.py `format_count` writes them in its messages.
  var format = new Intl.NumberFormat("en-US");
  /* The page's text in its language: app.js's `text` (loaded first, both deferred). */
  function text(key, vars, fallback) {
    return window.MyBA.text(key, vars, fallback);
  }

  // What Python's str.strip() removes: the server counts the description without it.
  var EDGE_SPACE = /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

  /* tickets/forms.py `count_characters`: code points (Array.from), one per line break. */
  function countCharacters(text) {
    return Array.from(text.replace(/\r\n?/g, "\n").replace(EDGE_SPACE, "")).length;
  }

  function updateCounter(textarea) {
    var counter = document.getElementById(textarea.getAttribute("data-counter"));
    if (!counter) {
      return;
    }
    var min = parseInt(counter.getAttribute("data-min"), 10) || 0;
    var max = parseInt(counter.getAttribute("data-max"), 10) || 0;
    var length = countCharacters(textarea.value);
    var shown = format.format(length) + " / " + format.format(max);
    if (length > 0 && length < min) {
      shown += " · " + text("atLeast", {n: format.format(min)}, "at least {n}");
    }
    counter.textContent = shown;
    counter.classList.toggle("field-error", length > max || (length > 0 && length < min));
  }

  function updateCost(form) {
    var checked = form.querySelector("input[name=quality][data-cost]:checked");
    var label = form.querySelector("[data-cost-label]");
    if (!checked || !label) {
      return;
    }
    var cost = parseInt(checked.getAttribute("data-cost"), 10) || 1;
    var epic = form.querySelector("input[name=ticket_type][value=epic]:checked");
    var stories = form.querySelector("select[name=max_children]");
    if (epic && stories) {
      var own = parseInt(stories.getAttribute("data-own-" + checked.value), 10) || 0;
      var each = parseInt(stories.getAttribute("data-each-" + checked.value), 10) || 0;
      cost = own + each * (parseInt(stories.value, 10) || 0);
      label.textContent = text("upToTokens", {n: cost},
        cost === 1 ? "up to {n} token" : "up to {n} tokens");
      return;
    }
    label.textContent = text("tokens", {n: cost}, cost === 1 ? "{n} token" : "{n} tokens");
  }

  /* The examples stay while the description is empty or one of them, so the user can try
     another; once they write their own, the examples would only be in the way. */
  function updateExamples(textarea) {
    var form = textarea.closest("form");
    var examples = form && form.querySelector("[data-examples]");
    if (!examples) {
      return;
    }
    var value = textarea.value.trim();
    var isExample = Array.prototype.some.call(
      examples.querySelectorAll("[data-example]"),
      function (button) { return button.getAttribute("data-example") === value; }
    );
    examples.hidden = value !== "" && !isExample;
  }

  function useExample(button) {
    var form = button.closest("form");
    var textarea = form && form.querySelector("textarea[name=description]");
    if (!textarea) {
      return;
    }
    textarea.value = button.getAttribute("data-example");
    var kindValue = CSS.escape(button.getAttribute("data-example-kind"));
    var kind = form.querySelector("input[name=ticket_type][value='" + kindValue + "']");
    if (kind) {
      kind.checked = true;
    }
    updateCounter(textarea);
    textarea.focus();
  }

  function init(scope) {
    var root = scope && scope.querySelectorAll ? scope : document;
    root.querySelectorAll("textarea[data-counter]").forEach(function (textarea) {
      updateCounter(textarea);
      updateExamples(textarea);
    });
    root.querySelectorAll("form[data-generator-form]").forEach(updateCost);
    if (root.matches && root.matches("form[data-generator-form]")) {
      updateCost(root);
    }
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("textarea[data-counter]")) {
      updateCounter(event.target);
      updateExamples(event.target);
    }
    // Clarify first: writing an answer of one's own picks "Other:".
    if (event.target.matches("input[data-other-for]") && event.target.value.trim()) {
      var other = document.getElementById(event.target.getAttribute("data-other-for"));
      if (other) {
        other.checked = true;
      }
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("input[name=quality], input[name=ticket_type], " +
                             "select[name=max_children]")) {
      var form = event.target.closest("form");
      if (form) {
        updateCost(form);
      }
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element && event.target.closest("button[data-example]");
    if (button) {
      useExample(button);
    }
  });
  document.addEventListener("htmx:load", function (event) {
    init(event.target);
  });
  /* The duplicate warning's "Not a duplicate" button goes away with the warning: the note
     that replaces it takes the focus, so a keyboard user is not dropped at the page top. */
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    var note = target && target.id === "duplicate-warning" &&
      target.querySelector("[data-duplicates-dismissed]");
    if (note) {
      note.focus();
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
