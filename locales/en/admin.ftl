## Progress, targets, charts, exports, the monthly digest

menu-progress = 📊 Progress
menu-targets = 🎯 Targets
menu-export = 📥 Export
view-not-allowed = Only grassroots, district and province officers see progress and targets.
progress-title = 📊 Reporting progress { $period } — { $unit }
progress-counts = ✅ { $on_time } · 🕓 { $late } · ❌ { $missing } — { $pct }% on time
progress-nothing-expected = No unit here has to report.
button-remind-pending = 🔔 Remind units not yet reported
button-chart = 📈 Chart
button-previous-month = « Previous month
targets-title = 🎯 Targets { $year } — { $unit }
targets-line = T{ $number }: { $title } — { $pct }%/{ $goal }% ({ $achieved }/{ $total } { $level })
chart-coming = Drawing the chart…
chart-on-time = On time
chart-late = Late
chart-missing = Missing
chart-achieved = Achieved
chart-goal = Goal
chart-more = … and { "{" }n{ "}" } more
export-ask-range = 📥 Export which period?
export-this-month = Month { $period }
export-half = { $half ->
    [1] First
   *[2] Second
} half of { $year }
export-year = Year { $year }
export-ask-format = { $range }: choose the file format.
export-coming = ⏳ Preparing the file; the bot sends it when ready.
export-ready = 📥 Reports { $range } — { $unit } ({ $rows } monthly reports).
export-too-big = The file for { $range } — { $unit } is { $size } MB, over Telegram's { $limit } MB limit, so it cannot be sent.
    Please pick one month or a smaller unit, or ask an administrator to export it with `chihoi export`.

digest-title = 📬 Month { $period } in review — { $unit }
digest-reported-on-time = • Your branch reported at { $time } (on time). Thank you!
digest-reported-late = • Your branch reported at { $time } (late).
digest-not-reported = • Your branch did not report this month.
digest-ancestor = • { $unit }: { $submitted }/{ $expected } units reported, { $pct }% on time.
digest-activities = • Activities logged this month: { $count }.
digest-proposals = • Your branch's proposals: “{ $text }” — passed up to the union above.
