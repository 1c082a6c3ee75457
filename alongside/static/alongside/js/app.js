// Alongside: the only script of our own. No inline scripts anywhere (CSP script-src 'self').
(function () {
  "use strict";

  // Quick exit: leave for a neutral site at once, replacing this page in the history so the
  // back button does not return here. Works as a plain link without JavaScript.
  function quickExit(event) {
    if (event) { event.preventDefault(); }
    var url = document.body.getAttribute("data-quick-exit-url") || "https://weather.com/";
    document.body.classList.add("is-exiting");
    document.title = "Weather";
    window.location.replace(url);
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-quick-exit]") : null;
    if (target) { quickExit(event); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.querySelector("[data-quick-exit]")) {
      quickExit(event);
    }
  });

  // Forms with errors: move focus to the error summary so screen readers hear it first.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("form-errors") || document.querySelector(".field--error input, .field--error select, .field--error textarea");
    if (summary) { summary.focus(); }
  });

  // Copy buttons (tokens, recovery codes).
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button || !navigator.clipboard) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (source) {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = button.getAttribute("data-copied") || "Copied";
      });
    }
  });
})();
