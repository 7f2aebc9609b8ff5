## Thông báo (/thongbao): gửi tới hội viên, chi hội trưởng, cán bộ; xác nhận đã đọc; dừng nhận

menu-announce = 📣 Thông báo
cmd-thongbao = Thông báo: gửi, đọc, xem ai đã đọc
notice-later-announcement = (Chị đang làm dở một việc với bot nên tin này không kèm số để chọn. Xong việc, chị gõ /thongbao để xác nhận đã đọc.)

announce-kind-policy = Tuyên truyền chính sách, pháp luật
announce-kind-other = Khác
announce-audience-members = 👩 Hội viên
announce-audience-heads = 👩‍💼 Chi hội trưởng
announce-audience-officers = 🏛 Cán bộ Hội

announce-message = 📣 Thông báo của { $from } ({ $kind })

    { $text }
announce-again = 🔔 Nhắc lại: chị chưa xác nhận đã đọc thông báo này.
button-announce-read = ✅ Đã đọc
button-announce-stop = 🔕 Dừng nhận tin này
announce-read-thanks = Cảm ơn chị đã đọc thông báo.
announce-read-already = Chị đã xác nhận đọc thông báo này rồi.
announce-stopped = Đã dừng nhận tin “{ $kind }”. Nhắc báo cáo và cảnh báo khẩn vẫn đến như thường. Muốn nhận lại, chị chọn bên dưới hoặc gõ /thongbao.
button-announce-resume = 🔔 Nhận lại tin “{ $kind }”
announce-resumed = Chị sẽ nhận lại tin “{ $kind }”.

announce-home-title = 📣 Thông báo
announce-unread-title = Thông báo chị chưa xác nhận đã đọc:
announce-unread-line = • Tin { $n } ({ $date }): { $text }
button-announce-read-n = ✅ Đã đọc tin { $n }
announce-stopped-line = Chị đang dừng nhận tin “{ $kind }”.
announce-nothing = Chị không có thông báo nào chưa đọc.
button-announce-new = ✏️ Soạn thông báo mới
announce-sent-title = Thông báo chị đã gửi (chọn một tin để xem ai đã đọc):
button-announce-show = 📊 Tin { $n } ({ $date }): { $text }
announce-not-allowed = Chỉ cán bộ Hội và chi hội trưởng gửi được thông báo.

announce-ask-text = Chị gõ nội dung thông báo, ngắn gọn. Người nhận sẽ chọn “✅ Đã đọc” sau khi đọc.
announce-ask-unit = Chị gửi tới đơn vị nào?
button-announce-whole = Cả { $unit }
announce-ask-audience = Trong { $unit }, chị gửi cho ai?
announce-ask-kind = Thông báo này thuộc loại nào?
announce-preview = Xem trước, người nhận sẽ thấy:

    { $message }

    Gửi tới: { $audience } của { $unit } ({ $count } người dùng bot).
button-announce-send = 📤 Gửi
announce-sent = ✅ Đã gửi thông báo tới { $count } người. Chị gõ /thongbao để xem ai đã đọc.

announce-sent-later = Bây giờ là giờ nghỉ, nên bot sẽ gửi từ { $time }.
announce-reach = 📊 Tin { $n } ({ $date }), { $kind }:
    { $text }
    Gửi tới: { $audience } của { $unit }.
    Đã nhận { $delivered } · đã đọc { $read } · chưa đọc { $unread } · không gửi được { $unreachable }
announce-reach-pending = {" "}· đang gửi { $pending }
announce-reach-unit = • { $unit }: nhận { $delivered } · đọc { $read } · chưa đọc { $unread } · không gửi được { $unreachable }
button-announce-remind = 🔔 Nhắc người chưa đọc
announce-reminded = Đã nhắc { $count } người chưa đọc.
announce-remind-done-before = Chị đã nhắc một lần rồi: mỗi thông báo chỉ nhắc một lần.
announce-reminded-on = Đã nhắc người chưa đọc ngày { $date }.
button-announce-back = « Quay lại

## Ảnh, tệp gửi kèm thông báo

announce-ask-text-or-file = Chị gõ nội dung thông báo, ngắn gọn.
    Muốn kèm một ảnh hay một tệp (PDF, Word, Excel…), chị gửi ảnh hay tệp ấy, lời nhắn ghi ở phần chú thích.
    Người nhận sẽ chọn “✅ Đã đọc” sau khi đọc.
announce-file-too-big = ⚠️ Tệp này lớn quá, bot chỉ nhận đến { $max } MB. Chị gửi tệp nhỏ hơn, hoặc gõ nội dung thông báo.
announce-file-wrong-type = ⚠️ Bot chưa gửi được loại tệp này. Chị gửi ảnh, hoặc tệp { $types }; hoặc gõ nội dung thông báo.
announce-file-not-here = Thông báo soạn ở đây chỉ gửi được bằng chữ, chưa kèm được ảnh hay tệp. Chị gõ nội dung thông báo nhé.
announce-with-photo = 📎 Kèm một ảnh.
announce-with-document = 📎 Kèm tệp: { $name }
announce-file-link = 📎 Tải tệp: { $url }
    Liên kết dùng được { $days } ngày.
