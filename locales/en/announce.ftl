## Announcements (/thongbao): sent to members, branch heads, officers; read confirmations; stopping a kind

menu-announce = 📣 Announcements
cmd-thongbao = Announcements: send, read, see who read
notice-later-announcement = (You are in the middle of something with the bot, so this message has no numbers to choose. When you are done, type /thongbao to confirm you have read it.)

announce-kind-policy = Policy and law education
announce-kind-other = Other
announce-audience-members = 👩 Members
announce-audience-heads = 👩‍💼 Branch heads
announce-audience-officers = 🏛 Union officers

announce-message = 📣 Announcement from { $from } ({ $kind })

    { $text }
announce-again = 🔔 Reminder: you have not confirmed reading this announcement.
button-announce-read = ✅ Read
button-announce-stop = 🔕 Stop these
announce-read-thanks = Thank you for reading the announcement.
announce-read-already = You have already confirmed reading this announcement.
announce-stopped = You will no longer get “{ $kind }” announcements. Report reminders and urgent alerts still come as usual. To get them again, choose below or type /thongbao.
button-announce-resume = 🔔 Get “{ $kind }” again
announce-resumed = You will get “{ $kind }” announcements again.

announce-home-title = 📣 Announcements
announce-unread-title = Announcements you have not confirmed reading:
announce-unread-line = • No. { $n } ({ $date }): { $text }
button-announce-read-n = ✅ Read no. { $n }
announce-stopped-line = You have stopped “{ $kind }” announcements.
announce-nothing = You have no unread announcements.
button-announce-new = ✏️ Write an announcement
announce-sent-title = Announcements you sent (choose one to see who read it):
button-announce-show = 📊 No. { $n } ({ $date }): { $text }
announce-not-allowed = Only union officers and branch heads can send announcements.

announce-ask-text = Type the announcement, briefly. Recipients will choose “✅ Read” once they have read it.
announce-ask-unit = Which unit is it for?
button-announce-whole = All of { $unit }
announce-ask-audience = Who in { $unit } should get it?
announce-ask-kind = What kind of announcement is it?
announce-preview = Preview, as recipients will see it:

    { $message }

    To: { $audience } of { $unit } ({ $count } people on the bot).
button-announce-send = 📤 Send
announce-sent = ✅ Announcement sent to { $count } people. Type /thongbao to see who has read it.

announce-sent-later = It is quiet hours now, so the bot sends it from { $time }.
announce-reach = 📊 No. { $n } ({ $date }), { $kind }:
    { $text }
    To: { $audience } of { $unit }.
    Received { $delivered } · read { $read } · unread { $unread } · not delivered { $unreachable }
announce-reach-pending = {" "}· sending { $pending }
announce-reach-unit = • { $unit }: received { $delivered } · read { $read } · unread { $unread } · not delivered { $unreachable }
button-announce-remind = 🔔 Remind those who have not read it
announce-reminded = Reminded { $count } people who had not read it.
announce-remind-done-before = You have already reminded them once: each announcement is reminded once.
announce-reminded-on = Those who had not read it were reminded on { $date }.
button-announce-back = « Back

## Photos and files sent with an announcement

announce-ask-text-or-file = Type the announcement, briefly.
    To add a photo or a file (PDF, Word, Excel…), send the photo or file, with your message as its caption.
    Recipients will choose “✅ Read” once they have read it.
announce-file-too-big = ⚠️ This file is too large: the bot takes up to { $max } MB. Please send a smaller one, or type the announcement.
announce-file-wrong-type = ⚠️ The bot cannot send this kind of file. Please send a photo, or a { $types } file; or type the announcement.
announce-file-not-here = Announcements written here can only be text, without a photo or a file. Please type the announcement.
announce-with-photo = 📎 With a photo.
announce-with-document = 📎 With a file: { $name }
announce-file-link = 📎 Download: { $url }
    The link works for { $days } days.
