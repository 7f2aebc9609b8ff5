## Quyền truy cập: đổi vai trò, xóa khỏi đơn vị, danh sách hội viên của chi hội

access-role-changed = Vai trò của chị ở { $unit } nay là { $role }. Chị gửi “menu” để xem các việc chị làm được.
access-removed = Chị không còn trong danh sách { $unit } trên bot nữa. Những gì chị đã gửi vẫn được giữ. Nếu có nhầm lẫn, chị liên hệ { $by ->
        [head] chi hội trưởng
       *[other] cán bộ Hội
    } nhé.
