## Lấy ý kiến, góp ý dự thảo (/laykien): hỏi hội viên, chi hội trưởng, cán bộ; trả lời một lần chọn; kết quả theo đơn vị

menu-polls = 🗳 Lấy ý kiến
cmd-laykien = Lấy ý kiến, góp ý dự thảo
help-polls = /laykien — lấy ý kiến, góp ý dự thảo văn bản
notice-later-poll = (Chị đang làm dở một việc với bot nên tin này không kèm số để chọn. Xong việc, chị gõ /laykien để trả lời.)

poll-option-agree = Đồng ý
poll-option-disagree = Không đồng ý
poll-option-other = Ý kiến khác
poll-option-yes = Có
poll-option-no = Không

poll-message = 🗳 { $from } xin ý kiến của chị:
    { $question }
poll-message-draft = 📄 { $from } xin chị góp ý dự thảo:
    { $question }
poll-deadline = Hạn trả lời: { $time }.
poll-how-options = Chị chọn một ý bên dưới. Muốn đổi ý, chị chọn lại trước hạn.
poll-how-both = Chị chọn một ý bên dưới, hoặc chọn “💬 Gửi góp ý” để viết thêm. Muốn đổi ý, chị chọn lại trước hạn.
poll-how-comment = Chị chọn “💬 Gửi góp ý” rồi gõ ý kiến của mình.
button-poll-comment = 💬 Gửi góp ý

poll-answer-recorded = ✅ Đã ghi ý kiến của chị: “{ $option }”. Cảm ơn chị!
poll-answer-changed = ✅ Đã đổi ý kiến của chị thành “{ $option }”.
poll-answer-same = Chị đã chọn “{ $option }” rồi, bot chỉ tính một lần.
poll-closed-refused = Đợt lấy ý kiến đã kết thúc lúc { $time }, nên bot không ghi thêm ý kiến nữa. Cảm ơn chị đã quan tâm!
poll-ask-comment = Chị gõ góp ý của mình cho:
    { $question }
poll-comment-recorded = ✅ Đã ghi góp ý của chị. Cảm ơn chị!
poll-comment-changed = ✅ Đã thay góp ý trước của chị bằng góp ý mới.

poll-home-title = 🗳 Lấy ý kiến
poll-open-title = Đợt lấy ý kiến chị chưa trả lời:
poll-open-line = • Đợt { $n } (hạn { $date }): { $text }
button-poll-answer = 🗳 Trả lời đợt { $n }
poll-nothing = Chị không có đợt lấy ý kiến nào cần trả lời.
button-poll-new = ➕ Lấy ý kiến mới
poll-sent-title = Các đợt chị đã gửi (chọn một đợt để xem kết quả):
button-poll-show = 📊 Đợt { $n } ({ $date }): { $text }
poll-not-allowed = Chỉ cán bộ Hội và chi hội trưởng lấy ý kiến được.

poll-ask-kind = Đợt lấy ý kiến này về việc gì?
button-poll-draft = 📄 Góp ý dự thảo văn bản
button-poll-question = ❓ Hỏi ý kiến
poll-ask-draft = Chị gõ tên dự thảo và điều cần góp ý, ví dụ: Dự thảo Luật Đất đai (sửa đổi), góp ý về bồi thường khi thu hồi đất.
poll-ask-question = Chị gõ câu hỏi, ngắn gọn.
poll-ask-options = Người nhận trả lời thế nào?
button-poll-type-options = ✏️ Tự gõ các lựa chọn
button-poll-comments-only = 💬 Chỉ nhận góp ý bằng chữ
poll-ask-type-options = Chị gõ từng lựa chọn, mỗi tin một lựa chọn (từ { $min } đến { $max } lựa chọn, mỗi lựa chọn ngắn gọn). Gõ đủ thì chọn “✅ Xong”.
poll-options-so-far = Đã có:
button-poll-options-done = ✅ Xong
poll-option-repeated = Lựa chọn này đã có rồi. Chị gõ lựa chọn khác nhé.
poll-ask-comments = Cho người nhận viết thêm góp ý bằng chữ không?
button-poll-comments-yes = 💬 Có, nhận thêm góp ý
button-poll-comments-no = Không, chỉ chọn
poll-ask-closing = Hạn trả lời là bao lâu?
button-poll-days = { $days } ngày
poll-ask-unit = Chị hỏi ý kiến đơn vị nào?
poll-preview = Xem trước, người nhận sẽ thấy:

    { $message }

    Gửi tới: { $audience } của { $unit } ({ $count } người dùng bot).
poll-preview-target = Đợt góp ý dự thảo này được tính vào chỉ tiêu 7 của Hội cơ sở.
button-poll-send = 📤 Gửi
poll-sent = ✅ Đã gửi tới { $count } người. Hạn trả lời: { $time }. Hết hạn, bot gửi kết quả cho chị và cho người đã trả lời.
poll-activity-description = Lấy ý kiến đợt { $n }: { $text }

poll-result-title = 📊 Kết quả lấy ý kiến đợt { $n } của { $from }:
    { $question }
poll-closed-on = Đã kết thúc lúc { $time }.
poll-result-area = { $area }: { $answered }/{ $total } người đã trả lời ({ $pct }%).
poll-result-option = • { $option }: { $count } người ({ $pct }%)
poll-result-units-title = Theo đơn vị:
poll-result-unit = • { $unit }: trả lời { $answered }/{ $total } ({ $pct }%)
poll-result-comments-title = Góp ý bằng chữ:
poll-result-comment = • { $unit }: { $text }
button-poll-chart = 📈 Xem biểu đồ
poll-chart-title = Đợt { $n }: { $text }
poll-chart-legend = Số người chọn
button-poll-table = 📥 Tải bảng kết quả
poll-table-ready = 📥 Bảng kết quả đợt { $n } theo đơn vị.
poll-table-unit = Đơn vị
poll-table-asked = Số người được hỏi
poll-table-answered = Số người đã trả lời
poll-table-total = Tổng cộng
