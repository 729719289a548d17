"""/api/v1/search: the command palette's source, for every role within their scope."""

from ninja import Query, Router

from fieldcrm.search import selectors
from fieldcrm.search.schemas import SearchOut, SearchQuery
from fieldcrm.users.auth import ApiRequest

router = Router(tags=["search"])


@router.get("/search", response=SearchOut)
def search_records(request: ApiRequest, query: Query[SearchQuery]):
    """Accounts, contacts and deals of your scope matching ``q`` (accents and a typo forgiven)."""
    hits = selectors.search(actor=request.auth, q=query.q, limit=query.limit)
    return {"items": [{**vars(h), "url": selectors.hit_url(h)} for h in hits]}
