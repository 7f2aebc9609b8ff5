## Giới hạn cho mỗi người: yêu cầu xin vào chi hội, báo cáo khẩn, biểu đồ và tệp báo cáo, mã liên kết gõ sai

# Giờ chị làm lại được: "15:30" nếu trong hôm nay, "08:05 ngày 16/11" nếu sang hôm sau.
limit-time = { $today ->
        [yes] { $time }
       *[no] { $time } ngày { $date }
    }
limit-join-requests = Trong 24 giờ qua chị đã gửi { $max } yêu cầu xin vào chi hội. Chị chờ chi hội trưởng trả lời, hoặc gửi lại sau { $at } nhé. Chi hội chị đã chọn vẫn được giữ.
limit-urgent-reports = Trong một giờ qua chị đã gửi { $max } báo cáo khẩn. Chị gửi tiếp được sau { $at } nhé. Nếu việc gấp, chị gọi điện ngay cho cán bộ Hội cơ sở.
limit-urgent-kept = Báo cáo chị vừa nhập vẫn được giữ: đến giờ, chị chọn “🚨 Gửi ngay” là gửi đi.
limit-files = Trong một giờ qua chị đã yêu cầu { $max } biểu đồ và tệp báo cáo. Chị yêu cầu tiếp được sau { $at } nhé.
limit-link-codes = Chị đã gõ sai mã liên kết { $max } lần. Chị thử lại sau { $at } nhé.
limit-link-paused = Có nhiều mã liên kết sai được gõ vào bot, nên bot tạm ngừng nhận mã. Chị thử lại sau { $at } nhé.
flood-slow-down = Chị gửi nhiều tin liền quá nên bot tạm bỏ qua các tin vừa rồi. Chị đợi một lát rồi gửi lại tin cần thiết nhé.
