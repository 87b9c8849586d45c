//! `sync::RwLock` end to end: readers share and writers exclude under contention on the
//! multi-thread runtime, a waiting writer holds back later readers (and is not starved),
//! cancellation at every point of a wait, max readers, downgrade (borrowed and owned) and
//! blocking use.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::task::Context;

use blitz_io::sync::{OwnedRwLockWriteGuard, RwLock, RwLockWriteGuard};
use common::{counting_waker, scaled, signal_when_pending};

/// 4 readers and 2 writers hammer the lock: a writer is always alone, readers only ever see
/// whole writes, and no write is lost.
#[test]
fn readers_share_and_writers_exclude() {
    let rt = common::multi(4);
    let rounds = scaled(2000);
    let lock = Arc::new(RwLock::new((0usize, 0usize)));
    let readers_inside = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (lock, inside) = (lock.clone(), readers_inside.clone());
        tasks.push(rt.spawn(async move {
            for _ in 0..rounds {
                let guard = lock.read().await;
                inside.fetch_add(1, SeqCst);
                assert_eq!(guard.0, guard.1, "a reader saw half a write");
                blitz_io::task::yield_now().await;
                inside.fetch_sub(1, SeqCst);
            }
        }));
    }
    for _ in 0..2 {
        let (lock, inside) = (lock.clone(), readers_inside.clone());
        tasks.push(rt.spawn(async move {
            for _ in 0..rounds {
                let mut guard = lock.write().await;
                assert_eq!(inside.load(SeqCst), 0, "a writer overlapped a reader");
                guard.0 += 1;
                blitz_io::task::yield_now().await;
                guard.1 += 1;
            }
        }));
    }
    for task in tasks {
        rt.block_on(task).unwrap();
    }
    assert_eq!(*lock.try_read().unwrap(), (2 * rounds, 2 * rounds));
}

/// Reader R1 holds the lock, writer W queues, then reader R2 arrives: R2 waits behind W even
/// though the lock is only read-locked, and W gets the lock before R2.
#[test]
fn a_waiting_writer_blocks_later_readers() {
    let rt = common::multi(2);
    let lock = Arc::new(RwLock::new(Vec::new()));
    let first_reader = lock.clone().try_read_owned().unwrap();

    let (queued_tx, queued_rx) = mpsc::channel();
    let writer = rt.spawn(signal_when_pending(
        {
            let lock = lock.clone();
            async move { lock.write().await.push("writer") }
        },
        queued_tx,
    ));
    queued_rx.recv().unwrap();
    assert!(
        lock.try_read().is_err(),
        "try_read must not overtake the writer"
    );

    let (queued_tx, queued_rx) = mpsc::channel();
    let reader = rt.spawn(signal_when_pending(
        {
            let lock = lock.clone();
            async move { lock.read().await.clone() }
        },
        queued_tx,
    ));
    queued_rx.recv().unwrap();

    drop(first_reader);
    rt.block_on(writer).unwrap();
    assert_eq!(rt.block_on(reader).unwrap(), ["writer"]);
}

/// `with_max_readers(2)`: the third reader waits for one of the first two.
#[test]
fn max_readers_is_enforced() {
    let lock = RwLock::with_max_readers(7, 2);
    let a = lock.try_read().unwrap();
    let _b = lock.try_read().unwrap();
    assert!(lock.try_read().is_err());
    let (wakes, waker) = counting_waker();
    let mut third = pin!(lock.read());
    assert!(third
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    drop(a);
    assert_eq!(wakes.load(SeqCst), 1);
    assert!(third
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_ready());
}

#[test]
#[should_panic(expected = "max_readers")]
fn zero_max_readers_panics() {
    let _ = RwLock::with_max_readers((), 0);
}

#[test]
#[should_panic(expected = "max_readers")]
fn too_many_max_readers_panics() {
    let _ = RwLock::with_max_readers((), RwLock::<()>::MAX_READERS + 1);
}

/// A queued writer dropped before registering, while queued, and after collecting part of its
/// permits: the readers behind it proceed every time.
#[test]
fn cancelled_writer_lets_readers_behind_it_through() {
    let lock = RwLock::new(0);
    drop(lock.write()); // never polled: nothing to undo

    let reader = lock.try_read().unwrap();
    let (_, waker) = counting_waker();
    let (reader_wakes, reader_waker) = counting_waker();
    // The writer collects every permit but the one the reader holds, then waits.
    let mut writer = Box::pin(lock.write());
    assert!(writer
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    let mut later_reader = pin!(lock.read());
    let mut cx = Context::from_waker(&reader_waker);
    assert!(later_reader.as_mut().poll(&mut cx).is_pending());
    drop(writer);
    assert_eq!(reader_wakes.load(SeqCst), 1);
    assert!(later_reader.as_mut().poll(&mut cx).is_ready());
    drop(reader);
}

/// A writer handed the lock but dropped before it looked passes it on to waiting readers.
#[test]
fn writer_cancelled_after_being_handed_the_lock() {
    let lock = RwLock::new(0);
    let reader = lock.try_read().unwrap();
    let (writer_wakes, waker) = counting_waker();
    let (reader_wakes, reader_waker) = counting_waker();
    let mut writer = Box::pin(lock.write());
    assert!(writer
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    let mut later_reader = pin!(lock.read());
    let mut cx = Context::from_waker(&reader_waker);
    assert!(later_reader.as_mut().poll(&mut cx).is_pending());
    drop(reader);
    assert_eq!(writer_wakes.load(SeqCst), 1);
    drop(writer);
    assert_eq!(reader_wakes.load(SeqCst), 1);
    assert!(later_reader.as_mut().poll(&mut cx).is_ready());
}

/// `downgrade` keeps the lock read-locked with no writer in between, and admits readers.
#[test]
fn downgrade_admits_readers() {
    let lock = RwLock::new(1);
    let mut writer = lock.try_write().unwrap();
    *writer = 2;
    let reader = RwLockWriteGuard::downgrade(writer);
    assert!(lock.try_write().is_err());
    assert_eq!(*lock.try_read().unwrap(), 2);
    drop(reader);
    assert!(lock.try_write().is_ok());
}

/// The owned `downgrade` wakes a reader parked behind the writer, keeps a parked writer out
/// until the downgraded guard drops, and leaks no permit or `Arc`.
#[test]
fn owned_downgrade_wakes_parked_readers_and_keeps_writers_out() {
    let lock = Arc::new(RwLock::new(1));
    let mut writer = lock.clone().try_write_owned().unwrap();
    *writer = 2;
    let (reader_woken, reader_waker) = counting_waker();
    let mut read = pin!(lock.read());
    assert!(read
        .as_mut()
        .poll(&mut Context::from_waker(&reader_waker))
        .is_pending());
    let reader = OwnedRwLockWriteGuard::downgrade(writer);
    assert_eq!(
        reader_woken.load(SeqCst),
        1,
        "the parked reader may proceed"
    );
    let std::task::Poll::Ready(second) =
        read.as_mut().poll(&mut Context::from_waker(&reader_waker))
    else {
        panic!("readers share the downgraded lock")
    };
    assert_eq!((*reader, *second), (2, 2));
    let (writer_woken, writer_waker) = counting_waker();
    let mut write = pin!(lock.write());
    assert!(write
        .as_mut()
        .poll(&mut Context::from_waker(&writer_waker))
        .is_pending());
    drop(second);
    assert_eq!(
        writer_woken.load(SeqCst),
        0,
        "the downgraded guard still reads"
    );
    drop(reader);
    assert_eq!(writer_woken.load(SeqCst), 1);
    assert!(write
        .as_mut()
        .poll(&mut Context::from_waker(&writer_waker))
        .is_ready());
    assert_eq!(Arc::strong_count(&lock), 1);
}

/// Blocking reads and writes from plain threads, against a task holding the write lock.
#[test]
fn blocking_read_and_write_from_plain_threads() {
    let rt = common::multi(2);
    let lock = Arc::new(RwLock::new(0));
    let (locked_tx, locked_rx) = mpsc::channel();
    let release = common::Gate::new();
    let holder = rt.spawn({
        let (lock, release) = (lock.clone(), release.clone());
        async move {
            let mut guard = lock.write().await;
            locked_tx.send(()).unwrap();
            release.wait().await;
            *guard = 5;
        }
    });
    locked_rx.recv().unwrap();
    let reader = std::thread::spawn({
        let lock = lock.clone();
        move || *lock.blocking_read()
    });
    release.open();
    assert_eq!(reader.join().unwrap(), 5);
    *lock.blocking_write() += 1;
    rt.block_on(holder).unwrap();
    assert_eq!(*lock.blocking_read(), 6);
}

/// Blocking inside async code is refused with a message saying what to do instead.
#[test]
fn blocking_write_in_async_context_panics_clearly() {
    let rt = common::current();
    let lock = RwLock::new(0);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async { drop(lock.blocking_write()) })
    }));
    let payload = outcome.unwrap_err();
    let text = common::panic_text(&*payload).unwrap();
    assert!(text.contains("RwLock::blocking_write"), "{text}");
}

/// Owned guards move into other tasks.
#[test]
fn owned_guards_move_between_tasks() {
    let rt = common::multi(2);
    let lock = Arc::new(RwLock::new(1));
    rt.block_on(async {
        let mut writer = lock.clone().write_owned().await;
        blitz_io::task::spawn(async move { *writer = 3 })
            .await
            .unwrap();
        let reader = lock.clone().read_owned().await;
        let seen = blitz_io::task::spawn(async move { *reader }).await.unwrap();
        assert_eq!(seen, 3);
    });
}

/// A `map` closure that panics leaves the lock unlocked, for both guard kinds.
#[test]
fn panicking_map_unlocks() {
    common::quiet_expected_panics();
    let lock = RwLock::new(1);
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        blitz_io::sync::RwLockReadGuard::map(lock.try_read().unwrap(), |_| -> &i32 {
            panic!("{}: read map closure", common::EXPECTED)
        })
    }));
    assert!(read.is_err());
    let write = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        RwLockWriteGuard::map(lock.try_write().unwrap(), |_| -> &mut i32 {
            panic!("{}: write map closure", common::EXPECTED)
        })
    }));
    assert!(write.is_err());
    assert!(lock.try_write().is_ok());
}

/// The data may be unsized, as with `std`'s lock.
#[test]
fn unsized_data() {
    let rt = common::current();
    let lock: Arc<RwLock<[u32]>> = Arc::new(RwLock::new([1, 2]));
    rt.block_on(async {
        lock.write().await[0] = 3;
        assert_eq!(lock.read().await.len(), 2);
        lock.clone().write_owned().await[1] = 4;
        assert_eq!(&*lock.clone().read_owned().await, [3, 4]);
    });
}
