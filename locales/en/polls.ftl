## Polls and comments on drafts (/laykien): ask members, branch heads, officers; one answer each; results per unit

menu-polls = 🗳 Polls
cmd-laykien = Polls, comments on drafts
help-polls = /laykien — polls, comments on draft documents
notice-later-poll = (You are in the middle of something with the bot, so this message has no numbers to choose. When you are done, send /laykien to answer.)

poll-option-agree = Agree
poll-option-disagree = Disagree
poll-option-other = Other opinion
poll-option-yes = Yes
poll-option-no = No

poll-message = 🗳 { $from } asks your opinion:
    { $question }
poll-message-draft = 📄 { $from } asks your comments on a draft:
    { $question }
poll-deadline = Answer by: { $time }.
poll-how-options = Choose one option below. To change your mind, choose again before the deadline.
poll-how-both = Choose one option below, or choose “💬 Send a comment” to write more. To change your mind, choose again before the deadline.
poll-how-comment = Choose “💬 Send a comment” and write your opinion.
button-poll-comment = 💬 Send a comment

poll-answer-recorded = ✅ Your answer is recorded: “{ $option }”. Thank you!
poll-answer-changed = ✅ Your answer is changed to “{ $option }”.
poll-answer-same = You already chose “{ $option }”; it counts once.
poll-closed-refused = This poll closed at { $time }, so no more answers are recorded. Thank you for caring!
poll-ask-comment = Write your comment on:
    { $question }
poll-comment-recorded = ✅ Your comment is recorded. Thank you!
poll-comment-changed = ✅ Your new comment replaces the earlier one.

poll-home-title = 🗳 Polls
poll-open-title = Polls you have not answered:
poll-open-line = • Poll { $n } (until { $date }): { $text }
button-poll-answer = 🗳 Answer poll { $n }
poll-nothing = You have no poll to answer.
button-poll-new = ➕ New poll
poll-sent-title = Polls you sent (choose one to see its results):
button-poll-show = 📊 Poll { $n } ({ $date }): { $text }
poll-not-allowed = Only union officers and branch heads can run polls.

poll-ask-kind = What is this poll about?
button-poll-draft = 📄 Comments on a draft
button-poll-question = ❓ A question
poll-ask-draft = Write the draft's name and what to comment on, e.g. Draft Land Law (amended), comments on compensation for land recovery.
poll-ask-question = Write the question, briefly.
poll-ask-options = How do people answer?
button-poll-type-options = ✏️ Write the options
button-poll-comments-only = 💬 Written comments only
poll-ask-type-options = Write the options one per message ({ $min } to { $max } options, each short). When done, choose “✅ Done”.
poll-options-so-far = So far:
button-poll-options-done = ✅ Done
poll-option-repeated = That option is already there. Please write another one.
poll-ask-comments = May people also write a comment?
button-poll-comments-yes = 💬 Yes, take comments
button-poll-comments-no = No, options only
poll-ask-closing = How long does it stay open?
button-poll-days = { $days ->
        [one] { $days } day
       *[other] { $days } days
    }
poll-ask-unit = Which unit do you ask?
poll-preview = Preview, as people will see it:

    { $message }

    To: { $audience } of { $unit } ({ $count } people on the bot).
poll-preview-target = This round of comments on a draft counts towards target 7 of the grassroots union.
button-poll-send = 📤 Send
poll-sent = ✅ Sent to { $count } people. Answer by: { $time }. When it closes, the bot sends the results to you and to those who answered.
poll-activity-description = Poll { $n }: { $text }

poll-result-title = 📊 Results of poll { $n } by { $from }:
    { $question }
poll-closed-on = Closed at { $time }.
poll-result-area = { $area }: { $answered }/{ $total } people answered ({ $pct }%).
poll-result-option = • { $option }: { $count } people ({ $pct }%)
poll-result-units-title = By unit:
poll-result-unit = • { $unit }: answered { $answered }/{ $total } ({ $pct }%)
poll-result-comments-title = Written comments:
poll-result-comment = • { $unit }: { $text }
button-poll-chart = 📈 See the chart
poll-chart-title = Poll { $n }: { $text }
poll-chart-legend = People who chose it
button-poll-table = 📥 Download the results table
poll-table-ready = 📥 Results of poll { $n } by unit.
poll-table-unit = Unit
poll-table-asked = People asked
poll-table-answered = People who answered
poll-table-total = Total
