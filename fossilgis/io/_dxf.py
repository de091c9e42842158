"""Read a DXF red-line drawing with ezdxf: closed polylines become polygons, arcs densified."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import ezdxf
import geopandas as gpd
import shapely
from ezdxf import recover

from fossilgis.errors import FossilGISError, InputFileError, InputNotFoundError
from fossilgis.io._dxf_geometry import ARC_STEP_DEG, MAX_CHORD_ERROR, _BadEntity, entity_geometry
from fossilgis.io._encoding import normalise_codec
from fossilgis.io._raw import RawLayer, single_layer
from fossilgis.io.limits import VertexBudget, current_limits, too_large


def _mcount(e) -> int:
    """Copies an INSERT places: MINSERT rows × columns (1 for a plain INSERT)."""
    rows = int(e.dxf.get("row_count", 1) or 1)
    cols = int(e.dxf.get("column_count", 1) or 1)
    return max(rows, 1) * max(cols, 1)


def count_expanded(doc, source: str) -> int:
    """Entities the model space holds once every block reference is expanded, counted with
    multiplicity (nested INSERTs multiply, MINSERT rows × columns) before anything is
    exploded; refuses past the ``dxf_entities`` or ``block_depth`` limit, or a block that
    inserts itself."""
    limits = current_limits()
    memo: dict[str, int] = {}

    def block_total(name: str, depth: int, stack: tuple[str, ...]) -> int:
        if name in memo:
            return memo[name]
        if name in stack:
            raise InputFileError(
                f"{source}: block {name!r} inserts itself ({' → '.join((*stack, name))}) "
                f"(块循环引用); explode or redefine the block in CAD and save again."
            )
        if depth > limits.block_depth:
            raise too_large(
                source,
                "block_depth",
                depth,
                what=f"block references are nested deeper ({' → '.join((*stack, name))})",
            )
        block = doc.blocks.get(name)
        total = 0 if block is None else entities_total(block, depth, (*stack, name))
        memo[name] = total
        return total

    def entities_total(entities, depth: int, stack: tuple[str, ...]) -> int:
        total = 0
        for e in entities:
            if e.dxftype() == "INSERT":
                total += _mcount(e) * block_total(e.dxf.get("name", ""), depth + 1, stack)
            else:
                total += 1
            if total > limits.dxf_entities:
                where = f" (inside block {stack[-1]!r})" if stack else ""
                raise too_large(
                    source,
                    "dxf_entities",
                    total,
                    what=f"its block references expand to at least this many entities{where}",
                )
        return total

    return entities_total(doc.modelspace(), 0, ())


def _explode(entities, depth=0, layer_of_insert=None, handle_of_insert=None):
    """Model-space entities with block references exploded into WCS entities.

    ``count_expanded`` has bounded the total and the depth before this runs.
    """
    for e in entities:
        if e.dxftype() == "INSERT":
            try:
                if _mcount(e) > 1:
                    subs = [v for ins in e.multi_insert() for v in ins.virtual_entities()]
                else:
                    subs = list(e.virtual_entities())
            except Exception:  # noqa: BLE001 - broken block definitions are skipped, as CAD does
                continue
            yield from _explode(
                subs,
                depth + 1,
                layer_of_insert or e.dxf.layer,
                handle_of_insert or e.dxf.handle,
            )
            continue
        layer = e.dxf.get("layer", "0")
        # Entities on layer 0 inside a block take the layer of the block reference.
        if layer_of_insert and layer == "0":
            layer = layer_of_insert
        yield e, layer, (handle_of_insert or e.dxf.get("handle"))


def _polygonize_lines(rows: list[dict], notes: list[str]) -> list[dict]:
    """Join LINE/ARC segments drawn as a closed outline into polygons, per DXF layer."""
    out = [r for r in rows if r["dxf_type"] not in ("LINE", "ARC")]
    loose = [r for r in rows if r["dxf_type"] in ("LINE", "ARC")]
    by_layer: dict[str, list[dict]] = {}
    for r in loose:
        by_layer.setdefault(r["dxf_layer"], []).append(r)
    for layer, pieces in by_layer.items():
        geoms = [r["geometry"] for r in pieces]
        polys = list(shapely.get_parts(shapely.polygonize(geoms))) if len(geoms) >= 3 else []
        if not polys:
            out.extend(pieces)
            continue
        edges = shapely.union_all([p.boundary for p in polys])
        used = [r for r in pieces if shapely.covers(edges, r["geometry"])]
        unused = [r for r in pieces if not shapely.covers(edges, r["geometry"])]
        for p in polys:
            out.append(
                {
                    "dxf_layer": layer,
                    "dxf_type": "LINE/ARC",
                    "dxf_handle": ",".join(
                        str(r["dxf_handle"])
                        for r in used
                        if shapely.covers(p.boundary, r["geometry"])
                    ),
                    "geometry": p,
                }
            )
        out.extend(unused)
        notes.append(
            f"图层 {layer}：{len(used)} 条 LINE/ARC 线段合成为 {len(polys)} 个面 / layer {layer}: "
            f"{len(used)} LINE/ARC segments joined into {len(polys)} polygon(s)"
        )
    return out


def read_dxf(path: Path, source: str, layer, encoding) -> list[RawLayer]:
    """A DXF drawing as one layer; ``layer=`` selects a DXF layer (e.g. 红线)."""
    try:
        return _read_dxf(path, source, layer, encoding)
    except ezdxf.DXFError as exc:
        raise InputFileError(f"{source} cannot be read as DXF ({exc}) (DXF 文件无法读取).") from exc


def _read_dxf(path: Path, source: str, layer, encoding) -> list[RawLayer]:
    try:
        if encoding:
            doc = ezdxf.readfile(path, encoding=encoding)
        else:
            doc, _auditor = recover.readfile(path)
    except ezdxf.DXFStructureError as exc:
        raise InputFileError(
            f"{source} is not a readable DXF drawing ({exc}) (DXF 文件损坏). Open it in CAD "
            f"and save it again as DXF."
        ) from exc
    except (OSError, UnicodeError, ezdxf.DXFError) as exc:
        raise InputFileError(f"{source} cannot be read as DXF ({exc}) (DXF 文件无法读取).") from exc

    notes: list[str] = []
    rows: list[dict] = []
    ignored: Counter[str] = Counter()
    closed_count = 0
    count_expanded(doc, source)
    entities = list(_explode(doc.modelspace()))
    with_geometry = []
    budget = VertexBudget(source)
    for e, lay, handle in entities:
        try:
            geom, was_closed = entity_geometry(e, budget)
        except FossilGISError:
            raise
        except (_BadEntity, ValueError, ZeroDivisionError, OverflowError) as exc:
            raise InputFileError(
                f"{source}: {e.dxftype()} entity (handle {handle}, layer {lay}): {exc}. Fix "
                f"the entity in CAD (or delete it) and save the drawing again."
            ) from None
        if geom is None:
            ignored[e.dxftype()] += 1
            continue
        with_geometry.append((e, lay, handle, geom, was_closed))
    layers = sorted({lay for _e, lay, _h, _g, _c in with_geometry})
    if layer is not None:
        if layer not in layers:
            raise InputNotFoundError(
                f"{source} has no DXF layer {layer!r} with lines or polylines (图层不存在); "
                f"available layers: " + ", ".join(repr(n) for n in layers) + "."
            )
        with_geometry = [t for t in with_geometry if t[1] == layer]
    for e, lay, handle, geom, was_closed in with_geometry:
        closed_count += bool(was_closed)
        rows.append(
            {"dxf_layer": lay, "dxf_type": e.dxftype(), "dxf_handle": handle, "geometry": geom}
        )
    if closed_count:
        notes.append(
            f"{closed_count} 条闭合多段线转为面 / {closed_count} closed polyline(s) turned into "
            f"polygons"
        )
    if any(r["dxf_type"] in ("LWPOLYLINE", "POLYLINE") for r in rows):
        notes.append(
            f"圆弧按 ≤{ARC_STEP_DEG:g}° 或弦高 ≤{MAX_CHORD_ERROR:g} 加密 / arc bulges densified "
            f"(every {ARC_STEP_DEG:g}° or ≤ {MAX_CHORD_ERROR:g} m chord error)"
        )
    rows = _polygonize_lines(rows, notes)
    if ignored:
        listed = ", ".join(f"{n} {t}" for t, n in sorted(ignored.items()))
        notes.append(f"已忽略非线面要素：{listed} / ignored entities without outline: {listed}")

    gdf = gpd.GeoDataFrame(
        {k: [r[k] for r in rows] for k in ("dxf_layer", "dxf_type", "dxf_handle")},
        geometry=[r["geometry"] for r in rows],
    )
    if encoding:
        enc, basis = normalise_codec(encoding), "user"
    elif doc.dxfversion <= "AC1018":
        # R2004 and earlier store text in the $DWGCODEPAGE code page (ANSI_936 = GBK).
        enc, basis = normalise_codec(doc.encoding), "dwgcodepage"
    else:
        enc, basis = "utf-8", None
    return single_layer(
        gdf,
        source,
        notes,
        layer=layer,
        crs=None,
        crs_missing="DXF drawings carry none",
        encoding=(enc, basis),
    )
