"""Every label, legend and message of the web map in 简体中文 and English: one table."""
# ruff: noqa: E501  (a table of bilingual strings reads better one entry per line)

from __future__ import annotations

from flask import g, request

from fossilgis.patrols.model import CHINA_TZ, OBSERVATION_CATEGORIES, SEVERITIES
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
    # -- accounts ------------------------------------------------------------------------
    "nav_patrols": ("巡查记录", "Patrols"),
    "nav_alerts": ("告警", "Alerts"),
    "nav_new_patrol": ("新建巡查", "New patrol"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "login_title": ("工作人员登录", "Staff sign-in"),
    "login_intro": ("登录后可上传巡查记录、查看精确边界、照片和巡查人员。访客可浏览概略地图。",
                    "Sign in to upload patrols and see precise boundaries, photos and team "
                    "members. Visitors may browse the generalised map."),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "role:admin": ("管理员", "administrator"),
    "role:patroller": ("巡护员", "patroller"),
    "role:viewer": ("查看者", "viewer"),
    "err_login": ("用户名或密码错误，或账号已停用。", "Wrong user name or password, or the account is disabled."),
    "err_login_blocked": ("登录失败次数过多，请 {minutes} 分钟后再试。",
                          "Too many failed sign-ins; try again in {minutes} min."),
    "err_csrf": ("表单已过期或来源不明（CSRF 校验失败）。请刷新页面后重新提交。",
                 "The form has expired or did not come from this site (CSRF check failed). "
                 "Reload the page and send it again."),
    "err_sign_in_api": ("需要登录：请使用 Authorization: Bearer <API 令牌>，或先在网页登录。",
                        "Sign-in needed: send Authorization: Bearer <API token>, or sign in on "
                        "the web page first."),
    "err_bad_token": ("API 令牌无效、已撤销或所属账号已停用；请向管理员申请新令牌。",
                      "The API token is unknown, revoked or of a disabled account; ask an "
                      "administrator for a new one."),
    "err_need_write": ("此操作需要巡护员或管理员权限；当前账号 {user}（{role}）只能查看。",
                       "This needs the patroller or admin role; {user} ({role}) may only read."),
    "err_need_admin": ("此操作需要管理员权限；当前账号 {user}（{role}）。",
                       "This needs the admin role; {user} is {role}."),
    "err_too_many": ("请求过于频繁，请稍后再试。", "Too many requests; try again later."),
    # -- patrols -------------------------------------------------------------------------
    "err_patrol_media": ("请以 application/json（GeoJSON 交换格式）或 multipart/form-data（patrol 部分 + 照片）提交。",
                         "Send application/json (the GeoJSON exchange format) or "
                         "multipart/form-data (a 'patrol' part and photo files)."),
    "err_patrol_not_found": ("没有编号为 {uuid} 的巡查记录。", "There is no patrol {uuid}."),
    "err_patrol_invalid": ("巡查记录未保存，请修改以下问题：", "The patrol was not stored; fix these problems:"),
    "err_bad_date": ("{field} 须为日期 YYYY-MM-DD，收到 {value!r}。", "{field} must be a date YYYY-MM-DD, got {value!r}."),
    "err_bad_category": ("未知类别 {value!r}；可用：{known}。", "Unknown category {value!r}; known: {known}."),
    "err_bad_format": ("未知导出格式 {fmt!r}；可用：{known}。", "Unknown export format {fmt!r}; known: {known}."),
    "patrols_title": ("巡查记录", "Patrols"),
    "patrol_title": ("巡查记录", "Patrol"),
    "new_patrol_title": ("新建巡查记录", "New patrol"),
    "new_patrol_intro": ("填写后点击“提交”。无网络时记录保存在本机，联网后自动发送，服务器确认后才从本机删除。",
                         "Fill in and press Send. Without a network the patrol is kept on this "
                         "device and sent when the network returns; it is removed from the "
                         "device only after the server confirms it."),
    "field_target": ("保护对象", "Site or section"),
    "infer_target": ("按位置自动判断（5 公里内最近）", "infer from the location (nearest within 5 km)"),
    "field_team": ("巡查人员（逗号分隔）", "Team (comma-separated)"),
    "field_started": ("开始时间", "Start"),
    "field_ended": ("结束时间", "End"),
    "times_hint": ("北京时间；上传 GPX 轨迹时可留空。", "China Standard Time; may be left empty when a GPX track is uploaded."),
    "field_purpose": ("目的", "Purpose"),
    "field_notes": ("备注", "Notes"),
    "field_gpx": ("GPX 轨迹", "GPX track"),
    "field_photos": ("照片（JPEG/PNG）", "Photos (JPEG/PNG)"),
    "photos_hint": ("每张不超过 {mb} MB；带 GPS 的照片自动归入 50 米内的观测点。",
                    "At most {mb} MB each; photos with GPS join the observation within 50 m."),
    "observations": ("观测", "Observations"),
    "add_observation": ("添加观测", "Add observation"),
    "obs_category": ("类别", "Category"),
    "obs_severity": ("严重程度", "Severity"),
    "obs_description": ("描述", "Description"),
    "obs_lon": ("经度", "Longitude"),
    "obs_lat": ("纬度", "Latitude"),
    "obs_time": ("观测时间", "Observed at"),
    "obs_photos": ("照片", "Photos"),
    "obs_remove": ("删除此观测", "Remove"),
    "use_location": ("使用当前位置", "Use my position"),
    "submit_patrol": ("提交", "Send"),
    "outbox_title": ("本机待发送", "Waiting on this device"),
    "outbox_saved": ("已保存在本机，正在发送……", "Saved on this device; sending…"),
    "outbox_sent": ("服务器已保存。", "Stored by the server."),
    "outbox_offline": ("暂无网络：记录保存在本机，联网后自动发送。", "No network: kept on this device, sent when the network returns."),
    "outbox_refused": ("服务器拒收：", "Refused by the server:"),
    "outbox_sign_in": ("登录已过期：请重新登录，记录仍保存在本机。", "Your sign-in has expired: sign in again; the patrol is still kept on this device."),
    "outbox_pending": ("{n} 条记录待发送", "{n} patrol(s) waiting to be sent"),
    "outbox_none": ("本机没有待发送的记录。", "Nothing is waiting on this device."),
    "outbox_retry": ("立即发送", "Send now"),
    "outbox_discard": ("放弃", "Discard"),
    "outbox_open": ("查看", "Open"),
    "outbox_warnings": ("提示：", "Notes:"),
    "filter": ("筛选", "Filter"),
    "filter_since": ("起始日期", "From"),
    "filter_until": ("截止日期", "To"),
    "filter_category": ("观测类别", "Observation"),
    "any": ("全部", "any"),
    "alerts_only": ("仅告警类", "alerts only"),
    "show_deleted": ("含已删除", "include deleted"),
    "apply": ("应用", "Apply"),
    "n_patrols": ("共 {n} 条", "{n} patrol(s)"),
    "showing_first": ("（显示前 {limit} 条）", "(showing the first {limit})"),
    "col_date": ("日期", "Date"),
    "col_team": ("人员", "Team"),
    "col_waypoints": ("观测点", "Waypoints"),
    "col_alerts": ("告警", "Alerts"),
    "col_photos": ("照片", "Photos"),
    "col_by": ("上传人", "Uploaded by"),
    "col_when": ("时间", "When"),
    "col_user": ("用户", "User"),
    "col_action": ("操作", "Action"),
    "deleted_badge": ("已删除", "deleted"),
    "delete": ("删除", "Delete"),
    "restore": ("恢复", "Restore"),
    "confirm_delete": ("删除此巡查记录？管理员可以恢复。", "Delete this patrol? An administrator can restore it."),
    "patrol_created": ("已保存。", "Stored."),
    "patrol_resent": ("该记录此前已保存，未作更改。", "This patrol was stored before; nothing changed."),
    "inferred": ("按位置判断，距离 {m} m", "inferred from the location, {m} m away"),
    "created_at": ("接收时间", "Received"),
    "waypoints": ("观测点", "Waypoints"),
    "photos": ("照片", "Photos"),
    "audit_log": ("操作记录", "Audit log"),
    "staff_only_note": ("登录后可见人员、备注、照片和精确位置。", "Sign in to see the team, notes, photos and exact positions."),
    "alerts_title": ("告警：人为破坏、非法采挖、工程侵占", "Alerts: human damage, illegal excavation, encroachment"),
    "alerts_intro": ("依《古生物化石保护条例》第十八条：主管部门应在 24 小时内赶赴现场，7 日内提出处理意见。时限自观测时间起算。",
                     "Under Art. 18 of the Fossil Protection Regulations the authority must be "
                     "on site within 24 hours and give its handling opinion within 7 days, "
                     "counted from the observation time."),
    "col_category": ("类别", "Category"),
    "col_severity": ("严重程度", "Severity"),
    "col_report": ("观测时间", "Observed"),
    "col_on_site": ("24 小时到场", "On site (24 h)"),
    "col_opinion": ("7 日意见", "Opinion (7 d)"),
    "col_status": ("状态", "Status"),
    "status:open": ("未到期", "open"),
    "status:overdue": ("已超期", "overdue"),
    "no_alerts": ("暂无告警。", "No alerts."),
    "layer_alerts": ("告警", "Alerts"),
    "layer_coverage": ("{days} 天内未巡查", "Not patrolled in {days} days"),
    "photo_of": ("照片 {name}", "Photo {name}"),
    "check_sign_in": ("筛查需要登录（审查人员可使用查看者账号）；未登录可浏览地图。",
                      "Screening needs a sign-in (reviewers have viewer accounts); visitors "
                      "may browse the map."),
}

#: closed vocabularies whose labels the core owns
VOCABULARIES = {
    "grade": GRADE_LABELS,
    "level": PROTECTION_LEVEL_LABELS,
    "project_type": PROJECT_TYPE_LABELS,
    "target_kind": TARGET_KIND_LABELS,
    "zone": ZONE_LABELS,
    "category": {k: {"zh": v.zh, "en": v.en} for k, v in OBSERVATION_CATEGORIES.items()},
    "severity": {k: {"zh": v.zh, "en": v.en} for k, v in SEVERITIES.items()},
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
            "affected_targets", "drawn_count", "boundary_status", "layer_patrols",
            "layer_alerts", "col_date", "col_waypoints", "col_alerts", "patrol_title",
            "target", "layer_coverage", "status:open", "status:overdue"]
    out = {k: text(k, lang) for k in keys}
    for name in ("grade", "level", "zone", "target_kind", "severity"):
        out.update({f"{name}:{k}": v[lang] for k, v in VOCABULARIES[name].items()})
    return out


def cst(value, with_time: bool = True) -> str:
    """A time as China Standard Time text (``2025-05-08 10:30``), or "–" when missing."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    return ts.tz_convert(CHINA_TZ).strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
