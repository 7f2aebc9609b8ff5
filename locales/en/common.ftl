## Common: errors, roles, levels, buttons, menu, help, language

error-internal = Sorry, the bot ran into a problem. Your message will be handled as soon as it recovers; no need to send it again.
error-stale-button = This choice is out of date. Please choose from the latest message.
error-bad-button = The bot doesn't recognise this choice. Please choose again from the latest list.
error-not-yours = This is not yours to decide.
error-use-buttons = Please choose one of the options below.
error-photo-not-expected = No photo is needed at this step, so the bot has not kept the one you sent. Activity photos go in the last step of logging an activity (/hoatdong).
error-unsupported = Sorry, the bot cannot read this kind of message yet (voice messages, stickers…). Please type your message.
error-unknown-command = Unknown command. Type /trogiup for help.
error-empty-text = The text is empty. Please type it again.
error-text-too-long = Your text has { $chars } characters; the limit is { $max }. Please shorten it.

role-member = Member
role-branch-head = Branch head
role-grassroots-officer = Grassroots officer
role-district-admin = District officer
role-province-admin = Province officer

level-province = Province
level-district = District
level-grassroots = Grassroots
level-branch = Branch
level-group = Group

button-cancel = ✖ Cancel
button-close = Close
button-skip = Skip
button-next = Continue ➡
button-continue = Continue the draft
button-start-over = 🗑 Delete draft, restart
button-up = ⬆ Back
button-prev = « Previous
button-more = More »
button-approve = ✅ Approve
button-reject = ✖ Reject

menu-title = What would you like to do?
menu-not-understood = Sorry, the bot did not understand. Please choose one below.
menu-thanks = You are welcome! If you need anything else, choose it below.
menu-report = 📋 Monthly report
menu-urgent = 🚨 Urgent report
menu-opinion = 💬 Send an opinion
menu-join = 🙋 Ask to join a branch
menu-language = 🌐 Language
menu-help = ❓ Help
menu-alerts = 📢 Open alerts

help-title = ❓ Help
help-not-joined = This is the automated assistant (bot) of the Women's Union. You are not in a branch yet: send here the invite code a union officer gave you (pasting the whole invite message works too), or choose “🙋 Ask to join a branch” to find yours.
help-member =
    /khancap — report an urgent incident now
    /ykien — send an opinion or concern to your branch
    /thongbao — the union's announcements you have not read
    /huy — stop what you are doing
    /ngonngu — change language
    /trogiup — show this help
help-reporter =
    /baocao — monthly public-opinion report
    /hoatdong — log an activity (counts towards targets)
    /khancap — urgent, ad-hoc report
    /huy — stop what you are doing (a monthly report in progress is kept)
    /ngonngu — change language
    /trogiup — show this help
    Type “menu” to see what you can do.
help-admin =
    Urgent reports nobody below acknowledges climb to you.
    /tiendo — reporting progress
    /chitieu — yearly targets
    /xuat — export reports (month, half-year, year)
    /baocaoky — draft the 6-month or yearly report (Word file)
    /canhbao — open alerts
    /moi — invite the officers below you
    /khancap — urgent report
    /thongbao — send announcements, see who read them
    /huy — stop what you are doing
    /ngonngu — change language
    /trogiup — show this help
    /tonghop — the monthly synthesis

help-officer =
    /tiendo — reporting progress of your branches
    /chitieu — yearly targets
    /xuat — export reports
    /baocaoky — draft the 6-month or yearly report (Word file)
    /canhbao — open urgent alerts in your commune
    /duyet — join requests to the branches of your commune
    /moi — invite branch heads
    /thongbao — send announcements, see who read them
    /tonghop — the monthly synthesis of your branches
help-contact = { $who ->
    [member] To talk to a person, please contact your branch head.
   *[other] To talk to a person, please contact the officers of the union above you.
}

dialog-cancelled = Cancelled.

language-ask = Choose a language:
language-set = Switched to English.

cmd-start = Start, show the menu
cmd-baocao = Monthly report
cmd-khancap = Urgent, ad-hoc report
cmd-ykien = Send an opinion to your branch
cmd-ngonngu = Change language
cmd-trogiup = Help
cmd-huy = Stop what you are doing
cmd-canhbao = Open urgent alerts
cmd-hoatdong = Log an activity
cmd-tiendo = Reporting progress
cmd-chitieu = Yearly targets
cmd-xuat = Export reports
cmd-hoivien = Members of your branch
cmd-moi = Invite to the bot
error-set-aside = Sorry, the bot could not handle your last message. Please send it again in a few minutes.

## Typed answers (Zalo): how to answer a list, lists out of date, confirmations

list-hint-numbers = (Type the number to choose, e.g. 1)
list-hint-letters = (Type a, b… to choose)
error-list-expired = The list you answered is out of date (sent more than a day ago), so the bot did nothing. Please choose again from the current list below.
notice-later-alert = (You are in the middle of something with the bot, so this message has no numbers to choose. When you are done, type /canhbao to handle this incident.)
notice-later-join = (You are in the middle of something with the bot, so this message has no numbers to choose. When you are done, type /duyet to answer this request.)
notice-later-report = (You are in the middle of something with the bot. When you are done, type /baocao to do the report.)
notice-later-progress = (You are in the middle of something with the bot. When you are done, type /tiendo to see and remind the units.)
notice-later-link = (You are in the middle of something with the bot, so this message has no numbers to choose. If you did just get a code: type /huy to stop, /lienket for a new code, then type that code on the other app.)
notice-later-menu = (You are in the middle of something with the bot. When you are done, type “menu” to see what you can do.)
button-confirm-yes = ✅ Yes, do it
button-confirm-no = ↩ No, go back
confirm-alert = Move incident #{ $n } ({ $unit }) to “{ $status }”?
confirm-join = { $verdict ->
        [approve] Approve { $name } joining { $unit }?
       *[reject] Refuse the request of { $name } to join { $unit }?
    }
confirm-start-over = Delete the draft with { $answered } of 5 parts answered and start over?
confirm-generic = Do this?
confirm-dropped = All right, nothing was changed.

# A moment in messages: "23:59 ngày 30/11/2026".
date-time = { $time } on { $date }
