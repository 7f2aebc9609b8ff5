## Proposals (/kiennghi): a branch's proposals, from its monthly report or a member's opinion, received, forwarded up and answered by the union

cmd-kiennghi = Branch proposals: see, answer
menu-proposals = 📨 Proposals
proposals-help = { $who ->
    [head] /kiennghi — whether your branch's proposals have been answered; forward a member's opinion to the grassroots union
   *[officer] /kiennghi — branches' proposals waiting: receive, forward up, answer
}
proposals-not-allowed = Proposals are sent up by branch heads. To raise something, type /ykien to send your branch an opinion.

proposals-status-new = new
proposals-status-received = received
proposals-status-forwarded = forwarded to the level above
proposals-status-answered = answered
proposals-from-report = Monthly report { $period }
proposals-from-opinion = Member's opinion { $period }

proposals-list-title = 📨 Proposals waiting — { $unit }: { $count }
proposals-list-empty = No proposal is waiting for an answer.
proposals-list-line = Proposal { $n } · { $unit } · { $date } · { $status }
    “{ $text }”
button-proposals-show = 📨 Proposal { $n } · { $unit }

proposals-item = 📨 Proposal { $n } — { $unit }
    { $source }, sent on { $date }
    “{ $text }”
    Status: { $status }
button-proposals-receive = 👀 Received
button-proposals-forward = ⬆ Forward to the level above
button-proposals-answer = ✍️ Answer
button-proposals-back = ⬅ Back to the list
button-proposals-open = 📨 See proposals
proposals-not-open = Proposal { $n } is { $status }: nothing more for you to do.
proposals-received = Noted: the union has received proposal { $n }.
proposals-received-already = Proposal { $n } was received already.
proposals-forward-nobody = Nobody at the level above uses the bot yet, so it cannot be forwarded. Please answer the branch yourself.
proposals-forwarded = ⬆ Proposal { $n } forwarded to the level above. The branch gets the answer when they reply.
proposals-ask-reply = ✍️ Type your answer to proposal { $n }, briefly. The bot sends it to the branch that raised it.
proposals-answered = ✅ Your answer to proposal { $n } was sent to { $unit }.

proposals-head-title = 📨 Your branch's proposals
proposals-head-none = Your branch has no proposals yet. Proposals you write in the monthly report go to the grassroots union.
proposals-head-line = • { $source }: “{ $text }” — { $status }
proposals-reply-line =   ➡ Answer: { $reply }
proposals-opinions-title = Members' opinions you can forward to the grassroots union as proposals:
proposals-opinion-line = { $k }) { $who }: “{ $text }”
button-proposals-forward-opinion = ⬆ Forward opinion { $k }
proposals-opinion-forwarded = ⬆ The opinion was forwarded to the grassroots union as a proposal. When it is answered, the bot tells you and the member (if she signed it).
proposals-opinion-forwarded-already = This opinion was forwarded already.

proposals-to-officer = 📨 Proposal { $n } from { $unit }:
    “{ $text }”
    { $why ->
        [forwarded] The level below forwarded this proposal to you.
        [climbed] Not answered within { $days } days, so it now comes to you.
       *[new] Please look at it, mark it received or answer the branch.
    }
proposals-answer-to-branch = 💬 { $whose ->
        [member] Your opinion
       *[branch] Your branch's proposal
    } was answered by { $from }.
    Proposal: “{ $text }”
    Answer: { $reply }

proposals-in-report-title = 📨 Earlier proposals:
proposals-in-report-answered = • { $source } “{ $text }” — answered: { $reply }
proposals-in-report-open = • { $source } “{ $text }” — { $status }, no answer yet

proposals-progress-total = 📨 Proposals not answered: { $count }
proposals-progress-unit = • { $unit }: { $count } { $count ->
        [one] proposal
       *[other] proposals
    }
