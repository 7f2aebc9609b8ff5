# Một người dùng hai ứng dụng (/lienket), tệp gửi bằng đường link, và danh sách trên ứng dụng không có nút bấm.

link-code = 🔗 Mã liên kết của chị: { $code }
    Trong { $minutes } phút, chị mở bot trên ứng dụng kia (Zalo hoặc Telegram) và gửi: /lienket { $code }
    Bot sẽ hỏi lại chị ở đây trước khi dùng chung. Chị đừng đưa mã này cho ai nhé.
link-code-unknown = Mã liên kết chưa đúng hoặc đã hết hạn. Chị gõ lại, hoặc gõ /lienket ở ứng dụng đã tham gia Hội để lấy mã mới nhé.
link-same-account = Mã này chị vừa lấy ở chính ứng dụng này. Chị gõ mã ở ứng dụng kia nhé.
link-enter-code = Chị gõ mã liên kết vào đây. Mã lấy ở ứng dụng chị đã tham gia Hội: gõ /lienket ở đó.
link-linked-list = Đang dùng chung với tài khoản này: { $apps }.
link-button-unlink = ✂ Bỏ liên kết { $app }
link-unlink-confirm = Bỏ liên kết tài khoản { $app }? Tài khoản đó sẽ không dùng chung với tài khoản này nữa và chưa thuộc chi hội nào.
link-button-unlink-confirm = ✂ Bỏ liên kết
link-unlinked = ✅ Đã bỏ liên kết tài khoản { $app }.
link-unlinked-other = Tài khoản này không còn dùng chung với tài khoản { $app } nữa. Bot coi đây là tài khoản mới, chưa tham gia chi hội nào.
link-unlink-gone = Tài khoản { $app } đã được bỏ liên kết rồi.
link-typed-on-joined = Tài khoản này đã tham gia Hội nên không nhận mã liên kết. Muốn dùng thêm ứng dụng khác, chị gõ /lienket ở đây để lấy mã, rồi gõ mã ở ứng dụng kia. Chị đừng gõ mã người khác đưa nhé.
link-code-typed-idle = Nếu đây là mã liên kết, chị gõ /lienket rồi gõ mã nhé.
link-confirm-ask = 🔗 Tài khoản { $app } “{ $name }” muốn dùng chung với tài khoản này (đơn vị, vai trò, báo cáo).
    Đúng là chị thì chọn “Đồng ý” (trong { $minutes } phút). Chị không đưa mã cho ai thì chọn “Không phải tôi”.
link-button-agree = ✅ Đồng ý
link-button-not-me = ✖ Không phải tôi
link-asked = Bot đã hỏi tài khoản đã tham gia Hội. Chị mở bot ở đó và chọn “Đồng ý” trong { $minutes } phút nhé.
link-refused = Tài khoản đã tham gia Hội không đồng ý, nên chưa dùng chung được.
link-you-refused = Đã từ chối: tài khoản kia không dùng chung được với chị. Chị đừng đưa mã liên kết cho ai nhé.
link-request-already-decided = Yêu cầu liên kết này đã được trả lời rồi.
link-request-expired = Yêu cầu liên kết đã hết hạn. Chị gõ /lienket để lấy mã mới nhé.
link-request-moot = Yêu cầu liên kết này không còn hiệu lực.
link-done = ✅ Đã liên kết { $apps }. Chị dùng bot ở ứng dụng nào cũng được; bot nhắn tới ứng dụng chị dùng gần nhất.

file-link = 📎 Tải tệp: { $url }
    Đường link chỉ gửi cho chị, dùng được trong 24 giờ.
file-needs-upload = Bot chưa gửi được tệp qua ứng dụng này. Chị mở bot trên Telegram (gõ /lienket để dùng chung một tài khoản), hoặc nhờ cán bộ quản trị xuất báo cáo giúp.


cmd-lienket = Dùng chung một tài khoản trên Telegram và Zalo
