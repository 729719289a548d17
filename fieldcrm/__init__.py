"""FieldCRM: the Django project and the CRM core."""
