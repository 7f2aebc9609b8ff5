//! Per-person limits on what costs other people's attention or the server's work: requests to
//! join a branch (each one pings its heads), urgent reports (each one alerts officers up the
//! tree, and climbs further when left alone) and charts or exports (each one is drawn or
//! compiled on the server); and on wrong link codes, per account and overall, which could
//! otherwise be guessed. Counted over the rows those actions leave, with their times, so a
//! limit holds across restarts and across instances sharing one database.

/// At most `max` uses in any `window_secs` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window_secs: i64,
}

const HOUR: i64 = 3600;

/// Join requests a day: she may pick the wrong branch once or twice and ask again, but every
/// request is a message to the branch's heads, and more than three a day is pestering them.
pub const JOIN_REQUESTS: Limit = Limit {
    max: 3,
    window_secs: 24 * HOUR,
};

/// Urgent reports an hour: a real incident rarely needs more than one or two from one person
/// in an hour, and each wakes officers up the tree; five leaves room for a genuine cluster
/// (a storm, a dispute that spreads) while stopping a loop or misuse. Reports raised by the
/// monthly report's serious incidents are not counted.
pub const URGENT_REPORTS: Limit = Limit {
    max: 5,
    window_secs: HOUR,
};

/// Charts and exports an hour, together: each is made on the server (an export of a
/// province's year takes seconds of work), and ten an hour is plenty for drilling down and
/// comparing units.
pub const FILES: Limit = Limit {
    max: 10,
    window_secs: HOUR,
};

/// Wrong link codes (`/lienket`) an hour, per app account: room for a few typos, none for
/// guessing. Counted over the wrong codes typed on that account.
pub const LINK_FAILURES: Limit = Limit {
    max: 5,
    window_secs: HOUR,
};

/// Wrong link codes in ten minutes, over everyone: an attacker with many accounts is stopped
/// here. Codes are 8 characters of 32 (2⁴⁰) and live 10 minutes, so at this rate a guess hits
/// one of a thousand live codes about once in 18 million windows; real typos, a few a day in
/// a province, stay far below it. Over it nobody's code is taken until the window passes.
pub const LINK_FAILURES_OVERALL: Limit = Limit {
    max: 60,
    window_secs: 10 * 60,
};

impl Limit {
    /// When she may go again, given the times (unix seconds) of her latest uses, newest first
    /// (at most `max` of them are needed); `None` when she may go now.
    pub fn free_at(&self, newest_first: &[i64], now: i64) -> Option<i64> {
        let nth = *newest_first.get(usize::try_from(self.max).ok()?.checked_sub(1)?)?;
        let at = nth + self.window_secs;
        (at > now).then_some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_counted_use_says_when_she_may_go_again() {
        let limit = Limit {
            max: 3,
            window_secs: 100,
        };
        assert_eq!(limit.free_at(&[], 1000), None);
        assert_eq!(limit.free_at(&[990, 980], 1000), None, "two of three");
        assert_eq!(limit.free_at(&[990, 980, 950], 1000), Some(1050));
        // The third newest has left the window: free now.
        assert_eq!(limit.free_at(&[990, 980, 900], 1000), None);
        assert_eq!(limit.free_at(&[990, 980, 950, 940], 1000), Some(1050));
    }
}
