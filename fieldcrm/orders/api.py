"""/api/v1/products, /price-lists, /orders: the catalogue, and orders and quotes with lines."""

import uuid

from django.http import HttpResponse
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from fieldcrm.accounts.api_io import IMPORT_RESPONSES
from fieldcrm.accounts.exports import Export
from fieldcrm.core.api_params import reject_unknown_params
from fieldcrm.core.pagination import Page
from fieldcrm.orders import selectors, services, spreadsheets
from fieldcrm.orders.schemas import (
    OrderFilters,
    OrderIn,
    OrderLinesIn,
    OrderOut,
    OrderPatch,
    OrderStatusIn,
    OrderSummaryOut,
    PriceListIn,
    PriceListOut,
    PriceListPatch,
    ProductFilters,
    ProductIn,
    ProductOut,
    ProductPatch,
)
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["orders"])


@router.post("/products/import", response=IMPORT_RESPONSES)
def import_products(
    request: ApiRequest, file: File[UploadedFile], dry_run: bool = False, partial: bool = False
):
    """Upload products as CSV (UTF-8) or XLSX (columns sku, name, unit, tax_rate, is_active;
    rows upsert on sku); managers and admins. The same dry-run report as the accounts import."""
    report = spreadsheets.product_import_upload(
        actor=request.auth, upload=file, dry_run=dry_run, partial=partial
    )
    return Status(report.status_code, report)


def _download(export: Export) -> HttpResponse:
    content = export.content if isinstance(export.content, bytes) else b"".join(export.content)
    response = HttpResponse(content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@router.get("/products/export.csv")
def export_products_csv(request: ApiRequest):
    """Every product in the importer's columns."""
    reject_unknown_params(request, extra=())
    return _download(spreadsheets.product_export(actor=request.auth, fmt="csv"))


@router.get("/products/export.xlsx")
def export_products_xlsx(request: ApiRequest):
    reject_unknown_params(request, extra=())
    return _download(spreadsheets.product_export(actor=request.auth, fmt="xlsx"))


@router.get("/products", response=list[ProductOut])
@paginate(Page)
def list_products(request: ApiRequest, filters: Query[ProductFilters]):
    """The catalogue, by SKU."""
    reject_unknown_params(request, ProductFilters)
    return selectors.product_list(actor=request.auth, filters=filters)


@router.post("/products", response={201: ProductOut})
def create_product(request: ApiRequest, payload: ProductIn):
    """Managers and admins; the SKU is unique."""
    return Status(201, services.product_create(actor=request.auth, data=payload.dict()))


@router.get("/products/{product_id}", response=ProductOut)
def get_product(request: ApiRequest, product_id: uuid.UUID):
    return selectors.product_get(actor=request.auth, product_id=product_id)


@router.patch("/products/{product_id}", response=ProductOut)
def update_product(request: ApiRequest, product_id: uuid.UUID, payload: ProductPatch):
    return services.product_update(
        actor=request.auth, product_id=product_id, data=payload.dict(exclude_unset=True)
    )


@router.get("/price-lists", response=list[PriceListOut])
@paginate(Page)
def list_price_lists(request: ApiRequest):
    return selectors.price_list_list(actor=request.auth)


@router.post("/price-lists", response={201: PriceListOut})
def create_price_list(request: ApiRequest, payload: PriceListIn):
    """A price list in one currency, with its items and assignments (managers, admins)."""
    price_list = services.price_list_create(actor=request.auth, data=payload.dict())
    return Status(201, selectors.price_list_get(actor=request.auth, price_list_id=price_list.pk))


@router.get("/price-lists/{price_list_id}", response=PriceListOut)
def get_price_list(request: ApiRequest, price_list_id: uuid.UUID):
    return selectors.price_list_get(actor=request.auth, price_list_id=price_list_id)


@router.patch("/price-lists/{price_list_id}", response=PriceListOut)
def update_price_list(request: ApiRequest, price_list_id: uuid.UUID, payload: PriceListPatch):
    """``items``, ``account_ids`` and ``territory_ids`` replace the current ones when sent."""
    data = payload.dict(exclude_unset=True)
    price_list = services.price_list_update(
        actor=request.auth, price_list_id=price_list_id, data=data
    )
    return selectors.price_list_get(actor=request.auth, price_list_id=price_list.pk)


@router.get("/orders", response=list[OrderSummaryOut])
@paginate(Page)
def list_orders(request: ApiRequest, filters: Query[OrderFilters]):
    """Orders and quotes of accounts in your scope, newest first."""
    reject_unknown_params(request, OrderFilters)
    return selectors.order_list(actor=request.auth, filters=filters)


@router.post("/orders", response={201: OrderOut})
def create_order(request: ApiRequest, payload: OrderIn):
    """An order or a quote, numbered per kind and year; line prices default from the
    account's price list (the account's own, else its territory's)."""
    order = services.order_create(actor=request.auth, data=payload.dict())
    return Status(201, selectors.order_detail(order=order))


@router.get("/orders/{order_id}", response=OrderOut)
def get_order(request: ApiRequest, order_id: uuid.UUID):
    return selectors.order_get(actor=request.auth, order_id=order_id)


@router.patch("/orders/{order_id}", response=OrderOut)
def update_order(request: ApiRequest, order_id: uuid.UUID, payload: OrderPatch):
    """Notes and the deal; ``lines`` replaces a draft's lines (refused once it left draft)."""
    data = payload.dict(exclude_unset=True)
    order = services.order_update(actor=request.auth, order_id=order_id, data=data)
    return selectors.order_detail(order=order)


@router.post("/orders/{order_id}/lines", response=OrderOut)
def add_order_lines(request: ApiRequest, order_id: uuid.UUID, payload: OrderLinesIn):
    """Append lines: to a draft, or to a confirmed order (append-only)."""
    lines = payload.dict()["lines"]
    order = services.order_add_lines(actor=request.auth, order_id=order_id, lines=lines)
    return selectors.order_detail(order=order)


@router.post("/orders/{order_id}/status", response=OrderOut)
def set_order_status(request: ApiRequest, order_id: uuid.UUID, payload: OrderStatusIn):
    """Quote: draft → sent → accepted | declined; order: draft → confirmed → delivered |
    cancelled. Accepting a quote sets its deal's amount and currency."""
    order = services.order_set_status(actor=request.auth, order_id=order_id, status=payload.status)
    return selectors.order_detail(order=order)
