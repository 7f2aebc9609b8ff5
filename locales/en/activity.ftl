## Activity log

menu-activity = 📝 Log an activity
activity-not-allowed = Only branch heads and grassroots officers can log activities.
activity-ask-group = 📝 Which kind of activity?
activity-ask-type = { $group } — pick the activity:
activity-group-movement = Movements and campaigns
activity-group-households = Helping households
activity-group-rural = New rural & urban areas
activity-group-oversight = Oversight, comments, talks
activity-group-model = Models and clubs
activity-group-meeting = Meetings and education
activity-group-digital = Digital transformation
activity-group-members = Members
activity-ask-date = When did it take place? Choose “Today”, “Yesterday” or type the date (e.g. 15/11).
button-today = Today
button-yesterday = Yesterday
activity-bad-date = That date is not valid. Type day/month, e.g. 15/11 (within the last year, not after today).
activity-ask-participants = How many people took part? Type the number, e.g. 25.
activity-ask-households = How many households? Type the number, e.g. 2.
activity-ask-count = { $kind }: how many? Type the number, e.g. 2.
activity-unit-participants = participants
activity-unit-households = households
activity-unit-count = times
activity-ask-description = Describe the activity briefly, or choose “Skip”.
activity-ask-photos = Send photos of the activity if you have any ({ $count }/{ $max } received). When you are done, choose “Done”.
button-photos-done = ✅ Done
activity-photo-too-big = The photo is too large (10 MB at most). Please send another.
activity-photo-too-many = That is { $max } photos already; the bot takes no more. Please check the activity and save it.
activity-confirm = Please check:{"\u000A"}• { $kind }{"\u000A"}• On { $date }{"\u000A"}• { $measure ->
        [count] Number: { $amount }
       *[other] { $amount } { $unit }
    }{"\u000A"}• { $description }{"\u000A"}• { $photos ->
        [0] No photos
        [one] 1 photo
       *[other] { $photos } photos
    }
button-save-activity = ✅ Save the activity
activity-saved = ✅ Activity of { $unit } saved: { $kind }.
