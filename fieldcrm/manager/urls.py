"""Manager pages (/manager/...)."""

urlpatterns: list = []
