# The web app and the worker share this image (docker-compose.yml picks the command).
FROM debian:bookworm-slim
ENV PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=fieldcrm.settings PATH=/app/.venv/bin:$PATH
# postgresql-client-15: pg_dump / pg_restore for backups, at the PostGIS server's major version.
# Pango and the Noto fonts: WeasyPrint's PDF documents (Vietnamese diacritics, Persian).
RUN apt-get update && apt-get install -y --no-install-recommends \
      python3 python3-venv gdal-bin libsqlite3-mod-spatialite libpq5 nodejs npm \
      postgresql-client-15 libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN python3 -m venv .venv && .venv/bin/pip install --no-cache-dir -r requirements.txt
COPY pwa/package.json pwa/package-lock.json pwa/vendor.mjs pwa/
RUN cd pwa && npm ci --no-audit --no-fund && node vendor.mjs
COPY . .
# The phone app's bundle needs the sources; node_modules goes once it is built.
RUN cd pwa && npm run --silent build && rm -rf node_modules
RUN FIELDCRM_SECRET_KEY=build python manage.py collectstatic --no-input -v0
EXPOSE 8000
USER nobody
