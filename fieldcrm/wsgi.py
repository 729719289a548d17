"""WSGI entry point (gunicorn fieldcrm.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")
application = get_wsgi_application()
