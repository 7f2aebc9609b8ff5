# One person on two apps (/lienket), files sent as links, and lists on apps without buttons.

link-code = 🔗 Your link code: { $code }
    Within { $minutes } minutes, open the bot in your other app (Zalo or Telegram) and send: /lienket { $code }
    The bot will ask you here before sharing. Never give this code to anyone.
link-code-unknown = That link code is wrong or has expired. Type it again, or send /lienket in the app where you joined to get a new one.
link-same-account = You just got this code in this very app. Please type it in your other app.
link-enter-code = Type your link code here. You get it in the app where you joined the union: send /lienket there.
link-linked-list = Sharing this account: { $apps }.
link-button-unlink = ✂ Unlink { $app }
link-unlink-confirm = Unlink the { $app } account? It will no longer share this account, and will belong to no branch.
link-button-unlink-confirm = ✂ Unlink
link-unlinked = ✅ The { $app } account is unlinked.
link-unlinked-other = This account no longer shares the { $app } account. The bot treats it as a new account that has not joined a branch.
link-unlink-gone = The { $app } account was unlinked already.
link-typed-on-joined = This account has joined the union, so it takes no link code. To use another app as well, send /lienket here to get a code and type it in the other app. Never type a code someone else gave you.
link-code-typed-idle = If this is a link code, send /lienket and then type the code.
link-confirm-ask = 🔗 The { $app } account “{ $name }” wants to share this account (unit, role, reports).
    If it is you, choose “Agree” (within { $minutes } minutes). If you gave the code to nobody, choose “Not me”.
link-button-agree = ✅ Agree
link-button-not-me = ✖ Not me
link-asked = The bot has asked the account that joined. Open the bot there and choose “Agree” within { $minutes } minutes.
link-refused = The account that joined did not agree, so the accounts are not shared.
link-you-refused = Refused: the other account does not share yours. Never give a link code to anyone.
link-request-already-decided = This link request has been answered already.
link-request-expired = This link request has expired. Send /lienket to get a new code.
link-request-moot = This link request no longer applies.
link-done = ✅ Linked { $apps }. Use the bot in either app; it writes to the app you used last.

file-link = 📎 Download: { $url }
    This link is only for you and works for 24 hours.
file-needs-upload = The bot cannot send files in this app yet. Open the bot in Telegram (send /lienket to use one account), or ask an admin to export the report for you.


cmd-lienket = Use one account on Telegram and Zalo
