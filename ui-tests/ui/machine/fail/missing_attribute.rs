use blitz_io::machine::StateMachine;

#[derive(StateMachine)]
struct Machine {
    value: u32,
}

fn main() {}
