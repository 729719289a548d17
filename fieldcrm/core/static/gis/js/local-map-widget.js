// Builds the admin's map widgets (fieldcrm/core/admin_widgets.py) from their JSON options:
// Django 5.2's template does this in an inline script, which the Content-Security-Policy
// does not run. Loaded after OpenLayers and Django's OLMapWidget.js, in the page's head.
//
// The base layer is the app's own vector tiles by default (OpenLayers draws MVT itself, so
// Django's MapWidget stays as it is), styled like the other maps' protomaps-leaflet "light"
// look: land, water, parks, buildings, roads by class, and street names.
"use strict";
(function () {
  function fill(color) {
    return new ol.style.Style({fill: new ol.style.Fill({color: color})});
  }
  function line(color, width) {
    return new ol.style.Style({stroke: new ol.style.Stroke({color: color, width: width})});
  }
  var WATER = fill("#80deea");
  var GREEN = fill("#c8e6c9");
  var LANDUSE = fill("#eceff1");
  var BUILDING = fill("#d7ccc8");
  var RIVER = line("#80deea", 2);
  var ROADS = {highway: line("#ffb74d", 4), major_road: line("#ffe082", 3),
               minor_road: line("#ffffff", 2), path: line("#bdbdbd", 1), rail: line("#9e9e9e", 1)};
  var GREEN_KINDS = ["park", "garden", "forest", "wood", "grass", "grassland", "scrub", "pitch",
                     "playground", "golf_course", "nature_reserve", "village_green", "cemetery"];

  function style(feature, resolution) {
    var layer = feature.get("layer");
    var kind = feature.get("kind");
    if (layer === "water") return feature.getGeometry().getType().indexOf("Line") >= 0 ? RIVER : WATER;
    if (layer === "landuse") return GREEN_KINDS.indexOf(kind) >= 0 ? GREEN : LANDUSE;
    if (layer === "buildings") return BUILDING;
    if (layer === "roads") {
      var base = ROADS[kind];
      var name = feature.get("name");
      if (!base || !name || resolution > 5) return base;
      return [base, new ol.style.Style({text: new ol.style.Text({
        text: name, placement: "line", font: "11px sans-serif",
        fill: new ol.style.Fill({color: "#424242"}),
        stroke: new ol.style.Stroke({color: "#ffffff", width: 3})})})];
    }
    return undefined;
  }

  function baseLayer(options) {
    if (options.tile_vector) {
      return new ol.layer.VectorTile({
        background: "#e2dfda", // land, as on the Leaflet maps
        declutter: true,
        source: new ol.source.VectorTile({
          format: new ol.format.MVT(),
          url: options.tile_url,
          maxZoom: options.tile_max_data_zoom,
          attributions: options.tile_attribution,
          attributionsCollapsible: false, // ODbL: the attribution stays visible
        }),
        style: style,
      });
    }
    var source = options.tile_url
      ? new ol.source.XYZ({url: options.tile_url, attributions: options.tile_attribution})
      : new ol.source.OSM();
    return new ol.layer.Tile({source: source});
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("script[id$='_fieldcrm_map_options']").forEach(function (el) {
      var options = JSON.parse(el.textContent);
      options.base_layer = baseLayer(options);
      window[options.module] = new MapWidget(options);
    });
  });
})();
