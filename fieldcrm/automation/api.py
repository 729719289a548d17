"""/api/v1/automation: rules (and ready templates), their run log; webhooks and their delivery
log with replay. Admins only: other roles see no rows and may change none."""

from ninja import Query, Router, Status
from ninja.pagination import paginate

from fieldcrm.automation import selectors, services
from fieldcrm.automation.presets import PRESETS
from fieldcrm.automation.schemas import (
    RuleFromTemplate,
    RuleIn,
    RuleOut,
    RulePatch,
    RuleRunOut,
    RunFilters,
    TemplateOut,
    WebhookCreated,
    WebhookDeliveryOut,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
)
from fieldcrm.core.api_params import reject_unknown_params
from fieldcrm.core.pagination import Page
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["automation"])


def _rule_data(payload: RuleIn | RulePatch) -> dict:
    data = payload.dict(exclude_unset=True)
    if data.get("actions") is not None:
        data["actions"] = [{k: v for k, v in a.items() if v is not None} for a in data["actions"]]
    return data


@router.get("/automation/templates", response=list[TemplateOut])
def list_rule_templates(request: ApiRequest):
    """Ready rules to start from."""
    return [{"key": p.key, "name": str(p.name), "description": str(p.description),
             "trigger": p.trigger, "trigger_params": p.trigger_params, "conditions": p.conditions,
             "actions": [{k: v if isinstance(v, int | list) else str(v) for k, v in a.items()}
                         for a in p.actions]} for p in PRESETS]  # fmt: skip


@router.get("/automation/rules", response=list[RuleOut])
@paginate(Page)
def list_rules(request: ApiRequest):
    return selectors.rule_list(actor=request.auth)


@router.post("/automation/rules", response={201: RuleOut})
def create_rule(request: ApiRequest, payload: RuleIn):
    return Status(201, services.rule_create(actor=request.auth, data=_rule_data(payload)))


@router.post("/automation/rules/from-template", response={201: RuleOut})
def create_rule_from_template(request: ApiRequest, payload: RuleFromTemplate):
    return Status(201, services.rule_from_preset(actor=request.auth, key=payload.template))


@router.get("/automation/rules/{rule_id}", response=RuleOut)
def get_rule(request: ApiRequest, rule_id: int):
    return selectors.rule_get(actor=request.auth, rule_id=rule_id)


@router.patch("/automation/rules/{rule_id}", response=RuleOut)
def update_rule(request: ApiRequest, rule_id: int, payload: RulePatch):
    return services.rule_update(actor=request.auth, rule_id=rule_id, data=_rule_data(payload))


@router.delete("/automation/rules/{rule_id}", response={204: None})
def delete_rule(request: ApiRequest, rule_id: int):
    services.rule_delete(actor=request.auth, rule_id=rule_id)
    return Status(204, None)


@router.get("/automation/runs", response=list[RuleRunOut])
@paginate(Page)
def list_rule_runs(request: ApiRequest, filters: Query[RunFilters]):
    """Every run, newest first: the rule, the event and record, what it did or why not."""
    reject_unknown_params(request, RunFilters)
    return selectors.rule_runs(actor=request.auth, rule_id=filters.rule_id)


@router.get("/webhooks", response=list[WebhookOut])
@paginate(Page)
def list_webhooks(request: ApiRequest):
    return selectors.webhook_list(actor=request.auth)


@router.post("/webhooks", response={201: WebhookCreated})
def create_webhook(request: ApiRequest, payload: WebhookIn):
    """Subscribe a URL to events; the answer holds the signing secret."""
    return Status(201, services.webhook_create(actor=request.auth, data=payload.dict()))


@router.get("/webhooks/{webhook_id}", response=WebhookCreated)
def get_webhook(request: ApiRequest, webhook_id: int):
    return selectors.webhook_get(actor=request.auth, webhook_id=webhook_id)


@router.patch("/webhooks/{webhook_id}", response=WebhookOut)
def update_webhook(request: ApiRequest, webhook_id: int, payload: WebhookPatch):
    data = payload.dict(exclude_unset=True)
    return services.webhook_update(actor=request.auth, webhook_id=webhook_id, data=data)


@router.delete("/webhooks/{webhook_id}", response={204: None})
def delete_webhook(request: ApiRequest, webhook_id: int):
    services.webhook_delete(actor=request.auth, webhook_id=webhook_id)
    return Status(204, None)


@router.get("/webhooks/{webhook_id}/deliveries", response=list[WebhookDeliveryOut])
@paginate(Page)
def list_webhook_deliveries(request: ApiRequest, webhook_id: int):
    """The delivery log, newest first, every attempt with its answer."""
    return selectors.webhook_deliveries(actor=request.auth, webhook_id=webhook_id)


@router.post("/webhook-deliveries/{delivery_id}/replay", response=WebhookDeliveryOut)
def replay_webhook_delivery(request: ApiRequest, delivery_id: int):
    """Send it again (same body and idempotency key) on the worker's next round."""
    wd = services.webhook_replay(actor=request.auth, delivery_id=delivery_id)
    return selectors.webhook_deliveries(actor=request.auth).get(pk=wd.pk)
