## Access: role changes, removal from a unit, a branch's members

access-role-changed = Your role in { $unit } is now { $role }. Send “menu” to see what you can do.
access-removed = You are no longer on the list of { $unit } in the bot. What you sent is kept. If this is a mistake, please contact { $by ->
        [head] your branch head
       *[other] a union officer
    }.
