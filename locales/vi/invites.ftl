## Mời vào bot (/moi): mỗi cấp mời cấp ngay dưới mình, trong đơn vị của mình.
## Lời mời nói tên hai ứng dụng: đường link mở trên Telegram, mã gửi trên Zalo.

menu-invite = ✉️ Mời vào bot
invite-not-allowed = Hội viên chưa mời được người khác vào bot. Chị nhờ chi hội trưởng gửi mã mời nhé.
invite-whom = { $role ->
    [member] hội viên
    [branch_head] chi hội trưởng
    [grassroots_officer] cán bộ Hội cơ sở
   *[district_admin] cán bộ Hội cấp huyện
}
invite-none = ✉️ Chị chưa có lời mời nào đang mở. Chị tạo lời mời để gửi cho { $whom } nhé: một lời mời dùng chung cho nhiều người, tới khi hết hạn.
invite-title = ✉️ Lời mời chị đang mở: { $count }
invite-line = Lời mời { $n } — { $unit } ({ $whom }): { $joined ->
        [0] chưa có ai vào
       *[other] { $joined } người đã vào
    }, dùng được đến { $until }.
invite-more = …và { $count } lời mời cũ hơn.
button-invite-new = ➕ Tạo lời mời mới
button-invite-revoke = 🚫 Thu hồi lời mời { $n }
invite-pick-unit = Chị mời { $whom } cho đơn vị nào?
invite-pick-empty = Dưới đơn vị của chị chưa có đơn vị nào để mời { $whom }.
invite-pick-expiry = Lời mời vào { $unit } ({ $whom }) dùng được trong bao lâu? Trong thời gian đó, bao nhiêu người dùng chung cũng được.
button-invite-days = { $days ->
    [1] 1 ngày
   *[other] { $days } ngày
}
invite-created = ✅ Đã tạo lời mời vào { $unit } cho { $whom }, dùng được đến { $until }.
invite-how-link = • Trên Telegram: mở đường link { $link }
invite-how-code = • Trên Zalo: nhắn mã { $code } cho bot.
invite-how-code-only = • Nhắn mã { $code } cho bot.
invite-qr-coming = Ảnh mã QR sẽ tới ngay sau đây, để chị in ra hoặc đăng vào nhóm Zalo.
invite-qr-caption = 📷 Mã QR mời vào { $unit } ({ $whom }), dùng được đến { $until }. Quét mã bằng camera điện thoại để vào bot trên Telegram; trên Zalo, nhắn mã { $code } cho bot.
invite-revoke-confirm = Thu hồi lời mời vào { $unit } ({ $whom })? Từ giờ mã này không dùng được nữa; { $joined ->
        [0] chưa có ai vào bằng mã này.
       *[other] { $joined } người đã vào vẫn ở lại.
    }
button-invite-revoke-confirm = 🚫 Thu hồi
invite-revoked = Đã thu hồi lời mời vào { $unit }.
invite-gone = Lời mời này đã hết hạn hoặc đã được thu hồi.
