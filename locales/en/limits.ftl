## Per-person limits: requests to join a branch, urgent reports, charts and exports, wrong link codes

# When she may try again: "15:30" if today, "08:05 on 16/11" if another day.
limit-time = { $today ->
        [yes] { $time }
       *[no] { $time } on { $date }
    }
limit-join-requests = You have sent { $max } requests to join a branch in the last 24 hours. Please wait for the branch head's answer, or send again after { $at }. The branch you chose is kept.
limit-urgent-reports = You have sent { $max } urgent reports in the last hour. You can send another after { $at }. If it cannot wait, please call your grassroots union officer now.
limit-urgent-kept = The report you just entered is kept: when the time comes, choose “🚨 Send now” to send it.
limit-files = You have asked for { $max } charts and exports in the last hour. You can ask again after { $at }.
limit-link-codes = You have typed a wrong link code { $max } times. Please try again after { $at }.
limit-link-paused = Many wrong link codes have been typed, so the bot has stopped taking codes for a while. Please try again after { $at }.
flood-slow-down = You sent many messages in a row, so the bot skipped the latest ones. Please wait a moment, then send again what you need.
