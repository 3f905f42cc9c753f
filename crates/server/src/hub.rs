//! Wakes long-polls when something they wait for happens.
//!
//! The handler that inserts a challenge or records an answer calls [`Hub::user_changed`] /
//! [`Hub::challenge_changed`]. With several nodes on PostgreSQL, a `LISTEN` task
//! ([`crate::listen`]) calls the same methods for the ids other nodes `NOTIFY`, and
//! [`Hub::wake_all`] when it may have missed some: every waiter then rereads the database.
//! A wake-up is only a hint to reread; waiters never take its content as the truth.

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

    fn wake_all(&self) {
        let all: Vec<Arc<Notify>> = {
            let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
            map.values().filter_map(Weak::upgrade).collect()
        };
        for notify in all {
            notify.notify_waiters();
        }
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

    /// Wakes every waiter (after notifications may have been missed).
    pub fn wake_all(&self) {
        self.users.wake_all();
        self.challenges.wake_all();
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

    #[tokio::test]
    async fn wake_all_wakes_every_waiter() {
        let hub = Hub::default();
        let user = hub.user("alice");
        let challenge = hub.challenge("c1");
        let user_wait = user.notified();
        let challenge_wait = challenge.notified();
        tokio::pin!(user_wait, challenge_wait);
        user_wait.as_mut().enable();
        challenge_wait.as_mut().enable();
        hub.wake_all();
        tokio::time::timeout(Duration::from_secs(1), async {
            user_wait.await;
            challenge_wait.await;
        })
        .await
        .expect("both woken");
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
