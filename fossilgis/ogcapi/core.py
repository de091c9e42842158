"""The OGC API – Features endpoints as plain functions: parameters in, status/headers/body out."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from fossilgis.ogcapi import html
from fossilgis.ogcapi.openapi import GEOJSON, HTML, JSON, OPENAPI_MEDIA, build_openapi
from fossilgis.ogcapi.params import (
    ParameterError,
    parse_bbox,
    parse_datetime,
    parse_format,
    parse_limit,
    parse_offset,
)
from fossilgis.ogcapi.providers import Provider, default_providers

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
TITLE = "fossilgis OGC API – Features"
#: the parameters of every items request besides the collection's property filters
ITEMS_PARAMS = ("f", "bbox", "limit", "offset", "datetime")
_HTML_TYPE = "text/html; charset=utf-8"


@dataclass
class Response:
    """What an endpoint answers; the web framework only copies it out.

    Attributes
    ----------
    status : int
        HTTP status code.
    headers : dict[str, str]
        Response headers, ``Content-Type`` always among them.
    body : str or bytes
        The JSON or HTML text.
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str | bytes = ""

    def json(self):
        """The body parsed as JSON (for tests and callers in Python)."""
        return json.loads(self.body)


def _dumps(doc) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


class _NotFound(Exception):
    pass


class OGCAPI:
    """The API over one store, answering requests made to ``base_url``.

    Parameters
    ----------
    store : fossilgis.store.Store or None
        Where the collections come from when ``providers`` is not given.
    base_url : str
        Absolute URL of the landing page (e.g. ``http://127.0.0.1:5000/ogcapi``); every
        link in the answers starts with it.
    providers : Mapping[str, Provider], optional
        The collections by id; default :func:`~fossilgis.ogcapi.providers.default_providers`.
        A server keeps its providers (the layers' in-memory indexes) and makes a cheap
        ``OGCAPI`` per request with the request's base URL.
    version : str
        Version shown in the OpenAPI document.

    Every endpoint takes the query parameters and the ``Accept`` header, chooses JSON or
    HTML (``f`` first, then ``Accept``), and answers a :class:`Response`; errors are
    ``{"code": ..., "description": ...}`` with status 400 or 404 (or an HTML page).
    """

    def __init__(
        self,
        store=None,
        base_url: str = "http://localhost/ogcapi",
        providers: Mapping[str, Provider] | None = None,
        *,
        version: str = "1.0",
    ):
        if providers is None:
            if store is None:
                raise ValueError("OGCAPI needs a store or a mapping of providers")
            providers = default_providers(store)
        self.providers = dict(providers)
        self.base_url = base_url.rstrip("/")
        self.version = version

    # -- plumbing ---------------------------------------------------------------------
    def _url(self, path: str, **query) -> str:
        qs = urlencode({k: v for k, v in query.items() if v is not None}, safe=",/:")
        return f"{self.base_url}{path}" + (f"?{qs}" if qs else "")

    def _link(self, path: str, rel: str, media: str, title: str | None = None, **query) -> dict:
        link = {"href": self._url(path, **query), "rel": rel, "type": media}
        if title:
            link["title"] = title
        return link

    def _self_links(self, path: str, fmt: str, media: str, title: str) -> list[dict]:
        """``self`` for the format answered and ``alternate`` for the other one."""
        other = "html" if fmt == "json" else "json"
        types = {"json": media, "html": HTML}
        return [
            self._link(path, "self", types[fmt], f"this document ({fmt})", f=fmt),
            self._link(path, "alternate", types[other], f"{title} as {other}", f=other),
        ]

    def error(self, status: int, code: str, description: str, fmt: str = "json") -> Response:
        if fmt == "html":
            body = html.error(status, code, description, self.base_url)
            return Response(status, {"Content-Type": _HTML_TYPE}, body)
        return Response(
            status, {"Content-Type": JSON}, _dumps({"code": code, "description": description})
        )

    def _answer(self, fmt: str, doc: dict, media: str, render, *, staff: bool = False):
        headers = {"Vary": "Accept, Authorization"}
        if staff:  # precise geometry or personal data: never in a shared cache
            headers["Cache-Control"] = "private, no-store"
        if fmt == "html":
            headers["Content-Type"] = _HTML_TYPE
            return Response(200, headers, render(doc))
        headers["Content-Type"] = media
        return Response(200, headers, _dumps(doc))

    def _provider(self, cid: str) -> Provider:
        provider = self.providers.get(cid)
        if provider is None:
            raise _NotFound(
                f"no collection {cid!r}; the collections are: {', '.join(self.providers)} "
                f"(see {self.base_url}/collections)"
            )
        return provider

    def _run(self, params: Mapping[str, str] | None, accept: str, build) -> Response:
        """Negotiate the format, call ``build(params, fmt)`` and turn errors into answers."""
        params = params or {}
        try:
            fmt = parse_format(params, accept)
        except ParameterError as exc:
            return self.error(400, exc.code, str(exc))
        try:
            return build(params, fmt)
        except ParameterError as exc:
            return self.error(400, exc.code, str(exc), fmt)
        except _NotFound as exc:
            return self.error(404, "NotFound", str(exc), fmt)

    # -- endpoints --------------------------------------------------------------------
    def landing(self, params: Mapping[str, str] | None = None, accept: str = "") -> Response:
        """``/``: title, description and links to the API definition, conformance, data."""

        def build(params, fmt):
            doc = {
                "title": TITLE,
                "description": "Fossil sites, stratigraphic sections and patrols of Guizhou "
                "province (贵州省古生物化石保护). Coordinates in CRS84.",
                "links": [
                    *self._self_links("", fmt, JSON, "landing page"),
                    self._link(
                        "/api",
                        "service-desc",
                        OPENAPI_MEDIA,
                        "API definition (OpenAPI 3.0)",
                        f="json",
                    ),
                    self._link("/api", "service-doc", HTML, "API documentation", f="html"),
                    self._link(
                        "/conformance", "conformance", JSON, "conformance classes", f="json"
                    ),
                    self._link("/collections", "data", JSON, "the feature collections", f="json"),
                ],
            }
            return self._answer(fmt, doc, JSON, lambda d: html.landing(d, self.base_url))

        return self._run(params, accept, build)

    def conformance(self, params: Mapping[str, str] | None = None, accept: str = "") -> Response:
        """``/conformance``: Core, GeoJSON, HTML and OpenAPI 3.0."""

        def build(params, fmt):
            doc = {"conformsTo": CONFORMANCE}
            return self._answer(fmt, doc, JSON, lambda d: html.conformance(d, self.base_url))

        return self._run(params, accept, build)

    def openapi_document(self) -> dict:
        """The OpenAPI 3.0 document as a dict."""
        return build_openapi(self.base_url, self.providers, title=TITLE, version=self.version)

    def openapi(self, params: Mapping[str, str] | None = None, accept: str = "") -> Response:
        """``/api``: the OpenAPI 3.0 document (JSON) or its HTML summary."""

        def build(params, fmt):
            return self._answer(
                fmt, self.openapi_document(), OPENAPI_MEDIA, lambda d: html.api(d, self.base_url)
            )

        return self._run(params, accept, build)

    def _collection_doc(self, provider: Provider) -> dict:
        path = f"/collections/{provider.cid}"
        extent = provider.extent(staff=False)
        doc = {
            "id": provider.cid,
            "title": provider.title,
            "description": provider.description,
            "itemType": "feature",
            "crs": [CRS84],
            "extent": {"spatial": {"bbox": [extent["bbox"] or [-180, -90, 180, 90]], "crs": CRS84}},
            "links": [
                *self._self_links(path, "json", JSON, provider.title),
                self._link(f"{path}/items", "items", GEOJSON, "features (GeoJSON)", f="json"),
                self._link(f"{path}/items", "items", HTML, "features (HTML)", f="html"),
            ],
        }
        if provider.time_fields:
            doc["extent"]["temporal"] = {
                "interval": [extent["interval"] or [None, None]],
                "trs": GREGORIAN,
            }
        return doc

    def collections(self, params: Mapping[str, str] | None = None, accept: str = "") -> Response:
        """``/collections``: every collection with its extent and links."""

        def build(params, fmt):
            docs = [self._collection_doc(p) for p in self.providers.values()]
            doc = {
                "links": self._self_links("/collections", fmt, JSON, "collections"),
                "collections": docs,
            }
            return self._answer(fmt, doc, JSON, lambda d: html.collections(d, self.base_url))

        return self._run(params, accept, build)

    def collection(
        self, cid: str, params: Mapping[str, str] | None = None, accept: str = ""
    ) -> Response:
        """``/collections/{cid}``: one collection's metadata."""

        def build(params, fmt):
            doc = self._collection_doc(self._provider(cid))
            doc["links"][:2] = self._self_links(f"/collections/{cid}", fmt, JSON, cid)
            return self._answer(fmt, doc, JSON, lambda d: html.collection(d, self.base_url))

        return self._run(params, accept, build)

    def items(
        self,
        cid: str,
        params: Mapping[str, str] | None = None,
        *,
        staff: bool,
        accept: str = "",
    ) -> Response:
        """``/collections/{cid}/items``: one page of features matching the query.

        Parameters
        ----------
        cid : str
            Collection id.
        params : Mapping[str, str]
            ``f``, ``bbox``, ``limit``, ``offset``, ``datetime`` and equality filters on
            the properties this caller sees; anything else is answered with 400.
        staff : bool
            True for callers with a valid bearer token: precise data, personal fields.
        accept : str
            The ``Accept`` header.
        """

        def build(params, fmt):
            provider = self._provider(cid)
            visible = provider.visible_fields(staff=staff)
            filterable = {f.name for f in visible if f.filterable}
            private = {
                f.name: f.why for f in provider.fields if f.private and f.name not in filterable
            }
            for name in params:
                if name in ITEMS_PARAMS or name in filterable:
                    continue
                if name in private:
                    raise ParameterError(
                        f"{name} is {private[name]}: filtering on it needs a staff bearer token"
                    )
                raise ParameterError(
                    f"unknown parameter {name!r} for {cid}; use {', '.join(ITEMS_PARAMS)} or "
                    f"a property filter: {', '.join(sorted(filterable))}"
                )
            limit = parse_limit(params.get("limit"))
            offset = parse_offset(params.get("offset"))
            features, matched = provider.query(
                bbox=parse_bbox(params.get("bbox")),
                limit=limit,
                offset=offset,
                datetime=parse_datetime(params.get("datetime")),
                filters={k: v for k, v in params.items() if k in filterable},
                staff=staff,
            )
            doc = {
                "type": "FeatureCollection",
                "features": features,
                "links": self._items_links(cid, params, fmt, offset, limit, len(features), matched),
                "timeStamp": dt.datetime.now(dt.timezone.utc)
                .isoformat(timespec="seconds")
                .replace("+00:00", "Z"),
                "numberMatched": matched,
                "numberReturned": len(features),
            }
            names = [f.name for f in visible]
            return self._answer(
                fmt, doc, GEOJSON, lambda d: html.items(d, self.base_url, cid, names), staff=staff
            )

        return self._run(params, accept, build)

    def _items_links(self, cid, params, fmt, offset, limit, returned, matched) -> list[dict]:
        path = f"/collections/{cid}/items"
        kept = {k: v for k, v in params.items() if k not in ("f", "offset")}
        types = {"json": GEOJSON, "html": HTML}
        other = "html" if fmt == "json" else "json"

        def link(rel: str, page_fmt: str, page_offset: int, title: str) -> dict:
            query = {**kept, "offset": page_offset or None, "f": page_fmt}
            return self._link(path, rel, types[page_fmt], title, **query)

        links = [
            link("self", fmt, offset, "this page"),
            link("alternate", other, offset, f"this page as {other}"),
        ]
        if offset + returned < matched:
            links.append(link("next", fmt, offset + limit, "next page"))
            links.append(link("next", other, offset + limit, f"next page as {other}"))
        if offset > 0:
            prev = max(0, offset - limit)
            links.append(link("prev", fmt, prev, "previous page"))
            links.append(link("prev", other, prev, f"previous page as {other}"))
        links.append(
            self._link(f"/collections/{cid}", "collection", JSON, "the collection", f="json")
        )
        return links

    def item(
        self,
        cid: str,
        fid: str,
        params: Mapping[str, str] | None = None,
        *,
        staff: bool,
        accept: str = "",
    ) -> Response:
        """``/collections/{cid}/items/{fid}``: one feature; 404 for an unknown id."""

        def build(params, fmt):
            provider = self._provider(cid)
            unknown = [name for name in params if name != "f"]
            if unknown:
                raise ParameterError(
                    f"unknown parameter {unknown[0]!r}: a single feature takes only f"
                )
            feature = provider.get(fid, staff=staff)
            if feature is None:
                raise _NotFound(
                    f"{cid} has no feature with id {fid!r}; list them at "
                    f"{self.base_url}/collections/{cid}/items"
                )
            path = f"/collections/{cid}/items/{quote(fid, safe='')}"
            feature["links"] = [
                *self._self_links(path, fmt, GEOJSON, fid),
                self._link(f"/collections/{cid}", "collection", JSON, "the collection", f="json"),
            ]
            return self._answer(
                fmt, feature, GEOJSON, lambda d: html.item(d, self.base_url, cid), staff=staff
            )

        return self._run(params, accept, build)
