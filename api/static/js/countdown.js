// Live SLA countdowns (api/pages/tickets.py). The server reads every clock with the SLA engine and says
// it in words; for a clock still counting it gives the time left at the moment it rendered the page
// (data-left-ms, negative when late) and, for business-hours customers, the business intervals ahead
// of the site's calendar (data-calendars on the element around the countdowns, with the server's time
// in data-now). This script only subtracts the time that passes inside those intervals, so a business
// clock stands still outside them ("Paused until Mon 09:00"). It rewrites the text every 30 seconds and
// announces, in the page's polite live region, only a clock crossing into "breaching within 60 min" or
// "breached". Without it the server's text is right at the time the page was made. It also holds the
// queue's 30-second refresh while the keyboard focus is inside the queue.
(function () {
  "use strict";

  var TICK_MS = 30000;
  var SOON_MS = 60 * 60000;
  var RANK = { on_track: 0, soon: 1, breached: 2 };
  var shown = {}; // clock key -> state last shown, kept across htmx swaps of the queue

  // The scope of a group of countdowns: the server's time and when this page saw it, the calendars and
  // the words. Read once per element (htmx brings a new element, with a new server time, on each swap).
  function scopeOf(element) {
    if (!element._countdownScope) {
      element._countdownScope = {
        serverNow: Number(element.getAttribute("data-now")),
        seenAt: Date.now(),
        calendars: JSON.parse(element.getAttribute("data-calendars") || "{}"),
        words: JSON.parse(element.getAttribute("data-words") || "{}"),
      };
    }
    return element._countdownScope;
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  // A length of time in its two largest units, to the minute, as the server says it.
  function duration(ms, words) {
    var seconds = Math.abs(ms) / 1000;
    if (seconds < 60) {
      return words.lessThanMinute;
    }
    var minutes = Math.round(seconds / 60);
    if (Math.abs((seconds / 60) % 1) === 0.5 && minutes % 2 !== 0) {
      minutes -= 1; // half a minute rounds to even, as the server's Python does
    }
    var counts = [Math.floor(minutes / 1440), Math.floor((minutes % 1440) / 60), minutes % 60];
    var first = 0;
    while (first < counts.length && !counts[first]) {
      first += 1;
    }
    var parts = [];
    for (var i = first; i < Math.min(first + 2, counts.length); i += 1) {
      if (counts[i]) {
        parts.push(fill(words.units[i], { n: counts[i] }));
      }
    }
    return parts.join(" ");
  }

  // Business time between two instants (ms) inside the intervals; all of it without a calendar (7x24).
  function counted(intervals, from, to) {
    if (!intervals) {
      return to - from;
    }
    var total = 0;
    for (var i = 0; i < intervals.length; i += 1) {
      var start = Math.max(intervals[i][0], from);
      var end = Math.min(intervals[i][1], to);
      if (end > start) {
        total += end - start;
      }
    }
    return total;
  }

  // The words of the next opening while the clock stands outside business hours, else "".
  function pausedUntil(intervals, at) {
    if (!intervals) {
      return "";
    }
    for (var i = 0; i < intervals.length; i += 1) {
      if (at < intervals[i][0]) {
        return intervals[i][2];
      }
      if (at < intervals[i][1]) {
        return "";
      }
    }
    return "";
  }

  function setText(element, selector, text) {
    var target = element.querySelector(selector);
    if (target && target.textContent !== text) {
      target.textContent = text;
    }
  }

  function update(element, scope, now, announcements) {
    var key = element.getAttribute("data-key");
    var calendar = element.getAttribute("data-calendar");
    var intervals = calendar ? scope.calendars[calendar] || [] : null;
    var left = Number(element.getAttribute("data-left-ms")) - counted(intervals, scope.serverNow, now);
    var previous = element.getAttribute("data-state");
    // Past its due time a clock is breached, even while business time stands still (due at closing).
    var late = left < 0 || now > Number(element.getAttribute("data-due-ms")) || previous === "breached";
    var state = late ? "breached" : left <= SOON_MS ? "soon" : "on_track";
    var words = scope.words;
    if (previous !== state) {
      element.setAttribute("data-state", state);
      var host = element.closest("[data-countdown-host]");
      if (host) {
        host.setAttribute("data-state", state);
      }
      var badge = element.querySelector("[data-countdown-badge]");
      if (badge) {
        badge.className = "badge badge--" + words.tones[state];
      }
      var icon = element.querySelector("[data-countdown-icon]");
      if (icon) {
        icon.setAttribute("href", "#icon-" + state);
      }
      setText(element, "[data-countdown-state]", words.states[state]);
    }
    var template = late ? words.late : words.left;
    setText(element, "[data-countdown-left]", fill(template, { duration: duration(left, words) }));
    var opening = pausedUntil(intervals, now);
    setText(element, "[data-countdown-paused]", opening ? fill(words.paused, { time: opening }) : "");
    if (key in shown && RANK[state] > RANK[shown[key]]) {
      announcements.push(
        fill(words.announce, { label: element.getAttribute("data-label"), state: words.states[state] })
      );
    }
    shown[key] = state;
  }

  function tick() {
    var announcements = [];
    var scopes = document.querySelectorAll("[data-countdowns]");
    for (var i = 0; i < scopes.length; i += 1) {
      var scope = scopeOf(scopes[i]);
      var now = scope.serverNow + (Date.now() - scope.seenAt);
      var clocks = scopes[i].querySelectorAll("[data-countdown]");
      for (var j = 0; j < clocks.length; j += 1) {
        update(clocks[j], scope, now, announcements);
      }
    }
    var region = document.querySelector("[data-countdown-announcer]");
    if (region && announcements.length) {
      region.textContent = announcements.join(". ");
    }
  }

  // The clocks as the server rendered them are the baseline: a crossing is announced once seen.
  function remember(root) {
    var clocks = root.querySelectorAll("[data-countdown]");
    for (var i = 0; i < clocks.length; i += 1) {
      var key = clocks[i].getAttribute("data-key");
      if (!(key in shown)) {
        shown[key] = clocks[i].getAttribute("data-state");
      }
    }
  }

  function start() {
    remember(document);
    tick();
    window.setInterval(tick, TICK_MS);
  }

  // The queue refreshes itself every 30 seconds, but not while the keyboard focus is inside it: the
  // swap would take the focus away from the reader's place. The next refresh after it leaves comes.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail && event.detail.elt;
    if (source && source.hasAttribute("data-refresh-keeps-focus") && source.contains(document.activeElement)) {
      event.preventDefault();
    }
  });

  // After htmx replaces the queue, compare its clocks with those shown before, then keep counting.
  document.addEventListener("htmx:afterSwap", function () {
    tick();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
