## Progress, targets, charts, exports, the monthly digest

menu-progress = 📊 Progress
menu-targets = 🎯 Targets
menu-export = 📥 Export
view-not-allowed = Only officers of grassroots unions and of the unions above see progress and targets.
progress-title = 📊 Reporting progress { $period } — { $unit }
progress-counts = ✅ On time: { $on_time } · 🕓 Late: { $late } · ❌ Missing: { $missing } ({ $pct }% on time)
progress-level-line = { $level } — { $counts }
progress-unit-line = { $unit }: ✅ { $on_time } · 🕓 { $late } · ❌ { $missing }
progress-branch-on-time = ✅ { $unit }
progress-branch-late = 🕓 { $unit } (late)
progress-branch-missing = ❌ { $unit } (missing)
progress-nothing-expected = No unit here has to report.
button-remind-pending = 🔔 Remind pending units
button-chart = 📈 Chart
button-previous-month = « Previous month
targets-title = 🎯 Targets { $year } — { $unit }
targets-line = { $state ->
    [met] ✅
    [near] ⚠️
    [far] ❗
   *[none] ▫️
} Target { $number }: { $title } — { $pct }% achieved (goal { $goal }%; { $achieved } of { $total } at { $level } level)
targets-legend = ✅ met · ⚠️ near (70% of the goal or more) · ❗ far · ▫️ no data yet
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
export-ask-format = { $range } — which type of file would you like?
export-coming = ⏳ Preparing the file; the bot sends it when ready.
file-busy = ⏳ The file you asked for earlier is still being prepared. Please wait for it before asking for another.
export-ready = 📥 { $range } — { $unit }: { $rows ->
        [0] no monthly reports yet.
        [one] 1 monthly report.
       *[other] { $rows } monthly reports.
    }
export-too-big = { $range } — { $unit }: the file is { $size }, over the { $limit } that can be sent in a message, so the bot cannot send it.
    Please try one month, or ask the bot's administrator to export it for you.

digest-title = 📬 Newsletter for { $period } — { $unit }
digest-reported-on-time = • Your branch reported at { $time } (on time). Thank you!
digest-reported-late = • Your branch reported at { $time } (late).
digest-not-reported = • Your branch did not send its { $period } report.
digest-ancestor = • { $unit }: { $submitted }/{ $expected } units reported, { $pct }% on time.
digest-activities = { $count ->
        [0] • No activities logged in { $period }.
       *[other] • Activities logged in { $period }: { $count }.
    }
digest-proposals = • Your branch's proposals: “{ $text }” — passed up to the union above.
button-format-xlsx = Excel spreadsheet
button-format-csv = CSV file (for computers)
