//! `#[blitz_io::task]` on plain functions: the call builds a nameable future, the body runs on
//! the first poll, `blocking` moves it to the blocking pool.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use blitz_io::runtime::Builder;
use blitz_io::task;

#[blitz_io::task]
fn add(a: u64, b: u64) -> u64 {
    a + b
}

#[derive(Debug, PartialEq)]
pub struct User {
    pub id: u64,
    pub name: String,
}

#[blitz_io::task]
pub fn fetch_user(id: u64, name: String) -> User {
    User { id, name }
}

#[blitz_io::task(name = Counted)]
fn count(counter: Arc<AtomicUsize>) -> usize {
    counter.fetch_add(1, Ordering::SeqCst) + 1
}

#[blitz_io::task(blocking)]
fn thread_of(caller: std::thread::ThreadId) -> bool {
    std::thread::current().id() != caller
}

#[blitz_io::task(blocking)]
fn blocking_panics(message: &'static str) -> u8 {
    panic!("{message}")
}

#[blitz_io::task]
fn first_word(text: &str) -> &str {
    text.split(' ').next().unwrap_or("")
}

#[blitz_io::task]
fn parse_num<T>(text: String) -> Result<T, T::Err>
where
    T: std::str::FromStr,
{
    let value = text.trim().parse::<T>()?;
    Ok(value)
}

#[blitz_io::task]
fn sum_array<const N: usize>(values: [u32; N]) -> u32 {
    values.iter().sum()
}

#[blitz_io::task]
fn early_return((a, b): (i32, i32), mut scale: i32) -> i32 {
    if a == 0 {
        return 0;
    }
    scale += 1;
    (a + b) * scale
}

fn on_both_flavours(test: impl Fn(blitz_io::Runtime)) {
    test(Builder::new_current_thread().build().unwrap());
    test(
        Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
    );
}

#[test]
fn spawned_on_both_flavours() {
    on_both_flavours(|rt| {
        let user = rt.block_on(async {
            let future: FetchUser = fetch_user(7, "ada".to_string());
            task::spawn(future).await.unwrap()
        });
        assert_eq!(
            user,
            User {
                id: 7,
                name: "ada".to_string()
            }
        );
        assert_eq!(
            rt.block_on(async { task::spawn(add(40, 2)).await.unwrap() }),
            42
        );
    });
}

#[test]
fn body_runs_only_on_first_poll() {
    let counter = Arc::new(AtomicUsize::new(0));
    let future: Counted = count(counter.clone());
    assert_eq!(counter.load(Ordering::SeqCst), 0);
    assert_eq!(blitz_io::run(future), 1);
    assert_eq!(counter.load(Ordering::SeqCst), 1);
}

#[test]
#[should_panic(expected = "`Add` polled after it completed")]
fn polling_after_completion_panics() {
    use std::future::Future;
    use std::task::{Context, Waker};
    let mut future = add(1, 2);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(std::pin::Pin::new(&mut future).poll(&mut cx).is_ready());
    let _ = std::pin::Pin::new(&mut future).poll(&mut cx);
}

#[test]
fn blocking_runs_on_another_thread() {
    on_both_flavours(|rt| {
        let caller = std::thread::current().id();
        assert!(rt.block_on(thread_of(caller)));
        let spawned = rt.block_on(async move { task::spawn(thread_of(caller)).await.unwrap() });
        assert!(spawned);
    });
}

#[test]
fn blocking_panic_resumes_in_the_awaiting_task() {
    let rt = Builder::new_current_thread().build().unwrap();
    let result = rt.block_on(async { task::spawn(blocking_panics("boom")).await });
    let error = result.unwrap_err();
    assert!(error.is_panic());
    assert_eq!(*error.into_panic().downcast::<String>().unwrap(), "boom");
}

#[test]
#[should_panic(expected = "there is no blitz-io runtime")]
fn blocking_outside_a_runtime_panics() {
    use std::future::Future;
    use std::task::{Context, Waker};
    let mut future = thread_of(std::thread::current().id());
    let _ = std::pin::Pin::new(&mut future).poll(&mut Context::from_waker(Waker::noop()));
}

#[test]
fn borrowing_future_is_awaitable() {
    let text = String::from("hello world");
    let future: FirstWord<'_> = first_word(&text);
    assert_eq!(blitz_io::run(future), "hello");
}

#[test]
fn generics_and_results() {
    assert_eq!(blitz_io::run(parse_num::<u32>(" 12 ".into())), Ok(12));
    assert!(blitz_io::run(parse_num::<u32>("x".into())).is_err());
    assert_eq!(blitz_io::run(sum_array([1, 2, 3])), 6);
    assert_eq!(blitz_io::run(early_return((0, 5), 1)), 0);
    assert_eq!(blitz_io::run(early_return((1, 2), 1)), 6);
}

#[test]
fn size_is_the_arguments() {
    use std::mem::size_of;
    // `Option` of the argument tuple: the niche of `String` absorbs the discriminant.
    assert_eq!(size_of::<FetchUser>(), size_of::<(u64, String)>());
    // Without a niche the discriminant costs at most one word.
    assert!(size_of::<Add>() <= size_of::<(u64, u64)>() + size_of::<usize>());
    // A blocking task holds the arguments, then the join handle.
    assert!(size_of::<ThreadOf>() <= size_of::<std::thread::ThreadId>() + size_of::<usize>());
}

#[test]
fn fan_out_with_join_all() {
    on_both_flavours(|rt| {
        let total: u64 = rt.block_on(async {
            let handles = (0..16u64).map(|i| task::spawn(add(i, i)));
            task::join_all(handles)
                .await
                .into_iter()
                .map(Result::unwrap)
                .sum()
        });
        assert_eq!(total, (0..16u64).map(|i| 2 * i).sum::<u64>());
    });
}
