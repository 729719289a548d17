from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "fieldcrm.integrations"
    label = "integrations"

    def ready(self) -> None:
        # A messenger reply is one more channel of the notifications worker (claim, lease,
        # backoff, the same idempotency key on every attempt), not a second delivery mechanism.
        from fieldcrm.integrations import replies
        from fieldcrm.notifications import delivery

        delivery.register_channel(
            replies.CHANNEL, sender=replies.reply_deliver, retry_at=replies.reply_retry_at
        )
