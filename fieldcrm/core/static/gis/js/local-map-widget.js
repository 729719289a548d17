// Builds the admin's map widgets (fieldcrm/core/admin_widgets.py) from their JSON options:
// Django 5.2's template does this in an inline script, which the Content-Security-Policy
// does not run. Loaded after OpenLayers and Django's OLMapWidget.js, in the page's head.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("script[id$='_fieldcrm_map_options']").forEach(function (el) {
    var options = JSON.parse(el.textContent);
    var source = options.tile_url
      ? new ol.source.XYZ({url: options.tile_url, attributions: options.tile_attribution})
      : new ol.source.OSM();
    options.base_layer = new ol.layer.Tile({source: source});
    window[options.module] = new MapWidget(options);
  });
});
