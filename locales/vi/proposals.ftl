## Kiến nghị (/kiennghi): kiến nghị của chi hội từ báo cáo tháng hoặc ý kiến hội viên, được Hội tiếp nhận, chuyển lên, trả lời

cmd-kiennghi = Kiến nghị của chi hội: xem, trả lời
menu-proposals = 📨 Kiến nghị
proposals-help = { $who ->
    [head] /kiennghi — kiến nghị của chi hội đã được trả lời chưa; chuyển ý kiến hội viên lên Hội cơ sở
   *[officer] /kiennghi — kiến nghị của các chi hội đang chờ: tiếp nhận, chuyển lên, trả lời
}
proposals-not-allowed = Kiến nghị do chi hội trưởng gửi lên Hội cơ sở. Chị có ý kiến thì gõ /ykien để gửi chi hội nhé.

proposals-status-new = mới
proposals-status-received = đã tiếp nhận
proposals-status-forwarded = đã chuyển lên cấp trên
proposals-status-answered = đã trả lời
proposals-from-report = Báo cáo tháng { $period }
proposals-from-opinion = Ý kiến hội viên tháng { $period }

proposals-list-title = 📨 Kiến nghị đang chờ — { $unit }: { $count }
proposals-list-empty = Không có kiến nghị nào đang chờ trả lời.
proposals-list-line = Kiến nghị { $n } · { $unit } · ngày { $date } · { $status }
    “{ $text }”
button-proposals-show = 📨 Kiến nghị { $n } · { $unit }

proposals-item = 📨 Kiến nghị { $n } — { $unit }
    { $source }, gửi ngày { $date }
    “{ $text }”
    Tình trạng: { $status }
button-proposals-receive = 👀 Đã tiếp nhận
button-proposals-forward = ⬆ Chuyển lên cấp trên
button-proposals-answer = ✍️ Trả lời
button-proposals-back = ⬅ Quay lại danh sách
button-proposals-open = 📨 Xem kiến nghị
proposals-not-open = Kiến nghị { $n } { $status }, chị không cần xử lý nữa.
proposals-received = Đã ghi nhận: Hội đã tiếp nhận kiến nghị { $n }.
proposals-received-already = Kiến nghị { $n } đã được tiếp nhận trước đó rồi.
proposals-forward-nobody = Cấp trên chưa có ai dùng bot nên chưa chuyển được. Chị trả lời giúp chi hội nhé.
proposals-forwarded = ⬆ Đã chuyển kiến nghị { $n } lên Hội cấp trên. Chi hội sẽ nhận trả lời khi cấp trên trả lời.
proposals-ask-reply = ✍️ Chị gõ câu trả lời cho kiến nghị { $n }, ngắn gọn. Bot gửi tới chi hội đã kiến nghị.
proposals-answered = ✅ Đã gửi câu trả lời kiến nghị { $n } tới { $unit }.

proposals-head-title = 📨 Kiến nghị của chi hội
proposals-head-none = Chi hội chưa có kiến nghị nào. Kiến nghị chị ghi trong báo cáo tháng sẽ được gửi lên Hội cơ sở.
proposals-head-line = • { $source }: “{ $text }” — { $status }
proposals-reply-line =   ➡ Trả lời: { $reply }
proposals-opinions-title = Ý kiến hội viên chị có thể chuyển lên Hội cơ sở thành kiến nghị:
proposals-opinion-line = { $k }) { $who }: “{ $text }”
button-proposals-forward-opinion = ⬆ Chuyển ý kiến { $k }
proposals-opinion-forwarded = ⬆ Đã chuyển ý kiến lên Hội cơ sở thành kiến nghị. Có trả lời, bot báo chị và hội viên (nếu ý kiến có ghi tên).
proposals-opinion-forwarded-already = Ý kiến này đã được chuyển lên rồi.

proposals-to-officer = 📨 Kiến nghị { $n } của { $unit }:
    “{ $text }”
    { $why ->
        [forwarded] Hội cấp dưới đã chuyển kiến nghị này lên chị.
        [climbed] Kiến nghị chưa được trả lời sau { $days } ngày nên chuyển lên chị.
       *[new] Chị xem, tiếp nhận hoặc trả lời giúp chi hội nhé.
    }
proposals-answer-to-branch = 💬 { $whose ->
        [member] Ý kiến chị gửi
       *[branch] Kiến nghị của chi hội
    } đã được { $from } trả lời.
    Kiến nghị: “{ $text }”
    Trả lời: { $reply }

proposals-in-report-title = 📨 Kiến nghị các tháng trước:
proposals-in-report-answered = • { $source } “{ $text }” — đã trả lời: { $reply }
proposals-in-report-open = • { $source } “{ $text }” — { $status }, chưa có trả lời

proposals-progress-total = 📨 Kiến nghị chưa trả lời: { $count }
proposals-progress-unit = • { $unit }: { $count } kiến nghị
