## Tiến độ, chỉ tiêu, biểu đồ, xuất báo cáo, bản tin đầu tháng

menu-progress = 📊 Tiến độ
menu-targets = 🎯 Chỉ tiêu
menu-export = 📥 Xuất báo cáo
view-not-allowed = Chỉ cán bộ Hội cơ sở và Hội cấp trên xem được tiến độ và chỉ tiêu.
progress-title = 📊 Tiến độ báo cáo tháng { $period } — { $unit }
progress-counts = ✅ Đúng hạn: { $on_time } · 🕓 Chậm: { $late } · ❌ Chưa nộp: { $missing } (đúng hạn { $pct }%)
progress-level-line = { $level } — { $counts }
progress-unit-line = { $unit }: ✅ { $on_time } · 🕓 { $late } · ❌ { $missing }
progress-branch-on-time = ✅ { $unit }
progress-branch-late = 🕓 { $unit } (nộp chậm)
progress-branch-missing = ❌ { $unit } (chưa nộp)
progress-nothing-expected = Không có đơn vị nào phải báo cáo.
button-remind-pending = 🔔 Nhắc đơn vị chưa nộp
button-chart = 📈 Biểu đồ
button-previous-month = « Tháng trước
targets-title = 🎯 Chỉ tiêu năm { $year } — { $unit }
targets-line = { $state ->
    [met] ✅
    [near] ⚠️
    [far] ❗
   *[none] ▫️
} Chỉ tiêu { $number }: { $title } — đạt { $pct }% (mục tiêu { $goal }%; { $achieved }/{ $total } { $level })
targets-legend = ✅ đã đạt · ⚠️ gần đạt (từ 70% mục tiêu) · ❗ còn xa · ▫️ chưa có số liệu
chart-coming = Đang vẽ biểu đồ…
chart-on-time = Đúng hạn
chart-late = Chậm
chart-missing = Chưa nộp
chart-achieved = Đạt
chart-goal = Mục tiêu
chart-more = … và { "{" }n{ "}" } đơn vị khác
export-ask-range = 📥 Xuất báo cáo kỳ nào?
export-this-month = Tháng { $period }
export-half = 6 tháng { $half ->
    [1] đầu
   *[2] cuối
} năm { $year }
export-year = Cả năm { $year }
export-ask-format = { $range } — chị muốn nhận tệp loại nào?
export-coming = ⏳ Đang chuẩn bị tệp, bot sẽ gửi ngay khi xong.
file-busy = ⏳ Tệp chị yêu cầu trước vẫn đang được chuẩn bị. Chị chờ bot gửi xong tệp đó rồi yêu cầu tệp khác nhé.
export-ready = 📥 { $range } — { $unit }: { $rows ->
        [0] chưa có báo cáo tháng nào.
       *[other] { $rows } báo cáo tháng.
    }
export-too-big = { $range } — { $unit }: tệp báo cáo nặng { $size }, quá giới hạn { $limit } gửi qua tin nhắn nên bot không gửi được.
    Chị thử xuất một tháng, hoặc nhờ cán bộ quản trị xuất giúp.

digest-title = 📬 Bản tin tháng { $period } — { $unit }
digest-reported-on-time = • Chi hội đã gửi báo cáo lúc { $time } (đúng hạn). Cảm ơn chị!
digest-reported-late = • Chi hội đã gửi báo cáo lúc { $time } (chậm hạn).
digest-not-reported = • Chi hội chưa gửi báo cáo tháng { $period }.
digest-ancestor = • { $unit }: { $submitted }/{ $expected } đơn vị đã nộp, { $pct }% đúng hạn.
digest-activities = { $count ->
        [0] • Chưa ghi hoạt động nào trong tháng { $period }.
       *[other] • Hoạt động đã ghi trong tháng { $period }: { $count }.
    }
digest-proposals = • Đề xuất của chi hội: “{ $text }” — đã chuyển lên Hội cấp trên.
button-format-xlsx = Bảng tính Excel
button-format-csv = Tệp CSV (cho máy tính)
