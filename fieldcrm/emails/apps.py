from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "fieldcrm.emails"
    label = "emails"

    def ready(self) -> None:
        # A contact's e-mail is one more channel of the notifications worker (claim, lease,
        # backoff, the same Message-ID on every attempt), not a second delivery mechanism; and
        # the suppression list guards the notification e-mails too, without that app knowing it.
        from fieldcrm.emails import sending
        from fieldcrm.notifications import delivery, email

        delivery.register_channel(
            sending.CHANNEL, sender=sending.email_deliver, retry_at=sending.email_retry_at
        )
        email.register_suppression_check(sending.suppression_reason)
