//! Procedural macros for [blitz-io](https://docs.rs/blitz-io). Use them through the
//! `blitz-io` crate, which re-exports them behind its default `macros` feature.
//!
//! - `#[blitz_io::main]` and `#[blitz_io::test]`: run an `async fn` on a runtime (this file's
//!   `entry` module).
//! - `#[blitz_io::task]`: a plain `fn` whose call returns a nameable future (the `task`
//!   module); see the attribute's documentation for its literal expansion.
//! - `#[derive(StateMachine)]`: an explicit, stackless state machine from ordinary step
//!   methods (the `machine` module); see the derive's documentation for its syntax and its
//!   literal expansion.
//!
//! Every macro follows the same pipeline, one module per phase: parse the arguments and the
//! item, validate (collecting every error, each spanned on the offending tokens), then
//! generate; the derive also lowers its validated input to the model its generator reads
//! (`machine/{parse,validate,lower,generate}.rs`). A macro never panics: errors become `compile_error!` invocations, emitted next to
//! a harmless version of the user's item so that IDEs keep analysing its body. Generated code
//! names the runtime through an absolute path (`::blitz_io` by default, or the `crate = "..."`
//! argument) into its hidden `__private` module.

mod entry;
mod errors;
mod machine;
mod names;
mod task;

use proc_macro::TokenStream;

/// Runs an `async fn main` on a blitz-io runtime (multi-thread by default).
///
/// ```
/// #[blitz_io::main]
/// async fn main() {
///     let answer = blitz_io::task::spawn(async { 42 }).await.unwrap();
///     println!("{answer}");
/// }
/// ```
///
/// Arguments: `flavor = "multi_thread"` (default) or `"current_thread"`; `worker_threads = N`
/// (multi-thread only, N ≥ 1; default: one per CPU); `crate = "path"` when the runtime crate is
/// renamed. It expands to a plain `fn main` that builds the runtime and calls `block_on` on the
/// body.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Kind::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` test on a blitz-io runtime (current-thread by default).
///
/// ```
/// #[blitz_io::test]
/// async fn spawns() {
///     assert_eq!(blitz_io::task::spawn(async { 1 }).await.unwrap(), 1);
/// }
/// # fn main() {} // a doctest is not built with `--test`, so the test itself does not run here
/// ```
///
/// Arguments as for `#[blitz_io::main]`, with `flavor = "current_thread"` the default, plus
/// `start_paused = true` (current-thread only): the test's clock starts paused and jumps to
/// the next timer whenever every task is idle, so timer tests run instantly and exactly. Each
/// test gets a fresh runtime, shut down when the test ends.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Kind::Test, args.into(), item.into()).into()
}

/// Turns a plain `fn` into a function returning a nameable future: the seed's `FnFuture`.
///
/// ```
/// # #[derive(Debug, PartialEq)]
/// # pub struct User { id: u64, name: String }
/// #[blitz_io::task]
/// pub fn fetch_user(id: u64, name: String) -> User {
///     User { id, name }
/// }
///
/// # blitz_io::run(async {
/// let future: FetchUser = fetch_user(7, "ada".into()); // nothing has run yet
/// let user = blitz_io::task::spawn(future).await?;     // the body runs on the first poll
/// # assert_eq!(user, User { id: 7, name: "ada".into() });
/// # Ok::<(), blitz_io::task::JoinError>(())
/// # }).unwrap();
/// ```
///
/// The call only stores the arguments; the body runs, to completion, on the future's first
/// poll. The future is:
/// - **named** after the function in UpperCamelCase (`fetch_user` -> `FetchUser`), declared
///   next to it with the function's visibility; `#[task(name = FetchUser)]` picks another
///   name;
/// - **exactly the arguments**: no boxing, no allocation; an `Option` around the argument tuple
///   (free when an argument has a niche, one discriminant otherwise);
/// - always **`Unpin`** (the arguments are moved out on the first poll, never pinned), `Send`
///   and `Sync` when the arguments are, `#[must_use]`, and `Debug` (its name only);
/// - **generic** when the function is: type, const and lifetime parameters and the
///   where-clause carry over. Elided lifetimes in argument types are named (`'__task0`, ..), so
///   a function taking `&str` returns a `FirstWord<'a>` that borrows: it can be awaited, not
///   spawned (spawning needs `'static`). Any output type works, `Result` included (`?` and
///   `return` behave as in the function).
///
/// Polling the future again after it returned its output panics.
///
/// # `#[task(blocking)]`
///
/// The body runs on the runtime's blocking pool: the first poll hands it to
/// `task::spawn_blocking` (one allocation, the blocking task, holding the arguments) and the
/// future then waits for it. It needs a runtime: polled outside one it panics with the runtime's
/// usual message. A panic in the body is resumed in the task awaiting the future; dropping the
/// future before it finishes detaches the job (a started job cannot be interrupted). Arguments
/// and output must be `Send + 'static`: a reference argument is an error.
///
/// # Methods and `async fn`
///
/// The future's struct cannot be declared inside an `impl` block, so `#[task]` goes on free
/// functions only: a method with a receiver is an error that suggests `fn name(this: &Type, ..)`
/// (whose future borrows `this`: awaitable, not spawnable). An associated function without a
/// receiver is not detected: rustc then reports that a struct is not allowed in the `impl`.
/// `#[task]` on an `async fn` is an error: an `async fn` already returns a future. Arguments
/// of type `impl Trait` are an error too (the struct needs nameable field types).
///
/// # Explanation
///
/// The example above expands to the following (`#[cfg]` attributes are copied to every item;
/// lint attributes also to `__body`):
///
/// ```text
/// /// The future returned by `fetch_user(..)`, generated by `#[task]`: ...
/// #[must_use = "a `#[task]` future does nothing unless you `.await` or spawn it"]
/// pub struct FetchUser {
///     __args: ::core::option::Option<(u64, String)>,
///     __marker: ::core::marker::PhantomData<(fn() -> (),)>, // type and lifetime parameters
/// }
///
/// impl FetchUser {
///     #[inline(always)]
///     fn __body((id, name): (u64, String)) -> User {
///         User { id, name }
///     }
/// }
///
/// // The arguments are moved out on the first poll and never pinned.
/// impl ::core::marker::Unpin for FetchUser {}
///
/// impl ::core::future::Future for FetchUser {
///     type Output = User;
///
///     fn poll(
///         self: ::core::pin::Pin<&mut Self>,
///         _: &mut ::core::task::Context<'_>,
///     ) -> ::core::task::Poll<User> {
///         ::blitz_io::__private::task_output(
///             ::core::option::Option::map(
///                 ::core::pin::Pin::into_inner(self).__args.take(),
///                 Self::__body,
///             ),
///             "FetchUser",
///         )
///     }
/// }
///
/// impl ::core::fmt::Debug for FetchUser { /* "FetchUser { .. }" */ }
///
/// pub fn fetch_user(id: u64, name: String) -> FetchUser {
///     FetchUser {
///         __args: ::core::option::Option::Some((id, name)),
///         __marker: ::core::marker::PhantomData,
///     }
/// }
/// ```
///
/// With `blocking`, the field is `__state: __private::BlockingTask<(u64, String), User>` (the
/// arguments, then the blocking job's `JoinHandle`), the `Future` impl gains
/// `where u64: Send + 'static, String: Send + 'static, User: Send + 'static`, and `poll` is
/// `BlockingTask::poll(&mut Pin::into_inner(self).__state, __cx, "FetchUser", Self::__body)`.
///
/// The body is an associated function of the future, so the generated names (`__args`,
/// `__body`, `__marker`, `__state`) never meet the user's: parameters may have any name. Two
/// limits: a constant in scope named `__cx` breaks the `blocking` expansion, and one named
/// `__argN` breaks a function whose `N`-th parameter is a pattern (`(a, b): (u8, u8)`), as
/// such constants turn the generated bindings into patterns.
///
/// Arguments: `blocking`; `name = Ident`; `crate = "path"` when the runtime crate is renamed.
#[proc_macro_attribute]
pub fn task(args: TokenStream, item: TokenStream) -> TokenStream {
    task::expand(args.into(), item.into()).into()
}

/// Derives an explicit, stackless state machine — `StateMachine` plus `IntoFuture` — from
/// ordinary step methods, on a struct or on an enum.
///
/// # Struct machines
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use blitz_io::machine::{StateMachine, Transition};
///
/// #[derive(StateMachine)]
/// #[machine(output = u64, start = arm, steps(arm, wait))]
/// struct Delayed<F: Future<Output = ()>> {
///     value: u64,
///     #[pin]
///     timer: F,
/// }
///
/// impl<F: Future<Output = ()>> Delayed<F> {
///     fn arm(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
///         Transition::Next(DelayedStep::Wait)
///     }
///
///     fn wait(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self> {
///         let this = self.project();                  // &mut u64, Pin<&mut F>
///         match this.timer.poll(cx) {
///             Poll::Ready(()) => Transition::Done(*this.value),
///             Poll::Pending => Transition::Pending,   // resume at `wait`
///         }
///     }
/// }
///
/// # blitz_io::run(async {
/// # let some_timer = blitz_io::time::sleep(std::time::Duration::from_millis(1));
/// let value = Delayed { value: 7, timer: some_timer }.await;   // or task::spawn(..)
/// # assert_eq!(value, 7);
/// # });
/// ```
///
/// `#[machine(..)]` keys (each at most once, across any number of `#[machine]` attributes):
/// - `output = Type` (required): what the machine finishes with;
/// - `start = step` (required for structs): the step a new machine runs first;
/// - `steps(a, b, ..)` (required for structs): the step methods, at most 255; each becomes a
///   variant of the generated tag enum, `{Name}Step` (`wait_gate` -> `WaitGate`);
/// - `tag = Ident`: another name for the tag enum;
/// - `project = ident`: another name for the projection method (default `project`);
/// - `crate = "path"`: where the runtime is when it is renamed.
///
/// Each step is `fn step(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self>` and
/// returns `Transition::Next(tag)` (run that step now), `Wait(tag)` (return `Pending`, resume
/// there), `Pending` (return `Pending`, run this step again) or `Done(output)`. Fields marked
/// `#[pin]` are structurally pinned: `project()` gives `Pin<&mut T>` for them and `&mut T` for
/// the rest; such a machine may not implement `Drop`, and is `Unpin` exactly when its `#[pin]`
/// fields are. `Pin::set` on a projected field replaces pinned data in place.
///
/// # Enum machines
///
/// Each variant is a step holding only its data; the step method is the variant's name in
/// snake_case and receives the variant's fields (`&mut T`, or `Pin<&mut T>` for `#[pin]`
/// fields) followed by `cx`, returning `Transition<Self, Self>`, whose `Next`/`Wait` carry the
/// next state value (installed with `Pin::set`, dropping the old state in place). A variant
/// marked `#[machine(by_value)]` receives its fields by value instead — allowed only when it
/// has no `#[pin]` field. `start` and `steps` are not used: the machine starts at the variant
/// you construct. The future is `EnumMachine<Self>`, exactly as large as the enum.
///
/// # Expansion
///
/// For `struct Delayed` above (paths shortened; every generated path is absolute, through
/// `::core` and `::blitz_io::__private`, and generated locals use mixed-site hygiene):
///
/// ```text
/// /// The steps of [`Delayed`] (generated by `#[derive(StateMachine)]`).
/// #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
/// #[repr(u8)]
/// enum DelayedStep { Arm, Wait }
///
/// impl<F: Future<Output = ()>> StateMachine for Delayed<F> {
///     type Output = u64;
///     type Tag = DelayedStep;
///     const STEP_NAMES: &'static [&'static str] = &["arm", "wait"];
///     fn tag_index(__tag: DelayedStep) -> usize { __tag as usize }
/// }
///
/// impl<F: Future<Output = ()>> TaggedSteps for Delayed<F> {
///     fn start_tag(&self) -> DelayedStep { DelayedStep::Arm }
///     fn poll_step(self: Pin<&mut Self>, __tag: DelayedStep, __cx: &mut Context<'_>)
///         -> Transition<Self>
///     {
///         match __tag {
///             DelayedStep::Arm => Self::arm(self, __cx),
///             DelayedStep::Wait => Self::wait(self, __cx),
///         }
///     }
/// }
///
/// impl<F: Future<Output = ()>> IntoFuture for Delayed<F> {
///     type Output = u64;
///     type IntoFuture = Machine<Self>;
///     fn into_future(self) -> Machine<Self> { Machine::new(self) }
/// }
///
/// #[doc(hidden)]
/// struct __DelayedProjection<'__pin, F: Future<Output = ()>> where F: '__pin {
///     value: &'__pin mut u64,
///     timer: Pin<&'__pin mut F>,
/// }
///
/// impl<F: Future<Output = ()>> Delayed<F> {
///     fn project<'__pin>(self: Pin<&'__pin mut Self>) -> __DelayedProjection<'__pin, F> {
///         // SAFETY: nothing moves; `#[pin]` fields are re-pinned, the others never pinned.
///         let Self { value: __field0, timer: __field1 } =
///             unsafe { Pin::get_unchecked_mut(self) };
///         let __field1 = unsafe { Pin::new_unchecked(__field1) };
///         __DelayedProjection { value: __field0, timer: __field1 }
///     }
/// }
///
/// // `Unpin` only when the `#[pin]` fields are:
/// #[doc(hidden)]
/// struct __DelayedPinnedFields<'__pin, F: Future<Output = ()>> {
///     __lifetime: PhantomData<(&'__pin (), fn() -> F)>,
///     __pinned0: F,
/// }
/// impl<'__pin, F: Future<Output = ()>> Unpin for Delayed<F>
///     where __DelayedPinnedFields<'__pin, F>: Unpin {}
///
/// // No `Drop` impl (it would get `&mut` to the pinned field): a second impl would conflict.
/// const _: () = {
///     trait MachineWithPinFieldsMustNotImplementDrop {}
///     impl<T: Drop> MachineWithPinFieldsMustNotImplementDrop for T {}
///     impl<F: Future<Output = ()>> MachineWithPinFieldsMustNotImplementDrop for Delayed<F> {}
/// };
/// ```
///
/// # Errors
///
/// The derive reports every problem at once, each on the offending tokens: unknown or duplicate
/// keys, a missing `output`, `start` or `steps`, a `start` that names no step, duplicate steps,
/// `start`/`steps` on an enum, `by_value` on a state with `#[pin]` fields, `#[pin]` with
/// arguments, `repr(packed)`, unions and empty enums. Beside the errors it still emits the tag
/// enum and a bare `StateMachine` impl, so step methods do not add errors of their own. A step
/// listed but not written, or written with the wrong signature, is reported by rustc on the
/// step's name in `steps(..)`; a transition to an unknown step is rustc's "no variant" error on
/// that name; a step that no transition reaches is a `dead_code` warning on its name (for a
/// machine that is not `pub`). Constants named like the generated locals (`__cx`, `__tag`,
/// `__slot`, `__fieldN`, ..) turn them into patterns and break the expansion, as they would
/// for any macro.
#[proc_macro_derive(StateMachine, attributes(machine, pin))]
pub fn derive_state_machine(input: TokenStream) -> TokenStream {
    machine::expand(input.into()).into()
}
