## Access: role changes, removal from a unit, a branch's members

access-role-changed = Your role in { $unit } is now { $role }. Send “menu” to see what you can do.
access-removed = You are no longer on the list of { $unit } in the bot. What you sent is kept. If this is a mistake, please contact { $by ->
        [head] your branch head
       *[other] a union officer
    }.

menu-members = 👥 Members
help-branch-head =
    /hoivien — your branch's members on the bot
    /duyet — join requests waiting for your answer
    /moi — invite your members to the bot
    /thongbao — send announcements to your branch's members, see who read them
members-not-allowed = Only a branch head can see her branch's members.
members-title = 👥 { $unit }: { $count ->
        [one] 1 member uses
       *[other] { $count } members use
    } the bot.
    To remove someone from the branch, choose her name.
members-none = 👥 No member of { $unit } uses the bot yet.
members-remove-confirm = Remove { $name } from { $unit }? What she sent is kept; the bot will tell her.
button-remove-member = 🗑 Remove from branch
members-removed = { $name } was removed from the branch. The bot will tell her.
members-gone = This person is no longer in the branch.
