from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    name = "fieldcrm.attachments"
    label = "attachments"
