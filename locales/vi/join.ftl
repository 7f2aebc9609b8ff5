## Tham gia: mã mời, xin vào chi hội, duyệt

join-how = Chào chị! Đây là trợ lý tự động (bot) của Hội LHPN. Để bắt đầu, chị gửi mã mời do cán bộ Hội đưa vào đây (dán nguyên tin nhắn mời cũng được), hoặc chọn “🙋 Xin vào chi hội”.
join-welcome = Chào chị { $name }! Chị đã tham gia { $unit } với vai trò { $role }.
join-code-unknown = Mã mời không đúng. Chị kiểm tra lại mã hoặc hỏi cán bộ Hội.
join-code-expired = Mã mời đã hết hạn. Chị xin cán bộ Hội gửi mã mới nhé.
join-code-used-up = Mã mời đã được dùng hết lượt. Chị xin cán bộ Hội gửi mã mới nhé.
join-code-revoked = Mã mời này đã bị thu hồi. Chị xin cán bộ Hội gửi mã mới nhé.
join-code-already-used = Chị đã dùng mã mời này rồi. Muốn tham gia lại, chị xin cán bộ Hội gửi mã mới nhé.
join-pick-top = Chị thuộc đơn vị nào? Chọn lần lượt từng cấp, đến chi hội của mình:
join-pick-inside = { $unit } — chọn tiếp:
join-pick-empty = Ở đây chưa có chi hội nào. Chị quay lại chọn đơn vị khác, hoặc xin mã mời từ chi hội trưởng nhé.
join-confirm = Chị muốn xin vào { $unit }?
button-send-request = Gửi yêu cầu
join-request-to-head = 🙋 { $name } xin tham gia { $unit }.
join-request-sent = Đã gửi yêu cầu tới { $unit }. Khi được duyệt, bot sẽ báo chị.
join-request-no-head = Chi hội này chưa có cán bộ dùng bot để duyệt. Chị liên hệ trực tiếp chi hội trưởng để xin mã mời nhé.
join-already-joined = Chị đã tham gia { $unit } với vai trò { $role }. Muốn chuyển sang đơn vị khác, chị nhờ cán bộ Hội gửi mã mời mới nhé.
join-request-moot = { $name } đã tham gia một đơn vị rồi; yêu cầu này không còn hiệu lực.
join-request-already-decided = Yêu cầu này đã được xử lý rồi.
join-approved = ✅ Chị đã được nhận vào { $unit }. Chào mừng chị!
join-you-approved = Đã nhận { $name } vào chi hội.
join-rejected = Yêu cầu tham gia { $unit } chưa được chấp nhận. Chị liên hệ chi hội trưởng để biết thêm.
join-you-rejected = Đã từ chối yêu cầu của { $name }.
join-list-title = 🙋 { $count } yêu cầu xin vào đang chờ chị trả lời:
join-list-item = • { $name } — { $unit }
join-list-choice = { $verdict ->
        [approve] ✅ Duyệt { $name } — { $unit }
       *[reject] ✖ Từ chối { $name } — { $unit }
    }
join-list-more = Còn yêu cầu khác: chị trả lời xong những yêu cầu này rồi gõ /duyet để xem tiếp.
join-list-empty = Không có yêu cầu xin vào nào đang chờ chị.
join-list-not-allowed = Chỉ chi hội trưởng và cán bộ Hội cơ sở duyệt yêu cầu xin vào.
