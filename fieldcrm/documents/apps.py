from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "fieldcrm.documents"
    label = "documents"
