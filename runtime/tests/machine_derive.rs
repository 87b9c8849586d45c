//! `#[derive(StateMachine)]` end to end: struct and enum machines, `#[pin]` sub-futures,
//! generics, wake-and-resume at the named step, step names in `Debug` and in task dumps.

mod common;

use std::marker::{PhantomData, PhantomPinned};
use std::pin::Pin;
use std::sync::{Arc, Barrier, Mutex};
use std::task::{Context, Poll, Waker};

use blitz_io::machine::{EnumMachine, Machine, StateMachine, Transition};
use blitz_io::task::TaskState;
use common::{Gate, GateWait};

/// Waits for a gate, then counts to `target` one step per poll-free transition.
#[derive(StateMachine)]
#[machine(output = (u32, Vec<&'static str>), start = arm, steps(arm, wait_gate, count))]
struct GatedCounter {
    gate: Gate,
    #[pin]
    waiting: Option<GateWait>,
    #[pin]
    _not_unpin: PhantomPinned,
    counted: u32,
    target: u32,
    log: Vec<&'static str>,
}

impl GatedCounter {
    fn new(gate: &Gate, target: u32) -> GatedCounter {
        GatedCounter {
            gate: gate.clone(),
            waiting: None,
            _not_unpin: PhantomPinned,
            counted: 0,
            target,
            log: Vec::new(),
        }
    }

    fn arm(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        let mut this = self.project();
        this.log.push("arm");
        let wait = this.gate.wait();
        this.waiting.set(Some(wait));
        Transition::Next(GatedCounterStep::WaitGate)
    }

    fn wait_gate(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        this.log.push("wait_gate");
        let waiting = this.waiting.as_pin_mut().expect("armed before waiting");
        match waiting.poll(cx) {
            Poll::Pending => Transition::Wait(GatedCounterStep::WaitGate),
            Poll::Ready(()) => Transition::Next(GatedCounterStep::Count),
        }
    }

    fn count(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        this.log.push("count");
        if *this.counted == *this.target {
            return Transition::Done((*this.counted, std::mem::take(this.log)));
        }
        *this.counted += 1;
        Transition::Next(GatedCounterStep::Count)
    }
}

use std::future::{Future, IntoFuture};

fn noop_context() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

#[test]
fn waits_then_resumes_at_the_step_it_named() {
    let gate = Gate::new();
    let mut machine = Box::pin(GatedCounter::new(&gate, 2).into_future());
    assert_eq!(machine.step_name(), Some("arm"));
    assert!(machine.as_mut().poll(&mut noop_context()).is_pending());
    assert_eq!(machine.step_name(), Some("wait_gate"));
    assert!(machine.as_mut().poll(&mut noop_context()).is_pending());
    gate.open();
    let Poll::Ready((counted, log)) = machine.as_mut().poll(&mut noop_context()) else {
        panic!("the gate is open: the machine must finish");
    };
    assert_eq!(counted, 2);
    assert_eq!(
        log,
        [
            "arm",
            "wait_gate",
            "wait_gate",
            "wait_gate",
            "count",
            "count",
            "count"
        ]
    );
    assert!(machine.is_finished());
    assert_eq!(machine.step_name(), None);
}

#[test]
fn runs_on_both_runtime_flavours_when_woken_from_another_thread() {
    for runtime in [common::current(), common::multi(2)] {
        let gate = Gate::new();
        let task = runtime.spawn(GatedCounter::new(&gate, 5));
        let opener = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                common::wait_until("the machine waits on the gate", || gate.num_waiters() > 0);
                gate.open();
            })
        };
        let (counted, log) = runtime.block_on(task).expect("the machine does not panic");
        opener.join().unwrap();
        assert_eq!(counted, 5);
        assert_eq!(log.first(), Some(&"arm"));
        assert_eq!(log.iter().filter(|step| **step == "count").count(), 6);
    }
}

#[test]
fn debug_shows_the_type_and_the_current_step() {
    let gate = Gate::new();
    let machine = GatedCounter::new(&gate, 1).into_future();
    let text = format!("{machine:?}");
    assert!(text.contains("GatedCounter"), "{text}");
    assert!(text.contains("\"arm\""), "{text}");
    assert_eq!(
        <GatedCounter as StateMachine>::STEP_NAMES,
        ["arm", "wait_gate", "count"]
    );
    assert_eq!(std::mem::size_of::<GatedCounterStep>(), 1);
}

/// Whether `T: Unpin`, decided by method resolution (inherent methods win when they apply).
struct UnpinProbe<T>(PhantomData<T>);
trait NotUnpin {
    fn is_unpin(&self) -> bool {
        false
    }
}
impl<T> NotUnpin for UnpinProbe<T> {}
impl<T: Unpin> UnpinProbe<T> {
    fn is_unpin(&self) -> bool {
        true
    }
}

#[derive(StateMachine)]
#[machine(output = u8, start = only, steps(only))]
struct PlainData {
    value: u8,
    // Not `#[pin]`: never pinned, so it does not make the machine `!Unpin`.
    _marker: PhantomPinned,
}

impl PlainData {
    fn only(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        Transition::Done(*self.project().value)
    }
}

#[test]
fn a_machine_is_unpin_exactly_when_its_pinned_fields_are() {
    assert!(!UnpinProbe::<GatedCounter>(PhantomData).is_unpin());
    assert!(!UnpinProbe::<Machine<GatedCounter>>(PhantomData).is_unpin());
    assert!(UnpinProbe::<PlainData>(PhantomData).is_unpin());
    assert!(UnpinProbe::<Machine<PlainData>>(PhantomData).is_unpin());
    let output = blitz_io::run(PlainData {
        value: 7,
        _marker: PhantomPinned,
    });
    assert_eq!(output, 7);
}

/// Sums a borrowed slice, one element per step: generics, a lifetime and a where-clause.
#[derive(StateMachine)]
#[machine(output = u64, start = add, steps(add))]
struct SumSlice<'a, T, const LIMIT: usize>
where
    T: Copy + Into<u64>,
{
    items: &'a [T],
    next: usize,
    total: u64,
}

impl<'a, T, const LIMIT: usize> SumSlice<'a, T, LIMIT>
where
    T: Copy + Into<u64>,
{
    fn add(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        match this.items.get(*this.next) {
            Some(&item) if *this.next < LIMIT => {
                *this.total += item.into();
                *this.next += 1;
                Transition::Next(SumSliceStep::Add)
            }
            _ => Transition::Done(*this.total),
        }
    }
}

#[blitz_io::test]
async fn generic_machines_borrow_and_finish() {
    let items: Vec<u16> = (1..=10).collect();
    let all = SumSlice::<u16, 100> {
        items: &items,
        next: 0,
        total: 0,
    };
    assert_eq!(all.await, 55);
    let first_three = SumSlice::<u16, 3> {
        items: &items,
        next: 0,
        total: 0,
    };
    assert_eq!(first_three.await, 6);
}

/// A retrying fetch as an enum: each variant holds only its own state's data.
#[derive(StateMachine)]
#[machine(output = Result<String, u32>)]
enum Fetch {
    #[machine(by_value)]
    Connect {
        attempts: u32,
        name: String,
    },
    Waiting {
        #[pin]
        reply: GateWait,
        attempts: u32,
        name: String,
    },
    Failed(u32),
}

impl Fetch {
    fn connect(attempts: u32, name: String, cx: &mut Context<'_>) -> Transition<Self, Self> {
        let _ = cx;
        if attempts >= 3 {
            return Transition::Next(Fetch::Failed(attempts));
        }
        let gate = Gate::new();
        if attempts == 2 {
            gate.open();
        }
        Transition::Next(Fetch::Waiting {
            reply: gate.wait(),
            attempts: attempts + 1,
            name,
        })
    }

    fn waiting(
        reply: Pin<&mut GateWait>,
        attempts: &mut u32,
        name: &mut String,
        cx: &mut Context<'_>,
    ) -> Transition<Self, Self> {
        match reply.poll(cx) {
            Poll::Ready(()) => Transition::Done(Ok(format!("{name} after {attempts}"))),
            // Give up on this attempt at once and reconnect (the gate is never opened).
            Poll::Pending => Transition::Next(Fetch::Connect {
                attempts: *attempts,
                name: std::mem::take(name),
            }),
        }
    }

    fn failed(attempts: &mut u32, _cx: &mut Context<'_>) -> Transition<Self, Self> {
        Transition::Done(Err(*attempts))
    }
}

#[test]
fn enum_machines_move_between_variants_and_drop_pinned_data_in_place() {
    let output = blitz_io::run(Fetch::Connect {
        attempts: 0,
        name: "config".to_owned(),
    });
    assert_eq!(output, Ok("config after 3".to_owned()));
    let failed = blitz_io::run(Fetch::Connect {
        attempts: 3,
        name: String::new(),
    });
    assert_eq!(failed, Err(3));
    assert_eq!(
        <Fetch as StateMachine>::STEP_NAMES,
        ["connect", "waiting", "failed"]
    );
    // The wrapper adds nothing: "finished" lives in the discriminant's spare values.
    assert_eq!(
        std::mem::size_of::<EnumMachine<Fetch>>(),
        std::mem::size_of::<Fetch>()
    );
}

#[test]
fn polling_a_finished_machine_panics_with_a_message() {
    common::quiet_expected_panics();
    let mut machine = PlainData {
        value: 1,
        _marker: PhantomPinned,
    }
    .into_future();
    let mut pinned = Pin::new(&mut machine);
    assert_eq!(pinned.as_mut().poll(&mut noop_context()), Poll::Ready(1));
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = pinned.as_mut().poll(&mut noop_context());
    }))
    .expect_err("a second poll panics");
    let text = common::panic_text(&*panic).unwrap_or_default().to_owned();
    assert!(text.contains("polled after it finished"), "{text}");
}

/// Blocks its worker inside a step until the test lets it go.
#[derive(StateMachine)]
#[machine(output = (), start = blocked, steps(blocked))]
struct BlockedMidPoll {
    arrived: Arc<Barrier>,
    release: Arc<Barrier>,
}

impl BlockedMidPoll {
    fn blocked(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        this.arrived.wait();
        this.release.wait();
        Transition::Done(())
    }
}

#[test]
fn dump_reads_the_step_of_a_task_blocked_mid_poll() {
    let runtime = common::multi(2);
    let arrived = Arc::new(Barrier::new(2));
    let release = Arc::new(Barrier::new(2));
    let blocked = runtime.spawn(BlockedMidPoll {
        arrived: arrived.clone(),
        release: release.clone(),
    });
    let gate = Gate::new();
    let idle = runtime.spawn(GatedCounter::new(&gate, 0));
    arrived.wait();
    common::wait_until("the gated machine waits", || gate.num_waiters() > 0);

    let dump = runtime.handle().dump();
    let find = |id| {
        dump.tasks()
            .iter()
            .find(|task| task.id() == id)
            .unwrap_or_else(|| panic!("task {id} is live, so it is in the dump:\n{dump}"))
    };
    let running = find(blocked.id());
    assert_eq!(running.state(), TaskState::Running, "{dump}");
    assert_eq!(running.step(), Some("blocked"), "{dump}");
    assert!(running.type_name().contains("BlockedMidPoll"), "{dump}");
    assert!(running.spawned_at().file().ends_with("machine_derive.rs"));
    let waiting = find(idle.id());
    assert_eq!(waiting.state(), TaskState::Idle, "{dump}");
    assert_eq!(waiting.step(), Some("wait_gate"), "{dump}");
    assert!(dump.to_string().contains("at step `wait_gate`"), "{dump}");

    release.wait();
    runtime.block_on(blocked).unwrap();
    gate.open();
    runtime.block_on(idle).unwrap();
}

/// Runs an inner machine to completion inside one of its own steps.
#[derive(StateMachine)]
#[machine(output = Option<&'static str>, start = run_inner, steps(run_inner, after))]
struct Outer {
    #[pin]
    inner: Machine<PlainData>,
    seen_after_inner: Arc<Mutex<Option<&'static str>>>,
}

impl Outer {
    fn run_inner(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        match this.inner.poll(cx) {
            Poll::Ready(_) => {
                let id = blitz_io::task::id();
                let dump = blitz_io::runtime::Handle::current().dump();
                let step = dump
                    .tasks()
                    .iter()
                    .find(|t| t.id() == id)
                    .and_then(|t| t.step());
                *this.seen_after_inner.lock().unwrap() = step;
                Transition::Next(OuterStep::After)
            }
            Poll::Pending => Transition::Wait(OuterStep::RunInner),
        }
    }

    fn after(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        Transition::Done(*self.project().seen_after_inner.lock().unwrap())
    }
}

#[test]
fn a_finished_inner_machine_restores_the_enclosing_step_in_the_dump() {
    let runtime = common::current();
    let gate = Gate::new();
    let handle = runtime.handle().clone();
    let observed = Arc::new(Mutex::new(None));
    let task = {
        let observed = observed.clone();
        let gate = gate.clone();
        runtime.spawn(async move {
            let outer = Outer {
                inner: Machine::new(PlainData {
                    value: 1,
                    _marker: PhantomPinned,
                }),
                seen_after_inner: Arc::new(Mutex::new(None)),
            };
            // Inside `run_inner`, the finished inner machine put `run_inner` back.
            assert_eq!(outer.await, Some("run_inner"));
            // The machine finished: the enclosing future publishes no step.
            let id = blitz_io::task::id();
            let step = handle
                .dump()
                .tasks()
                .iter()
                .find(|t| t.id() == id)
                .and_then(|t| t.step());
            *observed.lock().unwrap() = Some(step);
            gate.wait().await;
        })
    };
    gate.open();
    runtime.block_on(task).unwrap();
    assert_eq!(*observed.lock().unwrap(), Some(None));
}

/// A machine that holds machines of its own type: `Self` in field types, pinned or not.
#[derive(StateMachine)]
#[machine(output = u32, start = sum, steps(sum))]
struct Tree<T: Copy + Into<u32>> {
    value: T,
    left: Option<Box<Self>>,
    #[pin]
    right: Option<Pin<Box<Machine<Self>>>>,
}

impl<T: Copy + Into<u32>> Tree<T> {
    fn sum(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        let left = this.left.as_ref().map_or(0, |left| left.value.into());
        let right = match this.right.as_pin_mut() {
            Some(right) => match right.get_mut().as_mut().poll(cx) {
                Poll::Ready(right) => right,
                Poll::Pending => return Transition::Pending,
            },
            None => 0,
        };
        Transition::Done((*this.value).into() + left + right)
    }
}

#[test]
fn self_in_field_types_names_the_machine() {
    let leaf = |value: u8| Tree {
        value,
        left: None,
        right: None,
    };
    let tree = Tree {
        value: 1u8,
        left: Some(Box::new(leaf(2))),
        right: Some(Box::pin(Machine::new(leaf(3)))),
    };
    assert!(UnpinProbe::<Tree<u8>>(PhantomData).is_unpin());
    assert_eq!(blitz_io::run(tree), 6);
}

/// A lifetime parameter named like the projection's own lifetime.
#[derive(StateMachine)]
#[machine(output = u8, start = read, steps(read))]
struct PinNamedLifetime<'__pin> {
    value: &'__pin u8,
    #[pin]
    _marker: PhantomPinned,
}

impl PinNamedLifetime<'_> {
    fn read(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        Transition::Done(**self.project().value)
    }
}

#[test]
fn a_lifetime_named_pin_does_not_clash_with_the_projection() {
    let value = 5;
    let machine = PinNamedLifetime {
        value: &value,
        _marker: PhantomPinned,
    };
    assert_eq!(blitz_io::run(machine), 5);
}

/// The step the task dump shows for the task polling this code.
fn dumped_step() -> Option<&'static str> {
    let id = blitz_io::task::id();
    blitz_io::runtime::Handle::current()
        .dump()
        .tasks()
        .iter()
        .find(|t| t.id() == id)
        .and_then(|t| t.step())
}

/// Parks in one step and resumes in another: `Wait` names a step other than the current one.
#[derive(StateMachine)]
#[machine(output = (), start = park, steps(park, resume))]
struct ParkThenResume {
    gate: Gate,
    #[pin]
    waiting: Option<GateWait>,
}

impl ParkThenResume {
    fn park(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self> {
        let mut this = self.project();
        this.waiting.set(Some(this.gate.wait()));
        match this.waiting.as_pin_mut().unwrap().poll(cx) {
            Poll::Pending => Transition::Wait(ParkThenResumeStep::Resume),
            Poll::Ready(()) => Transition::Done(()),
        }
    }

    fn resume(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Transition<Self> {
        match self.project().waiting.as_pin_mut().unwrap().poll(cx) {
            Poll::Pending => Transition::Pending,
            Poll::Ready(()) => Transition::Done(()),
        }
    }
}

/// An enum machine whose first variant waits and resumes in the second.
#[derive(StateMachine)]
#[machine(output = ())]
enum ParkThenResumeEnum {
    Park {
        gate: Gate,
    },
    Resume {
        #[pin]
        reply: GateWait,
    },
}

impl ParkThenResumeEnum {
    fn park(gate: &mut Gate, cx: &mut Context<'_>) -> Transition<Self, Self> {
        let mut reply = gate.wait();
        match Pin::new(&mut reply).poll(cx) {
            Poll::Pending => Transition::Wait(ParkThenResumeEnum::Resume { reply }),
            Poll::Ready(()) => Transition::Done(()),
        }
    }

    fn resume(reply: Pin<&mut GateWait>, cx: &mut Context<'_>) -> Transition<Self, Self> {
        match reply.poll(cx) {
            Poll::Pending => Transition::Pending,
            Poll::Ready(()) => Transition::Done(()),
        }
    }
}

#[test]
fn the_dump_shows_the_step_a_waiting_machine_resumes_at() {
    let runtime = common::current();
    let outcome = runtime.block_on(runtime.spawn(async {
        let gate = Gate::new();
        let mut machine = std::pin::pin!(Machine::new(ParkThenResume {
            gate: gate.clone(),
            waiting: None,
        }));
        let first = std::future::poll_fn(|cx| Poll::Ready(machine.as_mut().poll(cx))).await;
        assert!(first.is_pending());
        let struct_steps = (machine.step_name(), dumped_step());
        gate.open();
        machine.await;

        let gate = Gate::new();
        let mut machine = std::pin::pin!(EnumMachine::new(ParkThenResumeEnum::Park {
            gate: gate.clone(),
        }));
        let first = std::future::poll_fn(|cx| Poll::Ready(machine.as_mut().poll(cx))).await;
        assert!(first.is_pending());
        let enum_steps = (machine.step_name(), dumped_step());
        gate.open();
        machine.await;
        (struct_steps, enum_steps)
    }));
    let (struct_steps, enum_steps) = outcome.unwrap();
    assert_eq!(struct_steps, (Some("resume"), Some("resume")));
    assert_eq!(enum_steps, (Some("resume"), Some("resume")));
}

/// Counts its first step's runs; its second step panics once.
#[derive(StateMachine)]
#[machine(output = u32, start = first, steps(first, second))]
struct PanicsAfterNext {
    first_runs: u32,
    panicked: bool,
}

impl PanicsAfterNext {
    fn first(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        *self.project().first_runs += 1;
        Transition::Next(PanicsAfterNextStep::Second)
    }

    fn second(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Transition<Self> {
        let this = self.project();
        if !*this.panicked {
            *this.panicked = true;
            panic!("second step panics once");
        }
        Transition::Done(*this.first_runs)
    }
}

#[test]
fn polling_a_machine_again_after_a_step_panicked_panics_instead_of_rerunning_steps() {
    common::quiet_expected_panics();
    let mut machine = Machine::new(PanicsAfterNext {
        first_runs: 0,
        panicked: false,
    });
    let mut pinned = Pin::new(&mut machine);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = pinned.as_mut().poll(&mut noop_context());
    }))
    .expect_err("the second step panics");
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pinned.as_mut().poll(&mut noop_context())
    }));
    assert_eq!(
        machine.get_ref().first_runs,
        1,
        "the completed first step ran again: {again:?}"
    );
    let panic = again.expect_err("polling after a step panicked panics");
    let text = common::panic_text(&*panic).unwrap_or_default().to_owned();
    assert!(text.contains("panicked"), "{text}");
}
