//! `#[blitz_io::task]` fan-out: a plain function becomes a nameable future, many of them are
//! spawned, and `join_all` collects the results in input order.
//!
//! Run it with `cargo run -p blitz-io-examples --example task_fan_out`.
//!
//! What `#[blitz_io::task]` writes for `word_count` below (paths shortened; the attribute's
//! documentation has the full rules):
//!
//! ```text
//! #[must_use = "a task future does nothing until it is awaited or spawned"]
//! pub struct WordCount {
//!     __args: Option<(String,)>,           // the arguments, stored once, never boxed
//!     __marker: PhantomData<fn() -> usize>,
//! }
//!
//! impl WordCount {
//!     fn __body((text,): (String,)) -> usize {
//!         text.split_whitespace().count()
//!     }
//! }
//!
//! impl Unpin for WordCount {}
//!
//! impl Future for WordCount {
//!     type Output = usize;
//!     fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<usize> {
//!         // The body runs to completion on the first poll; a second poll panics.
//!         task_output(Pin::into_inner(self).__args.take().map(Self::__body), "WordCount")
//!     }
//! }
//!
//! pub fn word_count(text: String) -> WordCount {
//!     WordCount { __args: Some((text,)), __marker: PhantomData }
//! }
//! ```

use std::process::ExitCode;

use blitz_io::task;

/// Counts the words of one document. Calling it runs nothing: it returns a `WordCount`.
#[blitz_io::task]
pub fn word_count(text: String) -> usize {
    text.split_whitespace().count()
}

/// The same work as a blocking job: `#[task(blocking)]` runs the body on the blocking pool
/// when the future is first polled (one allocation: the pool's job).
#[blitz_io::task(blocking, name = SlowWordCount)]
pub fn slow_word_count(text: String) -> usize {
    std::thread::sleep(std::time::Duration::from_millis(1));
    text.split_whitespace().count()
}

fn main() -> ExitCode {
    let documents: Vec<String> = (1..=8).map(|n| "word ".repeat(n * 100)).collect();
    let (counts, slow_total) = blitz_io::run(async {
        // Build the futures (nothing runs), spawn them, then join in input order.
        let futures: Vec<WordCount> = documents.iter().cloned().map(word_count).collect();
        let handles: Vec<_> = futures.into_iter().map(task::spawn).collect();
        let counts: Vec<usize> = task::join_all(handles)
            .await
            .into_iter()
            .map(|result| result.expect("counting does not panic"))
            .collect();
        let slow: Vec<SlowWordCount> = documents.iter().cloned().map(slow_word_count).collect();
        let slow_handles: Vec<_> = slow.into_iter().map(task::spawn).collect();
        let slow_total: usize = task::join_all(slow_handles)
            .await
            .into_iter()
            .map(|result| result.expect("counting does not panic"))
            .sum();
        (counts, slow_total)
    });
    println!("word counts: {counts:?}");
    println!("total on the blocking pool: {slow_total}");
    let want: Vec<usize> = (1..=8).map(|n| n * 100).collect();
    if counts == want && slow_total == want.iter().sum::<usize>() {
        ExitCode::SUCCESS
    } else {
        eprintln!("wrong counts");
        ExitCode::FAILURE
    }
}
