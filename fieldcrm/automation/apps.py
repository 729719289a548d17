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
        from fieldcrm.automation import engine, schedule
        from fieldcrm.notifications import worker

        # The scan first: the moments it finds are processed in the same round.
        worker.register_step(schedule.time_events_scan)
        worker.register_step(engine.events_process)
