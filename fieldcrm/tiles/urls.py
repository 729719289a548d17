from django.urls import path

from fieldcrm.tiles.views import tile

urlpatterns = [
    path("<int:z>/<int:x>/<int:y>.mvt", tile, name="tile"),
]
