"""The workspace's own settings pages (/crm/settings/...); automation's and the documents' are
mounted beside them by their apps."""

from django.urls import path

from fieldcrm.crm import pipeline_pages, settings_pages, webform_pages

app_name = "crm_settings"

urlpatterns = [
    path("", settings_pages.index, name="index"),
    path("fields", settings_pages.custom_fields, name="custom_fields"),
    path("fields/<int:field_id>", settings_pages.custom_field, name="custom_field"),
    path("fields/<int:field_id>/active", settings_pages.custom_field_active,
         name="custom_field_active"),
    path("fields/<int:field_id>/delete", settings_pages.custom_field_delete,
         name="custom_field_delete"),
    path("lost-reasons", settings_pages.lost_reasons, name="lost_reasons"),
    path("lost-reasons/<int:reason_id>", settings_pages.lost_reason, name="lost_reason"),
    path("lost-reasons/order", settings_pages.lost_reason_order, name="lost_reason_order"),
    path("pipelines", pipeline_pages.pipelines, name="pipelines"),
    path("pipelines/<int:pipeline_id>", pipeline_pages.pipeline, name="pipeline"),
    path("pipelines/<int:pipeline_id>/delete", pipeline_pages.pipeline_delete,
         name="pipeline_delete"),
    path("pipelines/<int:pipeline_id>/stages", pipeline_pages.stage_new, name="stage_new"),
    path("pipelines/<int:pipeline_id>/order", pipeline_pages.stage_order, name="stage_order"),
    path("stages/<int:stage_id>", pipeline_pages.stage, name="stage"),
    path("stages/<int:stage_id>/delete", pipeline_pages.stage_delete, name="stage_delete"),
    path("forms", webform_pages.web_forms, name="web_forms"),
    path("forms/<int:form_id>", webform_pages.web_form, name="web_form"),
    path("forms/<int:form_id>/rotate", webform_pages.web_form_rotate, name="web_form_rotate"),
    path("forms/<int:form_id>/delete", webform_pages.web_form_delete, name="web_form_delete"),
]  # fmt: skip
