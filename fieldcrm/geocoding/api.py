"""/api/v1/geocoding: the phone's offline address indexes, one per territory in your scope."""

from ninja import Router

from fieldcrm.core.api_params import reject_unknown_params
from fieldcrm.geocoding import selectors
from fieldcrm.geocoding.schemas import AddressIndexListOut, AddressIndexOut
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["geocoding"])


@router.get("/geocoding/address-indexes", response=AddressIndexListOut)
def list_address_indexes(request: ApiRequest):
    """The territories whose address index a phone keeps, with their versions."""
    reject_unknown_params(request, extra=())
    return {"items": selectors.address_index_list(actor=request.auth)}


@router.get("/geocoding/address-indexes/{territory_id}", response=AddressIndexOut)
def get_address_index(request: ApiRequest, territory_id: int):
    """One territory's addresses and streets, for naming a GPS position with no signal."""
    reject_unknown_params(request, extra=())
    return selectors.address_index_get(actor=request.auth, territory_id=territory_id)
