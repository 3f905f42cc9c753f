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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_waiter_registered_before_the_event_is_woken_and_others_are_not() {
        let hub = Hub::default();
        let alice = hub.user("alice");
        let bob = hub.user("bob");
        let alice_wait = alice.notified();
        let bob_wait = bob.notified();
        tokio::pin!(alice_wait, bob_wait);
        alice_wait.as_mut().enable();
        bob_wait.as_mut().enable();
        hub.user_changed("alice");
        tokio::time::timeout(Duration::from_secs(1), alice_wait)
            .await
            .expect("alice woken");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), bob_wait)
                .await
                .is_err(),
            "bob not woken"
        );
    }

    #[test]
    fn subscribers_share_one_channel_and_it_is_freed_with_the_last() {
        let hub = Hub::default();
        let a = hub.challenge("c1");
        let b = hub.challenge("c1");
        assert!(Arc::ptr_eq(&a, &b));
        drop((a, b));
        let map = hub.challenges.0.lock().unwrap();
        assert_eq!(map.get("c1").map(Weak::strong_count), Some(0));
    }
}
