## Tiêu đề cột khi xuất báo cáo

export-unit-code = Mã đơn vị
export-unit-path = Đơn vị
export-period = Kỳ báo cáo
export-author = Người gửi
export-submitted-at = Gửi lúc
export-updated-at = Cập nhật lúc
export-revision = Lần sửa
export-labour = Lao động, sản xuất
export-labour-note = Ghi chú lao động, sản xuất
export-living = Đời sống văn hóa, tinh thần
export-living-note = Ghi chú đời sống
export-thoughts = Tâm tư, nguyện vọng
export-thoughts-note = Ghi chú tâm tư, nguyện vọng
export-incident-count = Số vụ việc
export-incidents = Vụ việc phát sinh, nổi cộm
export-proposals = Đề xuất, kiến nghị
export-sheet-reports = Báo cáo tháng
