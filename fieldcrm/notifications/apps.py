from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "fieldcrm.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Push is a channel like the webhooks: the shared claim, lease and backoff.
        from fieldcrm.notifications import delivery, push

        delivery.register_channel("push", sender=push.send_push, retry_at=delivery.default_retry_at)
