## Inviting to the bot (/moi): each level invites the level right below it, inside its own unit.
## Invites name both apps: the link opens on Telegram, the code is sent on Zalo.

menu-invite = ✉️ Invite to the bot
invite-not-allowed = Members cannot invite others to the bot. Please ask your branch head for an invite code.
invite-whom = { $role ->
    [member] members
    [branch_head] branch heads
    [grassroots_officer] grassroots officers
   *[district_admin] district officers
}
invite-none = ✉️ You have no open invites. Make one to send to { $whom }: one invite serves many people until it expires.
invite-title = ✉️ Your open invites: { $count }
invite-line = Invite { $n } — { $unit } ({ $whom }): { $joined ->
        [0] nobody has joined yet
        [one] 1 person joined
       *[other] { $joined } people joined
    }, valid until { $until }.
invite-more = …and { $count } older invites.
button-invite-new = ➕ New invite
button-invite-revoke = 🚫 Revoke invite { $n }
invite-pick-unit = Which unit do you invite { $whom } to?
invite-pick-empty = There is no unit below yours to invite { $whom } to.
invite-pick-expiry = How long should the invite to { $unit } ({ $whom }) stay valid? Any number of people can use it until then.
button-invite-days = { $days ->
    [1] 1 day
   *[other] { $days } days
}
invite-created = ✅ Invite to { $unit } for { $whom } made, valid until { $until }.
invite-how-link = • On Telegram: open the link { $link }
invite-how-code = • On Zalo: send the code { $code } to the bot.
invite-how-code-only = • Send the code { $code } to the bot.
invite-qr-coming = A QR code picture follows, to print or to post in your Zalo group.
invite-qr-caption = 📷 QR code to join { $unit } ({ $whom }), valid until { $until }. Scan it with a phone camera to join on Telegram; on Zalo, send the code { $code } to the bot.
invite-revoke-confirm = Revoke the invite to { $unit } ({ $whom })? Its code will stop working; { $joined ->
        [0] nobody has joined with it.
        [one] the 1 person who joined stays.
       *[other] the { $joined } people who joined stay.
    }
button-invite-revoke-confirm = 🚫 Revoke
invite-revoked = The invite to { $unit } is revoked.
invite-gone = This invite has expired or been revoked.
