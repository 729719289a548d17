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
