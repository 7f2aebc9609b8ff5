## The roster (/hoivien for officers), matching joiners to it, a member's own status.

menu-roster-status = 🧳 Away / at home
button-roster-list = 📋 Members list
roster-title = 👥 Members — { $unit }
roster-empty = No members list yet. The administrator loads it from a file (chihoi members import).
roster-counts = Total: { $total } members
    • On the bot: { $on_bot } · Not on the bot: { $off_bot }
    • Unreachable: { $unreachable }
    • Honorary members: { $honorary }
    • Working far from home: { $away }
roster-figure-reached = • Read a policy announcement in { $year }: { $reached }/{ $members } members ({ $pct }%)
roster-figure-gathered = • Members against women aged 18+: { $gathered }/{ $women } ({ $pct }%)
roster-figure-no-women = • No figure of women aged 18+ yet (the administrator loads it with chihoi stats import).
roster-child = { $unit }: { $total } members, { $on_bot } on the bot
roster-name-line = { $n }. { $name }{ $phone ->
        [none] {""}
       *[other] {" — "}{ $phone }
    }{ $marks ->
        [none] {""}
       *[other] {" · "}{ $marks }
    }
roster-mark-on-bot = 📱 on the bot
roster-mark-away = 🧳 away
roster-mark-unreachable = ☎️ unreachable
roster-mark-honorary = ⭐ honorary
roster-forgotten = (details erased)

roster-ask-phone = Please send your phone number here (for example 0912 345 678) so the bot can find your name on your branch's members list.
roster-match-ask = 🙋 { $name } has just joined { $unit } on the bot. Who is she on the members list?
roster-match-choice = 👤 { $name }{ $tail ->
        [none] {""}
       *[other] {" (…"}{ $tail }{")"}
    }
roster-match-new = ➕ Not on the list (add her)
roster-match-done = ✅ { $joiner } is now matched to { $name } on the members list.
roster-match-added = ✅ { $name } has been added to the members list.
roster-match-already = { $joiner } is already on the list ({ $name }); nothing more to choose.
roster-match-row-taken = That name is already matched to someone else. Type /hoivien to look at the list again.
roster-match-moot = { $name } is no longer a member on the bot.
roster-matched-by-phone = ✅ The bot found your name on the members list: { $name }. Thank you!
roster-matched-by-phone-to-head = ℹ️ { $joiner } was matched to { $name } on the members list (by phone number). If that is wrong, please tell the administrator.
roster-phone-unknown = The bot did not find this number on your branch's members list. Your branch head will confirm it for you.
roster-phone-taken = This number is already matched to someone else. Your branch head will confirm it for you.
roster-phone-not-member = A phone number is only used to match members to their branch's list.
roster-already-you = You are already on the members list ({ $name }).

roster-status-no-row = You are not on the members list on the bot yet. Your branch head will match you; then you can change your status here.
roster-status-home = On the members list you are at home. If you go to work far from home, choose below so that your branch knows.
roster-status-away = On the members list you are working far from home. When you are back, choose below.
button-roster-away = 🧳 I am working far from home
button-roster-home = 🏠 I am back home
roster-status-saved = ✅ Saved: you are { $away ->
        [yes] working far from home
       *[other] back home
    }. Your branch will see it on the members list.
roster-status-unchanged = You are already { $away ->
        [yes] working far from home
       *[other] at home
    }; nothing to change.
roster-confirm-match = Match { $joiner } to { $name } on the members list?
roster-confirm-add = Add { $joiner } to the members list (she is not on it)?
