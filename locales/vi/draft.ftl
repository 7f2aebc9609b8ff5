## Báo cáo 6 tháng và năm (bản thảo .docx): lời văn của văn bản, không phải tin nhắn

draft-org = HỘI LIÊN HIỆP PHỤ NỮ VIỆT NAM
draft-board = BAN THƯỜNG VỤ
draft-number = Số:      /BC-BTV
draft-place-date = { $place }, ngày { $day } tháng { $month } năm { $year }
draft-title = BÁO CÁO
draft-subject = Kết quả thực hiện Đề án đổi mới, nâng cao chất lượng, hiệu quả hoạt động của Hội LHPN cơ sở { $range }
draft-range-half = { $half ->
    [1] 6 tháng đầu năm { $year }
   *[2] 6 tháng cuối năm { $year }
}
draft-range-year = năm { $year }
draft-range-month = tháng { $month }/{ $year }
draft-intro = Thực hiện Kế hoạch của Ban Thường vụ Hội LHPN tỉnh triển khai Đề án đổi mới, nâng cao chất lượng, hiệu quả hoạt động của Mặt trận Tổ quốc, các tổ chức chính trị - xã hội ở cơ sở, Ban Thường vụ { $unit } báo cáo kết quả thực hiện { $range } như sau:
draft-part-results = I. KẾT QUẢ THỰC HIỆN
draft-part-shortcomings = II. TỒN TẠI, HẠN CHẾ
draft-part-next = III. PHƯƠNG HƯỚNG, NHIỆM VỤ { $range }
draft-targets-heading = 1. Kết quả thực hiện các chỉ tiêu
draft-targets-sentence = Trong { $range }, { $unit } đạt { $met }/{ $total } chỉ tiêu của Đề án.
draft-targets-met = Các chỉ tiêu đã đạt: { $list }.
draft-targets-unmet = Các chỉ tiêu chưa đạt: { $list }.
draft-col-target = Chỉ tiêu
draft-col-content = Nội dung
draft-col-result = Kết quả
draft-col-goal = Mục tiêu
draft-col-assessment = Đánh giá
draft-met = Đạt
draft-unmet = Chưa đạt
draft-no-data = Chưa có số liệu
draft-result = { $achieved }/{ $total } ({ $pct })
draft-reports-heading = 2. Báo cáo tình hình dư luận xã hội hằng tháng
draft-reports-sentence = Trong kỳ có { $expected } lượt báo cáo phải nộp: { $on_time } lượt đúng hạn ({ $pct }), { $late } lượt nộp chậm, { $missing } lượt chưa nộp.
draft-col-month = Tháng
draft-col-expected = Phải nộp
draft-col-on-time = Đúng hạn
draft-col-late = Nộp chậm
draft-col-missing = Chưa nộp
draft-col-rate = Tỷ lệ đúng hạn
draft-activities-heading = 3. Các hoạt động của Hội
draft-activities-sentence = { $count ->
    [0] Trong kỳ chưa có hoạt động nào được ghi nhận.
   *[other] Trong kỳ, các cấp Hội ghi nhận { $count } hoạt động, trong đó:
}
draft-col-activity = Hoạt động
draft-col-times = Số lượt
draft-col-amount = Số lượng
draft-incidents-heading = 4. Vụ việc phát sinh và kết quả xử lý
draft-incidents-sentence = { $count ->
    [0] Trong kỳ không có vụ việc phát sinh nào được báo cáo.
   *[other] Trong kỳ có { $count } vụ việc phát sinh được báo cáo.
}
draft-incidents-handled = Tình hình xử lý các báo cáo khẩn: { $list }.
draft-col-field = Lĩnh vực
draft-col-severity = Mức độ
draft-col-count = Số vụ
draft-proposals-heading = 5. Kiến nghị, ý kiến của hội viên
draft-proposals-tracked = Trong các kiến nghị gửi qua bot, { $answered } kiến nghị đã được trả lời, { $open } kiến nghị đang chờ trả lời.
draft-proposals-sentence = Các chi hội gửi { $proposals } kiến nghị; hội viên gửi { $opinions } ý kiến.
draft-behind-target = Chỉ tiêu { $number } – { $title }: đạt { $result }, mục tiêu { $goal }.
draft-behind-units = Đơn vị chưa đạt: { $units }.
draft-missing-units = Đơn vị còn thiếu báo cáo tháng: { $units }.
draft-missing-unit = { $unit } (thiếu { $count } lượt)
draft-no-shortcomings = Theo số liệu trên bot, trong kỳ các chỉ tiêu đều đạt và các đơn vị đều nộp đủ báo cáo.
draft-next-1 = 1. Nhiệm vụ trọng tâm
draft-next-2 = 2. Giải pháp khắc phục tồn tại, hạn chế
draft-next-3 = 3. Đề xuất, kiến nghị
draft-fill-in = (Đơn vị bổ sung nội dung.)
draft-closing = Trên đây là báo cáo kết quả thực hiện { $range } của Ban Thường vụ { $unit }./.
draft-sign-on-behalf = TM. BAN THƯỜNG VỤ
draft-sign-title = CHỦ TỊCH
draft-recipients = Nơi nhận:
draft-recipient-above = - Thường trực { $above };
draft-recipient-file = - Lưu: VT.
draft-more = … và { $count } đơn vị khác

## Tin nhắn trong bot (/baocaoky)

menu-draft = 📝 Báo cáo 6 tháng, năm
draft-not-allowed = Chỉ cán bộ Hội cơ sở và Hội cấp trên soạn được báo cáo 6 tháng, năm.
draft-ask-range = 📝 Bot soạn sẵn bản thảo báo cáo (tệp Word) từ số liệu trên bot để chị sửa và gửi. Chị chọn kỳ báo cáo:
draft-coming = ⏳ Bot đang soạn báo cáo, xong sẽ gửi chị ngay.
draft-ready = 📝 Bản thảo báo cáo { $range } — { $unit }. Chị mở bằng Word hoặc LibreOffice, bổ sung phần III và sửa trước khi gửi.
draft-ready-scheduled = 📝 Đã đến kỳ báo cáo { $range }. Bot soạn sẵn bản thảo cho { $unit } từ số liệu trên bot; chị mở bằng Word hoặc LibreOffice, bổ sung phần III và sửa trước khi gửi.
