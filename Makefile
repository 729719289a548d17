# FieldCRM — `make run` serves the demo, `make test` runs everything on SpatiaLite and PostGIS.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
UV := uv==0.13.8
PY := $(VENV)/bin/python
export DJANGO_SETTINGS_MODULE := fieldcrm.settings
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Debian packages the app and its tests need (GDAL/GEOS/PROJ, SpatiaLite, PostGIS, Redis,
# the browser for the phone-app tests, Node for the front-end assets; Pango and fonts with
# Vietnamese and Persian (Noto Sans, Noto Sans Arabic) for the PDF documents, poppler's
# pdftotext/pdftoppm for their tests).
SYSTEM_PACKAGES := gdal-bin libsqlite3-mod-spatialite postgresql-15-postgis-3 redis-server \
	chromium nodejs npm python3-venv gettext tilemaker libpango-1.0-0 libpangoft2-1.0-0 \
	fonts-noto-core poppler-utils

.PHONY: help setup sysdeps venv assets messages tiles geocoder run test lint fmt bench demo fuzz
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

setup: sysdeps venv assets messages tiles geocoder ## Install what is missing: OS packages, .venv, npm assets, map tiles, address index

sysdeps: ## Install missing Debian packages (apt-get; sudo when not root)
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || \
	  { [ $$p = nodejs ] && command -v node >/dev/null; } || \
	  { [ $$p = npm ] && command -v npm >/dev/null; } || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing:$$missing"; sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q $$missing; \
	fi

venv: $(VENV)/.installed ## Create .venv with a Python that can load SpatiaLite

$(VENV)/.installed: requirements.txt .ci/find-python
	@py=$$(.ci/find-python) || exit 1; \
	if [ ! -x $(PY) ] || ! .ci/find-python --check $(PY); then \
	  rm -rf $(VENV); echo "Creating $(VENV) with $$py"; $$py -m venv $(VENV); fi
	@# uv installs the requirements in well under a minute where pip took ~4 min (it fetches
	@# and builds in parallel); pip stays in .venv for anything installed by hand.
	$(PY) -m pip install -q $(UV)
	$(VENV)/bin/uv pip install -q --python $(PY) -r requirements.txt
	touch $@

assets: pwa/static/vendor/.installed pwa/static/bundle/app.js ## npm packages to pwa/static/vendor; the phone app's bundle

pwa/static/vendor/.installed: pwa/package.json pwa/package-lock.json pwa/vendor.mjs
	cd pwa && npm ci --no-audit --no-fund --loglevel=error && node vendor.mjs
	touch $@

pwa/static/bundle/app.js: pwa/static/vendor/.installed $(shell find pwa/static/pwa/js -name '*.js')
	cd pwa && npm run --silent build -- --log-level=warning

messages: fieldcrm/locale/.compiled ## Compile the translation catalogs (vi, fa)

fieldcrm/locale/.compiled: $(wildcard fieldcrm/locale/*/LC_MESSAGES/*.po) | venv
	cd fieldcrm && ../$(PY) ../manage.py compilemessages -v0
	touch $@

# The demo regions' vector tiles (about 30 s on a busy 2-core machine); rebuilt only when an
# extract or the tile schema changes. Your own regions: manage.py build_tiles PATH.osm.pbf.
OSM_EXTRACTS := fieldcrm/data/osm/andorra.osm.pbf fieldcrm/data/osm/helsinki_centre.osm.pbf
tiles: var/tiles.mbtiles ## Vector map tiles of the demo regions (tilemaker), served by the app

var/tiles.mbtiles: $(OSM_EXTRACTS) $(wildcard fieldcrm/tiles/tilemaker/*) fieldcrm/tiles/build.py | venv
	$(PY) manage.py build_tiles $(OSM_EXTRACTS) --output $@

# The embedded geocoder's address index of the demo regions (a few seconds), from the same
# extracts. Your own regions: manage.py build_geocoder PATH.osm.pbf.
geocoder: var/geocoder.sqlite ## The address index of the embedded geocoder (pyosmium), from the same extracts

var/geocoder.sqlite: $(OSM_EXTRACTS) fieldcrm/geocoding/index.py | venv
	$(PY) manage.py build_geocoder $(OSM_EXTRACTS) --output $@

run: setup ## Serve the app with the demo data on http://127.0.0.1:8000 (with its worker and mail receiver)
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py load_demo
	@# The scheduler and delivery worker, and the dropbox's mail receiver (SMTP on
	@# 127.0.0.1:2525), run beside the server and stop with it.
	$(PY) manage.py run_worker & worker=$$!; $(PY) manage.py receive_mail & mail=$$!; \
	  trap 'kill $$worker $$mail 2>/dev/null' EXIT; \
	  $(PY) manage.py runserver 127.0.0.1:8000

demo: setup ## Load the demo data set (once) into the configured database
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py load_demo

test: setup ## Lint and type checks, then the whole suite on SpatiaLite and on a throwaway PostGIS
	@$(MAKE) --no-print-directory lint
	$(PY) tests/suites.py

fuzz: setup ## Random schemathesis cases (200 per operation) on both databases; failures with curl
	FIELDCRM_FUZZ=1 FIELDCRM_SCHEMATHESIS_EXAMPLES=$${FIELDCRM_SCHEMATHESIS_EXAMPLES:-200} \
	  $(PY) tests/suites.py tests/api/test_schemathesis.py -q

lint: venv pwa/static/vendor/.installed ## ruff, import contracts, mypy (fieldcrm; routing, maps strict), ESLint (pwa)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	cd pwa && npx --no-install eslint .

fmt: venv ## Format the code
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup ## Run the benchmarks under bench/ (smoke sizes; see README for full sizes)
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b --smoke || exit 1; done
