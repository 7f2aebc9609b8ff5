//! Domain types: plain data and rules, with no platform or database in them.

pub mod alert;
pub mod announcement;
pub mod announcement_file;
pub mod calendar;
pub mod invite;
pub mod limits;
pub mod org;
pub mod period;
pub mod poll;
pub mod proposal;
pub mod range;
pub mod report;
pub mod role;
pub mod roster;
