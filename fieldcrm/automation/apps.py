from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "fieldcrm.automation"
    label = "automation"

    def ready(self) -> None:
        # Webhooks are one more channel of the notifications worker (claim, lease, backoff),
        # not a second delivery mechanism: register their sender and retry schedule there.
        from fieldcrm.automation import webhooks
        from fieldcrm.notifications import delivery

        delivery.register_channel(
            "webhook", sender=webhooks.webhook_send, retry_at=webhooks.webhook_retry_at
        )
        from fieldcrm.automation import engine
        from fieldcrm.notifications import worker

        worker.register_step(engine.events_process)
