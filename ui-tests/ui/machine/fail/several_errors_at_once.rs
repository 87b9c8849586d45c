use blitz_io::machine::StateMachine;

#[derive(StateMachine)]
#[machine(start = begin, steps(run, run), speed = 3)]
struct Machine {
    #[pin(yes)]
    inner: u8,
}

fn main() {}
