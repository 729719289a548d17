"""The workspace's pages (/crm/...)."""

from django.urls import path
from django.views.generic import RedirectView

from fieldcrm.crm import board, listing, merge, order_pages, views

app_name = "crm"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="crm:accounts", permanent=False), name="index"),
    path("accounts/", views.accounts, name="accounts"),
    path("accounts/columns", views.accounts_columns, name="accounts_columns"),
    path("accounts/bulk/preview", listing.bulk_preview, name="bulk_preview"),
    path("accounts/bulk/apply", listing.bulk_apply, name="bulk_apply"),
    path("accounts/bulk/undo", listing.bulk_undo, name="bulk_undo"),
    path("segments/", listing.segment_save, name="segment_save"),
    path("segments/<int:segment_id>/delete", listing.segment_delete, name="segment_delete"),
    path("search/", listing.search_page, name="search"),
    path("accounts/<uuid:account_id>/", views.account, name="account"),
    path("accounts/<uuid:account_id>/log", views.account_log, name="account_log"),
    path("accounts/<uuid:account_id>/tasks", views.account_task, name="account_task"),
    path(
        "accounts/<uuid:account_id>/merge/<uuid:other_id>",
        merge.account_merge_view,
        name="account_merge",
    ),
    path("contacts/<uuid:contact_id>/", views.contact, name="contact"),
    path("contacts/<uuid:contact_id>/log", views.contact_log, name="contact_log"),
    path("contacts/<uuid:contact_id>/tasks", views.contact_task, name="contact_task"),
    path("deals/board/", board.deal_board, name="deal_board"),
    path("deals/<int:deal_id>/move", board.deal_move_view, name="deal_move"),
    path("deals/<int:deal_id>/", views.deal, name="deal"),
    path("deals/<int:deal_id>/log", views.deal_log, name="deal_log"),
    path("deals/<int:deal_id>/tasks", views.deal_task, name="deal_task"),
    path("accounts/<uuid:account_id>/orders/new", order_pages.order_new, name="order_new"),
    path("orders/", order_pages.orders, name="orders"),
    path("orders/<uuid:order_id>/", order_pages.order, name="order"),
    path("orders/<uuid:order_id>/status", order_pages.order_status, name="order_status"),
    path("orders/<uuid:order_id>/lines", order_pages.order_lines, name="order_lines"),
    path("products/", order_pages.products, name="products"),
    path("products/new", order_pages.product_new, name="product_new"),
    path("products/<uuid:product_id>/", order_pages.product, name="product"),
    path("price-lists/", order_pages.price_lists, name="price_lists"),
    path("price-lists/new", order_pages.price_list_new, name="price_list_new"),
    path("price-lists/<uuid:price_list_id>/", order_pages.price_list, name="price_list"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<uuid:task_id>/complete", views.task_complete_view, name="task_complete"),
    path("tasks/<uuid:task_id>/snooze", views.task_snooze_view, name="task_snooze"),
    path("tasks/<uuid:task_id>/reassign", views.task_reassign_view, name="task_reassign"),
]
