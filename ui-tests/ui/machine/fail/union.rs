use blitz_io::machine::StateMachine;

#[derive(StateMachine)]
#[machine(output = ())]
union Machine {
    a: u32,
    b: f32,
}

fn main() {}
