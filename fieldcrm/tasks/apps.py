from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "fieldcrm.tasks"
    label = "tasks"
