"""The wording of every warning and refusal of a patrol upload, in 简体中文 and English.

``TEXTS[code] = (中文, English)``. ``{field}`` is the field in words (see
:func:`fossilgis.patrols.messages.field_words`); the other ``{names}`` are filled by
:func:`fossilgis.patrols.messages.message`, times in Beijing time. Each text says what is
wrong and what to do, in words a patroller uses; a warning says the patrol was stored.
The codes are part of the API (``code`` of each problem and warning): never rename one.
"""

from __future__ import annotations

#: an example of a time the patroller can copy
_TIME_ZH = "例如 2024-05-01 09:30（北京时间）或 2024-05-01T09:30:00+08:00"
_TIME_EN = "e.g. 2024-05-01 09:30 (Beijing time) or 2024-05-01T09:30:00+08:00"

TEXTS: dict[str, tuple[str, str]] = {
    # -- the head of a refusal ----------------------------------------------------------
    "refused": (
        "巡护记录未保存，请修改以下问题后重新提交。",
        "The patrol was not stored. Fix the problem below and send it again.",
    ),
    "refused_many": (
        "巡护记录未保存，请修改以下 {count} 处问题后重新提交。",
        "The patrol was not stored. Fix the {count} problems below and send it again.",
    ),
    # -- times ------------------------------------------------------------------------------
    "time_missing": (
        f"{{field}}未填写。请填写时间，{_TIME_ZH}。",
        f"{{field}} is missing. Give the time, {_TIME_EN}.",
    ),
    "time_missing_no_gpx": (
        "{field}未填写。请填写时间，或上传带时间的 GPX 轨迹。",
        "{field} is missing. Give the time, or upload a GPX track that has times.",
    ),
    "time_invalid": (
        f"{{field}}“{{value}}”不是可以识别的时间。请按这样的格式填写，{_TIME_ZH}。",
        f"{{field}}, “{{value}}”, is not a time that can be read. Write it like this, {_TIME_EN}.",
    ),
    "time_out_of_range": (
        "{field}“{value}”不在 {first} 年至 {last} 年之间。请检查日期和设备的时钟。",
        "{field}, “{value}”, is not between the years {first} and {last}. Check the date "
        "and the device's clock.",
    ),
    "time_in_future": (
        "{field}为 {time}，晚于服务器的当前时间 {now}。请检查手机或设备的日期、时间和时区，"
        "改正后重新提交。",
        "{field} is {time}, later than the server's time ({now}). Check the date, time and "
        "time zone of the phone or device, correct the time and send it again.",
    ),
    "end_before_start": (
        "巡护结束时间（{end}）早于开始时间（{start}）。请检查开始和结束的日期与时间。",
        "The patrol ends ({end}) before it starts ({start}). Check the start and end "
        "dates and times.",
    ),
    "long_patrol": (
        "巡护时段为 {period}，共 {hours} 小时，超过 {limit} 小时。记录已保存；请检查日期是否填错。",
        "The patrol lasts {hours} hours ({period}): more than {limit} hours. It was stored; "
        "check that the dates are right.",
    ),
    "time_outside_patrol": (
        "{field}为 {time}，不在巡护时段（{period}）之内。记录已保存；请检查这个点的时间，"
        "或巡护的开始和结束时间。",
        "{field}, {time}, is outside the patrol ({period}). It was stored; check the time "
        "of this point, or the start and end of the patrol.",
    ),
    # -- identifiers ------------------------------------------------------------------------
    "uuid_invalid": (
        "{field}“{value}”不是有效的 UUID。编号由应用自动生成，请不要改动；手工编写的文件请填写"
        "新生成的 UUID，例如 1b4e28ba-2fa1-11d2-883f-0016d3cca427。",
        "{field}, “{value}”, is not a valid UUID. The app makes this ID: do not change it. "
        "In a file written by hand, use a newly generated UUID such as "
        "1b4e28ba-2fa1-11d2-883f-0016d3cca427.",
    ),
    "duplicate_uuid": (
        "{field}与前面的记录点相同。每个记录点需要自己的编号；如果这个点是复制来的，"
        "请删除后重新添加。",
        "{field} is the same as that of an earlier point. Every point needs its own ID; if "
        "this point was copied, delete it and add it again.",
    ),
    "uuid_taken": (
        "{field}已属于服务器上的另一条巡护记录（{other}）。每个记录点需要自己的编号；"
        "请删除这个点后重新添加。",
        "{field} already belongs to another stored patrol ({other}). Every point needs its "
        "own ID; delete this point and add it again.",
    ),
    "conflict": (
        "编号为 {uuid} 的巡护记录已经保存过，但内容与这次提交的不同；已保存的记录不会被覆盖。"
        "如果这是另一次巡护，请新建一条记录；如果要修改已保存的记录，请打开该记录进行更正。",
        "A patrol with the ID {uuid} is already stored with different content; a stored "
        "record is never overwritten. If this is another patrol, start a new record; to "
        "change the stored one, open it and correct it there.",
    ),
    # -- text -----------------------------------------------------------------------------
    "not_text": (
        "{field}应为文字，收到的却是{kind}。请填写文字。",
        "{field} must be text, but {kind} was sent. Give it as text.",
    ),
    "bad_character": (
        "{field}的第 {position} 个字符（U+{codepoint}）是看不见的控制字符，无法保存。"
        "请删除它后重新提交（换行和制表符可以保留）。",
        "There is an invisible control character (U+{codepoint}) at position {position} of "
        "{field}, which cannot be stored. Delete it and send again (line breaks and tabs are "
        "fine).",
    ),
    "text_too_long": (
        "{field}有 {length} 个字符，最多只能有 {limit} 个。请缩短后重新提交。",
        "There are {length} characters in {field}; at most {limit} are allowed. Shorten it "
        "and send again.",
    ),
    "too_many_members": (
        "巡护人员有 {count} 人，最多 {limit} 人。请只填写参加这次巡护的人员。",
        "The team lists {count} people; at most {limit} are allowed. List only the people "
        "on this patrol.",
    ),
    "team_invalid": (
        "{field}应为人员姓名的列表，收到的却是“{value}”。",
        "{field} must be a list of names, but “{value}” was sent.",
    ),
    "no_team": (
        "没有填写巡护人员。记录已保存；以后请填写参加巡护的人员姓名。",
        "No team members were given. It was stored; next time, give the names of the people "
        "on the patrol.",
    ),
    # -- places -----------------------------------------------------------------------------
    "outside_guizhou": (
        "{field}有 {count} 个点在贵州省范围（{bounds}）之外，第一个在经度 {lon}、纬度 {lat}。"
        "{hint}请检查坐标：应为十进制度的经度和纬度（WGS 84 / CGCS2000）。",
        "{field} has {count} point(s) outside Guizhou ({bounds}); the first is at longitude "
        "{lon}, latitude {lat}. {hint}Check the coordinates: they must be longitude and "
        "latitude in decimal degrees (WGS 84 / CGCS2000).",
    ),
    "point_outside_guizhou": (
        "{field}（经度 {lon}，纬度 {lat}）在贵州省范围（{bounds}）之外。{hint}请检查这个点的坐标。",
        "{field} (longitude {lon}, latitude {lat}) is outside Guizhou ({bounds}). {hint}Check "
        "the coordinates of this point.",
    ),
    "no_location": (
        "巡护记录没有位置：没有轨迹、没有带坐标的记录点，也没有选择保护对象。请上传 GPX 轨迹、"
        "填写记录点的坐标，或选择化石产地或剖面。",
        "The patrol has no location: no track, no point with coordinates and no site or "
        "section. Upload a GPX track, give the points' coordinates, or choose the site or "
        "section.",
    ),
    "position_invalid": (
        "{field}“{value}”不是有效的坐标。请写成 [经度, 纬度]（十进制度），例如 [106.71, 26.58]。",
        "{field}, “{value}”, is not a valid position. Write it as [longitude, latitude] in "
        "decimal degrees, e.g. [106.71, 26.58].",
    ),
    "not_a_point": (
        "{field}应为一个点（GeoJSON Point）。",
        "{field} must be a single point (a GeoJSON Point).",
    ),
    "not_a_number": (
        "{field}“{value}”不是数字。请填写十进制度数，例如 106.71，或点击“使用当前位置”。",
        "{field}, “{value}”, is not a number. Give decimal degrees, e.g. 106.71, or press "
        "“Use my position”.",
    ),
    "coordinate_missing": (
        "{field}未填写。请填写坐标，或点击“使用当前位置”。",
        "{field} is missing. Give the coordinate, or press “Use my position”.",
    ),
    "number_out_of_range": (
        "{field}“{value}”不是 {low} 至 {high} 之间的数值（单位：米）。",
        "{field}, “{value}”, is not a number of metres between {low} and {high}.",
    ),
    "choice_invalid": (
        "{field}“{value}”无法识别，应为以下之一：{choices}。",
        "{field}, “{value}”, is not known; it must be one of: {choices}.",
    ),
    "track_not_geojson": (
        "{field}不是 GeoJSON 几何对象。请发送设备导出的 GPX 轨迹，或 GeoJSON 的 LineString。",
        "{field} is not a GeoJSON geometry. Send the GPX track from the device, or a "
        "GeoJSON LineString.",
    ),
    "track_not_line": (
        "{field}应为线（LineString 或 MultiLineString），收到的是“{value}”。"
        "单个位置请作为记录点发送。",
        "{field} must be a line (LineString or MultiLineString), not “{value}”. Send a "
        "single position as a point instead.",
    ),
    "track_coordinates_invalid": (
        "{field}的坐标无效：每条线应为坐标点 [经度, 纬度] 的列表。",
        "{field} has invalid coordinates: each line must be a list of [longitude, latitude] "
        "positions.",
    ),
    "track_too_short": (
        "{field}只有 1 个点，一条轨迹线至少需要 2 个点。请把这个位置作为记录点发送。",
        "{field} has a single point; a track line needs at least 2. Send this position as a "
        "point instead.",
    ),
    # -- choices and targets ------------------------------------------------------------------
    "unknown_category": (
        "{field}“{value}”无法识别。请选择以下类别之一：{choices}。",
        "{field}, “{value}”, is not a known category. Choose one of: {choices}.",
    ),
    "unknown_severity": (
        "{field}“{value}”无法识别。请选择以下之一：{choices}。",
        "{field}, “{value}”, is not a known severity. Choose one of: {choices}.",
    ),
    "unknown_target_kind": (
        "{field}“{value}”无法识别，应为化石产地（site）或层型剖面（section）。",
        "{field}, “{value}”, is not known; it must be site or section.",
    ),
    "unknown_target": (
        "{field}“{value}”在{kind}中找不到。请从列表中选择保护对象，或留空，由系统按位置匹配"
        "最近的保护对象。",
        "{field}, “{value}”, matches no {kind}. Choose the site or section from the list, or "
        "leave it empty to match the nearest one by location.",
    ),
    "far_from_target": (
        "轨迹距所选{kind} {id} 有 {km} 公里，超过 {limit} 公里。记录已保存；请确认保护对象"
        "是否选对。",
        "The track is {km} km from {kind} {id}, the one chosen: more than {limit} km. It "
        "was stored; check that the right {kind} was chosen.",
    ),
    "no_target_nearby": (
        "巡护位置 5 公里内没有化石产地或剖面。记录已保存，但没有关联保护对象；如果巡护的是某个"
        "保护对象，请检查坐标，或在表单中选择它。",
        "There is no site or section within 5 km of the patrol. It was stored without one; "
        "if the patrol was at a site or section, check the coordinates or choose it in the "
        "form.",
    ),
    # -- photos -----------------------------------------------------------------------------
    "photos_not_list": (
        "{field}应为照片文件名或哈希值的列表。",
        "{field} must be a list of photo file names or hashes.",
    ),
    "photo_hash_invalid": (
        "{field}“{value}”不是有效的 SHA-256 哈希值（64 位十六进制数）。",
        "{field}, “{value}”, is not a SHA-256 hash (64 hexadecimal digits).",
    ),
    "photo_unnamed": (
        "{field}既没有文件名也没有哈希值。请写明随记录上传的照片的文件名。",
        "{field} has neither a file name nor a hash. Give the file name of the photo sent "
        "with the record.",
    ),
    "photo_invalid": (
        "{field}“{value}”既不是文件名也不是哈希值。请写明随记录上传的照片的文件名。",
        "{field}, “{value}”, is neither a file name nor a hash. Give the file name of the "
        "photo sent with the record.",
    ),
    "photo_not_on_server": (
        "{field}（SHA-256 {sha}…）不在服务器上。请把照片文件随记录一起上传。",
        "{field} (SHA-256 {sha}…) is not on the server. Send the photo file with the record.",
    ),
    "photo_not_sent": (
        "{field}“{name}”在记录中写明了，但没有随记录上传。请重新选择这张照片后再提交。",
        "{field}, “{name}”, is named in the record but was not sent. Choose the photo again "
        "and send the record again.",
    ),
    "photo_no_position": (
        "照片“{name}”没有 GPS 位置，已附在整条巡护记录上，而不是某个记录点。记录已保存。",
        "Photo “{name}” has no GPS position, so it was attached to the whole patrol rather "
        "than to a point. It was stored.",
    ),
    "photo_too_large": (
        "{field}“{name}”有 {size} MB，超过 {limit} MB 的上限。请缩小照片（例如在手机上选择"
        "较小的尺寸）后重新提交。",
        "{field}, “{name}”, is {size} MB, over the {limit} MB limit. Make the photo smaller "
        "(e.g. choose a smaller size on the phone) and send it again.",
    ),
    "photo_not_image": (
        "{field}“{name}”不是 JPEG 或 PNG 图片。只接受 JPEG 和 PNG 照片；"
        "请选择相机或手机拍摄的照片。",
        "{field}, “{name}”, is not a JPEG or PNG image. Only JPEG and PNG photos are "
        "accepted; choose a photo taken with the camera or phone.",
    ),
    "photo_wrong_extension": (
        "{field}“{name}”的扩展名与内容不符（内容是 {mime}）。"
        "请把文件改名为 .jpg 或 .png 后重新提交。",
        "{field}, “{name}”: the file name's extension does not match its content ({mime}). "
        "Rename it to .jpg or .png and send it again.",
    ),
    "photo_damaged": (
        "{field}“{name}”已损坏或像素过多，无法打开。请重新导出或重新拍摄后再提交。",
        "{field}, “{name}”, is damaged or has too many pixels and cannot be opened. Export or "
        "take it again and send it again.",
    ),
    # -- the data sent ----------------------------------------------------------------------
    "body_invalid": (
        "{field}不是巡护记录的 GeoJSON（FeatureCollection）。请用巡护表单或应用提交；自行编写时"
        "请按 docs/patrols.md 中的交换格式。",
        "{field} is not a patrol in GeoJSON (a FeatureCollection). Send it with the patrol "
        "form or app; when writing it yourself, follow the exchange format in "
        "docs/patrols.md.",
    ),
    "not_json": (
        "提交的数据不是有效的 JSON（{reason}）。请用巡护表单或应用重新提交。",
        "The data sent is not valid JSON ({reason}). Send it again with the patrol form or app.",
    ),
    "several_patrols": (
        "提交的数据包含 {count} 条巡护记录，每次只能提交一条。请分开提交。",
        "The data sent holds {count} patrols; send one patrol at a time.",
    ),
    "no_patrol": (
        "提交的数据中没有巡护要素（feature_type 为 patrol 的要素）。",
        "The data sent has no patrol feature (a feature with feature_type patrol).",
    ),
    "feature_invalid": (
        "{field}不是 GeoJSON 要素（Feature）对象。",
        "{field} is not a GeoJSON Feature object.",
    ),
    "properties_invalid": (
        "{field}应为 JSON 对象，收到的是“{value}”。",
        "{field} must be a JSON object, not “{value}”.",
    ),
    "feature_type_invalid": (
        "{field}“{value}”无法识别，应为 patrol（巡护）或 waypoint（记录点）。",
        "{field}, “{value}”, is not known; it must be patrol or waypoint.",
    ),
    "unknown_patrol_uuid": (
        "{field}“{value}”不是这批数据中任何巡护记录的编号。",
        "{field}, “{value}”, is the ID of no patrol in the data sent.",
    ),
    # -- GPX files ----------------------------------------------------------------------------
    "gpx_unreadable": (
        "GPX 轨迹文件“{name}”无法读取：{reason}。请在设备上重新导出 GPX 1.1 格式的轨迹后再上传。",
        "The GPX track file “{name}” cannot be read: {reason}. Export the track from the "
        "device again as GPX 1.1 and upload it.",
    ),
    "gpx_time_missing": (
        "{field}缺失（航点名称“{name}”）。每个航点都需要时间；"
        "请在设备上重新导出带时间的 GPX 文件。",
        "{field} is missing (waypoint name “{name}”). Every waypoint needs its time; export "
        "the GPX file from the device again with times.",
    ),
    "gpx_single_point_segment": (
        "GPX 轨迹中有一段只有 1 个点，已略去。记录已保存。",
        "A segment of the GPX track had a single point and was left out. It was stored.",
    ),
    "gpx_routes_ignored": (
        "GPX 文件中的计划路线（<rte>）已忽略，只有实际记录的轨迹才算巡护。记录已保存。",
        "The planned routes (<rte>) in the GPX file were ignored; only recorded tracks count "
        "as patrols. It was stored.",
    ),
}
