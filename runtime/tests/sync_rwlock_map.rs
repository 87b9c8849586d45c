//! `sync::RwLock` guard mapping: `map`/`try_map` of every guard kind (borrowed and owned),
//! `into_mapped`, `downgrade_map`/`try_downgrade_map`. A declined `try_` hands back a guard
//! that still holds its lock, a panicking closure unlocks, a mapped guard holds the lock until
//! dropped, and a map-downgrade lets parked readers in while keeping writers out.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::task::{Context, Poll};

use blitz_io::sync::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};

mod common;
use common::counting_waker;

/// Whether the lock is free (a write lock can be taken now), released again at once.
fn is_free<T>(lock: &RwLock<T>) -> bool {
    lock.try_write().is_ok()
}

/// Whether readers may join (and no writer holds it).
fn reads<T>(lock: &RwLock<T>) -> bool {
    lock.try_read().is_ok()
}

#[test]
fn declined_try_maps_hand_back_a_guard_that_still_locks() {
    let lock = RwLock::new((vec![1, 2], 3));

    let read = RwLockReadGuard::try_map(lock.try_read().unwrap(), |p| p.0.get(9)).unwrap_err();
    assert!(!is_free(&lock) && reads(&lock));
    let read = RwLockReadGuard::try_map(read, |p| p.0.last()).ok().unwrap();
    assert_eq!(*read, 2);
    drop(read);
    assert!(is_free(&lock));

    let write = RwLockWriteGuard::try_map(lock.try_write().unwrap(), |p| p.0.get_mut(9));
    let write = write.unwrap_err();
    assert!(!reads(&lock), "still write-locked");
    let mut vec = RwLockWriteGuard::try_map(write, |p| Some(&mut p.0))
        .ok()
        .unwrap();
    let first = RwLockMappedWriteGuard::try_map(vec, |v| v.get_mut(9)).unwrap_err();
    assert!(!reads(&lock));
    vec = first;
    vec.push(4);
    let mut last = RwLockMappedWriteGuard::try_map(vec, |v| v.last_mut())
        .ok()
        .unwrap();
    *last = 40;
    drop(last);
    assert!(is_free(&lock));

    let writer = lock.try_write().unwrap();
    let writer = RwLockWriteGuard::try_downgrade_map(writer, |p| p.0.get(9)).unwrap_err();
    assert!(!reads(&lock), "a declined downgrade keeps the write lock");
    drop(writer);
    assert_eq!(lock.into_inner(), (vec![1, 2, 40], 3));
}

#[test]
fn declined_owned_try_maps_hand_back_a_guard_that_still_locks() {
    let lock = Arc::new(RwLock::new((vec![1, 2], 3)));

    let read = lock.clone().try_read_owned().unwrap();
    let read = OwnedRwLockReadGuard::try_map(read, |p| p.0.get(9)).unwrap_err();
    assert!(!is_free(&lock) && reads(&lock));
    let read = OwnedRwLockReadGuard::try_map(read, |p| p.0.first())
        .ok()
        .unwrap();
    let read: OwnedRwLockReadGuard<(Vec<i32>, i32), i32> = read;
    assert_eq!(*read, 1);
    drop(read);
    assert!(is_free(&lock));

    let write = lock.clone().try_write_owned().unwrap();
    let write = OwnedRwLockWriteGuard::try_map(write, |p| p.0.get_mut(9)).unwrap_err();
    assert!(!reads(&lock));
    let vec = OwnedRwLockWriteGuard::try_map(write, |p| Some(&mut p.0))
        .ok()
        .unwrap();
    let mut vec = OwnedRwLockMappedWriteGuard::try_map(vec, |v| v.get_mut(9)).unwrap_err();
    assert!(!reads(&lock));
    vec.push(5);
    drop(vec);
    assert!(is_free(&lock));

    let writer = lock.clone().try_write_owned().unwrap();
    let writer = OwnedRwLockWriteGuard::try_downgrade_map(writer, |p| p.0.get(9)).unwrap_err();
    assert!(!reads(&lock));
    let last = OwnedRwLockWriteGuard::try_downgrade_map(writer, |p| p.0.last())
        .ok()
        .unwrap();
    assert_eq!(*last, 5);
    assert!(reads(&lock) && !is_free(&lock));
    drop(last);
    assert_eq!(Arc::strong_count(&lock), 1, "no Arc leaked");
    assert!(is_free(&lock));
}

/// A closure that panics while a guard is being narrowed or downgraded unlocks as it unwinds,
/// whatever the guard kind.
#[test]
fn a_panic_while_mapping_unlocks() {
    let lock = Arc::new(RwLock::new((0, 0)));
    type Step = Box<dyn Fn(&Arc<RwLock<(i32, i32)>>)>;
    fn boom(_: &mut (i32, i32)) -> &mut i32 {
        panic!("boom")
    }
    let steps: Vec<(&str, Step)> = vec![
        (
            "read map",
            Box::new(|l| {
                let _ = RwLockReadGuard::map(l.try_read().unwrap(), |_| -> &i32 { panic!("boom") });
            }),
        ),
        (
            "write map",
            Box::new(move |l| {
                let _ = RwLockWriteGuard::map(l.try_write().unwrap(), boom);
            }),
        ),
        (
            "write try_map",
            Box::new(|l| {
                let _ =
                    RwLockWriteGuard::try_map(l.try_write().unwrap(), |_| -> Option<&mut i32> {
                        panic!("boom")
                    });
            }),
        ),
        (
            "mapped map",
            Box::new(move |l| {
                let all = RwLockWriteGuard::into_mapped(l.try_write().unwrap());
                let _ = RwLockMappedWriteGuard::map(all, boom);
            }),
        ),
        (
            "downgrade_map",
            Box::new(|l| {
                let _ = RwLockWriteGuard::downgrade_map(l.try_write().unwrap(), |_| -> &i32 {
                    panic!("boom")
                });
            }),
        ),
        (
            "owned read map",
            Box::new(|l| {
                let _ =
                    OwnedRwLockReadGuard::map(l.clone().try_read_owned().unwrap(), |_| -> &i32 {
                        panic!("boom")
                    });
            }),
        ),
        (
            "owned write map",
            Box::new(move |l| {
                let _ = OwnedRwLockWriteGuard::map(l.clone().try_write_owned().unwrap(), boom);
            }),
        ),
        (
            "owned mapped map",
            Box::new(move |l| {
                let all = OwnedRwLockWriteGuard::into_mapped(l.clone().try_write_owned().unwrap());
                let _ = OwnedRwLockMappedWriteGuard::map(all, boom);
            }),
        ),
        (
            "owned downgrade_map",
            Box::new(|l| {
                let _ = OwnedRwLockWriteGuard::downgrade_map(
                    l.clone().try_write_owned().unwrap(),
                    |_| -> &i32 { panic!("boom") },
                );
            }),
        ),
    ];
    for (name, step) in steps {
        assert!(catch_unwind(AssertUnwindSafe(|| step(&lock))).is_err());
        assert!(is_free(&lock), "{name}: the panic left the lock held");
    }
    assert_eq!(Arc::strong_count(&lock), 1);
}

/// Mapped guards hold their lock until dropped, also after moving to another thread.
#[test]
fn mapped_guards_hold_the_lock_until_dropped() {
    let lock = Arc::new(RwLock::new((1, String::from("a"))));
    let mut name =
        OwnedRwLockWriteGuard::map(lock.clone().try_write_owned().unwrap(), |p| &mut p.1);
    assert!(!reads(&lock));
    name = std::thread::spawn(move || {
        name.push('b');
        name
    })
    .join()
    .unwrap();
    assert!(!reads(&lock));
    drop(name);
    let reader = OwnedRwLockReadGuard::map(lock.clone().try_read_owned().unwrap(), |p| &p.1);
    let len = std::thread::spawn(move || {
        let len = reader.len();
        (len, reader)
    })
    .join()
    .unwrap();
    assert_eq!(len.0, 2);
    assert!(!is_free(&lock) && reads(&lock));
    drop(len);
    assert!(is_free(&lock));
    assert_eq!(Arc::strong_count(&lock), 1);
}

/// Polls a `read()`/`write()` future once with a counting waker.
fn poll_with<F: Future>(
    future: std::pin::Pin<&mut F>,
    waker: &std::task::Waker,
) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

/// `downgrade_map` wakes a reader parked behind the writer, and keeps a writer parked after
/// it out until the narrowed read guard drops.
#[test]
fn downgrade_map_lets_parked_readers_in_and_keeps_writers_out() {
    let lock = RwLock::new((1, 2));
    let (reader_woken, reader_waker) = counting_waker();
    let (writer_woken, writer_waker) = counting_waker();
    let mut writer = lock.try_write().unwrap();
    writer.1 = 20;
    let mut read = pin!(lock.read());
    assert!(poll_with(read.as_mut(), &reader_waker).is_pending());
    let second = RwLockWriteGuard::downgrade_map(writer, |p| &p.1);
    assert_eq!(
        reader_woken.load(SeqCst),
        1,
        "the parked reader may proceed"
    );
    let Poll::Ready(other) = poll_with(read.as_mut(), &reader_waker) else {
        panic!("readers share the downgraded lock");
    };
    assert_eq!(*other, (1, 20));
    let mut write = pin!(lock.write());
    assert!(poll_with(write.as_mut(), &writer_waker).is_pending());
    drop(other);
    assert_eq!(
        writer_woken.load(SeqCst),
        0,
        "the narrowed guard still reads"
    );
    assert_eq!(*second, 20);
    drop(second);
    assert_eq!(writer_woken.load(SeqCst), 1);
    assert!(poll_with(write.as_mut(), &writer_waker).is_ready());
}

/// The same for the owned `downgrade_map`, which also leaks no `Arc`.
#[test]
fn owned_downgrade_map_lets_parked_readers_in_and_keeps_writers_out() {
    let lock = Arc::new(RwLock::new((1, 2)));
    let (reader_woken, reader_waker) = counting_waker();
    let (writer_woken, writer_waker) = counting_waker();
    let mut writer = lock.clone().try_write_owned().unwrap();
    writer.1 = 20;
    let mut read = pin!(lock.read());
    assert!(poll_with(read.as_mut(), &reader_waker).is_pending());
    let second = OwnedRwLockWriteGuard::downgrade_map(writer, |p| &p.1);
    assert_eq!(
        reader_woken.load(SeqCst),
        1,
        "the parked reader may proceed"
    );
    let Poll::Ready(other) = poll_with(read.as_mut(), &reader_waker) else {
        panic!("readers share the downgraded lock");
    };
    let mut write = pin!(lock.write());
    assert!(poll_with(write.as_mut(), &writer_waker).is_pending());
    drop(other);
    assert_eq!(
        writer_woken.load(SeqCst),
        0,
        "the narrowed guard still reads"
    );
    assert_eq!(*second, 20);
    drop(second);
    assert_eq!(writer_woken.load(SeqCst), 1);
    assert!(poll_with(write.as_mut(), &writer_waker).is_ready());
    assert_eq!(Arc::strong_count(&lock), 1);
}
