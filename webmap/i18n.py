"""Every label, legend and message of the web map in 简体中文 and English: one table."""
# ruff: noqa: E501  (a table of bilingual strings reads better one entry per line)

from __future__ import annotations

from flask import g, request

from fossilgis.rules import (
    GRADE_LABELS,
    PROJECT_TYPE_LABELS,
    PROTECTION_LEVEL_LABELS,
    TARGET_KIND_LABELS,
    ZONE_LABELS,
)

LANGS = ("zh", "en")
LANG_COOKIE = "lang"

#: key -> (简体中文, English)
STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("贵州省古生物化石保护地图", "Guizhou fossil protection map"),
    "nav_map": ("地图", "Map"),
    "nav_check": ("影响筛查", "Impact check"),
    "switch_lang": ("English", "中文"),
    "demo_banner": ("演示数据：图层为根据公开文献整理的示意数据，位置与范围均为近似，不是官方名录。",
                    "Demonstration data: the layers are illustrative, compiled from public "
                    "literature; locations and extents are approximate, not the official register."),
    "shared_point_note": ("{n} 处产地仅知所在县城位置，共用同一点，其近似范围相互重叠。",
                          "{n} sites are known only by their county seat and share a point; "
                          "their approximate areas overlap."),
    "generalised_note": ("为保护化石产地，未登录用户看到的是概略范围（约 1 km 网格）；"
                         "工作人员登录后可见精确边界。",
                         "To protect the sites, visitors see generalised extents (about 1 km "
                         "grid cells); signed-in staff see precise boundaries."),
    "layer_sites": ("化石产地", "Fossil sites"),
    "layer_sections": ("层型剖面", "Type sections"),
    "layer_control": ("建设控制地带", "Construction-control zones"),
    "layer_attention": ("关注区", "Attention zones"),
    "layer_accuracy": ("位置精度圈", "Location accuracy circles"),
    "layer_patrols": ("巡查记录", "Patrols"),
    "legend": ("图例", "Legend"),
    "fullscreen": ("全屏", "Full screen"),
    "exit_fullscreen": ("退出全屏", "Exit full screen"),
    "clear_drawing": ("清除绘制", "Clear drawing"),
    "search_placeholder": ("按名称或编号搜索", "Search by name or id"),
    "search_none": ("无匹配结果", "No match"),
    "name": ("名称", "Name"),
    "id": ("编号", "Id"),
    "county": ("县（市、区）", "County"),
    "age": ("时代", "Age"),
    "formation": ("层位（组）", "Formation"),
    "fossils": ("化石", "Fossils"),
    "boundary": ("界线", "Boundary"),
    "protection_level": ("保护级别", "Protection level"),
    "status": ("现状", "Status"),
    "accuracy": ("位置精度", "Location accuracy"),
    "accuracy_value": ("{cls} 级，约 {m} m", "class {cls}, about {m} m"),
    "boundary_status": ("边界状态", "Boundary status"),
    "boundary_approximate": ("近似", "approximate"),
    "boundary_surveyed": ("实测", "surveyed"),
    "source": ("来源", "Source"),
    "last_patrol": ("最近巡查", "Last patrol"),
    "no_patrols": ("暂无巡查记录", "no patrols recorded yet"),
    "patrol_history": ("巡查记录", "Patrol history"),
    "patrols_later": ("巡查功能上线后，此处列出该对象的巡查记录。",
                      "Patrols of this target will be listed here once patrols are recorded."),
    "details": ("详情", "Details"),
    "export": ("导出", "Export"),
    "attributes": ("属性", "Attributes"),
    "generalised": ("概略位置", "generalised location"),
    "check_title": ("工程项目影响筛查", "Project impact check"),
    "check_intro": ("上传项目范围文件，或在地图上绘制范围线（面或线），筛查其与化石产地、层型剖面的关系。"
                    "这是初步筛查，不是法律结论。",
                    "Upload a project footprint file, or draw the footprint (polygon or line) on "
                    "the map, to screen it against the fossil sites and type sections. This is a "
                    "first-stage screen, not a legal verdict."),
    "upload_file": ("范围文件", "Footprint file"),
    "upload_kinds": ("支持：Shapefile（可打包为 zip）、GeoPackage、GeoJSON、KML/KMZ、DXF、界址点 TXT、CSV/XLSX 坐标表",
                     "Accepted: Shapefile (loose or zipped), GeoPackage, GeoJSON, KML/KMZ, DXF, "
                     "boundary-point TXT, CSV/XLSX coordinate tables"),
    "or_draw": ("或在地图上绘制", "or draw on the map"),
    "drawn_count": ("已绘制 {n} 个图形", "{n} shape(s) drawn"),
    "project_type": ("项目类型", "Project type"),
    "ground_disturbance": ("扰动地面（开挖、基础、填方）", "Disturbs the ground (digging, foundations, fill)"),
    "line_width": ("线宽（米，线状工程）", "Line width (m, for lines)"),
    "point_radius": ("点半径（米）", "Point radius (m)"),
    "crs": ("坐标系（文件无 .prj 时填写，如 EPSG:4523）", "CRS (if the file has no .prj, e.g. EPSG:4523)"),
    "submit_check": ("开始筛查", "Screen"),
    "result_title": ("筛查结果", "Screening result"),
    "verdict": ("结论", "Verdict"),
    "project": ("项目", "Project"),
    "target": ("对象", "Target"),
    "kind_level": ("类别/级别", "Kind / level"),
    "zone": ("区域", "Zone"),
    "distance": ("距离", "Distance"),
    "overlap": ("重叠面积", "Overlap"),
    "grade": ("等级", "Grade"),
    "reason": ("理由", "Reason"),
    "no_targets": ("关注距离内无化石产地或层型剖面。", "No site or section within the attention distance."),
    "json_result": ("JSON 结果", "JSON result"),
    "html_report": ("可打印报告", "Printable report"),
    "new_check": ("再筛查一个项目", "Check another project"),
    "footprint": ("项目范围", "Project footprint"),
    "affected_targets": ("涉及对象", "Affected targets"),
    "error_title": ("出错了", "Something went wrong"),
    "error_back": ("返回", "Go back"),
    "err_not_found": ("未找到该页面或对象。", "No such page or target."),
    "err_target_not_found": ("没有编号为 {id} 的{kind}。", "There is no {kind} with id {id}."),
    "err_result_expired": ("该筛查结果不存在或已过期（结果保留 {hours} 小时），请重新筛查。",
                           "This screening result does not exist or has expired (results are "
                           "kept {hours} h); run the check again."),
    "err_too_large": ("上传文件过大：上限为 {mb} MB。请压缩或拆分后再上传。",
                      "The upload is too large: the limit is {mb} MB. Zip or split the file."),
    "err_no_input": ("请选择一个范围文件，或在地图上绘制范围。",
                     "Choose a footprint file or draw the footprint on the map."),
    "err_both_inputs": ("请只提供一种输入：上传文件或绘制图形，不要同时提供。",
                        "Give one input only: an uploaded file or a drawn shape, not both."),
    "err_bad_geojson": ("绘制或提交的 GeoJSON 无法解析：{detail}",
                        "The drawn or posted GeoJSON cannot be parsed: {detail}"),
    "err_bad_number": ("{field} 须为正数（米），收到 {value!r}。",
                       "{field} must be a positive number of metres, got {value!r}."),
    "err_bad_bbox": ("bbox 须为四个数 minx,miny,maxx,maxy（经纬度），收到 {value!r}。",
                     "bbox must be four numbers minx,miny,maxx,maxy in degrees, got {value!r}."),
    "err_bad_kind": ("未知图层 {kind!r}；可用：{known}。", "Unknown layer {kind!r}; known: {known}."),
    "err_bad_request": ("请求无效。", "Bad request."),
    "err_method": ("此地址不接受该请求方法。", "This address does not accept that request method."),
    "err_input": ("无法读取范围文件", "The footprint file cannot be read"),
    "err_internal": ("服务器内部错误，已记录。请稍后重试，或联系管理员。",
                     "Internal server error; it has been logged. Try again later or tell the "
                     "administrator."),
    "err_unsupported_media": ("请以 multipart/form-data（file 字段）或 GeoJSON（application/json）提交。",
                              "Send multipart/form-data (field 'file') or GeoJSON "
                              "(application/json)."),
}

#: closed vocabularies whose labels the core owns
VOCABULARIES = {
    "grade": GRADE_LABELS,
    "level": PROTECTION_LEVEL_LABELS,
    "project_type": PROJECT_TYPE_LABELS,
    "target_kind": TARGET_KIND_LABELS,
    "zone": ZONE_LABELS,
}


def text(key: str, lang: str | None = None, **values) -> str:
    """The label ``key`` in ``lang`` (default: the request's), with ``values`` filled in."""
    zh, en = STRINGS[key]
    s = zh if (lang or current_lang()) == "zh" else en
    return s.format(**values) if values else s


def vocab(name: str, key: str, lang: str | None = None) -> str:
    """The label of ``key`` in a closed vocabulary (grade, level, zone, ...)."""
    labels = VOCABULARIES[name].get(key)
    return labels[lang or current_lang()] if labels else str(key)


def lang_from_request() -> str:
    """``?lang=`` first, then the cookie, then Accept-Language (zh* → zh, else en)."""
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGS:
        return cookie
    for value, _quality in request.accept_languages:
        tag = value.lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "en"


def current_lang() -> str:
    lang = getattr(g, "lang", None)
    return lang if lang in LANGS else "en"


def client_strings(lang: str) -> dict[str, str]:
    """The labels the map's JavaScript needs, in one language."""
    keys = ["layer_sites", "layer_sections", "layer_control", "layer_attention",
            "layer_accuracy", "legend", "search_placeholder", "search_none", "name", "id",
            "county", "age", "formation", "fossils", "boundary", "protection_level",
            "accuracy", "last_patrol", "no_patrols", "details", "generalised", "footprint",
            "affected_targets", "drawn_count", "boundary_status"]
    out = {k: text(k, lang) for k in keys}
    for name in ("grade", "level", "zone", "target_kind"):
        out.update({f"{name}:{k}": v[lang] for k, v in VOCABULARIES[name].items()})
    return out
