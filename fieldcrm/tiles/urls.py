from django.urls import path

from fieldcrm.tiles.views import tile, tile_bundle

urlpatterns = [
    path("<int:z>/<int:x>/<int:y>.mvt", tile, name="tile"),
    path("bundle", tile_bundle, name="tile_bundle"),
]
