/*
 * Moving a stop on the dispatch board by dragging it on the timeline (pages/dispatch/board.html).
 *
 * Each timeline row (.tl-track, data-vehicle) is a SortableJS list of its stops (.tl-stop); pickups,
 * stops under way or over (.is-fixed) stay where they are. Dropping a stop on a row, before or after
 * another, asks the board for the move's dry run (GET data-move-url?stop=&to=&position=, the same as
 * the "Move" form) and shows it in #stop-action: feasible or why not, the new times, every stop whose
 * lateness changes. Nothing changes until "Apply" (a form posted by htmx). "Cancel" (data-move-cancel)
 * puts the stop back where it was; so does the next drag. A stop's "Move" or "Report" in the table of
 * every stop (data-stop-action) opens its form in #stop-action the same way. Plain JavaScript, no build
 * step.
 */
(function () {
  "use strict";

  var origin = null; // {item, from, next}: where the stop being dragged came from
  var dropped = null; // the same of the last stop dropped, until its move is applied or cancelled

  function putBack() {
    if (!dropped) return;
    dropped.from.insertBefore(dropped.item, dropped.next);
    dropped.item.classList.remove("is-moving");
    dropped = null;
  }

  function stillToDo(element) {
    return element.classList.contains("tl-stop") && !element.classList.contains("is-over");
  }

  function position(item) {
    // The stop's place among the stops still to do of its new row (1: first), its own pickup left out.
    var pickup = item.dataset.stopKey + ":pickup";
    var count = 1;
    for (var node = item.previousElementSibling; node; node = node.previousElementSibling) {
      if (stillToDo(node) && node.dataset.stopKey !== pickup) count += 1;
    }
    return count;
  }

  function ask(timeline, item, to) {
    var query = new URLSearchParams({
      stop: item.dataset.stopId,
      depot: timeline.dataset.depot,
      kind: timeline.dataset.kind,
      date: timeline.dataset.date,
      to: to,
      position: String(position(item))
    });
    window.htmx.ajax("GET", timeline.dataset.moveUrl + "?" + query.toString(), {
      target: "#stop-action",
      swap: "innerHTML show:#stop-action:top"
    });
  }

  function enable(timeline) {
    if (timeline.dataset.sortable === "on" || !window.Sortable || !window.htmx) return;
    timeline.dataset.sortable = "on";
    // A link is dragged natively by the browser, which cancels SortableJS's pointer events.
    Array.prototype.forEach.call(timeline.querySelectorAll(".tl-stop"), function (stop) {
      stop.draggable = false;
    });
    Array.prototype.forEach.call(timeline.querySelectorAll(".tl-track[data-vehicle]"), function (track) {
      window.Sortable.create(track, {
        group: "board-stops",
        draggable: ".tl-stop",
        direction: "horizontal",
        filter: ".is-fixed",
        preventOnFilter: false,
        forceFallback: true,
        fallbackOnBody: true,
        fallbackTolerance: 4,
        animation: 0,
        onStart: function (event) {
          putBack();
          origin = {item: event.item, from: event.item.parentNode, next: event.item.nextSibling};
        },
        onEnd: function (event) {
          var item = event.item;
          if (event.from === event.to && event.oldIndex === event.newIndex) {
            origin = null;
            return;
          }
          dropped = origin;
          origin = null;
          item.classList.add("is-moving");
          ask(timeline, item, event.to.dataset.vehicle);
        }
      });
    });
  }

  function enableAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".tl[data-move-url]"), enable);
  }

  document.addEventListener("click", function (event) {
    // A stop's "Move" or "Report" in the table opens its form in #stop-action (a page without JavaScript).
    var action = event.target.closest ? event.target.closest("a[data-stop-action]") : null;
    if (action && window.htmx && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      window.htmx.ajax("GET", action.getAttribute("href"), {
        target: "#stop-action",
        swap: "innerHTML show:#stop-action:top"
      });
      return;
    }
    var cancel = event.target.closest ? event.target.closest("[data-move-cancel]") : null;
    if (!cancel) return;
    event.preventDefault();
    putBack();
    document.getElementById("stop-action").innerHTML = "";
  });
  document.addEventListener("DOMContentLoaded", enableAll);
  document.addEventListener("htmx:afterSettle", enableAll);
})();
