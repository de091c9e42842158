"""The OpenAPI 3.0 document of the OGC API, generated from the providers' property schemas.

Over 400 lines because most of it is the document itself (paths, parameters, responses as
literal dicts); splitting it would scatter one document over several files.
"""

from __future__ import annotations

from collections.abc import Mapping

from fossilgis.ogcapi.params import DEFAULT_LIMIT, MAX_LIMIT
from fossilgis.ogcapi.providers import Field, Provider

OPENAPI_MEDIA = "application/vnd.oai.openapi+json;version=3.0"
GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"

_TYPE_SCHEMAS = {
    "str": {"type": "string"},
    "float": {"type": "number"},
    "int": {"type": "integer"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
}

_LINK = {
    "type": "object",
    "required": ["href", "rel"],
    "properties": {
        "href": {"type": "string"},
        "rel": {"type": "string"},
        "type": {"type": "string"},
        "title": {"type": "string"},
        "hreflang": {"type": "string"},
    },
}
_LINKS = {"type": "array", "items": {"$ref": "#/components/schemas/link"}}
_GEOMETRY = {
    "type": "object",
    "nullable": True,
    "required": ["type"],
    "properties": {
        "type": {
            "type": "string",
            "enum": [
                "Point",
                "MultiPoint",
                "LineString",
                "MultiLineString",
                "Polygon",
                "MultiPolygon",
                "GeometryCollection",
            ],
        },
        "coordinates": {"type": "array"},
    },
}
_EXTENT = {
    "type": "object",
    "properties": {
        "spatial": {
            "type": "object",
            "properties": {
                "bbox": {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "minItems": 4,
                        "maxItems": 6,
                        "items": {"type": "number"},
                    },
                },
                "crs": {"type": "string"},
            },
        },
        "temporal": {
            "type": "object",
            "properties": {
                "interval": {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "minItems": 2,
                        "maxItems": 2,
                        "items": {"type": "string", "nullable": True},
                    },
                },
                "trs": {"type": "string"},
            },
        },
    },
}
_COLLECTION = {
    "type": "object",
    "required": ["id", "links"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "links": _LINKS,
        "extent": {"$ref": "#/components/schemas/extent"},
        "itemType": {"type": "string"},
        "crs": {"type": "array", "items": {"type": "string"}},
    },
}
_PARAMETERS = {
    "f": {
        "name": "f",
        "in": "query",
        "required": False,
        "description": "Response format; without it the Accept header decides (JSON by default).",
        "schema": {"type": "string", "enum": ["json", "html"]},
    },
    "bbox": {
        "name": "bbox",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "description": "minLon,minLat,maxLon,maxLat in CRS84 degrees (6 numbers with heights).",
        "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "description": f"Page size; larger values are served as {MAX_LIMIT}.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    },
    "offset": {
        "name": "offset",
        "in": "query",
        "required": False,
        "description": "Matching features to skip; the next and prev links set it.",
        "schema": {"type": "integer", "minimum": 0, "default": 0},
    },
    "datetime": {
        "name": "datetime",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "description": "RFC 3339 instant or interval (start/end, '..' for an open end); "
        "filters collections that have a time property, is ignored by others.",
        "schema": {"type": "string"},
    },
    "featureId": {
        "name": "featureId",
        "in": "path",
        "required": True,
        "description": "The id of a feature.",
        "schema": {"type": "string"},
    },
}
_RESPONSES = {
    "400": {
        "description": "A query parameter is unknown or invalid.",
        "content": {
            JSON: {"schema": {"$ref": "#/components/schemas/exception"}},
            HTML: {"schema": {"type": "string"}},
        },
    },
    "404": {
        "description": "No such collection or feature.",
        "content": {
            JSON: {"schema": {"$ref": "#/components/schemas/exception"}},
            HTML: {"schema": {"type": "string"}},
        },
    },
}


def property_schema(field: Field) -> dict:
    """The JSON schema of one feature property."""
    schema = dict(_TYPE_SCHEMAS[field.type])
    if not field.required:
        schema["nullable"] = True
    if field.description:
        schema["description"] = field.description
    return schema


def _feature_schemas(provider: Provider) -> tuple[dict, dict]:
    properties = {f.name: property_schema(f) for f in provider.fields}
    required = [f.name for f in provider.fields if f.required and not f.private]
    props = {"type": "object", "properties": properties}
    if required:
        props["required"] = required
    feature = {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"$ref": "#/components/schemas/geometryGeoJSON"},
            "properties": props,
            "links": _LINKS,
        },
    }
    collection = {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {
                "type": "array",
                "items": {"$ref": f"#/components/schemas/feature_{provider.cid}"},
            },
            "links": _LINKS,
            "timeStamp": {"type": "string", "format": "date-time"},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
        },
    }
    return feature, collection


def _ok(description: str, media: str, schema: dict) -> dict:
    return {
        "200": {
            "description": description,
            "content": {media: {"schema": schema}, HTML: {"schema": {"type": "string"}}},
        }
    }


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _collection_paths(provider: Provider) -> dict:
    cid = provider.cid
    name = cid[0].upper() + cid[1:]
    filters = []
    for field in provider.fields:
        if not field.filterable:
            continue
        note = " Staff only (bearer token)." if field.private else ""
        filters.append(
            {
                "name": field.name,
                "in": "query",
                "required": False,
                "description": f"Only features whose {field.name} equals this value.{note}",
                "schema": dict(_TYPE_SCHEMAS[field.type]),
            }
        )
    optional_auth = [{}, {"bearerAuth": []}]
    return {
        f"/collections/{cid}": {
            "get": {
                "operationId": f"describe{name}Collection",
                "summary": f"Metadata of the {cid} collection",
                "tags": [cid],
                "parameters": [_ref("parameters", "f")],
                "responses": {
                    **_ok(provider.title, JSON, _ref("schemas", "collection")),
                    **_RESPONSES,
                },
            }
        },
        f"/collections/{cid}/items": {
            "get": {
                "operationId": f"get{name}Features",
                "summary": f"Features of {cid}",
                "description": provider.description,
                "tags": [cid],
                "security": optional_auth,
                "parameters": [
                    _ref("parameters", p) for p in ("f", "bbox", "limit", "offset", "datetime")
                ]
                + filters,
                "responses": {
                    **_ok(
                        "A page of features.", GEOJSON, _ref("schemas", f"featureCollection_{cid}")
                    ),
                    **_RESPONSES,
                },
            }
        },
        f"/collections/{cid}/items/{{featureId}}": {
            "get": {
                "operationId": f"get{name}Feature",
                "summary": f"One feature of {cid}",
                "tags": [cid],
                "security": optional_auth,
                "parameters": [_ref("parameters", "featureId"), _ref("parameters", "f")],
                "responses": {
                    **_ok("The feature.", GEOJSON, _ref("schemas", f"feature_{cid}")),
                    **_RESPONSES,
                },
            }
        },
    }


def build_openapi(
    base_url: str, providers: Mapping[str, Provider], *, title: str, version: str
) -> dict:
    """The OpenAPI 3.0 document of the API served at ``base_url``.

    Parameters
    ----------
    base_url : str
        Absolute URL of the landing page, without a trailing slash (the server URL).
    providers : Mapping[str, Provider]
        The collections; each gets its own paths, filter parameters and feature schema.
    title, version : str
        ``info.title`` and ``info.version``.

    Returns
    -------
    dict
        The document, ready for ``json.dumps``.
    """
    schemas: dict = {
        "exception": {
            "type": "object",
            "required": ["code"],
            "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
        },
        "link": _LINK,
        "extent": _EXTENT,
        "geometryGeoJSON": _GEOMETRY,
        "landingPage": {
            "type": "object",
            "required": ["links"],
            "properties": {
                "title": {"type": "string"},
                "description": {"type": "string"},
                "links": _LINKS,
            },
        },
        "confClasses": {
            "type": "object",
            "required": ["conformsTo"],
            "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
        },
        "collection": _COLLECTION,
        "collections": {
            "type": "object",
            "required": ["links", "collections"],
            "properties": {
                "links": _LINKS,
                "collections": {"type": "array", "items": _ref("schemas", "collection")},
            },
        },
    }
    paths: dict = {
        "/": {
            "get": {
                "operationId": "getLandingPage",
                "summary": "Landing page",
                "tags": ["server"],
                "parameters": [_ref("parameters", "f")],
                "responses": {
                    **_ok(
                        "Links to the API, conformance and collections.",
                        JSON,
                        _ref("schemas", "landingPage"),
                    ),
                    **_RESPONSES,
                },
            }
        },
        "/conformance": {
            "get": {
                "operationId": "getConformanceDeclaration",
                "summary": "Conformance classes implemented",
                "tags": ["server"],
                "parameters": [_ref("parameters", "f")],
                "responses": {
                    **_ok("The conformance classes.", JSON, _ref("schemas", "confClasses")),
                    **_RESPONSES,
                },
            }
        },
        "/api": {
            "get": {
                "operationId": "getAPIDefinition",
                "summary": "This document",
                "tags": ["server"],
                "parameters": [_ref("parameters", "f")],
                "responses": {
                    **_ok("The API definition.", OPENAPI_MEDIA, {"type": "object"}),
                    **_RESPONSES,
                },
            }
        },
        "/collections": {
            "get": {
                "operationId": "getCollections",
                "summary": "The feature collections",
                "tags": ["server"],
                "parameters": [_ref("parameters", "f")],
                "responses": {
                    **_ok("The collections.", JSON, _ref("schemas", "collections")),
                    **_RESPONSES,
                },
            }
        },
    }
    for provider in providers.values():
        feature, collection = _feature_schemas(provider)
        schemas[f"feature_{provider.cid}"] = feature
        schemas[f"featureCollection_{provider.cid}"] = collection
        paths.update(_collection_paths(provider))
    return {
        "openapi": "3.0.3",
        "info": {
            "title": title,
            "version": version,
            "description": "OGC API – Features Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0) over "
            "the fossil sites, stratigraphic sections and patrols of Guizhou. "
            "Coordinates are CRS84 longitude/latitude (the data are CGCS2000, "
            "which agrees with WGS 84 to centimetres).",
            "license": {"name": "MIT"},
        },
        "servers": [{"url": base_url}],
        "tags": [{"name": "server"}] + [{"name": cid} for cid in providers],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": _PARAMETERS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
