"""/api/v1/tasks: a rep's to-dos — mine, due today, overdue; complete."""

import uuid

from ninja import Query, Router, Status
from ninja.pagination import paginate

from fieldcrm.core.api_params import reject_unknown_params
from fieldcrm.core.pagination import Page
from fieldcrm.tasks import selectors, services
from fieldcrm.tasks.schemas import TaskFilters, TaskIn, TaskOut, TaskPatch
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["tasks"])


@router.get("/tasks", response=list[TaskOut])
@paginate(Page)
def list_tasks(request: ApiRequest, filters: Query[TaskFilters]):
    """Tasks in your scope; ``due_today`` uses your region's time zone."""
    reject_unknown_params(request, TaskFilters)
    return selectors.task_list(actor=request.auth, filters=filters)


@router.post("/tasks", response={201: TaskOut})
def create_task(request: ApiRequest, payload: TaskIn):
    return Status(201, services.task_create(actor=request.auth, data=payload.dict()))


@router.get("/tasks/{task_id}", response=TaskOut)
def get_task(request: ApiRequest, task_id: uuid.UUID):
    return selectors.task_get(actor=request.auth, task_id=task_id)


@router.patch("/tasks/{task_id}", response=TaskOut)
def update_task(request: ApiRequest, task_id: uuid.UUID, payload: TaskPatch):
    return services.task_update(
        actor=request.auth, task_id=task_id, data=payload.dict(exclude_unset=True)
    )


@router.post("/tasks/{task_id}/complete", response=TaskOut)
def complete_task(request: ApiRequest, task_id: uuid.UUID):
    """Mark the task done; idempotent."""
    return services.task_complete(actor=request.auth, task_id=task_id)
