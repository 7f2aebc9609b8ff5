# One person on two apps (/lienket), files sent as links, and lists on apps without buttons.

link-code = 🔗 Your link code: { $code }
    Within { $minutes } minutes, open the bot in your other app (Zalo or Telegram) and send: /lienket { $code }
link-code-unknown = That link code is wrong or has expired. Send /lienket in your other app to get a new one.
link-same-account = This code was made here. Please send it from your other app.
link-both-joined = Both accounts have already joined, so the bot cannot merge them. Please ask a union officer for help.
link-done = ✅ Linked { $apps }. Use the bot in either app; it writes to the app you used last.

file-link = 📎 Download: { $url }
    This link is only for you and works for 24 hours.
file-needs-upload = The bot cannot send files in this app yet. Open the bot in Telegram (send /lienket to use one account), or ask an admin to export the report for you.


cmd-lienket = Use one account on Telegram and Zalo
