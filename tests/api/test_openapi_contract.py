"""The OpenAPI schema names each enum after its model's choices and lists exactly those values.

Regression: Account, Visit, RoutePlan and PlanJob each had an inner ``Status`` class; the schema
emitted one component ``Status`` (draft/published/archived), so "prospect" appeared nowhere.
"""

from django.apps import apps
from django.db.models import Choices

from fieldcrm.api import api


def _choices_classes() -> dict[str, list[type[Choices]]]:
    found: dict[str, list[type[Choices]]] = {}
    for model in apps.get_models():
        for value in vars(model).values():
            if isinstance(value, type) and issubclass(value, Choices):
                classes = found.setdefault(value.__qualname__, [])
                if value not in classes:
                    classes.append(value)
    return found


def test_every_choices_class_has_a_name_of_its_own():
    shared = {name: c for name, c in _choices_classes().items() if len(c) > 1}
    assert not shared, shared


def test_every_enum_in_the_schema_equals_its_models_choices():
    classes = _choices_classes()
    components = api.get_openapi_schema()["components"]["schemas"]
    enums = {name: c["enum"] for name, c in components.items() if "enum" in c}
    assert {"AccountStatus", "VisitStatus", "RoutePlanStatus", "PlanJobStatus"} <= set(enums)
    for name, values in enums.items():
        assert name in classes, f"{name} is not a model's choices"
        assert values == [str(v) for v in classes[name][0].values], name


def test_the_balance_operations_state_their_parameters_and_answers():
    from fieldcrm.territories.balancing import METHODS

    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]
    propose = schema["paths"]["/api/v1/regions/{region_id}/balance"]["post"]
    apply = schema["paths"]["/api/v1/regions/{region_id}/balance/apply"]["post"]
    assert propose["operationId"] == "propose_region_balance"
    assert apply["operationId"] == "apply_region_balance"

    def body(op):
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return components[ref.rsplit("/", 1)[-1]]

    def answer(op):
        ok = op["responses"].get(200) or op["responses"]["200"]
        ref = ok["content"]["application/json"]["schema"]["$ref"]
        return components[ref.rsplit("/", 1)[-1]]

    params = body(propose)
    assert params["properties"]["method"]["enum"] == list(METHODS)
    assert params["properties"]["tolerance"]["maximum"] == 0.5
    assert params.get("additionalProperties") is False
    assert {"proposal_token", "moves", "rows", "boundaries", "ratio_after"} <= set(
        answer(propose)["properties"]
    )
    assert body(apply)["required"] == ["proposal_token"]
    assert set(answer(apply)["properties"]) == {"region_id", "moved"}


def test_the_board_states_its_filters_and_its_forecast():
    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]
    board = schema["paths"]["/api/v1/pipelines/{pipeline_id}/board"]["get"]
    params = {p["name"]: p for p in board["parameters"] if p["in"] == "query"}
    assert set(params) == {"owner_id", "region_id", "close_month"}
    assert {"forecast", "stages", "totals"} <= set(components["BoardWithForecastOut"]["properties"])
    row = components["ForecastRowOut"]["properties"]
    assert {"currency", "count", "amount", "weighted", "won", "won_count"} == set(row)
