//! Platform adapters: they turn platform updates into [`crate::dialog`] events and the dialog's
//! replies into platform messages. They depend on the dialog core, never on each other.

pub mod telegram;
