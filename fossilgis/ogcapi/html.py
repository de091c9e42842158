"""Minimal HTML views of the OGC API resources for people: escaped, no external assets."""

from __future__ import annotations

import json
from html import escape

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:70em;padding:0 1em;"
    "overflow-wrap:break-word}"
    # on a phone a wide table scrolls in its own box and the geometry wraps
    "table{border-collapse:collapse;display:block;max-width:100%;overflow-x:auto}"
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
    "nav a{margin-right:1em}code{font-size:90%}pre{white-space:pre-wrap;overflow-wrap:anywhere}"
    "li small{overflow-wrap:anywhere}"
)


def _link_for(doc: dict, rel: str, media: str | None = None) -> str | None:
    for link in doc.get("links", []):
        if link.get("rel") == rel and (media is None or link.get("type") == media):
            return link["href"]
    return None


def page(title: str, body: str, *, root: str, json_href: str | None) -> str:
    """A whole HTML page: the escaped title, navigation, and ``body`` (already HTML)."""
    alt = f' · <a href="{escape(json_href)}">JSON</a>' if json_href else ""
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f'<nav><a href="{escape(root)}?f=html">OGC API</a>'
        f'<a href="{escape(root)}/collections?f=html">Collections</a>{alt}</nav>'
        f"<h1>{escape(title)}</h1>{body}</body></html>\n"
    )


def links_list(links: list[dict]) -> str:
    """An HTML list of links with their relation and media type."""
    items = "".join(
        f'<li><a href="{escape(link["href"])}">{escape(link.get("title") or link["href"])}</a>'
        f" <small>({escape(link['rel'])}, {escape(link.get('type', ''))})</small></li>"
        for link in links
    )
    return f"<ul>{items}</ul>"


def landing(doc: dict, root: str) -> str:
    body = f"<p>{escape(doc.get('description', ''))}</p>{links_list(doc['links'])}"
    return page(doc["title"], body, root=root, json_href=_link_for(doc, "alternate"))


def conformance(doc: dict, root: str) -> str:
    items = "".join(f"<li><code>{escape(c)}</code></li>" for c in doc["conformsTo"])
    return page(
        "Conformance", f"<ul>{items}</ul>", root=root, json_href=f"{root}/conformance?f=json"
    )


def _collection_block(col: dict) -> str:
    items = _link_for(col, "items", "text/html")
    bbox = col.get("extent", {}).get("spatial", {}).get("bbox", [[]])[0]
    interval = col.get("extent", {}).get("temporal", {}).get("interval", [[]])[0]
    rows = [
        ("id", escape(col["id"])),
        ("description", escape(col.get("description", ""))),
        ("extent (CRS84)", escape(", ".join(str(v) for v in bbox))),
    ]
    if interval:
        rows.append(("time", escape(" / ".join(str(v) for v in interval))))
    if items:
        rows.append(("features", f'<a href="{escape(items)}">browse the features</a>'))
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<h2>{escape(col.get('title', col['id']))}</h2><table>{table}</table>"


def collections(doc: dict, root: str) -> str:
    body = "".join(_collection_block(col) for col in doc["collections"])
    return page("Collections", body, root=root, json_href=f"{root}/collections?f=json")


def collection(doc: dict, root: str) -> str:
    return page(
        doc.get("title", doc["id"]),
        _collection_block(doc) + links_list(doc["links"]),
        root=root,
        json_href=f"{root}/collections/{doc['id']}?f=json",
    )


def _value(value) -> str:
    return "" if value is None else escape(str(value))


def items(doc: dict, root: str, cid: str, field_names: list[str]) -> str:
    """A table of one page of features with links to each, to the previous and next page."""
    head = "<th>id</th>" + "".join(f"<th>{escape(n)}</th>" for n in field_names if n != "id")
    rows = []
    for feature in doc["features"]:
        fid = str(feature["id"])
        href = f"{root}/collections/{cid}/items/{escape(fid)}?f=html"
        cells = "".join(
            f"<td>{_value(feature['properties'].get(n))}</td>" for n in field_names if n != "id"
        )
        rows.append(f'<tr><td><a href="{href}">{escape(fid)}</a></td>{cells}</tr>')
    paging = " ".join(
        f'<a href="{escape(href)}">{label}</a>'
        for rel, label in (("prev", "« previous"), ("next", "next »"))
        if (href := _link_for(doc, rel, "text/html"))
    )
    body = (
        f"<p>{doc['numberReturned']} of {doc['numberMatched']} matching features. {paging}</p>"
        f"<table><tr>{head}</tr>{''.join(rows)}</table>"
    )
    return page(
        f"{cid}: features",
        body,
        root=root,
        json_href=_link_for(doc, "alternate", "application/geo+json"),
    )


def item(doc: dict, root: str, cid: str) -> str:
    rows = "".join(
        f"<tr><th>{escape(k)}</th><td>{_value(v)}</td></tr>" for k, v in doc["properties"].items()
    )
    geometry = escape(json.dumps(doc["geometry"]))
    body = (
        f"<table>{rows}</table><h2>Geometry (CRS84)</h2><pre>{geometry}</pre>"
        f'<p><a href="{root}/collections/{escape(cid)}/items?f=html">all features</a></p>'
    )
    return page(
        f"{cid}: {doc['id']}",
        body,
        root=root,
        json_href=_link_for(doc, "alternate", "application/geo+json"),
    )


def api(doc: dict, root: str) -> str:
    """The service documentation: every path with its parameters."""
    parameters = doc["components"]["parameters"]
    blocks = []
    for path, ops in doc["paths"].items():
        op = ops["get"]
        names = []
        for p in op.get("parameters", []):
            p = parameters[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
            names.append(p["name"])
        blocks.append(
            f"<tr><td><code>GET {escape(path)}</code></td><td>{escape(op.get('summary', ''))}"
            f"</td><td>{escape(', '.join(names))}</td></tr>"
        )
    body = (
        f"<p>{escape(doc['info']['description'])}</p>"
        "<table><tr><th>path</th><th>what</th><th>parameters</th></tr>"
        f"{''.join(blocks)}</table>"
    )
    return page(doc["info"]["title"] + " – API", body, root=root, json_href=f"{root}/api?f=json")


def error(status: int, code: str, description: str, root: str) -> str:
    body = f"<p><strong>{status} {escape(code)}</strong></p><p>{escape(description)}</p>"
    return page("Error", body, root=root, json_href=None)
