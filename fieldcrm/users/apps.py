from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "fieldcrm.users"
    label = "users"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from fieldcrm.users import signals

        user_login_failed.connect(signals.on_login_failed, dispatch_uid="fieldcrm-throttle")
        user_logged_in.connect(signals.on_logged_in, dispatch_uid="fieldcrm-auth-at")
