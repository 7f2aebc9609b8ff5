## Monthly public-opinion report

report-period-title = Report for { $period }
report-not-allowed = Only branch heads and grassroots officers can send the monthly report.
report-bad-period = That month is not valid. Type /baocao for the { $current } report; if last month is still open, type /baocao { $previous }.
report-period-locked = The { $period } reporting period is locked and can no longer be changed. Anything more to report goes into this month's report (type /baocao).
report-intro = 📋 Report for { $period } — { $unit }. Deadline: { $deadline }.
report-intro-parts = Five parts; in each, choose an option or type briefly. Each answer is saved at once.
report-already-submitted = The { $period } report was sent at { $time } (revision { $revision }). You can still correct it until the period locks.
button-correct-report = ✏️ Correct the report
button-continue-correction = Continue the correction
report-draft-found = You have a draft with { $answered } of 5 parts answered.
report-same-title = The { $previous } report as sent:
report-same-incidents = not copied; the bot asks again
report-same-ask = If { $period } was the same, choose “Keep as last month”; if something changed, choose “Answer each part”.
button-same-keep = ✅ Keep as last month
button-same-sections = ✏️ Answer each part
report-same-kept = ✅ Kept the parts as in { $previous } (incidents are never copied).
report-same-taken = The { $period } report has already been started (a draft or a submitted report), so last month's answers were not copied over it. See below.
report-same-changed = The { $previous } report was just corrected. Please check the latest version below, then choose.
report-same-gone = Last month's report is no longer there to keep. Please answer each part.
report-same-closed = Closed. When you are ready, type /baocao to make the report.
report-same-opinions = 💬 In { $period } members sent { $count ->
        [one] one opinion
       *[other] { $count } opinions
    }; you see them in part 3 when you choose “Answer each part”.
report-ask-level = Part { $part }/5 — { $section } of members in { $period }?
report-current-answer = {"\u000A"}(Current answer: { $answer })
report-ask-note = { $section }: any notes to add? { $has_note ->
        [yes] Type a new note if you want to replace it; otherwise choose “Keep it” or “Remove note”.
       *[no] Type briefly, or choose “Skip”.
    }
report-current-note = {"\u000A"}Current note: { $note }
button-keep-note = Keep it
button-clear-note = Remove note
report-ask-incidents = Part 4/5 — Were there any emerging or prominent incidents this month?
button-yes-incident = Yes
button-no-incident = None
report-incident-list = Part 4/5 — { $count ->
        [one] 1 incident recorded:
       *[other] { $count } incidents recorded:
    }
button-add-incident = ➕ Add incident
button-delete-incident = 🗑 Delete incident { $n }
report-incident-item = Incident { $n }: { $line }
report-incident-deleted = Incident deleted.
report-incident-added = Incident { $n } recorded.
report-ask-proposals = Part 5/5 — Does the branch have any proposals or recommendations? { $has_text ->
        [yes] Type new ones if you want to replace them; otherwise choose “Keep it” or “Remove note”.
       *[no] Type them briefly, or choose “No proposals”.
    }
button-no-proposals = No proposals
report-summary-title = 📋 Report for { $period } — { $unit }
report-missing = (not answered)
report-no-incidents = None
report-no-proposals = None
report-summary-ready = Please check it, then choose “Submit” or the part to correct.
report-summary-incomplete = Some parts are not answered yet; choose one to complete it.
button-submit = ✅ Submit
button-edit-labour = ✏️ Labour
button-edit-living = ✏️ Living
button-edit-thoughts = ✏️ Thoughts
button-edit-incidents = ✏️ Incidents
button-edit-proposals = ✏️ Proposals
button-save-later = 💾 Save, finish later
report-incomplete = The report still has unanswered parts.
report-submitted = ✅ The { $period } report of { $unit } was submitted (deadline { $deadline }). Thank you!
report-corrected = ✅ The { $period } report of { $unit } was updated (revision { $revision }).
report-saved-for-later = 💾 Draft saved. Type /baocao to continue.
report-opinions-header = { $count ->
        [one] Members sent 1 opinion to the branch in { $period }:
       *[other] Members sent { $count } opinions to the branch in { $period }:
    }
report-opinions-more = {"\u000A"}… and { $count } more.

report-section-labour = Labour and production
report-section-living = Cultural and spiritual life
report-section-thoughts = Thoughts and aspirations
report-section-incidents = Emerging or prominent incidents
report-section-proposals = Proposals and recommendations
report-situation-stable = Stable
report-situation-concerns = Some difficulties
report-situation-serious = Serious difficulties
report-thoughts-stable = Confident, optimistic
report-thoughts-concerns = Some concerns
report-thoughts-serious = Frustrated

## Incidents (monthly and urgent reports)

incident-ask-field = Which field is the incident in?
incident-ask-severity = { $field } — how serious? “Very complex” is sent as urgent at once.
incident-ask-people = About how many people are involved? Choose a range or type the number of people (e.g. 12).
incident-bad-people = Please type just a number (e.g. 12).
incident-ask-description = Please describe the incident briefly: where, and what happened.
incident-line = { $field } — { $severity }, { $people }: { $description }
incident-people-range = { $from } to { $to } people
incident-people-about = { $count ->
    [one] about one person
   *[other] about { $count } people
}
incident-field-land-clearance = Land clearance
incident-field-contributions = Community contributions
incident-field-merit-policy = People-of-merit policy
incident-field-security-order = Security and order
incident-field-other = Other
incident-severity-minor = Minor
incident-severity-serious = Complex
incident-severity-critical = Very complex

## Urgent, ad-hoc reports

urgent-intro = 🚨 Urgent report: the bot sends it at once to the grassroots officers; if nobody acknowledges it, the bot passes it on to the union above.
urgent-confirm = Send this urgent report?{"\u000A"}{ $incident }
button-send-now = 🚨 Send now
urgent-alert = 🚨 URGENT — { $unit }{"\u000A"}{ $incident }{"\u000A"}Reported by: { $reporter }
urgent-sent = ✅ Urgent report sent to { $count ->
        [one] 1 officer
       *[other] { $count } officers
    }. The bot will tell you when an officer takes it.
urgent-sent-nobody = ⚠️ The urgent report is saved, but no union officer uses the bot yet to receive it. Please call your grassroots officer directly now.

## Members' opinions

opinion-ask = 💬 What would you like to raise with your branch? Please type it here.
opinion-ask-signature = Your opinion:{"\u000A"}{ $text }{"\u000A"}Send it with your name or anonymously?
button-send-named = Send with my name
button-send-anonymous = Send anonymously
opinion-sent = ✅ Your opinion was sent to { $unit }. Thank you!
opinion-to-head = 💬 New opinion from a member ({ $who }):{"\u000A"}{ $text }
opinion-anonymous-name = anonymous
report-urgent-raised = 🚨 { $count ->
        [one] 1 very complex incident
       *[other] { $count } very complex incidents
    }: the bot alerted the grassroots officers at once.

## Reminders and overdue summaries

reminder-prompt = 📋 The { $period } report of { $unit } is open. Deadline: { $deadline }.
reminder-again = ⏰ Hello! The { $period } report of { $unit } has not been sent yet. Deadline: { $deadline }.
reminder-overdue = ⏰ The { $period } report of { $unit } is overdue (deadline { $deadline }). Please send it soon.
button-open-report = 📋 Write the report
overdue-summary = ⚠️ The { $period } report is overdue; { $pending } of { $total } units have not sent it:
overdue-more = {"\u000A"}… and { $count } more.
button-remind-all = 🔔 Remind them all now
remind-all-done = { $people ->
        [0] No more reminders sent.
        [one] Reminded 1 person.
       *[other] Reminded { $people } people.
    }
remind-all-summary = { $units ->
        [0] 🔔 No unit is pending any more.
       *[other] { $people ->
            [0] 🔔 No more reminders sent: the { $units } pending units were reminded today or have nobody on the bot.
           *[other] 🔔 Reminders sent to { $people } people in { $units } pending units.{ $nobody ->
                [0] {""}
               *[other] {" "}{ $nobody } units have nobody on the bot yet.
            }
        }
    }
unreachable-to-head = ⚠️ { $name } ({ $unit }) is not getting the bot's messages (she may have blocked it or stopped using this account). Please contact her directly.

## Urgent alerts: handling

alert-status-open = Not yet acknowledged
alert-status-acknowledged = Acknowledged
alert-status-in-progress = In progress
alert-status-resolved = Resolved
button-alert-ack = 👀 Acknowledge
button-alert-progress = 🛠 In progress
button-alert-resolved = ✅ Resolved
alert-status-line = Status: { $status }
alert-escalated-note = (Escalated: nobody below acknowledged it.)
alert-already = This alert is already: { $status }.
alert-updated = Updated: { $status }.
alert-list-not-allowed = Only officers of grassroots unions and of the unions above see alerts.
alert-list-empty = No open alerts.
alert-list-title = 🚨 { $count ->
        [one] 1 open alert:
       *[other] { $count } open alerts:
    }
alert-list-item = Incident #{ $n } — { $unit }{"\u000A"}{ $incident }{"\u000A"}Status: { $status }
alert-list-choice = { $to ->
        [ack] 👀 Acknowledge #{ $n } — { $unit }
        [prog] 🛠 In progress #{ $n } — { $unit }
       *[done] ✅ Resolved #{ $n } — { $unit }
    }
alert-changed = Note: incident #{ $n } was just updated; it is now “{ $status }”.
alert-list-more = There are older alerts. Choose “More” to see them.
alert-reporter-escalated = ⏫ No officer has taken your urgent report ({ $incident }) yet, so the bot passed it on to the union above.
alert-reporter-status = 🔔 Your urgent report ({ $incident }): { $status } — { $name }, { $role }.

## The grassroots union's report prefilled from its branches' reports (issue 19 §2)

prefill-title = 🧩 The bot has filled this in from the reports of { $reported }/{ $branches } branches:
prefill-none-yet = No branch has sent its report for { $period } yet (0/{ $branches }), so the report starts empty.
prefill-more-branches = • … and { $count } more branches
prefill-incidents = { $count } copied from the branches' reports
prefill-incidents-more = … and { $count } more (see part 4 when editing part by part)
prefill-incidents-left-out = ({ $count } less serious ones were not copied: a report holds at most { $max }.)
prefill-ask = If this is right for { $period }, choose “Submit as is”. To correct it or add the grassroots union's own points, choose “Edit part by part”.
button-prefill-submit = ✅ Submit as is
button-prefill-sections = ✏️ Edit part by part
