-- Activity names short enough for a phone's button (at most about 44 characters), in the
-- words the plan uses: "Cả nước chung sức xây dựng nông thôn mới" is a phong trào thi đua,
-- not a cuộc vận động; NTM and MTQG are how union documents shorten them.
UPDATE activity_types SET name_vi = 'Thi đua “Người phụ nữ Việt Nam thời đại mới”' WHERE code = 'movement_new_woman';
UPDATE activity_types SET name_vi = 'Thi đua “Chung sức xây dựng nông thôn mới”',
                          name_en = 'Emulation “The nation builds new rural areas”' WHERE code = 'new_rural_campaign';
UPDATE activity_types SET name_vi = 'Vận động “Nông thôn mới, đô thị văn minh”' WHERE code = 'civilized_urban_campaign';
UPDATE activity_types SET name_vi = 'Công trình, phần việc NTM, đô thị văn minh' WHERE code = 'new_rural_work';
UPDATE activity_types SET name_vi = 'Nhận nhiệm vụ chương trình MTQG' WHERE code = 'ntp_proposal';
UPDATE activity_types SET name_vi = 'Mô hình thu hút hội viên đặc thù' WHERE code = 'model_special_group';
UPDATE activity_types SET name_vi = 'Vận động “Gia đình 5 không, 3 sạch”' WHERE code = 'campaign_5k3s';
UPDATE activity_types SET name_vi = 'Vận động “Gia đình 5 có, 3 sạch”' WHERE code = 'campaign_5c3s';
