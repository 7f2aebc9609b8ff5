## Joining: invite codes, asking to join, approvals

join-how = Hello! This is the automated assistant (bot) of the Women's Union. To begin, send here the invite code a union officer gave you (pasting the whole invite message works too), or choose “🙋 Ask to join a branch”.
join-welcome = Welcome, { $name }! You have joined { $unit } as { $role }.
join-code-unknown = This invite code is not valid. Please check the code or ask a union officer.
join-code-expired = This invite code has expired. Please ask an officer for a new one.
join-code-used-up = This invite code has been used up. Please ask an officer for a new one.
join-code-revoked = This invite code has been withdrawn. Please ask an officer for a new one.
join-code-already-used = You have used this invite code before. To join again, please ask an officer for a new one.
join-pick-top = Which unit are you in? Choose one level at a time, down to your branch:
join-pick-inside = { $unit } — pick next:
join-pick-empty = There is no branch here yet. Go back and choose another unit, or ask your branch head for an invite code.
join-confirm = Do you want to join { $unit }?
button-send-request = Send request
join-request-to-head = 🙋 { $name } asks to join { $unit }.
join-request-sent = Your request was sent to { $unit }. The bot will tell you when it is approved.
join-request-no-head = No officer of this branch uses the bot yet. Please ask your branch head for an invite code.
join-already-joined = You have already joined { $unit } as { $role }. To move to another unit, please ask a union officer for a new invite code.
join-request-moot = { $name } has already joined a unit; this request no longer applies.
join-request-already-decided = This request has already been decided.
join-approved = ✅ You are now a member of { $unit }. Welcome!
join-you-approved = { $name } was added to the branch.
join-rejected = Your request to join { $unit } was not accepted. Please contact the branch head.
join-you-rejected = Request from { $name } rejected.
join-list-title = 🙋 { $count } join requests waiting for your answer:
join-list-item = • { $name } — { $unit }
join-list-choice = { $verdict ->
        [approve] ✅ Approve { $name } — { $unit }
       *[reject] ✖ Refuse { $name } — { $unit }
    }
join-list-more = There are more: answer these, then type /duyet to see the next ones.
join-list-empty = No join request is waiting for you.
join-list-not-allowed = Only branch heads and grassroots officers answer join requests.
