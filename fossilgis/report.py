"""Render a screening for people: bilingual text, Excel-friendly CSV, printable HTML.

Pure functions: they take a :class:`fossilgis.screening.Screening` and return a string.
The HTML report is self-contained (inline CSS and an inline SVG map, no scripts, no
network) and prints on A4.
"""

from __future__ import annotations

import csv
import html
import io
import json

import numpy as np
import shapely

from fossilgis.impact import IMPACT_COLUMNS
from fossilgis.rules import GRADE_LABELS

ZONE_LABELS = {
    "core": {"zh": "保护范围", "en": "core"},
    "control": {"zh": "建设控制地带", "en": "control zone"},
    "attention": {"zh": "关注区", "en": "attention zone"},
}
LAYER_LABELS = {
    "sites": {"zh": "处化石产地", "en": "sites"},
    "sections": {"zh": "条层型剖面", "en": "sections"},
}
KIND_LABELS = {
    "site": {"zh": "化石产地", "en": "site"},
    "section": {"zh": "层型剖面", "en": "section"},
}
LEVEL_LABELS = {
    "national_key": {"zh": "国家重点", "en": "national key"},
    "provincial_key": {"zh": "省级重点", "en": "provincial key"},
    "general": {"zh": "一般", "en": "general"},
}
BASIS_LABELS = {
    "prj": {"zh": "文件声明", "en": "declared by the file"},
    "detected": {"zh": "由坐标判定（经纬度）", "en": "detected from the coordinates (lon/lat)"},
    "user": {"zh": "用户指定", "en": "given by the user"},
}
DISCLAIMER = {
    "zh": "本结果为初步筛查，不是法律结论；须由主管部门依法认定。",
    "en": "A first-stage screen, not a legal verdict; the authority decides.",
}
DEMO_NOTE = {
    "zh": "注意：当前图层为演示图层，边界为近似范围，正式名录导入前不得作为审批依据。",
    "en": "Note: the layers are demonstration layers with approximate boundaries; do not "
    "base approvals on them until the office's registry is imported.",
}


NO_TARGETS = {
    "zh": "关注距离内无化石产地或层型剖面。",
    "en": "No site or section within the attention distance.",
}


def _label(table: dict, key, lang: str | None) -> str:
    """The bilingual label of ``key`` in ``table``; the key itself when unknown."""
    return _bi(table.get(key, {"zh": str(key), "en": str(key)}), lang)


def _bi(labels: dict, lang: str | None) -> str:
    if lang in ("zh", "en"):
        return labels[lang]
    return f"{labels['zh']} {labels['en']}"


def _text(zh: str, en: str, lang: str | None) -> str:
    return zh if lang == "zh" else en if lang == "en" else f"{zh} / {en}"


def fmt_distance(m) -> str:
    if m is None:
        return "–"
    return f"{m / 1000:.2f} km" if m >= 1000 else f"{m:.0f} m"


def fmt_area(m2) -> str:
    if m2 is None:
        return "–"
    return f"{m2:,.0f} m² = {m2 / 10_000:.2f} ha = {m2 / (10_000 / 15):.1f} 亩"


def split_bilingual(item: str, lang: str | None) -> str:
    """Pick one side of a "中文 / English" string when a language is chosen."""
    if lang not in ("zh", "en") or " / " not in item:
        return item
    zh, en = item.split(" / ", 1)
    return zh if lang == "zh" else en


def render_text(screening, lang: str | None = None) -> str:
    """A readable summary (bilingual unless ``lang`` is "zh" or "en")."""
    d = screening.to_dict()
    out = [
        _text("fossilgis 化石产地影响筛查", "fossilgis impact screen", lang),
        _text(DISCLAIMER["zh"], DISCLAIMER["en"], lang),
        f"{_text('规则版本', 'rules', lang)} {d['rules']['version']} · "
        f"{_text('关注距离', 'attention distance', lang)} "
        f"{d['rules']['attention_distance_m']:.0f} m · "
        f"{_text('图层', 'layers', lang)}: {d['layers']['sites']['count']} "
        f"{_bi(LAYER_LABELS['sites'], lang)}, {d['layers']['sections']['count']} "
        f"{_bi(LAYER_LABELS['sections'], lang)}",
    ]
    if any(v.get("demonstration") for v in d["layers"].values()):
        out.append(_text(DEMO_NOTE["zh"], DEMO_NOTE["en"], lang))
    opts = d["options"]
    widths = []
    if opts["line_width_m"]:
        widths.append(f"line width {opts['line_width_m']:g} m")
    if opts["point_radius_m"]:
        widths.append(f"point radius {opts['point_radius_m']:g} m")
    out.append(
        f"{_text('项目类型', 'project type', lang)}: {opts['project_type']}"
        f"{'' if opts['ground_disturbance'] else ' (no ground disturbance)'}"
        + (f" · {', '.join(widths)}" if widths else "")
    )
    for p in d["projects"]:
        out.append("")
        grade = p["grade"]
        out.append(f"== {p['project_id']}  ({p['source']}) ==")
        out.append(
            f"  CRS {p['crs_in']} ({_label(BASIS_LABELS, p['crs_basis'], lang)})"
            + (f" · encoding {p['encoding']}" if p.get("encoding") else "")
        )
        out.append(
            f"  {_text('范围要素', 'footprints', lang)}: {p['footprint_count']} "
            f"({', '.join(p['geometry_types'])}) · {fmt_area(p['footprint_area_m2'])}"
        )
        for note in p["notes"]:
            out.append(f"  note: {split_bilingual(note, lang)}")
        out.append(
            f"  {_text('结论', 'Verdict', lang)}: {grade.upper()} — "
            f"{_bi(GRADE_LABELS[grade], lang)}"
        )
        if not p["impacts"]:
            out.append(f"  {_text(NO_TARGETS['zh'], NO_TARGETS['en'], lang)}")
            continue
        for i, imp in enumerate(p["impacts"], 1):
            name = _text(imp["target_name_zh"], imp["target_name_en"], lang)
            line = (
                f"  {i}. [{imp['grade']}] {imp['target_id']} {name} "
                f"({_bi(KIND_LABELS[imp['target_kind']], lang)}, "
                f"{_label(LEVEL_LABELS, imp['protection_level'], lang)})"
            )
            out.append(line)
            where = (
                f"     {_bi(ZONE_LABELS[imp['zone']], lang)} · "
                f"{_text('距离', 'distance', lang)} {fmt_distance(imp['distance_m'])}"
            )
            if imp["bearing_deg"] is not None:
                where += f" · {_text('方位', 'bearing', lang)} {imp['bearing_deg']:.0f}°"
            if imp["overlap_area_m2"]:
                where += f" · {_text('重叠', 'overlap', lang)} {fmt_area(imp['overlap_area_m2'])}"
                if imp["target_share"] is not None:
                    where += f" ({imp['target_share'] * 100:.1f} %)"
            if len(p["impacts"]) and p["footprint_count"] > 1:
                where += f" · footprint #{imp['footprint_index']}"
            out.append(where)
            out.append(f"     {_text(imp['reason_zh'], imp['reason_en'], lang)}")
        follow, basis = _collect(p["impacts"])
        out.append(f"  {_text('后续要求', 'Follow-ups', lang)}:")
        out += [f"   - {split_bilingual(f, lang)}" for f in follow]
        if basis:
            out.append(f"  {_text('依据', 'Legal basis', lang)}:")
            out += [f"   - {split_bilingual(b, lang)}" for b in basis]
    return "\n".join(out) + "\n"


def _collect(impacts) -> tuple[list[str], list[str]]:
    """Unique follow-ups and legal bases of a project's impacts, worst grade first."""
    from fossilgis.rules import GRADES

    follow, basis = [], []
    for imp in sorted(impacts, key=lambda i: -GRADES.index(i["grade"])):
        follow += [f for f in imp["follow_up"] if f not in follow]
        basis += [b for b in imp["legal_basis"] if b not in basis]
    return follow, basis


CSV_COLUMNS = [
    "project_id",
    "source",
    "project_grade",
    *IMPACT_COLUMNS,
    "crs_in",
    "crs_basis",
    "rules_version",
]


def render_csv(screening) -> str:
    """One row per footprint × target pair (a row with grade none for clear projects).

    Starts with a UTF-8 byte-order mark so that Excel opens Chinese text correctly.
    """
    d = screening.to_dict()
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.DictWriter(buf, CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for p in d["projects"]:
        base = {
            "project_id": p["project_id"],
            "source": p["source"],
            "project_grade": p["grade"],
            "crs_in": p["crs_in"],
            "crs_basis": p["crs_basis"],
            "rules_version": d["rules"]["version"],
        }
        if not p["impacts"]:
            writer.writerow({**base, "grade": "none"})
        for imp in p["impacts"]:
            row = {**base, **{k: imp.get(k) for k in CSV_COLUMNS if k in imp}}
            row["follow_up"] = "; ".join(imp["follow_up"])
            row["legal_basis"] = "; ".join(imp["legal_basis"])
            writer.writerow(row)
    return buf.getvalue()


#: above this many impacts the JSON is written compact (the indenting encoder is slow)
PRETTY_JSON_MAX_IMPACTS = 1000


def render_json(screening) -> str:
    """The impact-check JSON form; indented unless the result is large."""
    d = screening.to_dict()
    n = sum(len(p["impacts"]) for p in d["projects"])
    indent = 2 if n <= PRETTY_JSON_MAX_IMPACTS else None
    return json.dumps(d, ensure_ascii=False, indent=indent) + "\n"


# -- HTML -------------------------------------------------------------------------------
_CSS = """
@page { size: A4; margin: 15mm; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Zen Hei",
       sans-serif;
       font-size: 10.5pt; color: #222; max-width: 190mm; margin: auto; }
h1 { font-size: 16pt; margin-bottom: 2mm; } h2 { font-size: 13pt; margin-top: 8mm;
  border-bottom: 1px solid #999; page-break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin: 3mm 0; page-break-inside: auto; }
th, td { border: 1px solid #bbb; padding: 1.2mm 1.6mm; vertical-align: top; text-align: left; }
th { background: #eee; } tr { page-break-inside: avoid; }
.grade { display: inline-block; padding: 1mm 3mm; border-radius: 2mm; font-weight: bold; }
.g-none { background: #d9f0d9; } .g-attention { background: #fff3c4; }
.g-assess { background: #ffd8a8; } .g-avoid { background: #f8b4b4; }
.note { background: #fff8e1; border-left: 4px solid #f0a020; padding: 2mm 3mm; }
.meta td:first-child { width: 40mm; color: #555; }
svg { border: 1px solid #bbb; background: #fafafa; }
.small { font-size: 8.5pt; color: #555; }
"""

_SVG_W, _SVG_H = 640, 420


def _svg_map(footprints, impacts, targets_geoms) -> str:
    """An inline SVG of the footprints (red), affected targets (brown / blue) and a scale."""
    import geopandas as gpd

    from fossilgis.geo import gk_zone_numbers, metric_crs_for_zone

    geoms = [g for g in footprints.geometry.values if g is not None and not g.is_empty]
    if not geoms:
        return ""
    allg = geoms + [g for _, g in targets_geoms]
    c = shapely.centroid(shapely.union_all(geoms))
    zone = int(gk_zone_numbers([c.x])[0])
    crs = metric_crs_for_zone(zone)
    proj = gpd.GeoSeries(allg, crs="EPSG:4490").to_crs(crs).values
    minx, miny, maxx, maxy = shapely.total_bounds(proj)
    span = max(maxx - minx, maxy - miny, 200.0) * 1.1
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    scale = min(_SVG_W, _SVG_H) / span

    def pts(coords):
        return " ".join(
            f"{(x - cx) * scale + _SVG_W / 2:.1f},{_SVG_H / 2 - (y - cy) * scale:.1f}"
            for x, y in coords
        )

    def path(g, cls):
        parts = []
        for part in getattr(g, "geoms", [g]):
            if part.geom_type == "Polygon":
                d = " ".join(f"M{pts(r.coords)}Z" for r in [part.exterior, *part.interiors])
                parts.append(f'<path class="{cls}" d="{d}" fill-rule="evenodd"/>')
            elif part.geom_type in ("LineString", "LinearRing"):
                parts.append(f'<polyline class="{cls}" points="{pts(part.coords)}" fill="none"/>')
            elif part.geom_type == "Point":
                x, y = pts(part.coords).split(",")
                parts.append(f'<circle class="{cls}" cx="{x}" cy="{y}" r="4"/>')
        return "".join(parts)

    n = len(geoms)
    body = []
    for (label, _), g in zip(targets_geoms, proj[n:]):
        body.append(path(g, "tg"))
        x, y = pts([g.representative_point().coords[0]]).split(",")
        body.append(f'<text x="{x}" y="{y}" class="lbl">{html.escape(label)}</text>')
    body += [path(g, "fp") for g in proj[:n]]
    # scale bar: a round length near a fifth of the width
    target = span / 5
    bar = 10 ** np.floor(np.log10(target))
    bar = bar * (5 if target / bar >= 5 else 2 if target / bar >= 2 else 1)
    bw = bar * scale
    bar_label = f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m"
    style = (
        "<style>.fp{fill:rgba(220,30,30,.35);stroke:#c00;stroke-width:2}"
        ".tg{fill:rgba(150,90,30,.25);stroke:#8a4b12;stroke-width:1.5}"
        ".lbl{font-size:11px;fill:#5a2d00}.sb{stroke:#000;stroke-width:3}</style>"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_SVG_W}" height="{_SVG_H}" '
        f'viewBox="0 0 {_SVG_W} {_SVG_H}" role="img">{style}{"".join(body)}'
        f'<line class="sb" x1="20" y1="{_SVG_H - 20}" x2="{20 + bw:.1f}" y2="{_SVG_H - 20}"/>'
        f'<text x="20" y="{_SVG_H - 26}" font-size="11">{bar_label}</text>'
        f'<text x="{_SVG_W - 20}" y="24" font-size="14" text-anchor="end">N ↑</text></svg>'
    )


def render_html(screening, lang: str | None = None, *, store=None, title: str | None = None) -> str:
    """A self-contained, printable (A4) HTML report; every value is escaped."""
    e = html.escape
    d = screening.to_dict()
    T = lambda zh, en: e(_text(zh, en, lang))  # noqa: E731
    parts = [
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{e(title or 'fossilgis impact screen')}</title><style>{_CSS}</style></head><body>",
        f"<h1>{T('工程建设项目化石产地影响筛查报告', 'Fossil-site impact screening report')}</h1>",
        f'<p class="small">{T(DISCLAIMER["zh"], DISCLAIMER["en"])}</p>',
    ]
    if any(v.get("demonstration") for v in d["layers"].values()):
        parts.append(f'<p class="note">{T(DEMO_NOTE["zh"], DEMO_NOTE["en"])}</p>')
    opts = d["options"]
    parts.append('<table class="meta">')
    rows = [
        (T("日期", "Date"), e(d["created_at"])),
        (T("规则版本", "Rules version"), e(str(d["rules"]["version"]))),
        (T("关注距离", "Attention distance"), e(f"{d['rules']['attention_distance_m']:g} m")),
        (
            T("建设控制地带宽度", "Control-zone widths"),
            e(
                "; ".join(
                    f"{k} {lvl} {v:g} m"
                    for k, m in d["rules"]["control_distance_m"].items()
                    for lvl, v in m.items()
                )
            ),
        ),
        (
            T("项目类型", "Project type"),
            e(
                opts["project_type"]
                + ("" if opts["ground_disturbance"] else " (no ground disturbance / 不扰动地面)")
            ),
        ),
        (
            T("线宽 / 点半径", "Line width / point radius"),
            e(f"{opts['line_width_m'] or '–'} m / {opts['point_radius_m'] or '–'} m"),
        ),
        (
            T("图层", "Layers"),
            e(
                f"{d['layers']['sites']['count']} sites, "
                f"{d['layers']['sections']['count']} sections "
                f"(boundaries: {d['layers']['sites']['boundary_status']})"
            ),
        ),
        ("fossilgis", e(d["fossilgis_version"])),
    ]
    parts += [f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows]
    parts.append("</table>")
    overall = screening.grade
    parts.append(
        f'<h2>{T("总体结论", "Overall verdict")}</h2><p><span class="grade g-{overall}">'
        f"{e(_bi(GRADE_LABELS[overall], lang))}</span></p>"
    )
    targets_frame = None
    if store is not None:
        import pandas as pd

        targets_frame = pd.concat(
            [
                store.read_layer("sites").assign(_k="site"),
                store.read_layer("sections").assign(_k="section"),
            ]
        )
    for p in d["projects"]:
        parts.append(f"<h2>{T('项目', 'Project')} {e(str(p['project_id']))}</h2>")
        parts.append('<table class="meta">')
        meta = [
            (
                T("输入文件", "Input file"),
                e(p["source"] + (f" (layer {p['layer']})" if p.get("layer") else "")),
            ),
            (
                T("坐标系及依据", "CRS used and why"),
                e(f"{p['crs_in']} — {_label(BASIS_LABELS, p['crs_basis'], lang)}"),
            ),
            (T("属性编码", "Attribute encoding"), e(p.get("encoding") or "–")),
            (
                T("要素数", "Footprints"),
                e(f"{p['footprint_count']} ({', '.join(p['geometry_types'])})"),
            ),
            (T("面积", "Area"), e(fmt_area(p["footprint_area_m2"]))),
            (
                T("结论", "Verdict"),
                f'<span class="grade g-{e(p["grade"])}">'
                f"{e(_bi(GRADE_LABELS[p['grade']], lang))}</span>",
            ),
        ]
        parts += [f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in meta]
        parts.append("</table>")
        for note in p["notes"]:
            parts.append(f'<p class="small">{e(split_bilingual(note, lang))}</p>')
        fps = screening.footprints[screening.footprints["project_id"] == p["project_id"]]
        tg = []
        if targets_frame is not None and p["impacts"]:
            ids = {(i["target_kind"], i["target_id"]) for i in p["impacts"]}
            for _, row in targets_frame.iterrows():
                if (row["_k"], row["id"]) in ids:
                    tg.append((f"{row['id']} {row['name_zh']}", row.geometry))
        parts.append(_svg_map(fps, None, tg))
        if not p["impacts"]:
            parts.append(f"<p>{T(NO_TARGETS['zh'], NO_TARGETS['en'])}</p>")
            continue
        head = [
            T("对象", "Target"),
            T("类别/级别", "Kind / level"),
            T("区域", "Zone"),
            T("距离", "Distance"),
            T("方位", "Bearing"),
            T("重叠面积", "Overlap"),
            T("占比", "Share"),
            T("等级", "Grade"),
            T("理由", "Reason"),
        ]
        parts.append("<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>")
        for imp in p["impacts"]:
            cells = [
                e(
                    imp["target_id"]
                    + " "
                    + _text(imp["target_name_zh"], imp["target_name_en"], lang)
                ),
                e(
                    f"{_label(KIND_LABELS, imp['target_kind'], lang)} / "
                    f"{_label(LEVEL_LABELS, imp['protection_level'], lang)}"
                ),
                e(_bi(ZONE_LABELS[imp["zone"]], lang)),
                e(fmt_distance(imp["distance_m"])),
                e("–" if imp["bearing_deg"] is None else f"{imp['bearing_deg']:.0f}°"),
                e(fmt_area(imp["overlap_area_m2"]) if imp["overlap_area_m2"] else "–"),
                e("–" if not imp["target_share"] else f"{imp['target_share'] * 100:.1f} %"),
                f'<span class="grade g-{e(imp["grade"])}">{e(imp["grade"])}</span>',
                e(_text(imp["reason_zh"], imp["reason_en"], lang)),
            ]
            parts.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        parts.append("</table>")
        follow, basis_list = _collect(p["impacts"])
        parts.append(
            f"<h3>{T('后续要求', 'Follow-ups')}</h3><ul>"
            + "".join(f"<li>{e(split_bilingual(f, lang))}</li>" for f in follow)
            + "</ul>"
        )
        parts.append(
            f"<h3>{T('法律依据', 'Legal basis')}</h3><ul>"
            + "".join(f"<li>{e(split_bilingual(b, lang))}</li>" for b in basis_list)
            + "</ul>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)
