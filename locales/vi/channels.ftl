# One person on two apps (/lienket), files sent as links, and lists on apps without buttons.

link-code = 🔗 Mã liên kết của chị: { $code }
    Trong { $minutes } phút, chị mở bot trên ứng dụng kia (Zalo hoặc Telegram) và gửi: /lienket { $code }
link-code-unknown = Mã liên kết chưa đúng hoặc đã hết hạn. Chị gõ /lienket ở ứng dụng kia để lấy mã mới nhé.
link-same-account = Mã này tạo ngay tại đây. Chị gửi mã từ ứng dụng kia nhé.
link-both-joined = Cả hai tài khoản đều đã vào Hội nên bot không gộp được. Chị nhờ cán bộ Hội giúp nhé.
link-done = ✅ Đã liên kết { $apps }. Chị dùng bot ở ứng dụng nào cũng được; bot nhắn tới ứng dụng chị dùng gần nhất.

file-link = 📎 Tải tệp: { $url }
    Đường link chỉ gửi cho chị, dùng được trong 24 giờ.
file-needs-upload = Bot chưa gửi được tệp qua ứng dụng này. Chị mở bot trên Telegram (gõ /lienket để dùng chung một tài khoản), hoặc nhờ cán bộ quản trị xuất báo cáo giúp.


cmd-lienket = Dùng chung một tài khoản trên Telegram và Zalo
