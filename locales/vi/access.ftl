## Quyền truy cập: đổi vai trò, xóa khỏi đơn vị, danh sách hội viên của chi hội

access-role-changed = Vai trò của chị ở { $unit } nay là { $role }. Chị gửi “menu” để xem các việc chị làm được.
access-removed = Chị không còn trong danh sách { $unit } trên bot nữa. Những gì chị đã gửi vẫn được giữ. Nếu có nhầm lẫn, chị liên hệ { $by ->
        [head] chi hội trưởng
       *[other] cán bộ Hội
    } nhé.

menu-members = 👥 Hội viên
help-branch-head =
    /hoivien — danh sách hội viên chi hội dùng bot
    /duyet — yêu cầu xin vào chi hội đang chờ chị duyệt
    /moi — mời hội viên vào bot
    /thongbao — gửi thông báo cho hội viên chi hội, xem ai đã đọc
members-not-allowed = Chỉ chi hội trưởng xem được danh sách hội viên của chi hội.
members-title = 👥 { $unit }: { $count } hội viên dùng bot.
    Muốn xóa ai khỏi danh sách chi hội, chị chọn tên người đó.
members-none = 👥 { $unit } chưa có hội viên nào dùng bot.
members-remove-confirm = Xóa { $name } khỏi danh sách { $unit }? Những gì chị ấy đã gửi vẫn được giữ; bot sẽ báo cho chị ấy.
button-remove-member = 🗑 Xóa khỏi chi hội
members-removed = Đã xóa { $name } khỏi danh sách chi hội. Bot sẽ báo cho chị ấy.
members-gone = Người này không còn trong chi hội nữa.
