// The accounts list's "Draw an area" map (issue 16): Leaflet and leaflet-draw on our own tiles.
// A rectangle or polygon drawn fills the filters' `area` field (an encoded polyline ring,
// fieldcrm/crm/area.py) and submits the form; the current area is drawn when the page opens
// with one; "Clear area" empties the field and submits. Without script the field still works
// (it can be pasted). Loaded deferred after leaflet.js, leaflet.draw.js and protomaps-leaflet.
"use strict";

(() => {
  const details = document.getElementById("crm-area");
  const box = document.getElementById("crm-area-map");
  const source = document.getElementById("crm-area-config");
  const form = document.getElementById("crm-filters");
  if (!details || !box || !source || !form) return;
  const field = form.elements.namedItem("area");
  const config = JSON.parse(source.textContent);
  const LAND_COLOR = "#e2dfda"; // protomaps-leaflet's "light" land, as on the other maps

  // Google's polyline algorithm, precision 5, on a closed ring of [lng, lat] corners.
  function encodeRing(corners) {
    let out = "";
    let lastLat = 0;
    let lastLng = 0;
    for (const [lng, lat] of corners) {
      const iLat = Math.round(lat * 1e5);
      const iLng = Math.round(lng * 1e5);
      for (const delta of [iLat - lastLat, iLng - lastLng]) {
        let value = delta < 0 ? ~(delta * 2) : delta * 2;
        while (value >= 0x20) {
          out += String.fromCharCode((0x20 | (value & 0x1f)) + 63);
          value = Math.floor(value / 32);
        }
        out += String.fromCharCode(value + 63);
      }
      lastLat = iLat;
      lastLng = iLng;
    }
    return out;
  }

  function submit() {
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  document.getElementById("crm-area-clear")?.addEventListener("click", () => {
    field.value = "";
    submit();
  });

  let map = null;
  function start() {
    const L = globalThis.L;
    if (map || !L || !L.Control || !L.Control.Draw) return;
    const s = config.strings;
    L.drawLocal.draw.toolbar.buttons.rectangle = s.rectangle;
    L.drawLocal.draw.toolbar.buttons.polygon = s.polygon;
    L.drawLocal.draw.toolbar.actions.text = s.cancel;
    L.drawLocal.draw.toolbar.actions.title = s.cancel;
    L.drawLocal.draw.toolbar.finish.text = s.finish;
    L.drawLocal.draw.toolbar.finish.title = s.finish;
    L.drawLocal.draw.toolbar.undo.text = s.undo;
    L.drawLocal.draw.toolbar.undo.title = s.undo;
    L.drawLocal.draw.handlers.rectangle.tooltip.start = s.start;
    L.drawLocal.draw.handlers.simpleshape.tooltip.end = s.start;
    L.drawLocal.draw.handlers.polygon.tooltip.start = s.polygonStart;
    L.drawLocal.draw.handlers.polygon.tooltip.cont = s.polygonNext;
    L.drawLocal.draw.handlers.polygon.tooltip.end = s.polygonEnd;
    L.drawLocal.draw.handlers.polyline.error = s.crossing;

    map = L.map(box, { maxZoom: 19, attributionControl: Boolean(config.tileUrl) });
    if (config.tileVector && globalThis.protomapsL) {
      const streets = globalThis.protomapsL.leafletLayer({
        url: config.tileUrl, attribution: config.tileAttribution, flavor: "light",
        maxDataZoom: config.tileMaxDataZoom, maxZoom: 19,
      }); // prettier-ignore
      streets.backgroundColor = LAND_COLOR;
      streets.addTo(map);
    } else if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
    }
    // The view first: Leaflet cannot place a vector layer on a map without one.
    const ring = config.area ? config.area.map(([lng, lat]) => [lat, lng]) : null;
    if (ring) {
      map.fitBounds(L.latLngBounds(ring), { padding: [16, 16] });
    } else if (config.points.length) {
      const bounds = L.latLngBounds(config.points.map(([lng, lat]) => [lat, lng]));
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    } else {
      map.setView([20, 0], 2);
    }
    const drawn = L.featureGroup().addTo(map);
    if (ring) L.polygon(ring).addTo(drawn);
    for (const [lng, lat] of config.points) {
      L.circleMarker([lat, lng], { radius: 4, weight: 1, interactive: false }).addTo(map);
    }
    map.addControl(new L.Control.Draw({
      draw: {
        polygon: { allowIntersection: false, showArea: false },
        rectangle: { showArea: false },
        polyline: false, circle: false, marker: false, circlemarker: false,
      },
      edit: false,
    })); // prettier-ignore
    map.on(L.Draw.Event.CREATED, (event) => {
      drawn.clearLayers();
      drawn.addLayer(event.layer);
      const corners = event.layer.getLatLngs()[0].map((p) => [p.lng, p.lat]);
      corners.push(corners[0]);
      field.value = encodeRing(corners);
      submit();
    });
    box.dataset.ready = "";
  }

  details.addEventListener("toggle", () => {
    if (!details.open) return;
    start();
    map?.invalidateSize();
  });
  if (details.open) start();
})();
