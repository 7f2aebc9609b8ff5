## The 6-month and yearly report (a .docx draft): the document's wording, not chat messages

draft-org = VIETNAM WOMEN'S UNION
draft-board = STANDING COMMITTEE
draft-number = No.:      /BC-BTV
draft-place-date = { $place }, { $day }/{ $month }/{ $year }
draft-title = REPORT
draft-subject = Results of the plan to renew and improve grassroots Women's Union work, { $range }
draft-range-half = { $half ->
    [1] first half of { $year }
   *[2] second half of { $year }
}
draft-range-year = the year { $year }
draft-range-month = { $month }/{ $year }
draft-intro = Pursuant to the provincial Women's Union Standing Committee's plan for renewing grassroots work, the Standing Committee of { $unit } reports its results for { $range } as follows:
draft-part-results = I. RESULTS
draft-part-shortcomings = II. SHORTCOMINGS
draft-part-next = III. TASKS FOR { $range }
draft-targets-heading = 1. Targets
draft-targets-sentence = In { $range }, { $unit } met { $met } of { $total } targets of the plan.
draft-targets-met = Targets met: { $list }.
draft-targets-unmet = Targets not yet met: { $list }.
draft-col-target = Target
draft-col-content = Content
draft-col-result = Result
draft-col-goal = Goal
draft-col-assessment = Assessment
draft-met = Met
draft-unmet = Not met
draft-no-data = No data yet
draft-result = { $achieved }/{ $total } ({ $pct })
draft-reports-heading = 2. Monthly public-opinion reports
draft-reports-sentence = { $expected } reports were due: { $on_time } on time ({ $pct }), { $late } late, { $missing } missing.
draft-col-month = Month
draft-col-expected = Due
draft-col-on-time = On time
draft-col-late = Late
draft-col-missing = Missing
draft-col-rate = On-time rate
draft-activities-heading = 3. Union activities
draft-activities-sentence = { $count ->
    [0] No activity was logged in the period.
   *[other] { $count } activities were logged in the period:
}
draft-col-activity = Activity
draft-col-times = Times
draft-col-amount = Amount
draft-incidents-heading = 4. Incidents and how they were handled
draft-incidents-sentence = { $count ->
    [0] No incident was reported in the period.
    [one] One incident was reported in the period.
   *[other] { $count } incidents were reported in the period.
}
draft-incidents-handled = Urgent reports by state: { $list }.
draft-col-field = Field
draft-col-severity = Seriousness
draft-col-count = Incidents
draft-proposals-heading = 5. Proposals and members' opinions
draft-proposals-tracked = Of the proposals sent through the bot, { $answered } have been answered and { $open } are awaiting an answer.
draft-proposals-sentence = Branches sent { $proposals } proposals; members sent { $opinions } opinions.
draft-behind-target = Target { $number } – { $title }: { $result }, goal { $goal }.
draft-behind-units = Units behind: { $units }.
draft-missing-units = Units with monthly reports missing: { $units }.
draft-missing-unit = { $unit } ({ $count } missing)
draft-no-shortcomings = By the bot's figures, every target was met and every unit reported in the period.
draft-next-1 = 1. Key tasks
draft-next-2 = 2. Remedies for the shortcomings
draft-next-3 = 3. Proposals
draft-fill-in = (To be completed by the unit.)
draft-closing = This is the report of the Standing Committee of { $unit } on its results for { $range }./.
draft-sign-on-behalf = ON BEHALF OF THE STANDING COMMITTEE
draft-sign-title = CHAIR
draft-recipients = Recipients:
draft-recipient-above = - Standing office, { $above };
draft-recipient-file = - Filed: Office.
draft-more = … and { $count } more units

## Chat messages (/baocaoky)

menu-draft = 📝 6-month / yearly report
draft-not-allowed = Only union officers at the grassroots level and above draft the 6-month and yearly reports.
draft-ask-range = 📝 The bot drafts the report (a Word file) from its figures for you to edit and send. Which period?
draft-coming = ⏳ The bot is drafting the report and will send it when ready.
draft-ready = 📝 Draft report for { $range } — { $unit }. Open it in Word or LibreOffice, fill in part III and edit it before sending.
draft-ready-scheduled = 📝 The report for { $range } is due. The bot drafted it for { $unit } from its figures; open it in Word or LibreOffice, fill in part III and edit it before sending.
