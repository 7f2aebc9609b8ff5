## Ghi hoạt động

menu-activity = 📝 Ghi hoạt động
activity-not-allowed = Chỉ chi hội trưởng và cán bộ Hội cơ sở mới ghi được hoạt động.
activity-ask-group = 📝 Hoạt động thuộc nhóm nào?
activity-ask-type = { $group } — chọn hoạt động:
activity-group-movement = Phong trào, cuộc vận động
activity-group-households = Giúp hộ gia đình
activity-group-rural = NTM, đô thị văn minh
activity-group-oversight = Giám sát, góp ý, đối thoại
activity-group-model = Mô hình, câu lạc bộ
activity-group-meeting = Sinh hoạt, tuyên truyền
activity-group-digital = Chuyển đổi số
activity-group-members = Hội viên
activity-ask-date = Hoạt động diễn ra ngày nào? Chọn “Hôm nay”, “Hôm qua” hoặc gõ ngày (ví dụ 15/11).
button-today = Hôm nay
button-yesterday = Hôm qua
activity-bad-date = Ngày chưa đúng. Chị gõ theo dạng ngày/tháng, ví dụ 15/11 (trong vòng một năm trở lại, không sau hôm nay).
activity-ask-participants = Bao nhiêu người tham gia? Chị gõ số, ví dụ 25.
activity-ask-households = Bao nhiêu hộ? Chị gõ số, ví dụ 2.
activity-ask-count = { $kind }: số lượng bao nhiêu? Chị gõ số, ví dụ 2.
activity-unit-participants = người tham gia
activity-unit-households = hộ
activity-unit-count = lượt
activity-ask-description = Chị mô tả ngắn gọn hoạt động, hoặc chọn “Bỏ qua”.
activity-ask-photos = Chị gửi ảnh hoạt động nếu có (đã nhận { $count }/{ $max }). Gửi xong thì chọn “Xong”.
button-photos-done = ✅ Xong
activity-photo-too-big = Ảnh quá lớn (tối đa 10 MB). Chị gửi ảnh khác nhé.
activity-photo-too-many = Đã đủ { $max } ảnh, bot không nhận thêm. Chị xem lại hoạt động rồi lưu nhé.
activity-confirm = Kiểm tra lại hoạt động:{"\u000A"}• { $kind }{"\u000A"}• Ngày { $date }{"\u000A"}• { $measure ->
        [count] Số lượng: { $amount }
       *[other] { $amount } { $unit }
    }{"\u000A"}• { $description }{"\u000A"}• { $photos ->
        [0] Không có ảnh
       *[other] { $photos } ảnh
    }
button-save-activity = ✅ Lưu hoạt động
activity-saved = ✅ Đã ghi hoạt động của { $unit }: { $kind }.
