## Báo cáo tình hình dư luận hằng tháng

report-period-title = Báo cáo tháng { $period }
report-not-allowed = Chỉ chi hội trưởng và cán bộ Hội cơ sở mới gửi được báo cáo tháng.
report-bad-period = Tháng chưa đúng. Gõ /baocao để làm báo cáo tháng { $current }; tháng trước còn mở thì gõ /baocao { $previous }.
report-period-locked = Kỳ báo cáo tháng { $period } đã khóa, không sửa được nữa. Việc cần báo thêm, chị ghi vào báo cáo tháng này (gõ /baocao).
report-intro = 📋 Báo cáo tháng { $period } — { $unit }. Hạn nộp: { $deadline }.
report-intro-parts = Gồm 5 phần; mỗi phần chị chọn một mục hoặc gõ ngắn gọn. Bot lưu ngay từng câu trả lời.
report-already-submitted = Báo cáo tháng { $period } đã gửi lúc { $time } (lần { $revision }). Chị vẫn có thể sửa đến khi kỳ báo cáo khóa.
button-correct-report = ✏️ Sửa báo cáo
button-continue-correction = Tiếp tục sửa dở
report-draft-found = Chị có bản nháp đã trả lời { $answered }/5 phần.
report-same-title = Báo cáo tháng { $previous } đã gửi:
report-same-incidents = không chép sang, bot sẽ hỏi lại
report-same-ask = Tháng { $period } vẫn như vậy thì chị chọn “Giữ như tháng trước”; có thay đổi thì chọn “Trả lời từng phần”.
button-same-keep = ✅ Giữ như tháng trước
button-same-sections = ✏️ Trả lời từng phần
report-same-kept = ✅ Đã giữ các phần như tháng { $previous } (riêng vụ việc thì không chép).
report-same-taken = Báo cáo tháng { $period } đã được làm (có bản nháp hoặc đã gửi), nên bot không chép tháng trước đè lên. Chị xem bên dưới nhé.
report-same-changed = Báo cáo tháng { $previous } vừa được sửa. Chị xem lại bản mới nhất bên dưới rồi chọn nhé.
report-same-gone = Không còn báo cáo tháng trước để giữ. Chị trả lời từng phần nhé.
report-same-closed = Đã đóng. Khi nào sẵn sàng, chị gõ /baocao để làm báo cáo nhé.
report-same-opinions = 💬 Trong tháng { $period }, chi hội nhận { $count } ý kiến của hội viên; chị xem ở phần 3 khi chọn “Trả lời từng phần”.
report-ask-level = Phần { $part }/5 — { $section } của hội viên trong tháng { $period } thế nào?
report-current-answer = {"\u000A"}(Đang chọn: { $answer })
report-ask-note = { $section }: chị có ghi chú gì thêm không? { $has_note ->
        [yes] Gõ ghi chú mới nếu muốn thay; không thì chọn “Giữ nguyên” hoặc “Xóa ghi chú”.
       *[no] Gõ ngắn gọn, hoặc chọn “Bỏ qua”.
    }
report-current-note = {"\u000A"}Ghi chú hiện tại: { $note }
button-keep-note = Giữ nguyên
button-clear-note = Xóa ghi chú
report-ask-incidents = Phần 4/5 — Trong tháng có vụ việc phát sinh, nổi cộm không?
button-yes-incident = Có
button-no-incident = Không có
report-incident-list = Phần 4/5 — Đã ghi { $count } vụ việc:
button-add-incident = ➕ Thêm vụ việc
button-delete-incident = 🗑 Xóa vụ { $n }
report-incident-item = Vụ { $n }: { $line }
report-incident-deleted = Đã xóa vụ việc.
report-incident-added = Đã ghi vụ việc { $n }.
report-ask-proposals = Phần 5/5 — Chi hội có đề xuất, kiến nghị gì không? { $has_text ->
        [yes] Gõ nội dung mới nếu muốn thay; không thì chọn “Giữ nguyên” hoặc “Xóa ghi chú”.
       *[no] Chị gõ ngắn gọn, hoặc chọn “Không có đề xuất”.
    }
button-no-proposals = Không có đề xuất
report-summary-title = 📋 Báo cáo tháng { $period } — { $unit }
report-missing = (chưa trả lời)
report-no-incidents = Không có
report-no-proposals = Không có
report-summary-ready = Chị kiểm tra lại, rồi chọn “Gửi báo cáo” hoặc phần cần sửa.
report-summary-incomplete = Còn phần chưa trả lời; chị chọn phần đó để hoàn thành.
button-submit = ✅ Gửi báo cáo
button-edit-labour = ✏️ Lao động
button-edit-living = ✏️ Đời sống
button-edit-thoughts = ✏️ Tâm tư
button-edit-incidents = ✏️ Vụ việc
button-edit-proposals = ✏️ Đề xuất
button-save-later = 💾 Lưu, làm tiếp sau
report-incomplete = Báo cáo còn thiếu phần chưa trả lời.
report-submitted = ✅ Đã gửi báo cáo tháng { $period } của { $unit } (hạn nộp { $deadline }). Cảm ơn chị!
report-corrected = ✅ Đã cập nhật báo cáo tháng { $period } của { $unit } (lần { $revision }).
report-saved-for-later = 💾 Đã lưu bản nháp. Gõ /baocao để làm tiếp.
report-opinions-header = Trong tháng { $period }, chi hội nhận { $count } ý kiến của hội viên:
report-opinions-more = {"\u000A"}… và { $count } ý kiến khác.

report-section-labour = Tình hình lao động, sản xuất
report-section-living = Đời sống văn hóa, tinh thần
report-section-thoughts = Tâm tư, nguyện vọng
report-section-incidents = Vụ việc phát sinh, nổi cộm
report-section-proposals = Đề xuất, kiến nghị
report-situation-stable = Ổn định
report-situation-concerns = Có khó khăn
report-situation-serious = Rất khó khăn
report-thoughts-stable = Phấn khởi, tin tưởng
report-thoughts-concerns = Có băn khoăn
report-thoughts-serious = Bức xúc

## Vụ việc (dùng cho báo cáo tháng và báo cáo khẩn)

incident-ask-field = Vụ việc thuộc lĩnh vực nào?
incident-ask-severity = { $field } — mức độ thế nào? Chọn “Rất phức tạp” thì bot báo khẩn ngay.
incident-ask-people = Khoảng bao nhiêu người liên quan? Chọn một khoảng hoặc gõ số người (ví dụ 12).
incident-bad-people = Chị gõ một con số thôi nhé (ví dụ 12).
incident-ask-description = Chị mô tả ngắn gọn vụ việc: ở đâu, diễn biến thế nào.
incident-line = { $field } — { $severity }, { $people }: { $description }
incident-people-range = từ { $from } đến { $to } người
incident-people-about = khoảng { $count } người
incident-field-land-clearance = Giải phóng mặt bằng
incident-field-contributions = Các khoản đóng góp
incident-field-merit-policy = Chính sách người có công
incident-field-security-order = An ninh trật tự
incident-field-other = Lĩnh vực khác
incident-severity-minor = Mức nhẹ
incident-severity-serious = Phức tạp
incident-severity-critical = Rất phức tạp

## Báo cáo khẩn, đột xuất

urgent-intro = 🚨 Báo cáo khẩn: bot gửi ngay tới cán bộ Hội cơ sở; nếu chưa ai nhận, bot chuyển tiếp lên Hội cấp trên.
urgent-confirm = Gửi báo cáo khẩn này?{"\u000A"}{ $incident }
button-send-now = 🚨 Gửi ngay
urgent-alert = 🚨 KHẨN — { $unit }{"\u000A"}{ $incident }{"\u000A"}Người báo: { $reporter }
urgent-sent = ✅ Đã gửi báo cáo khẩn tới { $count } cán bộ. Khi có cán bộ nhận, bot sẽ báo chị.
urgent-sent-nobody = ⚠️ Đã lưu báo cáo khẩn, nhưng chưa có cán bộ Hội nào dùng bot để nhận. Chị gọi điện trực tiếp cho cán bộ Hội cơ sở ngay nhé.

## Ý kiến của hội viên

opinion-ask = 💬 Chị muốn phản ánh điều gì với chi hội? Gõ nội dung vào đây nhé.
opinion-ask-signature = Ý kiến của chị:{"\u000A"}{ $text }{"\u000A"}Gửi kèm tên hay ẩn danh?
button-send-named = Gửi kèm tên
button-send-anonymous = Gửi ẩn danh
opinion-sent = ✅ Đã gửi ý kiến tới { $unit }. Cảm ơn chị!
opinion-to-head = 💬 Ý kiến mới của hội viên ({ $who }):{"\u000A"}{ $text }
opinion-anonymous-name = ẩn danh
report-urgent-raised = 🚨 Có { $count } vụ việc rất phức tạp: bot đã báo khẩn tới cán bộ Hội cơ sở.

## Nhắc nhở và quá hạn

reminder-prompt = 📋 Kỳ báo cáo tháng { $period } của { $unit } đã mở. Hạn nộp: { $deadline }.
reminder-again = ⏰ Chị ơi, báo cáo tháng { $period } của { $unit } chưa gửi. Hạn nộp: { $deadline }.
reminder-overdue = ⏰ Báo cáo tháng { $period } của { $unit } đã quá hạn ({ $deadline }). Chị gửi sớm giúp nhé.
button-open-report = 📋 Làm báo cáo
overdue-summary = ⚠️ Báo cáo tháng { $period } đã quá hạn, { $pending }/{ $total } đơn vị chưa nộp:
overdue-more = {"\u000A"}… và { $count } đơn vị khác.
button-remind-all = 🔔 Nhắc tất cả ngay
remind-all-done = { $people ->
        [0] Không gửi thêm nhắc nhở nào.
       *[other] Đã nhắc { $people } người.
    }
remind-all-summary = { $units ->
        [0] 🔔 Không còn đơn vị nào chưa nộp.
       *[other] { $people ->
            [0] 🔔 Không gửi thêm nhắc nhở nào: { $units } đơn vị chưa nộp đã được nhắc hôm nay hoặc chưa có ai dùng bot.
           *[other] 🔔 Đã gửi nhắc nhở tới { $people } người ở { $units } đơn vị chưa nộp.{ $nobody ->
                [0] {""}
               *[other] {" "}{ $nobody } đơn vị chưa có ai dùng bot.
            }
        }
    }
unreachable-to-head = ⚠️ { $name } ({ $unit }) chưa nhận được tin của bot (có thể đã chặn bot hoặc không còn dùng tài khoản này). Chị liên hệ trực tiếp giúp nhé.

## Cảnh báo khẩn: các bước xử lý

alert-status-open = Chưa có ai nhận
alert-status-acknowledged = Đã nhận
alert-status-in-progress = Đang xử lý
alert-status-resolved = Đã giải quyết
button-alert-ack = 👀 Đã nhận
button-alert-progress = 🛠 Đang xử lý
button-alert-resolved = ✅ Đã giải quyết
alert-status-line = Trạng thái: { $status }
alert-escalated-note = (Chuyển lên vì cấp dưới chưa có ai nhận.)
alert-already = Cảnh báo này đã ở trạng thái: { $status }.
alert-updated = Đã cập nhật: { $status }.
alert-list-not-allowed = Chỉ cán bộ Hội cơ sở và Hội cấp trên xem được cảnh báo.
alert-list-empty = Không có cảnh báo nào đang mở.
alert-list-title = 🚨 { $count } cảnh báo đang mở:
alert-list-item = Vụ #{ $n } — { $unit }{"\u000A"}{ $incident }{"\u000A"}Trạng thái: { $status }
alert-list-choice = { $to ->
        [ack] 👀 Nhận vụ #{ $n } — { $unit }
        [prog] 🛠 Đang xử lý vụ #{ $n } — { $unit }
       *[done] ✅ Đã giải quyết vụ #{ $n } — { $unit }
    }
alert-changed = Lưu ý: vụ #{ $n } vừa được cập nhật, hiện là “{ $status }”.
alert-list-more = Còn cảnh báo cũ hơn. Chị chọn “Xem thêm” để xem tiếp nhé.
alert-reporter-escalated = ⏫ Báo cáo khẩn của chị ({ $incident }) chưa có cán bộ nào nhận, bot đã chuyển lên Hội cấp trên.
alert-reporter-status = 🔔 Báo cáo khẩn của chị ({ $incident }): { $status } — { $name }, { $role }.

## Báo cáo của Hội cơ sở điền sẵn từ báo cáo các chi hội (issue 19 §2)

prefill-title = 🧩 Bot đã điền sẵn từ báo cáo của { $reported }/{ $branches } chi hội:
prefill-none-yet = Chưa chi hội nào gửi báo cáo tháng { $period } (0/{ $branches }), nên báo cáo bắt đầu trống.
prefill-more-branches = • … và { $count } chi hội khác
prefill-incidents = { $count } vụ, chép từ báo cáo chi hội
prefill-incidents-more = … và { $count } vụ nữa (xem ở phần 4 khi sửa từng phần)
prefill-incidents-left-out = ({ $count } vụ nhẹ hơn không chép được vì báo cáo có tối đa { $max } vụ.)
prefill-ask = Nếu đã đúng tình hình tháng { $period }, chị chọn “Gửi luôn”. Cần sửa hay thêm ý của Hội cơ sở thì chọn “Sửa từng phần”.
button-prefill-submit = ✅ Gửi luôn
button-prefill-sections = ✏️ Sửa từng phần
