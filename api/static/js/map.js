/*
 * Spareline.map: depots, stops and routes on a Leaflet map, from the server alone.
 *
 * Markup (the server renders it with the macros map_assets() and map_view() of templates/macros/map.html;
 * every text comes from the page, in its language):
 *
 *   <div id="board-map" class="sl-map" data-map-data="board-map-data"
 *        data-tile-url="" data-tile-attribution="" data-tile-max-zoom="18"
 *        data-tile-subdomains="a,b,c" data-coord-system="wgs84"></div>
 *   <script type="application/json" id="board-map-data">{"depots": [...], "stops": [...], ...}</script>
 *
 * The data-tile-* and data-coord-system attributes are the settings' (api.settings.Settings.map_attributes);
 * data-basemap-url overrides where the offline basemap is fetched from. Elements with data-map-data are
 * mounted on DOMContentLoaded and when htmx loads new content; Spareline.map.mount(container, data)
 * mounts one by hand and returns {map, highlight(key), markers}.
 *
 * Data island:
 *   depots: [{code, label, lat, lon}]
 *   stops:  [{key, label, lat, lon, status?, state?: "on_time" | "at_risk" | "late", number?}]
 *   routes: [{key, label, depot, stops: [stop keys in order], colour: integer, dashed?: boolean, status?}]
 *   texts:  {basemap?: attribution of the offline basemap}
 * Coordinates are WGS-84. A route is drawn from its depot through its stops; its stops take its
 * colour (colour index into PALETTE) and their position in it as their number; stops on no route are
 * drawn grey. Hovering or focusing a stop dispatches "spareline:stop-hover" on document with
 * detail {key} (key null when it ends); the same event from elsewhere highlights that stop.
 */
(function () {
  "use strict";

  var BASEMAP_URL = "/static/basemap/cn-provinces.geojson";
  var CHINA = [[18, 73], [54, 135]];
  var TILE_ERRORS_BEFORE_FALLBACK = 4;
  var HOVER_EVENT = "spareline:stop-hover";
  // Dark enough for white numbers (contrast of at least 4.5:1), and distinct from each other.
  var PALETTE = ["#1b5e9f", "#b3261e", "#1e7b34", "#6a3d9a", "#8a4b08",
                 "#ad1457", "#00695c", "#283593", "#9e3d00", "#37474f"];
  var UNASSIGNED = "#6b6b6b";

  function colourOf(index) {
    var n = Number(index) || 0;
    return PALETTE[((n % PALETTE.length) + PALETTE.length) % PALETTE.length];
  }

  // Markers and routes are converted to GCJ-02 when the tiles are (most Chinese providers). The offline
  // basemap is not: it derives from AMap's outlines, already GCJ-02, whose offset of a few hundred
  // metres does not show at province scale.
  function projector(system) {
    if (system !== "gcj02") return function (lat, lon) { return [lat, lon]; };
    if (!window.gcoord) {
      console.warn("Spareline.map: MAP_COORD_SYSTEM is gcj02 but gcoord is not loaded");
      return function (lat, lon) { return [lat, lon]; };
    }
    return function (lat, lon) {
      var out = window.gcoord.transform([lon, lat], window.gcoord.WGS84, window.gcoord.GCJ02);
      return [out[1], out[0]];
    };
  }

  function cssVar(element, name, fallback) {
    var value = getComputedStyle(element).getPropertyValue(name).trim();
    return value || fallback;
  }

  function readData(container, data) {
    if (data && typeof data === "object" && !(data instanceof Element)) return data;
    var island = data instanceof Element ? data
      : document.getElementById(data || container.dataset.mapData || "");
    if (!island) island = container.querySelector('script[type="application/json"]');
    return island ? JSON.parse(island.textContent) : {};
  }

  function pin(className, text, colour) {
    var span = document.createElement("span");
    span.className = "sl-map-pin " + className;
    span.textContent = text;
    if (colour) span.style.setProperty("--sl-pin-colour", colour);
    return span;
  }

  function marker(layer, latlng, options) {
    var m = L.marker(latlng, {
      icon: L.divIcon({className: "sl-map-marker", html: options.pin, iconSize: options.size}),
      keyboard: true,
      riseOnHover: true,
    }).addTo(layer);
    var element = m.getElement();
    element.setAttribute("aria-label", options.label);
    m.bindTooltip(options.label, {direction: "top", offset: [0, -options.size[1] / 2]});
    return m;
  }

  function addBasemap(map, container, texts, url) {
    var style = {
      land: cssVar(container, "--sl-map-land", "#f4f1ea"),
      border: cssVar(container, "--sl-map-border", "#9a948a"),
      maritime: cssVar(container, "--sl-map-maritime", "#5b7fa6"),
    };
    return fetch(url, {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) throw new Error("basemap: HTTP " + response.status);
        return response.json();
      })
      .then(function (geojson) {
        var layer = L.geoJSON(geojson, {
          interactive: false,
          attribution: texts.basemap || "",
          style: function (feature) {
            if (feature.properties.kind === "maritime") {
              return {color: style.maritime, weight: 1.5, dashArray: "6 4", fill: false};
            }
            return {color: style.border, weight: 0.8, fillColor: style.land, fillOpacity: 1};
          },
        }).addTo(map);
        layer.bringToBack();
        container.dataset.basemap = "drawn";
        return layer;
      })
      .catch(function (error) {
        container.dataset.basemap = "failed";
        console.warn("Spareline.map:", error);
      });
  }

  function addTiles(map, container, texts, basemapUrl) {
    var d = container.dataset;
    var tiles = L.tileLayer(d.tileUrl, {
      attribution: d.tileAttribution || "",
      maxZoom: Number(d.tileMaxZoom) || 18,
      subdomains: (d.tileSubdomains || "a,b,c").split(","),
    });
    var failures = 0;
    tiles.on("tileload", function () { failures = 0; });
    tiles.on("tileerror", function () {
      failures += 1;
      if (failures === TILE_ERRORS_BEFORE_FALLBACK && map.hasLayer(tiles)) {
        map.removeLayer(tiles);
        container.dataset.tiles = "failed";
        addBasemap(map, container, texts, basemapUrl);
      }
    });
    tiles.addTo(map);
    container.dataset.tiles = "on";
  }

  function mount(container, data) {
    if (container._slMap) return container._slMap;
    data = readData(container, data);
    var texts = data.texts || {};
    var at = projector(container.dataset.coordSystem);
    var map = L.map(container, {preferCanvas: true, zoomSnap: 0.25});
    var points = (data.depots || []).concat(data.stops || []).map(function (p) { return at(p.lat, p.lon); });
    if (points.length) {
      map.fitBounds(L.latLngBounds(points), {padding: [24, 24], maxZoom: 12});
    } else {
      map.fitBounds(CHINA);
    }
    var basemapUrl = container.dataset.basemapUrl || BASEMAP_URL;
    if (container.dataset.tileUrl) addTiles(map, container, texts, basemapUrl);
    else addBasemap(map, container, texts, basemapUrl);

    var depots = {};
    var markers = {};
    var onRoute = {};
    (data.routes || []).forEach(function (route) {
      (route.stops || []).forEach(function (key, i) {
        onRoute[key] = {colour: colourOf(route.colour), number: String(i + 1)};
      });
    });
    var layer = L.featureGroup().addTo(map);

    (data.depots || []).forEach(function (depot) {
      var latlng = at(depot.lat, depot.lon);
      depots[depot.code] = latlng;
      marker(layer, latlng, {pin: pin("sl-map-depot", ""), size: [16, 16], label: depot.label || depot.code});
    });

    var stopAt = {};
    (data.stops || []).forEach(function (stop) { stopAt[stop.key] = at(stop.lat, stop.lon); });
    (data.routes || []).forEach(function (route) {
      var home = depots[route.depot];
      var path = (route.stops || []).map(function (key) { return stopAt[key]; }).filter(Boolean);
      // The way back to the depot is left out: it would retrace the way out and fill a dashed pattern.
      if (home) path = [home].concat(path);
      if (path.length < 2) return;
      var line = L.polyline(path, {
        color: colourOf(route.colour), weight: 3, opacity: 0.85,
        dashArray: route.dashed ? "8 6" : null, className: "sl-map-route",
      }).addTo(layer);
      var label = [route.label || route.key, route.status].filter(Boolean).join(" · ");
      if (label) line.bindTooltip(label, {sticky: true});
      line.bringToBack();
    });

    (data.stops || []).forEach(function (stop) {
      var latlng = stopAt[stop.key];
      var place = onRoute[stop.key] || {colour: UNASSIGNED, number: ""};
      var number = stop.number !== undefined && stop.number !== null ? String(stop.number) : place.number;
      var classes = "sl-map-stop" + (onRoute[stop.key] ? "" : " is-unassigned")
        + (stop.state ? " is-" + String(stop.state).replace(/_/g, "-") : "");
      var label = [stop.label || stop.key, stop.status].filter(Boolean).join(" · ");
      var m = marker(layer, latlng, {pin: pin(classes, number, place.colour), size: [22, 22], label: label});
      var element = m.getElement();
      element.dataset.stopKey = stop.key;
      markers[stop.key] = m;
      var announce = function (key) {
        document.dispatchEvent(new CustomEvent(HOVER_EVENT, {detail: {key: key, source: container.id}}));
      };
      element.addEventListener("mouseenter", function () { announce(stop.key); });
      element.addEventListener("focus", function () { announce(stop.key); });
      element.addEventListener("mouseleave", function () { announce(null); });
      element.addEventListener("blur", function () { announce(null); });
    });

    var highlighted = null;
    function highlight(key) {
      if (highlighted) {
        highlighted.getElement().classList.remove("is-highlighted");
        highlighted.setZIndexOffset(0);
      }
      highlighted = key ? markers[key] || null : null;
      if (highlighted) {
        highlighted.getElement().classList.add("is-highlighted");
        highlighted.setZIndexOffset(1000);
      }
    }
    document.addEventListener(HOVER_EVENT, function onHover(event) {
      if (!container.isConnected) {  // swapped out of the page
        document.removeEventListener(HOVER_EVENT, onHover);
        return;
      }
      highlight(event.detail ? event.detail.key : null);
    });

    container._slMap = {map: map, highlight: highlight, markers: markers};
    return container._slMap;
  }

  function mountAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var found = Array.prototype.slice.call(scope.querySelectorAll("[data-map-data]"));
    if (scope.matches && scope.matches("[data-map-data]")) found.push(scope);
    found.forEach(function (container) { mount(container); });
  }

  window.Spareline = window.Spareline || {};
  window.Spareline.map = {mount: mount, mountAll: mountAll, PALETTE: PALETTE, HOVER_EVENT: HOVER_EVENT};
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { mountAll(document); });
  } else {
    mountAll(document);
  }
  document.addEventListener("htmx:load", function (event) { mountAll(event.target); });
})();
