//! Wakes long-polls when something they wait for happens.
//!
//! In-process today: the handler that inserts a challenge or records an answer calls
//! [`Hub::user_changed`] / [`Hub::challenge_changed`]. With several nodes on PostgreSQL, a
//! `LISTEN` task calls the same methods for the ids other nodes `NOTIFY`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::Notify;

/// Per-key wake-up channels; entries live as long as someone waits on them.
#[derive(Debug, Default)]
pub struct Hub {
    users: Channels,
    challenges: Channels,
}

#[derive(Debug, Default)]
struct Channels(Mutex<HashMap<String, Weak<Notify>>>);

impl Channels {
    fn subscribe(&self, key: &str) -> Arc<Notify> {
        // Invariant: the lock is never held across an await or a panic-prone call.
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = map.get(key).and_then(Weak::upgrade) {
            return existing;
        }
        if map.len() > 1024 && map.len().is_power_of_two() {
            map.retain(|_, w| w.strong_count() > 0);
        }
        let fresh = Arc::new(Notify::new());
        map.insert(key.to_owned(), Arc::downgrade(&fresh));
        fresh
    }

    fn wake(&self, key: &str) {
        let found = {
            let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
            map.get(key).and_then(Weak::upgrade)
        };
        if let Some(notify) = found {
            notify.notify_waiters();
        }
    }
}

impl Hub {
    /// The channel that wakes when a challenge for `user` is created.
    pub fn user(&self, user: &str) -> Arc<Notify> {
        self.users.subscribe(user)
    }

    /// The channel that wakes when challenge `id` is answered, replaced or expires.
    pub fn challenge(&self, id: &str) -> Arc<Notify> {
        self.challenges.subscribe(id)
    }

    /// A challenge for `user` was created.
    pub fn user_changed(&self, user: &str) {
        self.users.wake(user);
    }

    /// Challenge `id` changed state.
    pub fn challenge_changed(&self, id: &str) {
        self.challenges.wake(id);
    }
}
