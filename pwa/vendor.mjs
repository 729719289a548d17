// Copy the browser assets we serve ourselves out of node_modules into static/vendor/.
//
// Run after `npm ci` (the Makefile's `assets` target does both). No dependencies: Node's
// standard library only. The output is git-ignored and rebuilt from scratch on every run,
// so a package upgrade never leaves stale files behind.
//
// Layout: static/vendor/<package>/<file>, keeping each package's own relative layout where
// its CSS points at images or fonts with relative url()s (Leaflet, Leaflet.draw,
// awesome-markers, Font Awesome), so those references keep resolving under Django's
// staticfiles (including ManifestStaticFilesStorage, which fails on a missing reference).
// Workbox is the one exception: workbox-sw loads its modules from a single folder
// (`modulePathPrefix`), so all workbox-* files go to static/vendor/workbox/.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, "node_modules");
const out = path.join(here, "static", "vendor");

// [npm package, source path inside it, destination inside static/vendor]. A source ending in
// "/" is a folder copied whole.
const FILES = [
  ["leaflet", "dist/leaflet.js", "leaflet/leaflet.js"],
  ["leaflet", "dist/leaflet.css", "leaflet/leaflet.css"],
  ["leaflet", "dist/images/", "leaflet/images/"],
  ["leaflet", "LICENSE", "leaflet/LICENSE"],

  ["leaflet.markercluster", "dist/leaflet.markercluster.js",
    "leaflet.markercluster/leaflet.markercluster.js"],
  ["leaflet.markercluster", "dist/MarkerCluster.css", "leaflet.markercluster/MarkerCluster.css"],
  ["leaflet.markercluster", "dist/MarkerCluster.Default.css",
    "leaflet.markercluster/MarkerCluster.Default.css"],
  ["leaflet.markercluster", "MIT-LICENCE.txt", "leaflet.markercluster/MIT-LICENCE.txt"],

  // Clusters 100k accounts in the browser (the big territory map); UMD build, kdbush inlined.
  ["supercluster", "dist/supercluster.min.js", "supercluster/supercluster.min.js"],
  ["supercluster", "LICENSE", "supercluster/LICENSE"],

  // Draws the app's own vector tiles on every Leaflet map (global `protomapsL`, needs `L`).
  ["protomaps-leaflet", "dist/protomaps-leaflet.js", "protomaps-leaflet/protomaps-leaflet.js"],
  ["protomaps-leaflet", "LICENSE", "protomaps-leaflet/LICENSE"],

  ["leaflet.heat", "dist/leaflet-heat.js", "leaflet.heat/leaflet-heat.js"],
  ["leaflet.heat", "LICENSE", "leaflet.heat/LICENSE"],

  ["leaflet-draw", "dist/leaflet.draw.js", "leaflet-draw/leaflet.draw.js"],
  ["leaflet-draw", "dist/leaflet.draw.css", "leaflet-draw/leaflet.draw.css"],
  ["leaflet-draw", "dist/images/", "leaflet-draw/images/"],

  ["leaflet.awesome-markers", "dist/leaflet.awesome-markers.js",
    "leaflet.awesome-markers/leaflet.awesome-markers.js"],
  ["leaflet.awesome-markers", "dist/leaflet.awesome-markers.css",
    "leaflet.awesome-markers/leaflet.awesome-markers.css"],
  ["leaflet.awesome-markers", "dist/images/", "leaflet.awesome-markers/images/"],
  ["leaflet.awesome-markers", "LICENSE", "leaflet.awesome-markers/LICENSE"],

  // The admin's geometry widget (Django's OpenLayersWidget expects this very version).
  ["ol", "dist/ol.js", "ol/ol.js"],
  ["ol", "ol.css", "ol/ol.css"],
  ["ol", "LICENSE.md", "ol/LICENSE.md"],

  // Drag and drop on the workspace's deal board (/crm/deals/board/).
  ["sortablejs", "Sortable.min.js", "sortablejs/Sortable.min.js"],
  ["sortablejs", "LICENSE", "sortablejs/LICENSE"],

  ["jquery", "dist/jquery.min.js", "jquery/jquery.min.js"],
  ["jquery", "LICENSE.txt", "jquery/LICENSE.txt"],

  ["bootstrap", "dist/js/bootstrap.bundle.min.js", "bootstrap/js/bootstrap.bundle.min.js"],
  ["bootstrap", "dist/css/bootstrap.min.css", "bootstrap/css/bootstrap.min.css"],
  // The right-to-left build, for pages in Persian and other RTL languages.
  ["bootstrap", "dist/css/bootstrap.rtl.min.css", "bootstrap/css/bootstrap.rtl.min.css"],
  ["bootstrap", "LICENSE", "bootstrap/LICENSE"],

  ["@fortawesome/fontawesome-free", "css/all.min.css", "fontawesome-free/css/all.min.css"],
  ["@fortawesome/fontawesome-free", "webfonts/", "fontawesome-free/webfonts/"],
  ["@fortawesome/fontawesome-free", "LICENSE.txt", "fontawesome-free/LICENSE.txt"],

  // ES module build (self-contained in idb 8) for the import map, and the UMD build.
  ["idb", "build/index.js", "idb/index.js"],
  ["idb", "build/umd.js", "idb/umd.js"],
  ["idb", "LICENSE", "idb/LICENSE"],

  ["workbox-sw", "build/workbox-sw.js", "workbox/workbox-sw.js"],
  ["workbox-window", "build/workbox-window.prod.mjs", "workbox/workbox-window.prod.mjs"],
  ["workbox-sw", "LICENSE", "workbox/LICENSE"],
  ...[
    "workbox-core",
    "workbox-routing",
    "workbox-strategies",
    "workbox-precaching",
    "workbox-expiration",
    "workbox-cacheable-response",
    "workbox-background-sync",
  ].map((name) => [name, `build/${name}.prod.js`, `workbox/${name}.prod.js`]),
];

const SOURCE_MAP = /[#@] sourceMappingURL=([^\s*]+)/;

// Copy one file; if it names a source map, copy the map beside it when the package ships one,
// and otherwise drop the comment: Django's ManifestStaticFilesStorage rewrites
// sourceMappingURL references and fails collectstatic on a missing file.
function copyFile(src, dest) {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  if (!/\.(m?js|css)$/.test(src)) {
    fs.copyFileSync(src, dest);
    return;
  }
  let text = fs.readFileSync(src, "utf8");
  const match = text.match(SOURCE_MAP);
  if (match && !match[1].startsWith("data:")) {
    const mapSrc = path.join(path.dirname(src), match[1]);
    if (fs.existsSync(mapSrc)) {
      fs.copyFileSync(mapSrc, path.join(path.dirname(dest), path.basename(mapSrc)));
      text = text.replace(match[1], path.basename(mapSrc));
    } else {
      text = text.replace(SOURCE_MAP, "");
    }
  }
  fs.writeFileSync(dest, text);
}

function main() {
  if (!fs.existsSync(modules)) {
    console.error("pwa/node_modules is missing: run `npm ci` in pwa/ first.");
    process.exit(1);
  }
  fs.rmSync(out, { recursive: true, force: true });
  let count = 0;
  const missing = [];
  for (const [pkg, from, to] of FILES) {
    const src = path.join(modules, pkg, from);
    const dest = path.join(out, to);
    if (!fs.existsSync(src)) {
      missing.push(`${pkg}/${from}`);
      continue;
    }
    if (from.endsWith("/")) {
      for (const name of fs.readdirSync(src)) {
        copyFile(path.join(src, name), path.join(dest, name));
        count += 1;
      }
    } else {
      copyFile(src, dest);
      count += 1;
    }
  }
  if (missing.length) {
    // A missing file means a package changed its layout: fail loudly rather than ship a
    // page that silently falls back to nothing.
    console.error(`vendor.mjs: missing in node_modules:\n  ${missing.join("\n  ")}`);
    process.exit(1);
  }
  console.log(`vendor.mjs: copied ${count} files into ${path.relative(here, out)}/`);
}

main();
