// Spareline's behaviour common to every page (htmx does the rest). Plain JavaScript, no build step.
(function () {
  "use strict";

  // A problem swapped into the page's #problem region is announced (aria-live) and takes the focus,
  // so a keyboard or screen-reader user lands on it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "problem" && target.firstElementChild) {
      target.setAttribute("tabindex", "-1");
      target.focus();
    }
  });

  // Clear an old problem when a new request starts from the page.
  document.addEventListener("htmx:beforeRequest", function () {
    var region = document.getElementById("problem");
    if (region) {
      region.textContent = "";
    }
  });
})();
