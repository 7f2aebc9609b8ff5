## Chung: lỗi, vai trò, cấp, nút, menu, trợ giúp, ngôn ngữ

error-internal = Xin lỗi, bot đang gặp sự cố. Tin nhắn của chị sẽ được xử lý ngay khi bot ổn định lại, chị không cần gửi lại.
error-stale-button = Lựa chọn này đã cũ. Chị chọn trong tin nhắn mới nhất nhé.
error-bad-button = Bot không nhận ra lựa chọn này. Chị chọn lại trong danh sách mới nhất nhé.
error-not-yours = Việc này không thuộc quyền của chị.
error-use-buttons = Chị chọn một mục trong danh sách bên dưới nhé.
error-photo-not-expected = Bước này chưa cần ảnh nên bot chưa lưu ảnh vừa gửi. Ảnh hoạt động chị gửi ở bước cuối khi ghi hoạt động (/hoatdong) nhé.
error-unsupported = Xin lỗi, bot chưa đọc được loại tin nhắn này (tin nhắn thoại, nhãn dán…). Chị gõ chữ giúp nhé.
error-unknown-command = Bot chưa hiểu lệnh này. Chị gõ /trogiup để xem các lệnh.
error-empty-text = Nội dung đang trống. Chị gõ lại giúp nhé.
error-text-too-long = Nội dung dài { $chars } ký tự, tối đa { $max }. Chị rút gọn giúp nhé.

role-member = Hội viên
role-branch-head = Chi hội trưởng
role-grassroots-officer = Cán bộ Hội cơ sở
role-district-admin = Cán bộ Hội huyện
role-province-admin = Cán bộ Hội tỉnh

level-province = Tỉnh
level-district = Huyện
level-grassroots = Cơ sở
level-branch = Chi hội
level-group = Tổ phụ nữ

button-cancel = ✖ Hủy
button-close = Đóng
button-skip = Bỏ qua
button-next = Tiếp tục ➡
button-continue = Tiếp tục bản nháp
button-start-over = 🗑 Xóa nháp, làm lại
button-up = ⬆ Quay lại
button-prev = « Trước
button-more = Xem thêm »
button-approve = ✅ Đồng ý
button-reject = ✖ Từ chối

menu-title = Chị muốn làm gì?
menu-not-understood = Bot chưa hiểu ý chị. Chị chọn một việc bên dưới nhé.
menu-thanks = Dạ, không có gì ạ! Chị cần gì thêm thì chọn bên dưới nhé.
menu-report = 📋 Báo cáo tháng
menu-urgent = 🚨 Báo cáo khẩn
menu-opinion = 💬 Gửi ý kiến
menu-join = 🙋 Xin vào chi hội
menu-language = 🌐 Ngôn ngữ
menu-help = ❓ Trợ giúp
menu-alerts = 📢 Cảnh báo đang mở

help-title = ❓ Trợ giúp
help-not-joined = Đây là trợ lý tự động (bot) của Hội LHPN. Chị chưa tham gia chi hội nào: chị gửi mã mời do cán bộ Hội đưa vào đây (dán nguyên tin nhắn mời cũng được), hoặc chọn “🙋 Xin vào chi hội” để tìm chi hội của mình.
help-member =
    /khancap — báo ngay vụ việc khẩn cấp
    /ykien — gửi ý kiến, phản ánh tới chi hội
    /thongbao — thông báo của Hội chị chưa đọc
    /huy — dừng việc đang làm
    /ngonngu — đổi ngôn ngữ
    /trogiup — xem trợ giúp
help-reporter =
    /baocao — báo cáo tình hình dư luận hằng tháng
    /hoatdong — ghi hoạt động (tính vào chỉ tiêu)
    /khancap — báo cáo khẩn, đột xuất
    /huy — dừng việc đang làm (báo cáo tháng làm dở vẫn được lưu)
    /ngonngu — đổi ngôn ngữ
    /trogiup — xem trợ giúp
    Gõ “menu” để xem các việc chị làm được.
help-admin =
    Báo cáo khẩn chưa được cấp dưới nhận sẽ chuyển lên chị.
    /tiendo — tiến độ báo cáo
    /chitieu — chỉ tiêu năm
    /xuat — xuất báo cáo (tháng, 6 tháng, năm)
    /baocaoky — soạn báo cáo 6 tháng, năm (tệp Word)
    /canhbao — các cảnh báo đang mở
    /moi — mời cán bộ cấp dưới vào bot
    /khancap — báo cáo khẩn
    /thongbao — gửi thông báo, xem ai đã đọc
    /huy — dừng việc đang làm
    /ngonngu — đổi ngôn ngữ
    /trogiup — xem trợ giúp
    /tonghop — tổng hợp tình hình tháng

help-officer =
    /tiendo — tiến độ báo cáo của các chi hội
    /chitieu — chỉ tiêu năm
    /xuat — xuất báo cáo
    /baocaoky — soạn báo cáo 6 tháng, năm (tệp Word)
    /canhbao — các cảnh báo khẩn đang mở trong xã
    /duyet — yêu cầu xin vào các chi hội trong xã đang chờ duyệt
    /moi — mời chi hội trưởng vào bot
    /thongbao — gửi thông báo, xem ai đã đọc
    /tonghop — tổng hợp tình hình tháng của các chi hội
help-contact = { $who ->
    [member] Nếu cần người hỗ trợ trực tiếp, chị liên hệ chi hội trưởng của mình nhé.
   *[other] Nếu cần người hỗ trợ trực tiếp, chị liên hệ cán bộ Hội cấp trên nhé.
}

dialog-cancelled = Đã hủy.

language-ask = Chọn ngôn ngữ:
language-set = Đã chuyển sang tiếng Việt.

cmd-start = Bắt đầu, xem menu
cmd-baocao = Báo cáo tình hình hằng tháng
cmd-khancap = Báo cáo khẩn, đột xuất
cmd-ykien = Gửi ý kiến tới chi hội
cmd-ngonngu = Đổi ngôn ngữ
cmd-trogiup = Trợ giúp
cmd-huy = Dừng việc đang làm
cmd-canhbao = Cảnh báo khẩn đang mở
cmd-hoatdong = Ghi hoạt động
cmd-tiendo = Tiến độ báo cáo
cmd-chitieu = Chỉ tiêu năm
cmd-xuat = Xuất báo cáo
cmd-hoivien = Hội viên chi hội
cmd-moi = Mời vào bot
error-set-aside = Xin lỗi chị, bot chưa xử lý được tin nhắn vừa rồi. Chị vui lòng gửi lại sau ít phút.

## Typed answers (Zalo): how to answer a list, lists out of date, confirmations

list-hint-numbers = (Chị gõ số thứ tự để chọn, ví dụ: 1)
list-hint-letters = (Chị gõ a, b… để chọn)
error-list-expired = Danh sách chị vừa trả lời đã cũ (gửi từ hơn một ngày trước), nên bot chưa làm gì. Chị chọn lại trong danh sách mới dưới đây nhé.
notice-later-alert = (Chị đang làm dở một việc với bot nên tin này không kèm số để chọn. Xong việc, chị gõ /canhbao để xử lý vụ này.)
notice-later-join = (Chị đang làm dở một việc với bot nên tin này không kèm số để chọn. Xong việc, chị gõ /duyet để trả lời yêu cầu này.)
notice-later-report = (Chị đang làm dở một việc với bot. Xong việc, chị gõ /baocao để làm báo cáo.)
notice-later-progress = (Chị đang làm dở một việc với bot. Xong việc, chị gõ /tiendo để xem và nhắc các đơn vị.)
notice-later-link = (Chị đang làm dở một việc với bot nên tin này không kèm số để chọn. Nếu đúng là chị vừa lấy mã: chị gõ /huy để dừng việc đó, gõ /lienket để lấy mã mới, rồi gõ mã ấy ở ứng dụng kia.)
notice-later-menu = (Chị đang làm dở một việc với bot. Xong việc, chị gõ “menu” để xem các việc chị làm được.)
button-confirm-yes = ✅ Đúng, làm ngay
button-confirm-no = ↩ Không, quay lại
confirm-alert = Chị xác nhận chuyển vụ #{ $n } ({ $unit }) sang “{ $status }”?
confirm-join = { $verdict ->
        [approve] Chị xác nhận duyệt { $name } vào { $unit }?
       *[reject] Chị xác nhận từ chối yêu cầu của { $name } xin vào { $unit }?
    }
confirm-start-over = Xóa bản nháp đã trả lời { $answered }/5 phần để làm lại từ đầu?
confirm-generic = Chị xác nhận làm việc này?
confirm-dropped = Dạ, bot chưa thay đổi gì.

# A moment in messages: "23:59 ngày 30/11/2026".
date-time = { $time } ngày { $date }
