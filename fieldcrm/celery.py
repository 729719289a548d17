"""Celery app: used only where FIELDCRM_CELERY_BROKER_URL is set; inline otherwise."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldcrm.settings")
app = Celery("fieldcrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
