/*
 * The dispatch board's timeline and tables, in step with the map (js/map.js).
 *
 * Hovering or focusing a stop (an element with data-stop-key: a timeline block, a table row or anything
 * focusable in it) dispatches "spareline:stop-hover" on document with detail {key, source: "board"}
 * (key null when it ends); the map highlights its marker. The same event from the map (or anywhere)
 * marks every element of that stop with .is-highlighted. Listeners sit on document, so the board's
 * parts that htmx swaps in need nothing more. Plain JavaScript, no build step.
 */
(function () {
  "use strict";

  var HOVER_EVENT = "spareline:stop-hover";
  var SOURCE = "board";
  var current = null;

  function stopOf(target) {
    return target && target.closest ? target.closest("[data-stop-key]") : null;
  }

  function announce(key) {
    if (key === current) return;
    document.dispatchEvent(new CustomEvent(HOVER_EVENT, {detail: {key: key, source: SOURCE}}));
  }

  function highlight(key) {
    current = key;
    var marked = document.querySelectorAll(".is-highlighted[data-stop-key]");
    Array.prototype.forEach.call(marked, function (element) {
      if (element.dataset.stopKey !== key) element.classList.remove("is-highlighted");
    });
    if (!key) return;
    var all = document.querySelectorAll("[data-stop-key]");
    Array.prototype.forEach.call(all, function (element) {
      if (element.dataset.stopKey === key) element.classList.add("is-highlighted");
    });
  }

  document.addEventListener("mouseover", function (event) {
    var stop = stopOf(event.target);
    if (stop) announce(stop.dataset.stopKey);
  });
  document.addEventListener("mouseout", function (event) {
    var stop = stopOf(event.target);
    if (stop && !stop.contains(event.relatedTarget)) announce(null);
  });
  document.addEventListener("focusin", function (event) {
    var stop = stopOf(event.target);
    if (stop) announce(stop.dataset.stopKey);
  });
  document.addEventListener("focusout", function (event) {
    var stop = stopOf(event.target);
    if (stop && !stop.contains(event.relatedTarget)) announce(null);
  });
  document.addEventListener(HOVER_EVENT, function (event) {
    highlight(event.detail ? event.detail.key : null);
  });
})();
