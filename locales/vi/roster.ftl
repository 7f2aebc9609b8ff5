## Danh sách hội viên (/hoivien của cán bộ), ghép hội viên mới vào danh sách, trạng thái của chị.

menu-roster-status = 🧳 Đi làm ăn xa / ở nhà
button-roster-list = 📋 Danh sách hội viên
roster-title = 👥 Hội viên — { $unit }
roster-empty = Chưa có danh sách hội viên. Cán bộ quản trị nạp danh sách từ tệp (chihoi members import).
roster-counts = Tổng: { $total } hội viên
    • Dùng bot: { $on_bot } · Chưa dùng bot: { $off_bot }
    • Không liên lạc được: { $unreachable }
    • Hội viên danh dự: { $honorary }
    • Đi làm ăn xa: { $away }
roster-figure-reached = • Đã đọc tin tuyên truyền chính sách năm { $year }: { $reached }/{ $members } hội viên ({ $pct }%)
roster-figure-gathered = • Hội viên so với phụ nữ từ 18 tuổi: { $gathered }/{ $women } ({ $pct }%)
roster-figure-no-women = • Chưa có số phụ nữ từ 18 tuổi (cán bộ quản trị nạp bằng chihoi stats import).
roster-child = { $unit }: { $total } hội viên, { $on_bot } dùng bot
roster-name-line = { $n }. { $name }{ $phone ->
        [none] {""}
       *[other] {" — "}{ $phone }
    }{ $marks ->
        [none] {""}
       *[other] {" · "}{ $marks }
    }
roster-mark-on-bot = 📱 dùng bot
roster-mark-away = 🧳 đi làm ăn xa
roster-mark-unreachable = ☎️ không liên lạc được
roster-mark-honorary = ⭐ danh dự
roster-forgotten = (đã xóa thông tin)

roster-ask-phone = Chị gửi số điện thoại của chị vào đây (ví dụ 0912 345 678) để bot tìm tên chị trong danh sách hội viên của chi hội nhé.
roster-match-ask = 🙋 Chị { $name } vừa vào { $unit } trên bot. Chị ấy là ai trong danh sách hội viên?
roster-match-choice = 👤 { $name }{ $tail ->
        [none] {""}
       *[other] {" (…"}{ $tail }{")"}
    }
roster-match-new = ➕ Không có trong danh sách (thêm mới)
roster-match-done = ✅ Đã ghép chị { $joiner } với tên { $name } trong danh sách hội viên.
roster-match-added = ✅ Đã thêm chị { $name } vào danh sách hội viên.
roster-match-already = Chị { $joiner } đã có tên trong danh sách rồi ({ $name }), không cần chọn nữa ạ.
roster-match-row-taken = Tên này đã được ghép với người khác. Chị gõ /hoivien để xem lại danh sách nhé.
roster-match-moot = Chị { $name } không còn là hội viên trên bot nữa.
roster-matched-by-phone = ✅ Bot đã tìm thấy tên chị trong danh sách hội viên: { $name }. Cảm ơn chị!
roster-matched-by-phone-to-head = ℹ️ Chị { $joiner } đã được ghép với tên { $name } trong danh sách hội viên (theo số điện thoại). Nếu không đúng, chị báo cán bộ quản trị nhé.
roster-phone-unknown = Bot chưa thấy số này trong danh sách hội viên của chi hội. Chi hội trưởng sẽ xác nhận giúp chị.
roster-phone-taken = Số này đã được ghép với một người khác. Chi hội trưởng sẽ xác nhận giúp chị.
roster-phone-not-member = Số điện thoại chỉ dùng để ghép hội viên vào danh sách của chi hội.
roster-already-you = Chị đã có tên trong danh sách hội viên rồi ({ $name }) ạ.

roster-status-no-row = Chị chưa có tên trong danh sách hội viên trên bot. Chi hội trưởng sẽ ghép tên chị; sau đó chị đổi trạng thái ở đây được.
roster-status-home = Trong danh sách hội viên, chị đang ghi là ở nhà. Nếu chị đi làm ăn xa, chị chọn bên dưới để chi hội biết nhé.
roster-status-away = Trong danh sách hội viên, chị đang ghi là đi làm ăn xa. Khi chị về, chị chọn bên dưới nhé.
button-roster-away = 🧳 Tôi đi làm ăn xa
button-roster-home = 🏠 Tôi đã về nhà
roster-status-saved = ✅ Đã ghi: chị { $away ->
        [yes] đang đi làm ăn xa
       *[other] đã về nhà
    }. Chi hội sẽ thấy trong danh sách hội viên.
roster-status-unchanged = Chị đang ghi là { $away ->
        [yes] đi làm ăn xa
       *[other] ở nhà
    } rồi ạ, không cần đổi.
roster-confirm-match = Ghép chị { $joiner } với tên { $name } trong danh sách hội viên?
roster-confirm-add = Thêm chị { $joiner } vào danh sách hội viên (không có trong danh sách)?
