"""/api/v1/accounts import (CSV/XLSX, dry run) and export (CSV/XLSX/GeoJSON)."""

from ninja import Router

router = Router(tags=["import-export"])
