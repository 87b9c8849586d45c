//! `select!`: wait on several futures at once and run the handler of the first to finish.
//!
//! A `macro_rules!` front end in three steps, no proc macro:
//! 1. parse: munch the branches (`pat = future [, if condition] => handler`, an optional
//!    `else => handler` and a leading `biased;`) into a list, giving each branch a name from a
//!    fixed pool (`__S0`..`__S63`, hence at most 64 branches);
//! 2. poll: pin every future in its own local (no `unsafe`, no allocation) and poll them from a
//!    random start (or in order when `biased;`) inside one `poll_fn`; a finished future whose
//!    output does not match its pattern disables its branch, and so does a false condition;
//! 3. dispatch: match the winning output against its pattern *after* the poll, in the caller's
//!    body, so handlers may `.await`, `return`, `break` or `continue` the caller's loops.
//!
//! The first branch's output is checked against its pattern (bindings by reference, in a guard)
//! before it is moved out, as Tokio does. The whole `select!` spends no budget of its own, but returns `Pending`
//! (after a wake-up) when the task's cooperative budget is spent, so a `select!` in a loop
//! cannot starve other tasks.

/// Waits on several futures at once; the first one to finish (and match its pattern) runs its
/// handler, and the others are dropped.
///
/// ```
/// # blitz_io::run(async {
/// use std::future::{pending, ready};
///
/// let winner = blitz_io::select! {
///     never = pending::<u32>() => never,
///     Some(n) = ready(Some(7)) => n * 6,
/// };
/// assert_eq!(winner, 42);
/// # });
/// ```
///
/// Each branch is `pattern = future => handler`, optionally with a precondition
/// `pattern = future, if condition => handler`: a false condition disables the branch (its
/// future is still created, never polled). When a future finishes with a value its pattern
/// does not match, that branch is disabled and the others keep going. When every branch is
/// disabled, the `else => handler` branch runs; without one, `select!` panics.
///
/// Branches are polled from a random starting point each time, so no branch starves the
/// others; `biased;` as the first token polls them in written order instead. Futures are
/// pinned inside the `select!` (so `!Unpin` futures work), and handlers run after the
/// `select!` has dropped the futures of the other branches — they may `.await`, `return`, or
/// `break`/`continue` an enclosing loop. At most 64 branches.
///
/// **Cancellation.** Losing branches are dropped, so a `select!` in a loop is only as
/// cancel-safe as its futures: each channel and sync future documents whether dropping it can
/// lose anything (a `recv()` never loses a value, for instance).
#[macro_export]
macro_rules! select {
    (biased; $($branches:tt)*) => {
        $crate::__select_parse!(@parse true; []; [__S0 __S1 __S2 __S3 __S4 __S5 __S6 __S7 __S8 __S9 __S10 __S11 __S12 __S13 __S14 __S15 __S16 __S17 __S18 __S19 __S20 __S21 __S22 __S23 __S24 __S25 __S26 __S27 __S28 __S29 __S30 __S31 __S32 __S33 __S34 __S35 __S36 __S37 __S38 __S39 __S40 __S41 __S42 __S43 __S44 __S45 __S46 __S47 __S48 __S49 __S50 __S51 __S52 __S53 __S54 __S55 __S56 __S57 __S58 __S59 __S60 __S61 __S62 __S63]; $($branches)*)
    };
    ($($branches:tt)*) => {
        $crate::__select_parse!(@parse false; []; [__S0 __S1 __S2 __S3 __S4 __S5 __S6 __S7 __S8 __S9 __S10 __S11 __S12 __S13 __S14 __S15 __S16 __S17 __S18 __S19 __S20 __S21 __S22 __S23 __S24 __S25 __S26 __S27 __S28 __S29 __S30 __S31 __S32 __S33 __S34 __S35 __S36 __S37 __S38 __S39 __S40 __S41 __S42 __S43 __S44 __S45 __S46 __S47 __S48 __S49 __S50 __S51 __S52 __S53 __S54 __S55 __S56 __S57 __S58 __S59 __S60 __S61 __S62 __S63]; $($branches)*)
    };
}

/// The parser and generator behind [`select!`]. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    // `else` ends the list.
    (@parse $biased:tt; [$($done:tt)*]; [$($pool:ident)*]; else => $else:block $(,)?) => {
        $crate::__select_parse!(@generate $biased; [$($done)*]; $else)
    };
    (@parse $biased:tt; [$($done:tt)*]; [$($pool:ident)*]; else => $else:expr $(,)?) => {
        $crate::__select_parse!(@generate $biased; [$($done)*]; $else)
    };
    // The end without `else`.
    (@parse $biased:tt; [$($done:tt)*]; [$($pool:ident)*];) => {
        $crate::__select_parse!(@generate $biased; [$($done)*]; {
            ::core::panic!("select!: every branch is disabled and there is no `else` branch")
        })
    };
    // A branch with a block handler, with or without a condition.
    (@parse $biased:tt; [$($done:tt)*]; [$name:ident $($pool:ident)*];
        $pat:pat = $fut:expr, if $cond:expr => $handler:block $($rest:tt)*) => {
        $crate::__select_parse!(@next $biased;
            [$($done)* ($name; $pat => $fut; $cond; $handler)]; [$($pool)*]; $($rest)*)
    };
    (@parse $biased:tt; [$($done:tt)*]; [$name:ident $($pool:ident)*];
        $pat:pat = $fut:expr => $handler:block $($rest:tt)*) => {
        $crate::__select_parse!(@next $biased;
            [$($done)* ($name; $pat => $fut; true; $handler)]; [$($pool)*]; $($rest)*)
    };
    // A branch with an expression handler: followed by a comma, or last.
    (@parse $biased:tt; [$($done:tt)*]; [$name:ident $($pool:ident)*];
        $pat:pat = $fut:expr, if $cond:expr => $handler:expr $(, $($rest:tt)*)?) => {
        $crate::__select_parse!(@parse $biased;
            [$($done)* ($name; $pat => $fut; $cond; $handler)]; [$($pool)*]; $($($rest)*)?)
    };
    (@parse $biased:tt; [$($done:tt)*]; [$name:ident $($pool:ident)*];
        $pat:pat = $fut:expr => $handler:expr $(, $($rest:tt)*)?) => {
        $crate::__select_parse!(@parse $biased;
            [$($done)* ($name; $pat => $fut; true; $handler)]; [$($pool)*]; $($($rest)*)?)
    };
    (@parse $biased:tt; [$($done:tt)*]; []; $($rest:tt)+) => {
        ::core::compile_error!("select! takes at most 64 branches")
    };
    (@parse $biased:tt; [$($done:tt)*]; [$($pool:ident)*]; $($rest:tt)+) => {
        ::core::compile_error!(
            "select! expects branches `pattern = future => handler` (optionally \
             `pattern = future, if condition => handler`), then an optional `else => handler`"
        )
    };
    // After a block handler: an optional comma.
    (@next $biased:tt; [$($done:tt)*]; [$($pool:ident)*]; , $($rest:tt)*) => {
        $crate::__select_parse!(@parse $biased; [$($done)*]; [$($pool)*]; $($rest)*)
    };
    (@next $biased:tt; [$($done:tt)*]; [$($pool:ident)*]; $($rest:tt)*) => {
        $crate::__select_parse!(@parse $biased; [$($done)*]; [$($pool)*]; $($rest)*)
    };
    (@generate $biased:tt; []; $else:expr) => {
        ::core::compile_error!("select! needs at least one `pattern = future => handler` branch")
    };
    (@generate $biased:tt; [$(($name:ident; $pat:pat => $fut:expr; $cond:expr; $handler:expr))+];
        $else:expr) => {{
        #[allow(non_camel_case_types, dead_code)]
        enum __SelectOutput<$($name,)+> {
            $($name($name),)+
            Disabled,
        }
        const __BRANCHES: u32 = $crate::__select_parse!(@count $($name)+);
        // Conditions first, then every future, in the order written.
        let mut __disabled: u64 = 0;
        {
            let mut __index = 0u32;
            $(
                if !$cond {
                    __disabled |= 1 << __index;
                }
                __index += 1;
            )+
            let _ = __index;
        }
        // The futures live in this inner block, so they are all dropped (the `pin!` temporaries
        // with them) before the handler runs.
        #[allow(unused_mut)]
        let mut __output = {
            $(
                #[allow(unused_mut)]
                let mut $name = ::core::pin::pin!($fut);
            )+
            let __output = ::core::future::poll_fn(|__cx| {
                if $crate::__private::select_budget_spent(__cx) {
                    return ::core::task::Poll::Pending;
                }
                let __start = if $biased { 0 } else { $crate::__private::select_start(__BRANCHES) };
                for __offset in 0..__BRANCHES {
                    #[allow(clippy::modulo_one)]
                    let __branch = (__start + __offset) % __BRANCHES;
                    let mut __index = 0u32;
                    $(
                        if __branch == __index && __disabled & (1 << __index) == 0 {
                            if let ::core::task::Poll::Ready(__value) =
                                ::core::future::Future::poll($name.as_mut(), __cx)
                            {
                                __disabled |= 1 << __index;
                                // Tested by value in a guard that always fails: the guard
                                // runs only when the pattern matches, its bindings are by
                                // reference there, and nothing is moved out of `__value`. (A
                                // match on `&__value` would reject `mut x` and `ref mut x`.)
                                let mut __matches = false;
                                #[allow(unused_mut)]
                                let mut __value = __value;
                                #[allow(unused_variables, unused_mut, unreachable_patterns)]
                                match __value {
                                    $pat if {
                                        __matches = true;
                                        false
                                    } => ::core::unreachable!(),
                                    _ => {}
                                }
                                if __matches {
                                    return ::core::task::Poll::Ready(
                                        __SelectOutput::$name(__value),
                                    );
                                }
                            }
                        }
                        __index += 1;
                    )+
                    let _ = __index;
                }
                if __disabled.count_ones() >= __BRANCHES {
                    ::core::task::Poll::Ready(__SelectOutput::Disabled)
                } else {
                    ::core::task::Poll::Pending
                }
            })
            .await;
            __output
        };
        match __output {
            $(
                __SelectOutput::$name($pat) => $handler,
            )+
            __SelectOutput::Disabled => $else,
            #[allow(unreachable_patterns)]
            _ => ::core::unreachable!("select!: the output matched its pattern in the poll"),
        }
    }};
    (@count) => { 0u32 };
    (@count $first:ident $($rest:ident)*) => { 1u32 + $crate::__select_parse!(@count $($rest)*) };
}
